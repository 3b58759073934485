// The single error type that swift-caffe reports to users.

/// An error a user can act on: each case names the file, layer, field or blob to fix.
///
/// Tools print `error: <description>` on one line and exit with status 1.
public enum CaffeError: Error, Equatable, CustomStringConvertible, Sendable {
  /// A prototxt file failed to parse; `line` and `column` are 1-based.
  case prototxt(file: String, line: Int, column: Int, message: String)
  /// A layer's `type` names no registered layer; `known` lists the registered types.
  case unknownLayerType(layer: String, type: String, known: [String])
  /// A layer parameter breaks one of the layer's rules.
  case invalidParameter(layer: String, type: String, field: String, reason: String)
  /// A blob has a different shape from the one a layer requires.
  case shapeMismatch(layer: String, blob: String, expected: [Int], actual: [Int])
  /// A layer was given the wrong number of bottom or top blobs.
  case blobCount(layer: String, type: String, side: String, expected: String, actual: Int)
  /// The net definition itself is inconsistent (wiring, sharing, filtering rules).
  case invalidNet(reason: String)
  /// A solver definition or solver state is inconsistent.
  case invalidSolver(reason: String)
  /// A database could not be opened, read or written.
  case database(path: String, reason: String)
  /// A binary file ended before its content did, or is not what it claims to be.
  case invalidFile(path: String, reason: String)
  /// A file could not be read or written.
  case io(path: String, reason: String)
  /// Data met during computation is out of the allowed range (for example a label).
  case invalidData(layer: String, reason: String)
  /// Training produced a non-finite value.
  case numerical(reason: String)

  /// The one-line message shown to the user.
  public var description: String {
    switch self {
    case .prototxt(let file, let line, let column, let message):
      return "\(file):\(line):\(column): \(message)"
    case .unknownLayerType(let layer, let type, let known):
      return "layer \"\(layer)\": unknown layer type \"\(type)\" (known types: "
        + known.joined(separator: ", ") + ")"
    case .invalidParameter(let layer, let type, let field, let reason):
      return "layer \"\(layer)\" (\(type)): \(field): \(reason)"
    case .shapeMismatch(let layer, let blob, let expected, let actual):
      return "layer \"\(layer)\": blob \"\(blob)\" has shape \(Self.shapeText(actual)) "
        + "but \(Self.shapeText(expected)) is required"
    case .blobCount(let layer, let type, let side, let expected, let actual):
      return "layer \"\(layer)\" (\(type)) takes \(expected) \(side) blob(s), given \(actual)"
    case .invalidNet(let reason):
      return reason
    case .invalidSolver(let reason):
      return reason
    case .database(let path, let reason):
      return "database \(path): \(reason)"
    case .invalidFile(let path, let reason):
      return "\(path): \(reason)"
    case .io(let path, let reason):
      return "\(path): \(reason)"
    case .invalidData(let layer, let reason):
      return "layer \"\(layer)\": \(reason)"
    case .numerical(let reason):
      return reason
    }
  }

  /// Formats a shape as Caffe prints it: `64 1 28 28 (50176)`.
  public static func shapeText(_ shape: [Int]) -> String {
    let count = shape.reduce(1, *)
    return shape.map(String.init).joined(separator: " ") + " (\(count))"
  }
}
