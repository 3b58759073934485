// The default `snapshot_prefix` Caffe derives from the solver file's path when it reads a solver.

import CaffeSupport
import Foundation

extension ProtoUpgrade {
  /// Fills in `snapshot_prefix` as Caffe does when it reads a solver file.
  ///
  /// - unset: the solver file's path without its extension (`examples/lenet_solver.prototxt` →
  ///   `examples/lenet_solver`);
  /// - an existing directory: that directory joined with the solver file's name without its
  ///   extension (`snapshots/` → `snapshots/lenet_solver`);
  /// - anything else is kept.
  ///
  /// Each change is logged with Caffe's wording.
  ///
  /// - Parameters:
  ///   - solver: The solver as read.
  ///   - solverPath: The solver file's path.
  /// - Returns: The solver with `snapshot_prefix` set.
  public static func defaultSnapshotPrefix(
    _ solver: SolverParameter, solverPath: String
  ) -> SolverParameter {
    var result = solver
    let (withoutExtension, stem) = splitExtension(solverPath)
    if !solver.hasSnapshotPrefix {
      result.snapshotPrefix = withoutExtension
      Log.info("snapshot_prefix was not specified and is set to \(result.snapshotPrefix)")
    } else if isDirectory(solver.snapshotPrefix) {
      let folder = solver.snapshotPrefix
      result.snapshotPrefix = folder.hasSuffix("/") ? folder + stem : folder + "/" + stem
      Log.info("snapshot_prefix was a directory and is replaced to \(result.snapshotPrefix)")
    }
    return result
  }

  /// Splits `path` into the path without its extension and the file name without it.
  ///
  /// As in boost::filesystem (v3), the extension starts at the file name's last dot, unless the
  /// name is `.` or `..`.
  private static func splitExtension(_ path: String) -> (withoutExtension: String, stem: String) {
    let nameStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    let name = path[nameStart...]
    guard name != ".", name != "..", let dot = name.lastIndex(of: ".") else {
      return (path, String(name))
    }
    return (String(path[..<dot]), String(name[..<dot]))
  }

  private static func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && isDirectory.boolValue
  }
}
