// Damaged LMDB files are refused in one line before liblmdb reads them, instead of crashing.

import CaffeSupport
import Foundation
import Testing

@testable import CaffeData

@Suite struct LMDBPageCheckTests {
  /// The bytes of a `data.mdb` holding DatabaseTests' 2 500 records (three commits).
  static func pristineFile() throws -> [UInt8] {
    let folder = try TemporaryFolder()
    let database = try DatabaseTests.makeNew(.lmdb, folder.child("db"))
    try DatabaseTests.writeRecords(database)
    database.close()
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.child("db/data.mdb"))))
  }

  /// Writes `bytes` as the only file of a new LMDB folder, opens it and reads every record.
  /// - Returns: the number of records read.
  /// - Throws: what opening or reading throws.
  static func readDamaged(_ bytes: [UInt8], in folder: TemporaryFolder) throws -> Int {
    let path = folder.child("damaged-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    try Data(bytes).write(to: URL(fileURLWithPath: path + "/data.mdb"))
    let database = try LMDBDatabase.open(path, mode: .read)
    defer { database.close() }
    return try DatabaseTests.readAll(database).count
  }

  /// 80 copies with 1 to 16 bits flipped, half of them in page headers and node offsets: each
  /// is read in full or refused with `CaffeError`, never a crash (without the check, about 5%
  /// of such copies kill the process inside liblmdb or while copying a value).
  @Test func flippedBitsAreReadOrRefusedNeverACrash() throws {
    let pristine = try Self.pristineFile()
    let pageSize = 4096
    let pages = pristine.count / pageSize
    let folder = try TemporaryFolder()
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func random(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    var refused = 0
    for trial in 0..<80 {
      var bytes = pristine
      for _ in 0..<(1 + random(16)) {
        let position =
          trial % 2 == 0
          ? (2 + random(pages - 2)) * pageSize + random(64)
          : 2 * pageSize + random(bytes.count - 2 * pageSize)
        bytes[position] ^= UInt8(1 << random(8))
      }
      do {
        _ = try Self.readDamaged(bytes, in: folder)
      } catch is CaffeError {
        refused += 1
      }
    }
    #expect(refused > 10)
  }

  /// The root page's first node offset pointed past the page end is named in the error.
  @Test func aNodeOutsideItsPageIsNamed() throws {
    var bytes = try Self.pristineFile()
    let root = Self.root(bytes)

    bytes[root * 4096 + 16] = 0xFF
    bytes[root * 4096 + 17] = 0xFF
    let folder = try TemporaryFolder()
    #expect {
      try Self.readDamaged(bytes, in: folder)
    } throws: { error in
      let text = "\(error)"
      return text.contains("data.mdb is damaged (page \(root) has a node at offset 65535)")
        && !text.contains("\n")
    }
  }

  /// Over the size limit only branch pages are walked: a damaged leaf passes the check, a
  /// damaged link in a branch does not.
  @Test func largeFilesHaveTheirBranchPagesChecked() throws {
    let pristine = try Self.pristineFile()
    let folder = try TemporaryFolder()
    let file = folder.child("data.mdb")
    func check(_ bytes: [UInt8], limit: Int) throws {
      try Data(bytes).write(to: URL(fileURLWithPath: file))
      try LMDBPageCheck.check(dataFile: file, folder: folder.path, fullCheckLimit: limit)
    }
    let root = Self.root(pristine)
    #expect(Self.flags(pristine, page: root) == 0x01, "the test needs a branch root")
    var leaf = root
    while Self.flags(pristine, page: leaf) == 0x01 {
      let node = leaf * 4096 + Self.uint16(pristine, at: leaf * 4096 + 16)
      leaf = Self.uint16(pristine, at: node) | Self.uint16(pristine, at: node + 2) << 16
    }
    var badLeaf = pristine
    badLeaf[leaf * 4096 + 16] = 0xFF
    badLeaf[leaf * 4096 + 17] = 0xFF
    try check(badLeaf, limit: 0)
    #expect(throws: CaffeError.self) { try check(badLeaf, limit: LMDBPageCheck.fullCheckLimit) }
    var badLink = pristine
    badLink[root * 4096 + Self.uint16(pristine, at: root * 4096 + 16) + 4] = 0x7F
    #expect(throws: CaffeError.self) { try check(badLink, limit: 0) }
  }

  /// A read of the pristine file still gets every record.
  @Test func anUndamagedFileReadsInFull() throws {
    let folder = try TemporaryFolder()
    #expect(try Self.readDamaged(try Self.pristineFile(), in: folder) == 2_500)
  }

  private static func uint16(_ bytes: [UInt8], at offset: Int) -> Int {
    Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
  }

  /// The branch (0x01) and leaf (0x02) bits of a page's flags.
  private static func flags(_ bytes: [UInt8], page: Int) -> Int {
    uint16(bytes, at: page * 4096 + 10) & 0x03
  }

  /// The main database's root page, from the newer of the two meta pages.
  private static func root(_ bytes: [UInt8]) -> Int {
    bytes.withUnsafeBytes { bytes in
      let newer = (0..<2).max { a, b in
        bytes.loadUnaligned(fromByteOffset: a * 4096 + 144, as: UInt64.self)
          < bytes.loadUnaligned(fromByteOffset: b * 4096 + 144, as: UInt64.self)
      }
      let meta = (newer ?? 0) * 4096
      return Int(bytes.loadUnaligned(fromByteOffset: meta + 128, as: UInt64.self))
    }
  }
}
