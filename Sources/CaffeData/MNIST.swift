// Readers for the MNIST IDX files (images: magic 2051, labels: magic 2049).

import CaffeSupport
import Foundation

/// An MNIST image file: `t10k-images-idx3-ubyte` or `train-images-idx3-ubyte`.
///
/// IDX layout, every header field a big-endian UInt32: magic 2051, image count N, rows H,
/// columns W, then N·H·W pixel bytes, (N, H, W) row-major, 0 = background.
public struct MNISTImages: Sendable {
  /// The IDX magic number of an image file.
  public static let magic: UInt32 = 2051

  /// The file the images came from.
  public let path: String
  /// N, the number of images.
  public let count: Int
  /// H, the rows of one image.
  public let rows: Int
  /// W, the columns of one image.
  public let columns: Int
  /// All pixels, (N, H, W) row-major.
  public let pixels: [UInt8]

  /// Reads and checks a whole image file.
  ///
  /// - Throws: `CaffeError.io` when the file cannot be read; `CaffeError.invalidFile` for a wrong
  ///   magic number (a label file, a gzipped file) or a size that does not match the header.
  public init(path: String) throws {
    let file = try IDXFile(path: path, magic: Self.magic, kind: "image", dimensions: 3)
    self.path = path
    count = file.dimensions[0]
    rows = file.dimensions[1]
    columns = file.dimensions[2]
    pixels = file.payload
  }

  /// The H·W pixels of image `index` (0-based, below ``count``), row-major.
  public func image(_ index: Int) -> ArraySlice<UInt8> {
    let size = rows * columns
    return pixels[index * size..<(index + 1) * size]
  }
}

/// An MNIST label file: `t10k-labels-idx1-ubyte` or `train-labels-idx1-ubyte`.
///
/// IDX layout, every header field a big-endian UInt32: magic 2049, label count N, then N label
/// bytes (0–9).
public struct MNISTLabels: Sendable {
  /// The IDX magic number of a label file.
  public static let magic: UInt32 = 2049

  /// The file the labels came from.
  public let path: String
  /// N, the number of labels.
  public let count: Int
  /// One label per image.
  public let labels: [UInt8]

  /// Reads and checks a whole label file.
  ///
  /// - Throws: `CaffeError.io` when the file cannot be read; `CaffeError.invalidFile` for a wrong
  ///   magic number (an image file, a gzipped file) or a size that does not match the header.
  public init(path: String) throws {
    let file = try IDXFile(path: path, magic: Self.magic, kind: "label", dimensions: 1)
    self.path = path
    count = file.dimensions[0]
    labels = file.payload
  }
}

/// One IDX file of unsigned bytes: its dimensions and the bytes after the header.
struct IDXFile {
  let dimensions: [Int]
  let payload: [UInt8]

  /// Reads `path`, checking the magic number, the header and the payload's size.
  ///
  /// - Parameters:
  ///   - path: the file to read.
  ///   - magic: the expected magic number (2051 images, 2049 labels).
  ///   - kind: "image" or "label", for messages.
  ///   - count: how many UInt32 sizes follow the magic number.
  /// - Throws: `CaffeError.io` or `CaffeError.invalidFile` naming `path`.
  init(path: String, magic: UInt32, kind: String, dimensions count: Int) throws {
    let bytes = try Self.read(path)
    let headerSize = 4 * (1 + count)
    if bytes.count >= 4 {
      let found = Self.bigEndianWord(bytes, at: 0)
      guard found == magic else {
        throw CaffeError.invalidFile(
          path: path, reason: Self.magicProblem(found, expected: magic, kind: kind, bytes: bytes))
      }
    }
    guard bytes.count >= headerSize else {
      throw CaffeError.invalidFile(
        path: path,
        reason: "is \(bytes.count) bytes long, shorter than an IDX \(kind) file's "
          + "\(headerSize)-byte header")
    }
    dimensions = (1...count).map { Int(Self.bigEndianWord(bytes, at: 4 * $0)) }
    var expected = 1
    for size in dimensions {
      let (product, overflow) = expected.multipliedReportingOverflow(by: size)
      guard !overflow else {
        throw CaffeError.invalidFile(path: path, reason: "header sizes \(dimensions) are too large")
      }
      expected = product
    }
    let actual = bytes.count - headerSize
    guard actual == expected else {
      let sizes = dimensions.map(String.init).joined(separator: " x ")
      throw CaffeError.invalidFile(
        path: path,
        reason: "header promises \(sizes) = \(expected) bytes of \(kind) data but the file holds "
          + "\(actual); is it truncated? (data/mnist/get_mnist.sh fetches the files anew)")
    }
    payload = Array(bytes[headerSize...])
  }

  private static func read(_ path: String) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CaffeError.io(
        path: path, reason: "no such file; run data/mnist/get_mnist.sh to fetch MNIST")
    }
    guard !isDirectory.boolValue else {
      throw CaffeError.io(path: path, reason: "is a directory, not an IDX file")
    }
    do {
      return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw CaffeError.io(path: path, reason: "cannot read: \(error.localizedDescription)")
    }
  }

  private static func bigEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
  }

  /// Explains a wrong magic number, naming the likely mix-up.
  private static func magicProblem(
    _ found: UInt32, expected: UInt32, kind: String, bytes: [UInt8]
  ) -> String {
    let base = "not an IDX \(kind) file: magic number \(found), expected \(expected)"
    if bytes[0] == 0x1f && bytes[1] == 0x8b {
      return base + "; it is gzip-compressed: gunzip it first"
    }
    if found == MNISTImages.magic || found == MNISTLabels.magic {
      return base + "; it is the \(kind == "image" ? "label" : "image") file: give the image "
        + "file first, then the label file"
    }
    return base
  }
}
