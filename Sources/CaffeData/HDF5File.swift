// An HDF5 file (libhdf5): opening, creating and closing; the file is its own root group.

import CHDF5
import CaffeSupport
import Foundation

/// An open HDF5 file; as a ``HDF5Group`` it is the root group `/`.
///
/// ```swift
/// let file = try HDF5File(creatingAt: path)
/// try file.writeInt("iter", 100)
/// let history = try file.createGroup("history")
/// try history.writeFloats("0", values, shape: [20, 1, 5, 5])
/// try file.close()
/// ```
///
/// The file closes when the value (and every group opened from it) is released; call
/// ``close()`` after writing to learn whether the data reached the disk. Errors are thrown as
/// `CaffeError` naming the path, never printed by libhdf5 and never a crash.
public final class HDF5File: HDF5Group {
  /// How an existing file is opened.
  public enum Mode: Sendable {
    /// Reading only; any write throws.
    case readOnly
    /// Reading and writing (adding datasets and groups).
    case readWrite
  }

  /// Opens the existing HDF5 file at `path`.
  ///
  /// - Throws: `CaffeError.io` when the file is missing or unreadable;
  ///   `CaffeError.invalidFile` when it is not an HDF5 file (or is damaged).
  public init(openingAt path: String, mode: Mode = .readOnly) throws {
    HDF5Library.silence()
    guard FileManager.default.fileExists(atPath: path) else {
      throw CaffeError.io(path: path, reason: "no such file; check the HDF5 file's path")
    }
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw CaffeError.io(path: path, reason: "permission denied; the file cannot be read")
    }
    guard H5Fis_hdf5(path) > 0 else {
      HDF5Library.silence()
      throw CaffeError.invalidFile(
        path: path, reason: "not an HDF5 file (no HDF5 signature found)")
    }
    let flags = mode == .readOnly ? chdf5_acc_rdonly() : chdf5_acc_rdwr()
    let id = H5Fopen(path, flags, chdf5_p_default())
    guard id >= 0 else {
      throw CaffeError.invalidFile(
        path: path, reason: HDF5Library.reason("cannot open the HDF5 file"))
    }
    super.init(id: id, filePath: path, path: "/", file: nil)
  }

  /// Creates an empty HDF5 file at `path`, replacing (truncating) any file there.
  ///
  /// - Throws: `CaffeError.io` when the file cannot be created (a missing folder, no
  ///   permission).
  public init(creatingAt path: String) throws {
    HDF5Library.silence()
    let id = H5Fcreate(path, chdf5_acc_trunc(), chdf5_p_default(), chdf5_p_default())
    guard id >= 0 else {
      throw CaffeError.io(
        path: path,
        reason: HDF5Library.reason(
          "cannot create the HDF5 file; check the folder "
            + "exists and is writable"))
    }
    super.init(id: id, filePath: path, path: "/", file: nil)
  }

  deinit {
    if id >= 0 { H5Fclose(id) }
  }

  /// Writes a new HDF5 file at `path` atomically.
  ///
  /// `body` fills a temporary file in the same folder, which is then closed and renamed over
  /// `path`. On any failure the temporary file is removed and an existing file at `path` is left
  /// as it was.
  ///
  /// - Parameters:
  ///   - path: the file to create or replace.
  ///   - body: writes the content; it must not keep the file or its groups.
  /// - Throws: `CaffeError.io` when the folder is missing or not writable, or the rename fails;
  ///   whatever `body` throws.
  public static func writeAtomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
    let target = URL(fileURLWithPath: path)
    let folder = target.deletingLastPathComponent()
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder),
      isFolder.boolValue
    else {
      throw CaffeError.io(path: path, reason: "folder \(folder.path) does not exist")
    }
    let temporary = TemporarySibling.path(for: target).path
    do {
      let file = try HDF5File(creatingAt: temporary)
      try body(file)
      try file.close()
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      if case CaffeError.io(temporary, let reason) = error {
        throw CaffeError.io(path: path, reason: reason)
      }
      throw error
    }
    guard rename(temporary, path) == 0 else {
      try? FileManager.default.removeItem(atPath: temporary)
      throw CaffeError.io(path: path, reason: "cannot replace the file (rename failed)")
    }
  }

  /// Flushes everything written to the disk and closes the file; later calls do nothing.
  ///
  /// Groups still alive keep libhdf5's file handle open until they are released, but their
  /// data has been flushed.
  /// - Throws: `CaffeError.io` when libhdf5 cannot flush or close the file.
  public func close() throws {
    guard id >= 0 else { return }
    HDF5Library.silence()
    let flushed = H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0
    let flushFailure = flushed ? "" : HDF5Library.reason("cannot write the HDF5 file to disk")
    let closed = H5Fclose(id) >= 0
    id = -1
    guard flushed else { throw CaffeError.io(path: filePath, reason: flushFailure) }
    guard closed else {
      throw CaffeError.io(
        path: filePath, reason: HDF5Library.reason("cannot write the HDF5 file to disk"))
    }
  }
}
