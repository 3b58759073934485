// Caffe's binary protobuf files: .caffemodel, .solverstate and .binaryproto.

import CaffeSupport
import Foundation
import SwiftProtobuf

/// Reads and writes binary protobuf files: trained weights (`NetParameter`, .caffemodel),
/// solver snapshots (`SolverState`, .solverstate) and blobs (`BlobProto`, .binaryproto,
/// for example a mean image).
///
/// Files up to 2 GB are accepted (Caffe's own limit). Bytes are kept as written: decoding and
/// re-encoding a file Caffe wrote gives the same bytes.
public enum BinaryProto {
  /// The largest file read, in bytes: 2 GB, Caffe's own limit.
  public static let maximumFileSize = Int(Int32.max)

  /// Reads the binary file at `path` as a message of type `type`.
  ///
  /// - Parameters:
  ///   - type: The message type, for example `NetParameter.self`.
  ///   - path: The file.
  /// - Returns: The decoded message.
  /// - Throws: `CaffeError.io` if the file cannot be read; `CaffeError.invalidFile` if it is
  ///   empty, too large, truncated or not a protobuf of that type.
  public static func read<M: SwiftProtobuf.Message>(_ type: M.Type, path: String) throws -> M {
    let data = try ProtoFile.read(path: path, maximumSize: maximumFileSize)
    return try decode(type, data: data, path: path)
  }

  /// Decodes binary protobuf `data` as a message of type `type`.
  ///
  /// - Parameters:
  ///   - type: The message type.
  ///   - data: The bytes.
  ///   - path: The name errors give as the file.
  /// - Returns: The decoded message.
  /// - Throws: `CaffeError.invalidFile` if the bytes are empty, too many, truncated or not a
  ///   protobuf of that type.
  public static func decode<M: SwiftProtobuf.Message>(
    _ type: M.Type, data: Data, path: String
  ) throws -> M {
    let name = M.protoMessageName
    guard !data.isEmpty else {
      throw CaffeError.invalidFile(path: path, reason: "file is empty (expected a \(name))")
    }
    guard data.count <= maximumFileSize else {
      throw CaffeError.invalidFile(
        path: path, reason: "file has \(data.count) bytes; at most 2 GB can be read")
    }
    let message: M
    do {
      message = try M(serializedBytes: data, partial: true)
    } catch {
      throw CaffeError.invalidFile(path: path, reason: reason(for: error, name: name))
    }
    if !message.unknownFields.data.isEmpty && isEmptyIgnoringUnknownFields(message) {
      throw CaffeError.invalidFile(
        path: path, reason: "not a \(name) file (none of its fields are present)")
    }
    return message
  }

  /// Encodes `message` in binary and writes it to `path`, replacing the file atomically.
  ///
  /// - Parameters:
  ///   - message: Any message; missing required fields are allowed, as in Caffe.
  ///   - path: The file to write.
  /// - Throws: `CaffeError.io` if the file cannot be written; `CaffeError.invalidFile` if the
  ///   message encodes to more than 2 GB.
  public static func write(_ message: some SwiftProtobuf.Message, path: String) throws {
    let data: Data
    do {
      data = try message.serializedBytes(partial: true)
    } catch {
      throw CaffeError.invalidFile(path: path, reason: "cannot encode: \(error)")
    }
    guard data.count <= maximumFileSize else {
      throw CaffeError.invalidFile(
        path: path, reason: "encodes to \(data.count) bytes; at most 2 GB can be written")
    }
    try ProtoFile.writeAtomically(data, path: path)
  }

  // MARK: - Errors

  private static func isEmptyIgnoringUnknownFields<M: SwiftProtobuf.Message>(_ message: M) -> Bool {
    var known = message
    known.unknownFields = UnknownStorage()
    return (try? known.serializedBytes(partial: true) as [UInt8])?.isEmpty ?? false
  }

  private static func reason(for error: Error, name: String) -> String {
    switch error as? BinaryDecodingError {
    case .truncated?:
      return "file is truncated (not a complete \(name))"
    case .malformedProtobuf?, .invalidUTF8?:
      return "not a valid \(name) protobuf file (malformed content)"
    case .messageDepthLimit?:
      return "not a valid \(name) protobuf file (nested too deeply)"
    default:
      return "not a valid \(name) protobuf file (\(error))"
    }
  }
}
