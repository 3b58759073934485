// Reading whole files and replacing them atomically, with errors that name the path.

import CaffeSupport

import Foundation

/// File access shared by the text and binary readers and writers.
enum ProtoFile {
  /// Reads the whole file at `path`.
  ///
  /// - Parameters:
  ///   - path: The file.
  ///   - maximumSize: The largest size accepted, in bytes.
  /// - Returns: The file's bytes.
  /// - Throws: `CaffeError.io` if the file is missing, is a directory or cannot be read;
  ///   `CaffeError.invalidFile` if it is larger than `maximumSize`.
  static func read(path: String, maximumSize: Int = Int.max) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CaffeError.io(path: path, reason: "no such file")
    }
    guard !isDirectory.boolValue else {
      throw CaffeError.io(path: path, reason: "is a directory, not a file")
    }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    if let size = (attributes?[.size] as? NSNumber)?.intValue, size > maximumSize {
      throw CaffeError.invalidFile(
        path: path, reason: "file has \(size) bytes; at most \(maximumSize) can be read")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CaffeError.io(path: path, reason: "cannot be read (check its permissions)")
    }
    return data
  }

  /// Replaces the file at `path` with `data`: writes a temporary file in the same folder,
  /// then renames it, so a failure never leaves a half-written file behind.
  ///
  /// - Parameters:
  ///   - data: The new content.
  ///   - path: The file to replace or create.
  /// - Throws: `CaffeError.io` if the folder is missing or not writable.
  static func writeAtomically(_ data: Data, path: String) throws {
    let target = URL(fileURLWithPath: path)
    let folder = target.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw CaffeError.io(path: path, reason: "folder \(folder.path) does not exist")
    }
    let temporary = TemporarySibling.path(for: target)
    do {
      try data.write(to: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw CaffeError.io(path: path, reason: "cannot write into folder \(folder.path)")
    }
    guard rename(temporary.path, target.path) == 0 else {
      try? FileManager.default.removeItem(at: temporary)
      throw CaffeError.io(path: path, reason: "cannot replace the file (rename failed)")
    }
  }
}
