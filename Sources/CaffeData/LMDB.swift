// The LMDB backend of the Database protocols (Caffe's db_lmdb).

import CLMDB
import CaffeSupport
import Foundation

/// Owns one `MDB_env` and the cursors reading it; closing it ends those cursors first.
final class LMDBEnvironment: DatabaseHandle {
  /// Takes ownership of the environment `handle`, opened at `path`.
  init(handle: OpaquePointer, path: String) {
    super.init(handle: handle, path: path) { mdb_env_close($0) }
  }

  /// Turns an LMDB return code into a `CaffeError.database` naming the path and the step.
  func check(_ code: Int32, _ step: String) throws {
    guard code == MDB_SUCCESS else { throw LMDBDatabase.error(code, step, path: path) }
  }

  /// The size of the memory map in bytes.
  func mapSize() throws -> Int {
    try requireOpen()
    var info = MDB_envinfo()
    try check(mdb_env_info(handle, &info), "reading the map size")
    return info.me_mapsize
  }
}

/// An LMDB database: a folder holding `data.mdb` and, while in use, `lock.mdb`.
///
/// - `.read` opens with `MDB_RDONLY | MDB_NOTLS`, as Caffe does. When the folder has no
///   `lock.mdb` (a database copied somewhere, or a read-only folder) it also uses `MDB_NOLOCK`,
///   so reading never writes into the database's folder: a writer always creates `lock.mdb`, so
///   its absence means no writer is using the database.
/// - `.new` creates the folder and refuses a path that already exists.
/// - `.write` opens an existing folder for writing.
///
/// Writes start with LMDB's default map size (10 MiB, as in Caffe) and double it whenever a commit
/// reports `MDB_MAP_FULL`, then retry that commit.
public final class LMDBDatabase: Database {
  /// The folder the database was opened at.
  public let path: String
  let mode: DatabaseMode
  private var environment: LMDBEnvironment?

  /// Opens the LMDB folder at `path`.
  ///
  /// - Throws: `CaffeError.database` naming `path`: a missing database, a path that is LMDB's
  ///   `data.mdb` file rather than its folder, a LevelDB folder, an existing path in `.new` mode,
  ///   a truncated or damaged `data.mdb` in `.read` mode (see ``LMDBPageCheck``), or LMDB's own
  ///   error.
  public static func open(_ path: String, mode: DatabaseMode) throws -> LMDBDatabase {
    try LMDBDatabase(path: path, mode: mode)
  }

  /// Opens the LMDB folder at `path`; `initialMapSize` (bytes) replaces LMDB's default map size
  /// for writing, so tests can start tiny and exercise growth.
  init(path: String, mode: DatabaseMode, initialMapSize: Int? = nil) throws {
    self.path = path
    self.mode = mode
    try Self.checkPath(path, mode: mode)
    if mode == .new {
      guard mkdir(path, 0o755) == 0 else {
        throw CaffeError.database(
          path: path, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
      }
    }
    var flags = UInt32(0)
    if mode == .read {
      flags = UInt32(MDB_RDONLY | MDB_NOTLS)
      if !folderHolds(path, "lock.mdb") { flags |= UInt32(MDB_NOLOCK) }
    }
    var environment = try Self.openEnvironment(path, flags: flags, mapSize: initialMapSize)
    if mode == .read && environment == nil {
      // lock.mdb exists but cannot be written (a read-only copy): read without locking.
      environment = try Self.openEnvironment(
        path, flags: flags | UInt32(MDB_NOLOCK), mapSize: nil)
    }
    guard let environment else {
      throw CaffeError.database(
        path: path, reason: "permission denied; check the folder's and its files' permissions")
    }
    self.environment = environment
    if mode == .read {
      try checkNotTruncated(environment)
      try LMDBPageCheck.check(
        dataFile: (path as NSString).appendingPathComponent("data.mdb"), folder: path)
    }
    Log.info("Opened lmdb \(path)")
  }

  /// The current memory-map size in bytes (it doubles as writes need more).
  var mapSize: Int {
    get throws { try openEnvironment().mapSize() }
  }

  /// A read cursor on a snapshot of the database, positioned at the first record.
  ///
  /// - Throws: `CaffeError.database` when the database is closed or LMDB cannot start a read.
  public func cursor() throws -> any Cursor {
    try LMDBCursor(environment: openEnvironment())
  }

  /// A write transaction that buffers records until ``Transaction/commit()``.
  ///
  /// - Throws: `CaffeError.database` when the database is closed or was opened for reading.
  public func transaction() throws -> any Transaction {
    guard mode != .read else {
      throw CaffeError.database(
        path: path, reason: "opened for reading; open it in write or new mode to change it")
    }
    return LMDBTransaction(environment: try openEnvironment())
  }

  /// Ends this database's cursors and closes the environment.
  public func close() {
    environment?.close()
    environment = nil
  }

  /// Refuses a `data.mdb` shorter than the pages its meta page says are in use: reading those
  /// pages through the memory map would kill the process with SIGBUS.
  ///
  /// - Throws: `CaffeError.database` giving the file's size and the size it needs.
  private func checkNotTruncated(_ environment: LMDBEnvironment) throws {
    var info = MDB_envinfo()
    var stat = MDB_stat()
    try environment.check(mdb_env_info(environment.handle, &info), "reading the environment")
    try environment.check(mdb_env_stat(environment.handle, &stat), "reading the page size")
    let needed = (info.me_last_pgno + 1) * Int(stat.ms_psize)
    let dataFile = (path as NSString).appendingPathComponent("data.mdb")
    let attributes = try? FileManager.default.attributesOfItem(atPath: dataFile)
    let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
    guard size >= needed else {
      throw CaffeError.database(
        path: path,
        reason: "data.mdb is truncated: it has \(size) bytes but its pages need \(needed); "
          + "copy or convert the database again")
    }
  }

  func openEnvironment() throws -> LMDBEnvironment {
    guard let environment else { throw closedDatabaseError(path) }
    return environment
  }

  /// Opens an `MDB_env`; nil when LMDB answers permission denied (the caller may retry).
  private static func openEnvironment(
    _ path: String, flags: UInt32, mapSize: Int?
  ) throws -> LMDBEnvironment? {
    var handle: OpaquePointer?
    let created = mdb_env_create(&handle)
    guard created == MDB_SUCCESS, let handle else {
      throw error(created, "creating the environment", path: path)
    }
    if let mapSize {
      let code = mdb_env_set_mapsize(handle, mapSize)
      guard code == MDB_SUCCESS else {
        mdb_env_close(handle)
        throw error(code, "setting the map size", path: path)
      }
    }
    let code = mdb_env_open(handle, path, flags, 0o664)
    guard code == MDB_SUCCESS else {
      mdb_env_close(handle)
      if code == EACCES || code == EROFS { return nil }
      throw error(code, "opening", path: path)
    }
    return LMDBEnvironment(handle: handle, path: path)
  }

  /// Checks what is at `path` before LMDB sees it, to give errors that say what to do.
  private static func checkPath(_ path: String, mode: DatabaseMode) throws {
    let kind = databasePathKind(path)
    if mode == .new {
      guard kind == .missing else { throw existingDatabaseError(path) }
      return
    }
    switch kind {
    case .missing:
      throw missingDatabaseError(path)
    case .file where (path as NSString).lastPathComponent == "data.mdb":
      let folder = (path as NSString).deletingLastPathComponent
      throw CaffeError.database(
        path: path,
        reason: "this is LMDB's data file; give its folder \"\(folder.isEmpty ? "." : folder)\" "
          + "as the source instead")
    case .file:
      throw CaffeError.database(path: path, reason: "is a file; an LMDB database is a folder")
    case .folder where mode == .read && !folderHolds(path, "data.mdb"):
      let hint =
        folderHolds(path, "CURRENT")
        ? "it holds a LevelDB database; use backend LEVELDB (backend: LEVELDB in a "
          + "data_param, --backend=leveldb on the command line)"
        : "it holds no data.mdb"
      throw CaffeError.database(path: path, reason: "not an LMDB database: \(hint)")
    case .folder:
      return
    }
  }

  /// A `CaffeError.database` for an LMDB return code, with LMDB's own text.
  static func error(_ code: Int32, _ step: String, path: String) -> CaffeError {
    .database(path: path, reason: "lmdb: \(step): \(String(cString: mdb_strerror(code)))")
  }
}

/// A read-only LMDB cursor; it holds a read transaction (a snapshot) until it is released or its
/// database closes.
final class LMDBCursor: Cursor, DatabaseReader {
  private let environment: LMDBEnvironment
  private var open: (transaction: OpaquePointer, cursor: OpaquePointer)?
  private var currentKey = MDB_val()
  private var currentValue = MDB_val()
  private(set) var valid = false
  // The span of map addresses read since the last release (see `releaseReadPages`).
  private var movesSinceRelease = 0
  private var lowestAddress: Int?
  private var highestAddress: Int?

  init(environment: LMDBEnvironment) throws {
    self.environment = environment
    try environment.requireOpen()
    var transaction: OpaquePointer?
    try environment.check(
      mdb_txn_begin(environment.handle, nil, UInt32(MDB_RDONLY), &transaction),
      "starting a read transaction")
    guard let transaction else {
      throw CaffeError.database(path: environment.path, reason: "lmdb: no read transaction")
    }
    var dbi = MDB_dbi()
    var cursor: OpaquePointer?
    let opened = mdb_dbi_open(transaction, nil, 0, &dbi)
    let code = opened == MDB_SUCCESS ? mdb_cursor_open(transaction, dbi, &cursor) : opened
    guard code == MDB_SUCCESS, let cursor else {
      mdb_txn_abort(transaction)
      throw LMDBDatabase.error(code, "opening a cursor", path: environment.path)
    }
    open = (transaction, cursor)
    environment.readers.add(self)
    try seekToFirst()
  }

  deinit { end() }

  func end() {
    guard let open else { return }
    mdb_cursor_close(open.cursor)
    mdb_txn_abort(open.transaction)
    self.open = nil
    valid = false
  }

  func seekToFirst() throws { try move(MDB_FIRST) }

  func next() throws { try move(MDB_NEXT) }

  var key: [UInt8] { valid ? Self.bytes(currentKey) : [] }

  var value: [UInt8] { valid ? Self.bytes(currentValue) : [] }

  private func move(_ operation: MDB_cursor_op) throws {
    guard let open else { throw closedDatabaseError(environment.path) }
    releaseReadPages()
    let code = mdb_cursor_get(open.cursor, &currentKey, &currentValue, operation)
    if code == MDB_NOTFOUND {
      valid = false
      return
    }
    try environment.check(code, "moving the cursor")
    valid = true
    if let data = currentValue.mv_data {
      let address = Int(bitPattern: data)
      lowestAddress = min(lowestAddress ?? address, address)
      highestAddress = max(highestAddress ?? address, address + currentValue.mv_size)
    }
  }

  /// Every 1024 moves, tells the kernel it may drop the mapped pages read since the last call.
  ///
  /// A sequential scan of a large LMDB otherwise keeps every page it touched resident (the whole
  /// database after one epoch: 50 MB for MNIST's training set). The mapping is read-only and
  /// file-backed, so dropped pages are simply read again from the page cache if touched.
  private func releaseReadPages() {
    movesSinceRelease += 1
    guard movesSinceRelease >= 1024, let low = lowestAddress, let high = highestAddress else {
      return
    }
    movesSinceRelease = 0
    lowestAddress = nil
    highestAddress = nil
    let page = max(sysconf(Int32(_SC_PAGESIZE)), 4096)
    let start = low & ~(page - 1)
    let end = (high + page - 1) & ~(page - 1)
    madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED)
  }

  private static func bytes(_ value: MDB_val) -> [UInt8] {
    guard let data = value.mv_data, value.mv_size > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: value.mv_size))
  }
}

/// An LMDB write transaction: records are buffered and written in one LMDB transaction on
/// commit, retried with a doubled map after `MDB_MAP_FULL`.
final class LMDBTransaction: Transaction {
  private let environment: LMDBEnvironment
  private var keys: [[UInt8]] = []
  private var values: [[UInt8]] = []

  init(environment: LMDBEnvironment) {
    self.environment = environment
  }

  func put(_ key: [UInt8], _ value: [UInt8]) {
    keys.append(key)
    values.append(value)
  }

  func commit() throws {
    try environment.requireOpen()
    while try !writeAll() {
      let size = try environment.mapSize()
      try environment.check(
        mdb_env_set_mapsize(environment.handle, size * 2), "doubling the map size")
    }
    keys.removeAll(keepingCapacity: true)
    values.removeAll(keepingCapacity: true)
  }

  /// Writes the buffered records in one transaction; false when the map is full.
  private func writeAll() throws -> Bool {
    var transaction: OpaquePointer?
    try environment.check(
      mdb_txn_begin(environment.handle, nil, 0, &transaction), "starting a write transaction")
    guard let transaction else {
      throw CaffeError.database(path: environment.path, reason: "lmdb: no write transaction")
    }
    var dbi = MDB_dbi()
    var code = mdb_dbi_open(transaction, nil, 0, &dbi)
    var index = 0
    while code == MDB_SUCCESS && index < keys.count {
      code = Self.put(keys[index], values[index], transaction: transaction, dbi: dbi)
      index += 1
    }
    guard code == MDB_SUCCESS else {
      mdb_txn_abort(transaction)
      if code == MDB_MAP_FULL { return false }
      throw LMDBDatabase.error(code, "writing a record", path: environment.path)
    }
    let committed = mdb_txn_commit(transaction)
    if committed == MDB_MAP_FULL { return false }
    try environment.check(committed, "committing")
    return true
  }

  private static func put(
    _ key: [UInt8], _ value: [UInt8], transaction: OpaquePointer, dbi: MDB_dbi
  ) -> Int32 {
    key.withUnsafeBytes { keyBytes in
      value.withUnsafeBytes { valueBytes in
        var mdbKey = MDB_val(
          mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
        var mdbValue = MDB_val(
          mv_size: valueBytes.count,
          mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
        return mdb_put(transaction, dbi, &mdbKey, &mdbValue, 0)
      }
    }
  }
}
