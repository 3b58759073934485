// The pages of an LMDB file that a read will follow, checked before liblmdb follows them.

import CaffeSupport
import Foundation

/// Checks the B-tree of an LMDB `data.mdb` before liblmdb reads it.
///
/// liblmdb trusts its file: a damaged page sends it, or a caller copying a value it returned,
/// outside the memory map (SIGSEGV, SIGBUS) or into one of its assertions (SIGABRT). This walks
/// the main database's tree from the newest meta page, as a read transaction does, and checks
/// that every page it reaches is in the file, says it is the page it should be, and holds
/// nodes, keys and values that fit inside it (or, for a large value, overflow pages that fit in
/// the file); that no page is reached twice; and that the leaves hold the number of records the
/// meta page counts. The values' bytes themselves are not checked: a Datum damaged inside a
/// sound page fails later, when it is parsed.
///
/// Layout facts (LMDB 0.9, 64-bit): a page starts with a 16-byte header (page number, flags,
/// then either the lower and upper free-space bounds or an overflow page count); node offsets
/// follow it; a node is 8 bytes (data size or child page number, flags, key size), then the key
/// and the data. The page size is kept in the first database record of the meta page.
struct LMDBPageCheck {
  private enum PageFlag {
    static let branch: UInt16 = 0x01
    static let leaf: UInt16 = 0x02
    static let overflow: UInt16 = 0x04
    static let meta: UInt16 = 0x08
  }
  private static let headerSize = 16
  private static let nodeHeaderSize = 8
  private static let bigData: UInt16 = 0x01
  private static let noRoot = UInt64.max
  /// Files up to this many bytes of pages are checked in full; larger ones have their branch
  /// pages checked (about 1% of the pages) but not their leaves, so that opening a database of
  /// hundreds of gigabytes does not read all of it first.
  static let fullCheckLimit = 8 << 30

  private let bytes: UnsafeRawBufferPointer
  private let pageSize: Int
  private let lastPage: Int
  private let depth: Int
  private let checksLeaves: Bool
  private var visited: [UInt64]
  private var records = 0

  /// Checks the `data.mdb` file at `path`: every page when its pages take at most
  /// `fullCheckLimit` bytes, else the branch pages only.
  ///
  /// - Throws: `CaffeError.database` naming the folder (`folder`) and the first damaged page,
  ///   or the file's unreadable meta pages.
  static func check(
    dataFile path: String, folder: String, fullCheckLimit: Int = fullCheckLimit
  ) throws {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw CaffeError.database(path: folder, reason: "cannot read data.mdb")
    }
    try data.withUnsafeBytes { bytes in
      do {
        try Self.checkTree(bytes, fullCheckLimit: fullCheckLimit)
      } catch let damage as Damage {
        throw CaffeError.database(
          path: folder,
          reason: "data.mdb is damaged (\(damage.description)); copy or convert the database "
            + "again")
      }
    }
  }

  /// What is wrong, for the error message.
  private struct Damage: Error, CustomStringConvertible {
    let description: String
  }

  private init(
    bytes: UnsafeRawBufferPointer, pageSize: Int, lastPage: Int, depth: Int, fullCheckLimit: Int
  ) {
    self.bytes = bytes
    self.pageSize = pageSize
    self.lastPage = lastPage
    self.depth = depth
    checksLeaves = (lastPage + 1) * pageSize <= fullCheckLimit
    visited = [UInt64](repeating: 0, count: lastPage / 64 + 1)
  }

  /// Reads the newest meta page, then walks the main database's tree from its root.
  private static func checkTree(_ bytes: UnsafeRawBufferPointer, fullCheckLimit: Int) throws {
    guard bytes.count >= 2 * 512 else { throw Damage(description: "shorter than its meta pages") }
    let pageSize = Int(bytes.loadUnaligned(fromByteOffset: 40, as: UInt32.self))
    guard pageSize >= 512, pageSize <= 65_536, pageSize & (pageSize - 1) == 0,
      bytes.count >= 2 * pageSize
    else { throw Damage(description: "page size \(pageSize) in meta page 0") }
    let meta = metaTransaction(bytes, at: pageSize) > metaTransaction(bytes, at: 0) ? pageSize : 0
    let mainFlags = bytes.loadUnaligned(fromByteOffset: meta + 92, as: UInt16.self)
    let depth = Int(bytes.loadUnaligned(fromByteOffset: meta + 94, as: UInt16.self))
    let entries = bytes.loadUnaligned(fromByteOffset: meta + 120, as: UInt64.self)
    let root = bytes.loadUnaligned(fromByteOffset: meta + 128, as: UInt64.self)
    let lastPage = bytes.loadUnaligned(fromByteOffset: meta + 136, as: UInt64.self)
    // Only plain key-value databases (Caffe's) are walked; sorted duplicates and integer keys
    // store their nodes differently.
    guard mainFlags == 0, root != noRoot else { return }
    guard lastPage < UInt64(bytes.count / pageSize) else {
      throw Damage(description: "its meta page counts \(lastPage + 1) pages")
    }
    var walk = LMDBPageCheck(
      bytes: bytes, pageSize: pageSize, lastPage: Int(lastPage), depth: depth,
      fullCheckLimit: fullCheckLimit)
    try walk.walk(from: root)
    if !walk.checksLeaves {
      Log.info("data.mdb has \(lastPage + 1) pages: its branch pages were checked, not its leaves")
    }
    guard !walk.checksLeaves || walk.records == entries else {
      throw Damage(
        description: "its leaves hold \(walk.records) records, its meta page counts \(entries)")
    }
  }

  /// The transaction id of the meta page at `offset`, or 0 when it is not a meta page.
  private static func metaTransaction(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    let flags = bytes.loadUnaligned(fromByteOffset: offset + 10, as: UInt16.self)
    guard flags & PageFlag.meta != 0 else { return 0 }
    return bytes.loadUnaligned(fromByteOffset: offset + 144, as: UInt64.self)
  }

  /// Visits every branch and leaf page under `root` (only the branch pages of a file over
  /// ``fullCheckLimit``), depth first; branches must sit above the tree's depth and leaves at
  /// it.
  private mutating func walk(from root: UInt64) throws {
    var pending = [(page: root, level: 1)]
    while let (page, level) = pending.popLast() {
      let start = try claim(page)
      let flags = bytes.loadUnaligned(fromByteOffset: start + 10, as: UInt16.self)
      let nodes = try nodeOffsets(page, start: start)
      let kind = flags & (PageFlag.branch | PageFlag.leaf)
      guard kind == (level < depth ? PageFlag.branch : PageFlag.leaf) else {
        throw Damage(description: "page \(page) is not the kind of page level \(level) needs")
      }
      if kind == PageFlag.branch {
        guard !nodes.isEmpty else { throw Damage(description: "branch page \(page) is empty") }
        let children = try nodes.map { try child(page, node: start + $0) }
        guard checksLeaves || level + 1 < depth else { continue }
        pending += children.map { ($0, level + 1) }
      } else {
        for node in nodes { try checkLeafNode(page, node: start + node) }
        records += nodes.count
      }
    }
  }

  /// The byte offset of `page`, after checking it lies in the file, is not a meta page, names
  /// itself, and was not reached before.
  private mutating func claim(_ page: UInt64) throws -> Int {
    guard page >= 2, page <= UInt64(lastPage) else {
      throw Damage(description: "its root is page \(page), outside pages 2...\(lastPage)")
    }
    let index = Int(page)
    let bit = UInt64(1) << UInt64(index % 64)
    guard visited[index / 64] & bit == 0 else {
      throw Damage(description: "page \(page) is linked twice")
    }
    visited[index / 64] |= bit
    let start = index * pageSize
    guard bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self) == page else {
      throw Damage(description: "page \(page) does not carry its own number")
    }
    return start
  }

  /// The node offsets of a branch or leaf page, each checked to leave room for a node header.
  private func nodeOffsets(_ page: UInt64, start: Int) throws -> [Int] {
    let lower = Int(bytes.loadUnaligned(fromByteOffset: start + 12, as: UInt16.self))
    let upper = Int(bytes.loadUnaligned(fromByteOffset: start + 14, as: UInt16.self))
    guard lower >= Self.headerSize, lower <= upper, upper <= pageSize, lower % 2 == 0 else {
      throw Damage(description: "page \(page) has free-space bounds \(lower)...\(upper)")
    }
    return try stride(from: Self.headerSize, to: lower, by: 2).map { slot in
      let offset = Int(bytes.loadUnaligned(fromByteOffset: start + slot, as: UInt16.self))
      guard offset >= upper, offset + Self.nodeHeaderSize <= pageSize else {
        throw Damage(description: "page \(page) has a node at offset \(offset)")
      }
      return offset
    }
  }

  /// The page a branch node links to, after checking its key fits in the page and the link
  /// stays in the file.
  private func child(_ page: UInt64, node: Int) throws -> UInt64 {
    _ = try keyEnd(page, node: node)
    let low = UInt64(bytes.loadUnaligned(fromByteOffset: node, as: UInt16.self))
    let high = UInt64(bytes.loadUnaligned(fromByteOffset: node + 2, as: UInt16.self))
    let top = UInt64(bytes.loadUnaligned(fromByteOffset: node + 4, as: UInt16.self))
    let child = low | high << 16 | top << 32
    guard child >= 2, child <= UInt64(lastPage) else {
      throw Damage(description: "a link to page \(child), outside pages 2...\(lastPage)")
    }
    return child
  }

  /// Checks that a leaf node's key and value fit in the page, or its value's overflow pages in
  /// the file.
  private func checkLeafNode(_ page: UInt64, node: Int) throws {
    let keyEnd = try keyEnd(page, node: node)
    let low = Int(bytes.loadUnaligned(fromByteOffset: node, as: UInt16.self))
    let high = Int(bytes.loadUnaligned(fromByteOffset: node + 2, as: UInt16.self))
    let size = low | high << 16
    let flags = bytes.loadUnaligned(fromByteOffset: node + 4, as: UInt16.self)
    guard flags & Self.bigData != 0 else {
      guard keyEnd + size <= (Int(page) + 1) * pageSize else {
        throw Damage(description: "a value of \(size) bytes overruns page \(page)")
      }
      return
    }
    guard keyEnd + 8 <= (Int(page) + 1) * pageSize else {
      throw Damage(description: "a large value's page number overruns page \(page)")
    }
    try checkOverflow(bytes.loadUnaligned(fromByteOffset: keyEnd, as: UInt64.self), size: size)
  }

  /// The end of a node's key (where its data starts), checked to lie in the page.
  private func keyEnd(_ page: UInt64, node: Int) throws -> Int {
    let keySize = Int(bytes.loadUnaligned(fromByteOffset: node + 6, as: UInt16.self))
    let end = node + Self.nodeHeaderSize + keySize
    guard end <= (Int(page) + 1) * pageSize else {
      throw Damage(description: "a key of \(keySize) bytes overruns page \(page)")
    }
    return end
  }

  /// Checks the overflow pages holding a large value of `size` bytes, starting at `first`.
  private func checkOverflow(_ first: UInt64, size: Int) throws {
    guard first >= 2, first <= UInt64(lastPage) else {
      throw Damage(description: "a large value on page \(first), outside pages 2...\(lastPage)")
    }
    let start = Int(first) * pageSize
    let flags = bytes.loadUnaligned(fromByteOffset: start + 10, as: UInt16.self)
    let count = Int(bytes.loadUnaligned(fromByteOffset: start + 12, as: UInt32.self))
    guard bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self) == first,
      flags & PageFlag.overflow != 0, count >= 1, Int(first) + count - 1 <= lastPage,
      count * pageSize >= Self.headerSize + size
    else {
      throw Damage(description: "overflow page \(first) does not hold a \(size)-byte value")
    }
  }
}
