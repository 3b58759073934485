// The key-value database interface that Caffe's data layers and converters read and write.

import CaffeProto
import CaffeSupport
import Foundation

/// How a database is opened, as Caffe's `db::Mode`.
public enum DatabaseMode: Sendable {
  /// Reads an existing database; it is never modified.
  case read
  /// Opens an existing database for writing (LevelDB creates it when missing).
  case write
  /// Creates a database that must not exist yet; an existing one is refused, never overwritten.
  case new
}

/// The storage engines Caffe supports, named as in Caffe's `--backend` flag.
public enum DatabaseBackend: String, CaseIterable, Sendable {
  /// Lightning Memory-Mapped Database: a folder holding `data.mdb` (and `lock.mdb`).
  case lmdb
  /// LevelDB: a folder of `.ldb`/`.log` files with `CURRENT` and `MANIFEST-*`.
  case leveldb

  /// Parses Caffe's backend name: exactly `lmdb` or `leveldb`.
  ///
  /// - Throws: `CaffeError.database`, printed `database backend "x": unknown (known backends:
  ///   lmdb, leveldb)`.
  public init(parsing name: String) throws {
    guard let backend = DatabaseBackend(rawValue: name) else {
      let known = Self.allCases.map(\.rawValue).joined(separator: ", ")
      throw CaffeError.database(
        path: "backend \"\(name)\"", reason: "unknown (known backends: \(known))")
    }
    self = backend
  }

  /// The backend a prototxt names in `data_param.backend` (LEVELDB or LMDB; Caffe's default is
  /// LEVELDB).
  public init(_ db: DataParameter.DB) {
    switch db {
    case .leveldb: self = .leveldb
    case .lmdb: self = .lmdb
    }
  }
}

/// A key-value store of byte strings, as Caffe's `db::DB`.
///
/// Keys and values are `[UInt8]` byte strings (Caffe uses `std::string` as a byte container);
/// keys sort as bytes, so Caffe's `%08d` keys come back in numeric order. ``close()`` (or
/// releasing the database and everything made from it) closes the engine: cursors made before it
/// become invalid and transactions throw on commit.
public protocol Database: AnyObject {
  /// The path the database was opened at.
  var path: String { get }

  /// Opens the database at `path` (a folder for both backends).
  ///
  /// - Throws: `CaffeError.database` naming `path` and saying what to do.
  static func open(_ path: String, mode: DatabaseMode) throws -> Self

  /// A cursor positioned at the first record (invalid when the database is empty).
  ///
  /// - Throws: `CaffeError.database` when the engine cannot start a read.
  func cursor() throws -> any Cursor

  /// A new, empty write transaction; nothing is stored until its ``Transaction/commit()``.
  ///
  /// - Throws: `CaffeError.database` when the database was opened for reading.
  func transaction() throws -> any Transaction

  /// Closes the database; later calls on it, its cursors and its transactions throw.
  func close()
}

/// Walks a database's records in key order, as Caffe's `db::Cursor`.
public protocol Cursor: AnyObject {
  /// Moves to the first record.
  ///
  /// - Throws: `CaffeError.database` when the engine reports an error.
  func seekToFirst() throws

  /// Moves to the next record; after the last one ``valid`` becomes false.
  ///
  /// - Throws: `CaffeError.database` when the engine reports an error.
  func next() throws

  /// Whether the cursor is on a record.
  var valid: Bool { get }

  /// The current record's key (empty when not ``valid``).
  var key: [UInt8] { get }

  /// The current record's value (empty when not ``valid``).
  var value: [UInt8] { get }
}

/// A batch of writes applied together, as Caffe's `db::Transaction`.
public protocol Transaction: AnyObject {
  /// Queues one record; an existing key is replaced when the batch is committed.
  func put(_ key: [UInt8], _ value: [UInt8])

  /// Stores every queued record and empties the batch, so the transaction can be reused.
  ///
  /// - Throws: `CaffeError.database` naming the database and the engine's error.
  func commit() throws
}

extension Cursor {
  /// The current record's key as text (keys Caffe writes are ASCII, such as `00000042`).
  public var keyString: String { String(decoding: key, as: UTF8.self) }
}

extension Transaction {
  /// Queues one record under a text key (stored as its UTF-8 bytes).
  public func put(_ key: String, _ value: [UInt8]) {
    put(Array(key.utf8), value)
  }
}

/// Opens a database with the given backend, as Caffe's `db::GetDB(backend)->Open(path, mode)`.
///
/// - Throws: `CaffeError.database` naming `path` and saying what to do.
public func openDatabase(
  backend: DatabaseBackend, path: String, mode: DatabaseMode
) throws -> any Database {
  switch backend {
  case .lmdb: return try LMDBDatabase.open(path, mode: mode)
  case .leveldb: return try LevelDBDatabase.open(path, mode: mode)
  }
}

// MARK: - Parts shared by the backends

/// Something holding engine resources (a read transaction, an iterator) that must be ended
/// before its database closes.
protocol DatabaseReader: AnyObject {
  /// Frees the engine resources; the reader is invalid afterwards.
  func end()
}

/// The live readers of one open database, held weakly, so closing it can end them first.
final class DatabaseReaders {
  private var readers: [() -> DatabaseReader?] = []

  /// Starts tracking `reader` (and forgets readers already released).
  func add(_ reader: DatabaseReader) {
    readers.removeAll { $0() == nil }
    readers.append { [weak reader] in reader }
  }

  /// Ends every live reader.
  func endAll() {
    for reader in readers { reader()?.end() }
    readers.removeAll()
  }
}

/// Owns one engine handle (an `MDB_env`, a `leveldb_t`) and the readers using it; closing it
/// ends those readers first, then releases the handle.
class DatabaseHandle {
  let handle: OpaquePointer
  let path: String
  let readers = DatabaseReaders()
  private(set) var isOpen = true
  private let release: (OpaquePointer) -> Void

  /// Takes ownership of `handle`, opened at `path`; `release` closes it in the engine.
  init(handle: OpaquePointer, path: String, release: @escaping (OpaquePointer) -> Void) {
    self.handle = handle
    self.path = path
    self.release = release
  }

  deinit { close() }

  /// Ends every reader, then releases the handle; later calls are ignored.
  func close() {
    guard isOpen else { return }
    readers.endAll()
    release(handle)
    isOpen = false
  }

  /// Throws when the handle has been closed.
  func requireOpen() throws {
    guard isOpen else { throw closedDatabaseError(path) }
  }
}

/// The error for using a database after ``Database/close()``.
func closedDatabaseError(_ path: String) -> CaffeError {
  .database(path: path, reason: "the database is closed")
}

/// What is found at a database path before the engine opens it.
enum DatabasePathKind: Equatable {
  case missing
  case file
  case folder
}

/// Looks at `path` without following it into the engine.
func databasePathKind(_ path: String) -> DatabasePathKind {
  var isFolder: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
    return .missing
  }
  return isFolder.boolValue ? .folder : .file
}

/// Whether `folder` holds an entry named `name`.
func folderHolds(_ folder: String, _ name: String) -> Bool {
  FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name))
}

/// The error for a database path that does not exist when it must.
func missingDatabaseError(_ path: String) -> CaffeError {
  .database(
    path: path,
    reason: "no such database; create it first (for MNIST: data/mnist/get_mnist.sh, then "
      + "examples/mnist/create_mnist.sh) or fix the path")
}

/// The error for a NEW database whose path is already taken.
func existingDatabaseError(_ path: String) -> CaffeError {
  .database(
    path: path,
    reason: "already exists; remove it or choose another output path (it is never overwritten)")
}
