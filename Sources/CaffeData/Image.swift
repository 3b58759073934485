// Image: an 8-bit picture in OpenCV's layout (rows of interleaved BGR or gray pixels).

import CaffeSupport
import Foundation

/// An 8-bit image as OpenCV's `cv::imread` returns it: H rows of W pixels, each pixel C
/// interleaved bytes in BGR order (C = 3) or one gray byte (C = 1).
///
/// Decoding (``init(decoding:color:name:)``, ``init(contentsOfFile:color:)``) reads JPEG and PNG,
/// told apart by their first bytes, never by the file name; ``encoded(as:)`` writes them;
/// ``resized(height:width:)`` is OpenCV's bilinear `cv::resize`. Caffe's `Datum` stores the same
/// pixels in (C, H, W) order (see `Datum(image:label:)`).
public struct Image: Equatable, Sendable {
  /// H, the number of rows.
  public let height: Int
  /// W, the number of pixels per row.
  public let width: Int
  /// C: 1 (gray) or 3 (blue, green, red).
  public let channels: Int
  /// The H·W·C bytes, (H, W, C) row-major: pixel (y, x) channel c is at `(y·W + x)·C + c`.
  public var pixels: [UInt8]

  /// Makes an image from its pixels.
  ///
  /// - Parameters:
  ///   - height: H, at least 1.
  ///   - width: W, at least 1.
  ///   - channels: C, 1 or 3.
  ///   - pixels: H·W·C bytes, (H, W, C) row-major, BGR for C = 3.
  /// - Throws: `CaffeError.invalidData` when the sizes are out of range or disagree with the
  ///   byte count.
  public init(height: Int, width: Int, channels: Int, pixels: [UInt8]) throws {
    guard height > 0, width > 0, channels == 1 || channels == 3 else {
      throw CaffeError.invalidData(
        layer: "",
        reason: "an image needs H, W ≥ 1 and 1 or 3 channels, given "
          + "\(height) × \(width) × \(channels) (H × W × C)")
    }
    guard pixels.count == height * width * channels else {
      throw CaffeError.invalidData(
        layer: "",
        reason: "an image of \(height) × \(width) × \(channels) (H × W × C) needs "
          + "\(height * width * channels) bytes, given \(pixels.count)")
    }
    self.init(unchecked: height, width, channels, pixels)
  }

  /// Makes an image whose sizes the caller has already checked.
  init(unchecked height: Int, _ width: Int, _ channels: Int, _ pixels: [UInt8]) {
    self.height = height
    self.width = width
    self.channels = channels
    self.pixels = pixels
  }

  /// Reads and decodes a JPEG or PNG file.
  ///
  /// - Parameters:
  ///   - path: the file; its format comes from its first bytes.
  ///   - color: the channels wanted (see ``ImageColorMode``).
  /// - Throws: `CaffeError.io` naming `path` when it cannot be read; `CaffeError.invalidFile`
  ///   naming `path` when it is not a JPEG or PNG image or is corrupt.
  public init(contentsOfFile path: String, color: ImageColorMode = .color) throws {
    try self.init(decoding: try Self.readFile(path), color: color, name: path)
  }

  /// Decodes JPEG or PNG bytes, as OpenCV's `cv::imdecode`.
  ///
  /// - Parameters:
  ///   - bytes: the whole encoded file.
  ///   - color: the channels wanted (see ``ImageColorMode``).
  ///   - name: the file or record the bytes came from, for error messages.
  /// - Throws: `CaffeError.invalidFile` naming `name` when the bytes are not a JPEG or PNG image,
  ///   are corrupt, or describe an image too large to hold.
  public init(decoding bytes: [UInt8], color: ImageColorMode = .color, name: String) throws {
    switch try ImageFormat.detect(bytes, name: name) {
    case .jpeg: self = try JPEGCodec.decode(bytes, color: color, name: name)
    case .png: self = try PNGCodec.decode(bytes, color: color, name: name)
    }
  }

  /// The number of channels ``ImageColorMode/native`` decoding gives for `bytes`.
  ///
  /// 3 when the image stores colour (a JPEG with more than one component; a PNG of palette,
  /// RGB, RGBA or gray-alpha type, as OpenCV's `IMREAD_ANYCOLOR` counts them), 1 otherwise.
  /// Only the header is read.
  ///
  /// - Parameters:
  ///   - bytes: the whole encoded file.
  ///   - name: the file or record the bytes came from, for error messages.
  /// - Returns: 1 or 3.
  /// - Throws: `CaffeError.invalidFile` naming `name` when the header cannot be read.
  public static func nativeChannels(of bytes: [UInt8], name: String) throws -> Int {
    switch try ImageFormat.detect(bytes, name: name) {
    case .jpeg: return try JPEGCodec.nativeChannels(bytes, name: name)
    case .png: return try PNGCodec.nativeChannels(bytes, name: name)
    }
  }

  /// The image encoded as a JPEG (quality 95, OpenCV's default) or PNG (deflate level 1 with the
  /// Sub filter, OpenCV's default) file.
  ///
  /// - Throws: `CaffeError.invalidData` when libjpeg or libpng reports an error.
  public func encoded(as format: ImageFormat) throws -> [UInt8] {
    switch format {
    case .jpeg: return try JPEGCodec.encode(self)
    case .png: return try PNGCodec.encode(self)
    }
  }

  /// Reads a whole file.
  ///
  /// - Throws: `CaffeError.io` naming `path`.
  static func readFile(_ path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
      throw CaffeError.io(path: path, reason: "no such file")
    }
    do {
      return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw CaffeError.io(path: path, reason: "cannot be read (\(error.localizedDescription))")
    }
  }
}

/// Which channels decoding produces, as OpenCV's `imread` flags.
public enum ImageColorMode: Sendable {
  /// Three channels, BGR, whatever the file holds (`IMREAD_COLOR`; Caffe's `is_color`,
  /// `force_color`).
  case color
  /// One gray channel (`IMREAD_GRAYSCALE`; Caffe's `--gray`, `force_gray`). JPEG files are
  /// converted by libjpeg (the luma channel), PNG files by libpng with red and green weights
  /// 0.299 and 0.587, as OpenCV asks libpng to.
  case gray
  /// Three channels when the file stores colour, one otherwise (`IMREAD_ANYCOLOR`; Caffe's
  /// decoding of encoded datums without `force_color`/`force_gray`).
  case native
}

/// The image file formats swift-caffe reads and writes.
public enum ImageFormat: String, CaseIterable, Sendable {
  /// JPEG (JFIF/Exif), through libjpeg-turbo.
  case jpeg
  /// PNG, through libpng.
  case png

  /// The format named by a file extension or Caffe's `--encode_type`: `jpg`, `jpeg`, `jpe`
  /// or `png`, in any case, with or without a leading dot; nil for anything else.
  public init?(fileExtension: String) {
    let name = fileExtension.lowercased()
    switch name.hasPrefix(".") ? String(name.dropFirst()) : name {
    case "jpg", "jpeg", "jpe": self = .jpeg
    case "png": self = .png
    default: return nil
    }
  }

  /// The format whose signature starts `bytes`: JPEG's `FF D8 FF` or PNG's eight bytes
  /// `89 50 4E 47 0D 0A 1A 0A`.
  ///
  /// - Throws: `CaffeError.invalidFile` naming `name`, with the first bytes found.
  public static func detect(_ bytes: [UInt8], name: String) throws -> ImageFormat {
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
    let head = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
    throw CaffeError.invalidFile(
      path: name,
      reason: bytes.isEmpty
        ? "is empty, not a JPEG or PNG image"
        : "is not a JPEG or PNG image (it starts with \(head)); only JPEG and PNG can be decoded")
  }
}
