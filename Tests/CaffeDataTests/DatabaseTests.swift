// Round trips, modes and error messages of the LMDB and LevelDB backends.

import CaffeProto
import CaffeSupport
import Foundation
import Testing

@testable import CaffeData

@Suite struct DatabaseTests {
  /// 2 500 records of varying size: with commits every 1 000 this makes three commits.
  static let records: [(key: String, value: [UInt8])] = (0..<2_500).map { index in
    (String(format: "%08d", index), (0..<(100 + index % 900)).map { UInt8(($0 + index) % 251) })
  }

  /// Opens a NEW database; LMDB starts from a 32 KiB map so the writes must grow it.
  static func makeNew(_ backend: DatabaseBackend, _ path: String) throws -> any Database {
    switch backend {
    case .lmdb: return try LMDBDatabase(path: path, mode: .new, initialMapSize: 32_768)
    case .leveldb: return try LevelDBDatabase.open(path, mode: .new)
    }
  }

  static func writeRecords(_ database: any Database) throws {
    let transaction = try database.transaction()
    for (index, record) in records.enumerated() {
      transaction.put(record.key, record.value)
      if (index + 1) % 1_000 == 0 { try transaction.commit() }
    }
    try transaction.commit()
  }

  static func readAll(_ database: any Database) throws -> [(key: String, value: [UInt8])] {
    var result: [(key: String, value: [UInt8])] = []
    let cursor = try database.cursor()
    while cursor.valid {
      result.append((cursor.keyString, cursor.value))
      try cursor.next()
    }
    return result
  }

  @Test(arguments: DatabaseBackend.allCases)
  func roundTripsRecordsAcrossSeveralCommits(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    let path = folder.child("db")
    let written = try Self.makeNew(backend, path)
    try Self.writeRecords(written)
    if let lmdb = written as? LMDBDatabase {
      #expect(try lmdb.mapSize > 32_768)
    }
    written.close()

    let read = try openDatabase(backend: backend, path: path, mode: .read)
    let records = try Self.readAll(read)
    #expect(records.count == Self.records.count)
    #expect(records.map(\.key) == Self.records.map(\.key))
    #expect(records.map(\.value) == Self.records.map(\.value))

    let cursor = try read.cursor()
    try cursor.next()
    try cursor.seekToFirst()
    #expect(cursor.keyString == "00000000")
  }

  @Test(arguments: DatabaseBackend.allCases)
  func writeModeAddsToAnExistingDatabase(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    let path = folder.child("db")
    let created = try openDatabase(backend: backend, path: path, mode: .new)
    let first = try created.transaction()
    first.put("a", [1])
    try first.commit()
    created.close()

    let reopened = try openDatabase(backend: backend, path: path, mode: .write)
    let second = try reopened.transaction()
    second.put("b", [2])
    try second.commit()
    #expect(try Self.readAll(reopened).map(\.key) == ["a", "b"])
  }

  @Test(arguments: DatabaseBackend.allCases)
  func newModeRefusesAnExistingDatabaseAndLeavesItUntouched(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    let path = folder.child("db")
    let original = try openDatabase(backend: backend, path: path, mode: .new)
    let transaction = try original.transaction()
    transaction.put("kept", [7, 8, 9])
    try transaction.commit()
    original.close()

    #expect(throws: existingDatabaseError(path)) {
      try openDatabase(backend: backend, path: path, mode: .new)
    }
    let reread = try Self.readAll(openDatabase(backend: backend, path: path, mode: .read))
    #expect(reread.map(\.key) == ["kept"])
    #expect(reread.map(\.value) == [[7, 8, 9]])
  }

  @Test(arguments: DatabaseBackend.allCases)
  func newModeRefusesAnyExistingFolder(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    #expect(throws: existingDatabaseError(folder.path)) {
      try openDatabase(backend: backend, path: folder.path, mode: .new)
    }
  }

  @Test(arguments: DatabaseBackend.allCases)
  func readingAMissingDatabaseSaysHowToCreateIt(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    let path = folder.child("absent_lmdb")
    let error = #expect(throws: CaffeError.self) {
      try openDatabase(backend: backend, path: path, mode: .read)
    }
    #expect(error == missingDatabaseError(path))
    #expect(error?.description.contains("create_mnist.sh") == true)
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  @Test(arguments: DatabaseBackend.allCases)
  func readingAnEmptyFolderFailsAndWritesNothingThere(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    #expect(throws: CaffeError.self) {
      try openDatabase(backend: backend, path: folder.path, mode: .read)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func lmdbSourcePointingAtDataMdbNamesTheFolder() throws {
    let folder = try TemporaryFolder()
    let path = folder.child("mnist_lmdb")
    try LMDBDatabase.open(path, mode: .new).close()
    let error = #expect(throws: CaffeError.self) {
      try LMDBDatabase.open(path + "/data.mdb", mode: .read)
    }
    let text = error?.description ?? ""
    #expect(text.contains("data file"))
    #expect(text.contains("\"\(path)\""))
    #expect(!text.contains("\n"))
  }

  @Test func truncatedLMDBIsRefusedInsteadOfCrashing() throws {
    let folder = try TemporaryFolder()
    let path = folder.child("db")
    let written = try Self.makeNew(.lmdb, path)
    try Self.writeRecords(written)
    written.close()
    let dataFile = path + "/data.mdb"
    let size = try #require(
      try FileManager.default.attributesOfItem(atPath: dataFile)[.size] as? NSNumber
    ).intValue
    let handle = try #require(FileHandle(forWritingAtPath: dataFile))
    try handle.truncate(atOffset: UInt64(size / 2))
    try handle.close()
    let error = #expect(throws: CaffeError.self) {
      try LMDBDatabase.open(path, mode: .read)
    }
    let text = error?.description ?? ""
    #expect(text.contains("truncated"))
    #expect(text.contains("\(size / 2) bytes"))
    #expect(!text.contains("\n"))
  }

  @Test func eachBackendRecognisesTheOtherBackendsFolder() throws {
    let folder = try TemporaryFolder()
    try LMDBDatabase.open(folder.child("l"), mode: .new).close()
    try LevelDBDatabase.open(folder.child("d"), mode: .new).close()
    let asLevelDB = #expect(throws: CaffeError.self) {
      try LevelDBDatabase.open(folder.child("l"), mode: .read)
    }
    #expect(asLevelDB?.description.contains("--backend=lmdb") == true)
    let asLMDB = #expect(throws: CaffeError.self) {
      try LMDBDatabase.open(folder.child("d"), mode: .read)
    }
    #expect(asLMDB?.description.contains("--backend=leveldb") == true)
  }

  @Test(arguments: DatabaseBackend.allCases)
  func readModeAndClosedDatabasesRefuseWrites(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    let path = folder.child("db")
    let created = try openDatabase(backend: backend, path: path, mode: .new)
    #expect(try created.cursor().valid == false)
    let transaction = try created.transaction()
    let cursor = try created.cursor()
    created.close()
    #expect(throws: closedDatabaseError(path)) { try created.cursor() }
    #expect(throws: closedDatabaseError(path)) { try transaction.commit() }
    #expect(throws: closedDatabaseError(path)) { try cursor.seekToFirst() }
    #expect(cursor.valid == false)
    let read = try openDatabase(backend: backend, path: path, mode: .read)
    let error = #expect(throws: CaffeError.self) { try read.transaction() }
    #expect(error?.description.contains("opened for reading") == true)
  }

  @Test func backendFollowsDataParameter() {
    #expect(DatabaseBackend(DataParameter.DB.lmdb) == .lmdb)
    #expect(DatabaseBackend(DataParameter.DB.leveldb) == .leveldb)
    #expect(DatabaseBackend(DataParameter().backend) == .leveldb)
  }

  @Test func backendNamesAreCaffes() throws {
    #expect(try DatabaseBackend(parsing: "lmdb") == .lmdb)
    #expect(try DatabaseBackend(parsing: "leveldb") == .leveldb)
    let error = #expect(throws: CaffeError.self) { try DatabaseBackend(parsing: "LMDB") }
    #expect(
      error?.description == "database backend \"LMDB\": unknown (known backends: lmdb, leveldb)")
  }

  @Test func lmdbReadsAReadOnlyCopyWithoutWritingIntoIt() throws {
    let folder = try TemporaryFolder()
    let path = folder.child("db")
    let created = try LMDBDatabase.open(path, mode: .new)
    let transaction = try created.transaction()
    transaction.put("k", [1, 2])
    try transaction.commit()
    created.close()
    try FileManager.default.removeItem(atPath: path + "/lock.mdb")
    try FileManager.default.setAttributes(
      [.posixPermissions: 0o444], ofItemAtPath: path + "/data.mdb")
    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: path)
    defer {
      try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    let read = try LMDBDatabase.open(path, mode: .read)
    #expect(try Self.readAll(read).map(\.value) == [[1, 2]])
    #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["data.mdb"])
  }

  @Test(.enabled(if: SharedFiles.hasGoldenLMDB, "needs ../shared/golden/mnist_test_lmdb"))
  func readsCaffesGoldenMNISTTestLMDB() throws {
    let path = SharedFiles.goldenTestLMDB
    let before = try FileManager.default.contentsOfDirectory(atPath: path)
    let database = try openDatabase(backend: .lmdb, path: path, mode: .read)
    let cursor = try database.cursor()
    #expect(cursor.keyString == "00000000")
    var count = 0
    var lastKey = ""
    while cursor.valid {
      count += 1
      lastKey = cursor.keyString
      try cursor.next()
    }
    #expect(count == 10_000)
    #expect(lastKey == "00009999")
    database.close()
    #expect(try FileManager.default.contentsOfDirectory(atPath: path) == before)
  }
}
