// LMDBStatistics: the page and map figures LMDB keeps for a database (for `caffe db stat`).

import CLMDB
import CaffeSupport

/// What LMDB's `mdb_env_info` and `mdb_env_stat` report for a database's main B-tree.
public struct LMDBStatistics: Equatable, Sendable {
  /// The size of the memory map in bytes, as recorded in the database.
  public var mapSize: Int
  /// The size of one page in bytes.
  public var pageSize: Int
  /// The number of the last page in use (so `(lastPage + 1) · pageSize` bytes are in use).
  public var lastPage: Int
  /// The depth (height) of the B-tree.
  public var depth: Int
  /// The number of internal (non-leaf) pages.
  public var branchPages: Int
  /// The number of leaf pages.
  public var leafPages: Int
  /// The number of overflow pages (values too large for a leaf page).
  public var overflowPages: Int
  /// The number of records.
  public var entries: Int
}

extension LMDBDatabase {
  /// Reads the statistics of the LMDB database in folder `path`.
  ///
  /// The database is opened read-only without locking, so nothing is written into its folder;
  /// figures read while another process writes may be a transaction old.
  /// - Throws: `CaffeError.database` naming `path` for what ``open(_:mode:)`` refuses in read
  ///   mode, or LMDB's own error.
  public static func statistics(at path: String) throws -> LMDBStatistics {
    try LMDBDatabase(path: path, mode: .read).close()
    var handle: OpaquePointer?
    let created = mdb_env_create(&handle)
    guard created == MDB_SUCCESS, let handle else {
      throw error(created, "creating the environment", path: path)
    }
    defer { mdb_env_close(handle) }
    let flags = UInt32(MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS)
    var code = mdb_env_open(handle, path, flags, 0o664)
    guard code == MDB_SUCCESS else { throw error(code, "opening", path: path) }
    var info = MDB_envinfo()
    code = mdb_env_info(handle, &info)
    guard code == MDB_SUCCESS else { throw error(code, "reading the environment", path: path) }
    var stat = MDB_stat()
    code = mdb_env_stat(handle, &stat)
    guard code == MDB_SUCCESS else { throw error(code, "reading the statistics", path: path) }
    return LMDBStatistics(
      mapSize: info.me_mapsize, pageSize: Int(stat.ms_psize), lastPage: info.me_last_pgno,
      depth: Int(stat.ms_depth), branchPages: stat.ms_branch_pages,
      leafPages: stat.ms_leaf_pages, overflowPages: stat.ms_overflow_pages,
      entries: stat.ms_entries)
  }
}
