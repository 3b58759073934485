// Datum: one stored example (pixels and label), as Caffe's converters write database values.

import CaffeProto
import CaffeSupport
import Foundation

extension Datum {
  /// Makes a Datum of raw 8-bit pixels and a label, as `convert_mnist_data` and
  /// `convert_imageset` store them.
  ///
  /// - Parameters:
  ///   - channels: C, the number of channels.
  ///   - height: H, in pixels.
  ///   - width: W, in pixels.
  ///   - bytes: the C·H·W pixel bytes of one image, (C, H, W) row-major; the caller keeps the
  ///     count consistent with the shape.
  ///   - label: the class label (always stored, also when 0, as Caffe does).
  public init(channels: Int32, height: Int32, width: Int32, bytes: [UInt8], label: Int32) {
    self.init()
    self.channels = channels
    self.height = height
    self.width = width
    self.data = Data(bytes)
    self.label = label
  }

  /// Decodes a database value written by Caffe or by ``serializedValue(key:source:)``.
  ///
  /// - Parameters:
  ///   - value: the record's value, a serialized `Datum`.
  ///   - key: the record's key, named in the error.
  ///   - source: the database's path, named in the error.
  /// - Throws: `CaffeError.database`, printed `database <source>: the value of key "00000042" is
  ///   not a valid Datum (<reason>)`.
  public init(databaseValue value: [UInt8], key: [UInt8], source: String) throws {
    do {
      self = try Datum(serializedBytes: value)
    } catch {
      throw CaffeError.database(
        path: source,
        reason: "the value of key \"\(String(decoding: key, as: UTF8.self))\" is not a valid "
          + "Datum (\(error)); was the database written by a Caffe converter?")
    }
  }

  /// The Datum in protobuf's binary format, as Caffe stores it as a database value.
  ///
  /// Fields are written in field-number order, so a Datum built like Caffe's serializes to the
  /// same bytes as Caffe's.
  /// - Parameters:
  ///   - key: the record's key, named in the error.
  ///   - source: the database's path, named in the error.
  /// - Returns: the encoded bytes.
  /// - Throws: `CaffeError.database` when it holds 2 GiB or more (protobuf's limit for one
  ///   message) or swift-protobuf cannot encode it.
  public func serializedValue(key: [UInt8], source: String) throws -> [UInt8] {
    let payload = data.count + floatData.count * 4
    guard payload < Int(Int32.max) else {
      throw CaffeError.database(
        path: source,
        reason: "the Datum for key \"\(String(decoding: key, as: UTF8.self))\" holds "
          + "\(payload) bytes, over protobuf's 2 GiB limit for one record")
    }
    do {
      return try serializedBytes()
    } catch {
      throw CaffeError.database(
        path: source,
        reason: "cannot encode the Datum for key \"\(String(decoding: key, as: UTF8.self))\" "
          + "(\(error))")
    }
  }
}
