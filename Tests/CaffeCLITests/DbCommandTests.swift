// `caffe db stat|ls|get|dump` on the MNIST test LMDB and on a small LevelDB written here.

import ArgumentParser
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import CaffeCLI

@Suite struct DbCommandTests {
  static let mnist = Golden.path("golden/mnist_test_lmdb")

  /// Parses `caffe db …` and returns the subcommand, to run in-process.
  static func command<C: ParsableCommand>(_ type: C.Type, _ arguments: [String]) throws -> C {
    try #require(try CaffeCommand.parseAsRoot(["db"] + arguments) as? C)
  }

  /// A temporary LevelDB of four records: a gray 2 × 3 Datum (label 4), a colour 1 × 2 Datum
  /// (label 1), a `float_data` Datum (label 4) and an encoded PNG (label 2).
  struct SmallLevelDB {
    let folder: URL
    var path: String { folder.appendingPathComponent("db").path }
    let gray: [UInt8] = [0, 50, 100, 150, 200, 250]
    /// (C, H, W) = (3, 1, 2): blue plane, green plane, red plane.
    let colour: [UInt8] = [10, 11, 20, 21, 30, 31]
    let png: [UInt8]

    init() throws {
      folder = try Golden.temporaryDirectory()
      png = try Image(height: 2, width: 2, channels: 1, pixels: [1, 2, 3, 4]).encoded(as: .png)
      var floats = Datum()
      floats.channels = 1
      floats.height = 1
      floats.width = 2
      floats.floatData = [-3, 300.4]
      floats.label = 4
      var encoded = Datum()
      encoded.data = Data(png)
      encoded.encoded = true
      encoded.label = 2
      let records = [
        Datum(channels: 1, height: 2, width: 3, bytes: gray, label: 4),
        Datum(channels: 3, height: 1, width: 2, bytes: colour, label: 1),
        floats, encoded,
      ]
      let database = try openDatabase(backend: .leveldb, path: path, mode: .new)
      defer { database.close() }
      let transaction = try database.transaction()
      for (index, datum) in records.enumerated() {
        let key = Array(String(format: "%08d", index).utf8)
        transaction.put(key, try datum.serializedValue(key: key, source: path))
      }
      try transaction.commit()
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
  }

  @Test(.enabled(if: Golden.isAvailable, "needs ../shared/golden"))
  func statSummarisesTheMNISTTestLMDB() throws {
    let lines = try LogCapture().capture {
      try Self.command(DbStatCommand.self, ["stat", Self.mnist]).report()
    }
    #expect(lines.contains("backend: lmdb"))
    #expect(lines.contains("entries: 10000"))
    #expect(lines.contains { $0.hasPrefix("map size: ") && $0.hasSuffix(" bytes") })
    #expect(lines.contains { $0.hasPrefix("pages: 4096 bytes each") })
    #expect(lines.contains("first key: 00000000"))
    #expect(lines.contains("first record: 1x28x28"))
    // MNIST's test set: 980 zeros, 1135 ones, … (the counts every MNIST description gives).
    let counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    let histogram = try #require(lines.firstIndex(of: "labels (10 distinct):"))
    #expect(Array(lines[(histogram + 1)...]) == counts.enumerated().map { "  \($0)  \($1)" })
  }

  @Test(.enabled(if: Golden.isAvailable, "needs ../shared/golden"))
  func lsAndGetShowMNISTRecords() throws {
    var listed: [String] = []
    try LogCapture().capture {
      try Self.command(DbListCommand.self, ["ls", Self.mnist, "--limit", "3"]).list {
        listed.append($0)
      }
    }
    #expect(listed == ["00000000\t1x28x28\t7", "00000001\t1x28x28\t2", "00000002\t1x28x28\t1"])
    let lines = try LogCapture().capture {
      try Self.command(DbGetCommand.self, ["get", Self.mnist, "00000002", "--values", "3"])
        .report()
    }
    #expect(
      lines == [
        "key: 00000002", "shape: 1x28x28 (C x H x W)", "label: 1", "encoded: no",
        "data: 784 bytes; first 3: 0 0 0",
      ])
  }

  @Test func statListsAndGetsALevelDBDetectedFromItsFiles() throws {
    let database = try SmallLevelDB()
    defer { database.remove() }
    let lines = try LogCapture().capture {
      try Self.command(DbStatCommand.self, ["stat", database.path]).report()
    }
    #expect(
      lines == [
        "database: \(database.path)", "backend: leveldb", "entries: 4",
        "first key: 00000000", "first record: 1x2x3", "labels (3 distinct):", "  1  1",
        "  2  1", "  4  2",
      ])
    var listed: [String] = []
    try LogCapture().capture {
      try Self.command(DbListCommand.self, ["ls", database.path]).list { listed.append($0) }
    }
    #expect(
      listed == [
        "00000000\t1x2x3\t4", "00000001\t3x1x2\t1", "00000002\t1x1x2\t4",
        "00000003\tencoded png (\(database.png.count) bytes)\t2",
      ])
    let floats = try LogCapture().capture {
      try Self.command(DbGetCommand.self, ["get", database.path, "00000002"]).report()
    }
    #expect(floats.last == "float_data: 2 values; first 2: -3 300.4")
    let encoded = try LogCapture().capture {
      try Self.command(DbGetCommand.self, ["get", database.path, "00000003", "--backend=leveldb"])
        .report()
    }
    #expect(encoded.contains("encoded: yes"))
  }

  @Test func dumpWritesImagesAndLabels() throws {
    let database = try SmallLevelDB()
    defer { database.remove() }
    let output = database.folder.appendingPathComponent("dump")
    let summary = try LogCapture().capture {
      try Self.command(DbDumpCommand.self, ["dump", database.path, "--to", output.path]).dump()
    }
    #expect(summary == "wrote 4 images and labels.txt to \(output.path)")
    let labels = try String(
      contentsOf: output.appendingPathComponent("labels.txt"), encoding: .utf8)
    #expect(labels == "00000000.png 4\n00000001.png 1\n00000002.png 4\n00000003.png 2\n")
    let gray = try Image(
      contentsOfFile: output.appendingPathComponent("00000000.png").path, color: .native)
    #expect(gray == (try Image(height: 2, width: 3, channels: 1, pixels: database.gray)))
    let colour = try Image(
      contentsOfFile: output.appendingPathComponent("00000001.png").path, color: .native)
    #expect(
      colour == (try Image(height: 1, width: 2, channels: 3, pixels: [10, 20, 30, 11, 21, 31])))
    let floats = try Image(
      contentsOfFile: output.appendingPathComponent("00000002.png").path, color: .native)
    #expect(floats.pixels == [0, 255])
    let copied = try Data(contentsOf: output.appendingPathComponent("00000003.png"))
    #expect([UInt8](copied) == database.png)

    let limited = database.folder.appendingPathComponent("limited")
    _ = try LogCapture().capture {
      try Self.command(
        DbDumpCommand.self, ["dump", database.path, "--to", limited.path, "--limit", "1"]
      ).dump()
    }
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: limited.path).sorted()
        == ["00000000.png", "labels.txt"])
    #expect {
      try Self.command(DbDumpCommand.self, ["dump", database.path, "--to", limited.path]).dump()
    } throws: { "\($0)".contains("is not empty") }
  }

  /// A database of feature vectors (1 × 1 × 5 float Datums, as extract_features writes)
  /// dumps nothing, which is an error rather than an empty success.
  @Test func dumpOfADatabaseWithoutImagesFails() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("features").path
    var feature = Datum()
    (feature.channels, feature.height, feature.width) = (5, 1, 1)
    feature.floatData = [1, 2, 3, 4, 5]
    do {
      let database = try openDatabase(backend: .lmdb, path: path, mode: .new)
      defer { database.close() }
      let transaction = try database.transaction()
      transaction.put(Array("0000000000".utf8), try feature.serializedData().map { $0 })
      try transaction.commit()
    }
    let output = folder.appendingPathComponent("dump").path
    #expect {
      try LogCapture().capture {
        try Self.command(DbDumpCommand.self, ["dump", path, "--to", output]).dump()
      }
    } throws: { "\($0)".contains("none of its 1 records is a 1- or 3-channel image") }
    #expect(!FileManager.default.fileExists(atPath: output + "/labels.txt"))
  }

  @Test func missingAndUnrecognisedDatabasesAreOneErrorLine() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("file").path
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
    let cases: [([String], String)] = [
      (["stat", folder.appendingPathComponent("none").path], "no such database"),
      (["ls", folder.path], "neither an LMDB database"),
      (["get", file, "k"], "is a file"),
      (["stat", folder.path, "--backend", "bdb"], "unknown (known backends: lmdb, leveldb)"),
      (["dump", folder.appendingPathComponent("none").path], "--to"),
    ]
    for (arguments, words) in cases {
      let run = LogCapture().capture { CaffeRun(["db"] + arguments) }
      #expect(run.status == 1, "\(arguments)")
      #expect(run.errors.count == 1)
      #expect(run.error.contains(words), "\(arguments): \(run.error)")
    }
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("none").path))
  }

  @Test(
    .enabled(if: BuiltTools.isAvailable, "the built executables are not beside the test bundle"))
  func corruptDatabasesFailCleanlyInTheBuiltTool() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let lmdb = folder.appendingPathComponent("lmdb")
    try FileManager.default.createDirectory(at: lmdb, withIntermediateDirectories: true)
    try Data(repeating: 0x5A, count: 8192).write(to: lmdb.appendingPathComponent("data.mdb"))
    let leveldb = folder.appendingPathComponent("leveldb")
    try FileManager.default.createDirectory(at: leveldb, withIntermediateDirectories: true)
    try Data("MANIFEST-000009\n".utf8).write(to: leveldb.appendingPathComponent("CURRENT"))
    for database in [lmdb, leveldb] {
      let result = try BuiltTools.run("caffe", ["db", "stat", database.path], in: folder)
      #expect(result.exited, "\(database.lastPathComponent) trapped")
      #expect(result.status == 1)
      #expect(result.errorLines.count == 1)
      #expect(result.lastLine.hasPrefix("error: database \(database.path)"), "\(result.lastLine)")
    }
  }
}
