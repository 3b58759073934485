// Caffe's text files (.prototxt): reading with located errors, and writing.

import CaffeSupport
import Foundation
import SwiftProtobuf

/// Reads and writes protobuf text format ("prototxt") for any `caffe.proto` message.
///
/// Reading accepts exactly what Caffe's C++ reader accepts, and a file Caffe rejects fails here
/// with `CaffeError.prototxt` naming the file, the 1-based line and column of the offending
/// token, and the problem: an unknown field (`PoolingParameter has no field "ceil_mode"`), a
/// bad enum value (with the allowed ones), a non-repeated field given twice, an unclosed or
/// stray brace, a value of the wrong type, a missing required field. A solver definition given
/// where a net is expected, or the reverse, is named as such.
///
/// Legacy net formats (V0, V1) are read as they are written; upgrading them is a separate step.
public enum Prototxt {
  /// Reads a net definition (`NetParameter`) as written, without upgrading legacy fields.
  ///
  /// - Parameter path: The .prototxt file.
  /// - Returns: The net definition.
  /// - Throws: `CaffeError.io` if the file cannot be read; `CaffeError.prototxt` if it does not
  ///   parse, including when it is a solver definition.
  public static func readNet(path: String) throws -> NetParameter {
    try read(NetParameter.self, path: path)
  }

  /// Reads a solver definition (`SolverParameter`) as written.
  ///
  /// - Parameter path: The solver .prototxt file.
  /// - Returns: The solver definition.
  /// - Throws: `CaffeError.io` if the file cannot be read; `CaffeError.prototxt` if it does not
  ///   parse, including when it is a net definition.
  public static func readSolver(path: String) throws -> SolverParameter {
    try read(SolverParameter.self, path: path)
  }

  /// Reads a text file as a message of type `type`.
  ///
  /// - Parameters:
  ///   - type: The message type, for example `NetParameter.self`.
  ///   - path: The text file.
  /// - Returns: The decoded message.
  /// - Throws: `CaffeError.io` if the file cannot be read; `CaffeError.prototxt` if it does not
  ///   parse.
  public static func read<M: SwiftProtobuf.Message>(_ type: M.Type, path: String) throws -> M {
    let data = try ProtoFile.read(path: path)
    return try decode(type, bytes: [UInt8](data), file: path)
  }

  /// Decodes text-format `text` as a message of type `type`.
  ///
  /// - Parameters:
  ///   - type: The message type, for example `LayerParameter.self`.
  ///   - text: The protobuf text format.
  ///   - file: The name errors give as the file (a path, or something like `<inline>`).
  /// - Returns: The decoded message.
  /// - Throws: `CaffeError.prototxt` at the first problem.
  public static func decode<M: SwiftProtobuf.Message>(
    _ type: M.Type, text: String, file: String = "<text>"
  ) throws -> M {
    try decode(type, bytes: Array(text.utf8), file: file)
  }

  /// Encodes `message` as Caffe writes text files: fields in number order, one value per line,
  /// nested messages as `name {` blocks indented by two spaces, floats as `%g` (`1`, `0.01`).
  ///
  /// - Parameter message: Any message; messages outside caffe.proto use swift-protobuf's printer.
  /// - Returns: The text, ending in a newline when not empty.
  public static func encode(_ message: some SwiftProtobuf.Message) -> String {
    let name = type(of: message).protoMessageName
    guard let schema = ProtoSchema.caffe.message(protoName: name),
      let bytes: [UInt8] = try? message.serializedBytes(partial: true)
    else { return message.textFormatString() }
    var printer = TextPrinter(schema: ProtoSchema.caffe)
    printer.printFields(bytes[...], as: schema, depth: 0)
    return printer.output
  }

  /// Writes `message` as text to `path`, replacing the file atomically.
  ///
  /// - Parameters:
  ///   - message: Any message.
  ///   - path: The file to write.
  /// - Throws: `CaffeError.io` if the file cannot be written.
  public static func write(_ message: some SwiftProtobuf.Message, path: String) throws {
    try ProtoFile.writeAtomically(Data(encode(message).utf8), path: path)
  }

  // MARK: - Decoding

  private static func decode<M: SwiftProtobuf.Message>(
    _ type: M.Type, bytes: [UInt8], file: String
  ) throws -> M {
    guard let schema = ProtoSchema.caffe.message(protoName: M.protoMessageName) else {
      throw CaffeError.prototxt(
        file: file, line: 1, column: 1,
        message: "\(M.protoMessageName) is not a message of caffe.proto")
    }
    let wire: [UInt8]
    do {
      var parser = try TextParser(bytes, schema: ProtoSchema.caffe)
      wire = try parser.parseDocument(as: schema)
    } catch let issue as TextFormatIssue {
      let message = DefinitionKind.confusion(issue, in: bytes, expected: schema) ?? issue.message
      throw CaffeError.prototxt(
        file: file, line: issue.line, column: issue.column, message: message)
    }
    do {
      return try M(serializedBytes: wire, partial: true)
    } catch {
      throw CaffeError.prototxt(
        file: file, line: 1, column: 1,
        message: "the text parsed but does not decode as \(schema.name): \(error)")
    }
  }
}
