// LMDBStatistics: the page and map figures LMDB keeps for a database (for `caffe db stat`).

import CLMDB

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
  /// Reads the statistics of this open database.
  ///
  /// - Throws: `CaffeError.database` when the database is closed, or LMDB's own error.
  public func statistics() throws -> LMDBStatistics {
    let environment = try openEnvironment()
    try environment.requireOpen()
    var info = MDB_envinfo()
    try environment.check(mdb_env_info(environment.handle, &info), "reading the environment")
    var stat = MDB_stat()
    try environment.check(mdb_env_stat(environment.handle, &stat), "reading the statistics")
    return LMDBStatistics(
      mapSize: info.me_mapsize, pageSize: Int(stat.ms_psize), lastPage: info.me_last_pgno,
      depth: Int(stat.ms_depth), branchPages: stat.ms_branch_pages,
      leafPages: stat.ms_leaf_pages, overflowPages: stat.ms_overflow_pages,
      entries: stat.ms_entries)
  }
}
