// The LevelDB backend of the Database protocols (Caffe's db_leveldb), through leveldb/c.h.

import CLevelDB
import CaffeSupport
import Foundation

/// Owns one `leveldb_t` and the iterators reading it; closing it ends those iterators first and
/// then the database (releasing its `LOCK`).
final class LevelDBHandle: DatabaseHandle {
  /// Takes ownership of the database `handle`, opened at `path`.
  init(handle: OpaquePointer, path: String) {
    super.init(handle: handle, path: path) { leveldb_close($0) }
  }
}

/// Runs a LevelDB C call that reports failure through an error string, and throws that string as
/// a `CaffeError.database` naming `path` and the step.
func leveldbCall<Result>(
  path: String, _ step: String,
  _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result
) throws -> Result {
  var message: UnsafeMutablePointer<CChar>?
  let result = body(&message)
  if let message {
    let text = String(cString: message)
    leveldb_free(message)
    throw CaffeError.database(path: path, reason: "leveldb: \(step): \(text)")
  }
  return result
}

/// A LevelDB database: a folder of table and log files with `CURRENT` and `MANIFEST-*`.
///
/// Opened with Caffe's options (64 KiB blocks, 256 MiB write buffer, 100 open files):
/// - `.read` requires an existing database;
/// - `.new` refuses a path that already exists (LevelDB's `error_if_exists`, and any other file
///   or folder there too), so existing data is never overwritten;
/// - `.write` creates the database when missing.
public final class LevelDBDatabase: Database {
  /// The folder the database was opened at.
  public let path: String
  let mode: DatabaseMode
  private var database: LevelDBHandle?

  /// Opens the LevelDB folder at `path`.
  ///
  /// - Throws: `CaffeError.database` naming `path`: a missing database, an LMDB folder, an
  ///   existing path in `.new` mode, or LevelDB's own error text.
  public static func open(_ path: String, mode: DatabaseMode) throws -> LevelDBDatabase {
    try LevelDBDatabase(path: path, mode: mode)
  }

  init(path: String, mode: DatabaseMode) throws {
    self.path = path
    self.mode = mode
    try Self.checkPath(path, mode: mode)
    guard let options = leveldb_options_create() else {
      throw CaffeError.database(path: path, reason: "leveldb: cannot allocate options")
    }
    defer { leveldb_options_destroy(options) }
    leveldb_options_set_block_size(options, 65_536)
    leveldb_options_set_write_buffer_size(options, 268_435_456)
    leveldb_options_set_max_open_files(options, 100)
    leveldb_options_set_error_if_exists(options, mode == .new ? 1 : 0)
    leveldb_options_set_create_if_missing(options, mode == .read ? 0 : 1)
    let handle = try leveldbCall(path: path, "opening") { leveldb_open(options, path, $0) }
    guard let handle else {
      throw CaffeError.database(path: path, reason: "leveldb: opening failed")
    }
    database = LevelDBHandle(handle: handle, path: path)
    Log.info("Opened leveldb \(path)")
  }

  /// An iterator over the database, positioned at the first record.
  ///
  /// - Throws: `CaffeError.database` when the database is closed or LevelDB reports an error.
  public func cursor() throws -> any Cursor {
    try LevelDBCursor(database: openHandle())
  }

  /// A write batch that is applied on ``Transaction/commit()``.
  ///
  /// - Throws: `CaffeError.database` when the database is closed or was opened for reading.
  public func transaction() throws -> any Transaction {
    guard mode != .read else {
      throw CaffeError.database(
        path: path, reason: "opened for reading; open it in write or new mode to change it")
    }
    return try LevelDBTransaction(database: openHandle())
  }

  /// Ends this database's cursors and closes it.
  public func close() {
    database?.close()
    database = nil
  }

  private func openHandle() throws -> LevelDBHandle {
    guard let database else { throw closedDatabaseError(path) }
    return database
  }

  /// Checks what is at `path` before LevelDB sees it, to give errors that say what to do.
  private static func checkPath(_ path: String, mode: DatabaseMode) throws {
    let kind = databasePathKind(path)
    switch mode {
    case .new:
      guard kind == .missing else { throw existingDatabaseError(path) }
    case .read where kind == .missing:
      throw missingDatabaseError(path)
    case .read, .write:
      if kind == .file {
        throw CaffeError.database(path: path, reason: "is a file; a LevelDB database is a folder")
      }
      if kind == .folder && folderHolds(path, "data.mdb") && !folderHolds(path, "CURRENT") {
        throw CaffeError.database(
          path: path,
          reason: "not a LevelDB database: it holds an LMDB database; use backend LMDB "
            + "(backend: LMDB in a data_param, --backend=lmdb on the command line)")
      }
      if mode == .read && kind == .folder && !folderHolds(path, "CURRENT") {
        throw CaffeError.database(
          path: path, reason: "not a LevelDB database: the folder has no CURRENT file")
      }
    }
  }
}

/// A LevelDB iterator; it reads a consistent view of the database until it is released or its
/// database closes.
final class LevelDBCursor: Cursor, DatabaseReader {
  private let database: LevelDBHandle
  private var iterator: OpaquePointer?

  init(database: LevelDBHandle) throws {
    self.database = database
    try database.requireOpen()
    guard let options = leveldb_readoptions_create() else {
      throw CaffeError.database(path: database.path, reason: "leveldb: cannot allocate options")
    }
    defer { leveldb_readoptions_destroy(options) }
    guard let iterator = leveldb_create_iterator(database.handle, options) else {
      throw CaffeError.database(path: database.path, reason: "leveldb: cannot create an iterator")
    }
    self.iterator = iterator
    database.readers.add(self)
    try seekToFirst()
  }

  deinit { end() }

  func end() {
    guard let iterator else { return }
    leveldb_iter_destroy(iterator)
    self.iterator = nil
  }

  func seekToFirst() throws {
    let iterator = try openIterator()
    leveldb_iter_seek_to_first(iterator)
    try checkStatus(iterator)
  }

  func next() throws {
    let iterator = try openIterator()
    guard leveldb_iter_valid(iterator) != 0 else { return }
    leveldb_iter_next(iterator)
    try checkStatus(iterator)
  }

  var valid: Bool { iterator.map { leveldb_iter_valid($0) != 0 } ?? false }

  var key: [UInt8] {
    guard let iterator, valid else { return [] }
    var count = 0
    return Self.bytes(leveldb_iter_key(iterator, &count), count)
  }

  var value: [UInt8] {
    guard let iterator, valid else { return [] }
    var count = 0
    return Self.bytes(leveldb_iter_value(iterator, &count), count)
  }

  private func openIterator() throws -> OpaquePointer {
    guard let iterator else { throw closedDatabaseError(database.path) }
    return iterator
  }

  private func checkStatus(_ iterator: OpaquePointer) throws {
    try leveldbCall(path: database.path, "reading") { leveldb_iter_get_error(iterator, $0) }
  }

  private static func bytes(_ start: UnsafePointer<CChar>?, _ count: Int) -> [UInt8] {
    guard let start, count > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: start, count: count))
  }
}

/// A LevelDB write batch, written atomically on commit and then emptied.
final class LevelDBTransaction: Transaction {
  private let database: LevelDBHandle
  private let batch: OpaquePointer

  init(database: LevelDBHandle) throws {
    self.database = database
    guard let batch = leveldb_writebatch_create() else {
      throw CaffeError.database(path: database.path, reason: "leveldb: cannot allocate a batch")
    }
    self.batch = batch
  }

  deinit { leveldb_writebatch_destroy(batch) }

  func put(_ key: [UInt8], _ value: [UInt8]) {
    key.withUnsafeBytes { keyBytes in
      value.withUnsafeBytes { valueBytes in
        leveldb_writebatch_put(
          batch, keyBytes.baseAddress?.assumingMemoryBound(to: CChar.self), keyBytes.count,
          valueBytes.baseAddress?.assumingMemoryBound(to: CChar.self), valueBytes.count)
      }
    }
  }

  func commit() throws {
    try database.requireOpen()
    guard let options = leveldb_writeoptions_create() else {
      throw CaffeError.database(path: database.path, reason: "leveldb: cannot allocate options")
    }
    defer { leveldb_writeoptions_destroy(options) }
    try leveldbCall(path: database.path, "writing a batch") {
      leveldb_write(database.handle, options, batch, $0)
    }
    // Caffe keeps the batch after writing and so rewrites it on every commit; emptying it
    // stores the same records once.
    leveldb_writebatch_clear(batch)
  }
}
