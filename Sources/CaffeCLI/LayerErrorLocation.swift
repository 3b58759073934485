// Pointing an unknown layer type at the line of the prototxt that defines the layer.

import CaffeProto
import CaffeSupport
import Foundation

/// Runs `body`; when it throws `CaffeError.unknownLayerType` for a layer written at the top level
/// of one of `files`, the error becomes `CaffeError.prototxt` at that layer's line and column,
/// with the same message (the layer, its type and the known types).
///
/// - Parameters:
///   - files: The prototxt files the net was read from, most likely first; empty paths are
///     skipped.
///   - body: Builds the net or the solver.
/// - Returns: What `body` returns.
/// - Throws: What `body` throws, located when the layer is found.
func locatingLayerErrors<T>(in files: [String], _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as CaffeError {
    guard case .unknownLayerType(let layer, let type, _) = error else { throw error }
    for file in files where !file.isEmpty {
      guard let data = FileManager.default.contents(atPath: file),
        let at = Prototxt.location(ofLayer: layer, type: type, in: [UInt8](data))
      else { continue }
      throw CaffeError.prototxt(
        file: file, line: at.line, column: at.column, message: error.description)
    }
    throw error
  }
}
