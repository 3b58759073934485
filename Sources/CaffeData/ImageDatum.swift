// Images as Datums: Caffe's CVMatToDatum, ReadImageToDatum and the decoding of encoded Datums.

import CaffeProto
import CaffeSupport
import Foundation

extension Datum {
  /// A raw Datum holding `image`'s pixels in Caffe's (C, H, W) order, as Caffe's `CVMatToDatum`.
  ///
  /// `data[(c·H + h)·W + w]` is the image's pixel (h, w) channel c (BGR order for 3 channels);
  /// `encoded` stays false.
  /// - Parameters:
  ///   - image: the pixels, (H, W, C) interleaved.
  ///   - label: the class label.
  public init(image: Image, label: Int32) {
    let (channels, height, width) = (image.channels, image.height, image.width)
    var planes = [UInt8](repeating: 0, count: image.pixels.count)
    for c in 0..<channels {
      for h in 0..<height {
        for w in 0..<width {
          planes[(c * height + h) * width + w] = image.pixels[(h * width + w) * channels + c]
        }
      }
    }
    self.init(
      channels: Int32(channels), height: Int32(height), width: Int32(width), bytes: planes,
      label: label)
  }

  /// The Datum with its image decoded when it is `encoded` (Caffe's `DecodeDatum`), else itself.
  ///
  /// - Parameters:
  ///   - color: `.native` keeps the file's channel count (what Caffe's Data layer does without
  ///     `force_color`/`force_gray`); `.color` and `.gray` force 3 or 1 channels.
  ///   - name: the record's name (its key), for error messages.
  /// - Returns: a raw Datum with C, H, W, the (C, H, W) bytes and the label.
  /// - Throws: `CaffeError.invalidFile` naming `name` when the bytes are not a readable JPEG or
  ///   PNG image.
  public func decoded(color: ImageColorMode, name: String) throws -> Datum {
    guard encoded else { return self }
    return Datum(image: try Image(decoding: Array(data), color: color, name: name), label: label)
  }
}

/// A Datum read from an image file as Caffe's `ReadImageToDatum` reads it, with the size of the
/// pixels it holds (also when they are stored encoded).
public struct ImageDatum {
  /// The record: raw (C, H, W) bytes, or an encoded file with `encoded` set.
  public var datum: Datum
  /// C, H and W of the decoded (and resized) image.
  public var shape: [Int]

  /// Reads, decodes and optionally resizes an image file into a Datum.
  ///
  /// Without `encoding` the Datum holds the decoded pixels (see `Datum(image:label:)`). With
  /// it, the Datum holds an encoded file and has `encoded` set: the file's own bytes when no
  /// resize is asked for, the file's extension equals `encoding` (ignoring case, as Caffe's
  /// `matchExt`) and the file's own channel count is the one asked for; otherwise the decoded
  /// image re-encoded in `encoding`. The channel condition differs from Caffe, which stores the
  /// file's bytes even when they decode to another channel count (a colour JPEG under
  /// `--gray --encoded` came back with 3 channels); here the stored file always decodes to the
  /// channels asked for.
  ///
  /// - Parameters:
  ///   - file: the image file (JPEG or PNG, recognised by its first bytes).
  ///   - label: the class label.
  ///   - height: the height to resize to; no resize unless both `height` and `width` are
  ///     positive (as Caffe).
  ///   - width: the width to resize to.
  ///   - isColor: 3 channels (BGR) when true, 1 gray channel when false.
  ///   - encoding: nil for raw pixels, else the format to store: `jpg`, `jpeg`, `jpe` or `png`.
  /// - Throws: `CaffeError.io` or `.invalidFile` naming `file` when it cannot be read or decoded,
  ///   or when `encoding` is not a known type.
  public init(
    file: String, label: Int32, height: Int = 0, width: Int = 0, isColor: Bool = true,
    encoding: String? = nil
  ) throws {
    let bytes = try Image.readFile(file)
    var image = try Image(decoding: bytes, color: isColor ? .color : .gray, name: file)
    let resize = height > 0 && width > 0
    if resize { image = try image.resized(height: height, width: width) }
    shape = [image.channels, image.height, image.width]
    guard let encoding else {
      datum = Datum(image: image, label: label)
      return
    }
    guard let format = ImageFormat(fileExtension: encoding) else {
      throw CaffeError.invalidFile(
        path: file, reason: "cannot be stored as \"\(encoding)\"; the encode types are jpg and png")
    }
    let fileExtension = (file as NSString).pathExtension.lowercased()
    var keepFile = !resize && fileExtension == encoding.lowercased()
    if keepFile { keepFile = try Image.nativeChannels(of: bytes, name: file) == image.channels }
    datum = Datum()
    datum.data = Data(keepFile ? bytes : try image.encoded(as: format))
    datum.label = label
    datum.encoded = true
  }
}
