// `caffe db`: look inside an LMDB or LevelDB database of Datum records (stat, ls, get, dump).

import ArgumentParser
import CaffeData
import CaffeProto
import CaffeSupport
import Foundation

/// `caffe db stat|ls|get|dump DB …` (not in Caffe): what an LMDB or LevelDB database of `Datum`
/// records holds, without writing code.
///
/// - `stat DB`: the record count, the backend, LMDB's map size and pages, the first key, the
///   first record's shape and a histogram of the labels of all records;
/// - `ls DB [--limit n]`: one line per record, `key<TAB>shape<TAB>label`;
/// - `get DB KEY`: one record in detail: shape, label, encoded flag and its first values;
/// - `dump DB --to DIR [--limit n]`: the records as PNG images (encoded records as their own
///   bytes) and `labels.txt` (see ``DbDumpCommand``).
///
/// The backend is detected from the folder (`data.mdb`: LMDB, `CURRENT`: LevelDB) unless
/// `--backend` names it. Results go to standard output, the log to standard error; a missing
/// or unreadable database is one `error:` line and exit status 1.
public struct DbCommand: ParsableCommand {
  /// The `db` subcommand's name, abstract and its own subcommands.
  public static let configuration = CommandConfiguration(
    commandName: "db",
    abstract: "look inside an LMDB or LevelDB database of Datum records",
    subcommands: [
      DbStatCommand.self, DbListCommand.self, DbGetCommand.self, DbDumpCommand.self,
    ])

  /// Creates the command; it has no options of its own.
  public init() {}
}

/// The database argument and `--backend`, shared by the `db` subcommands.
struct DatabaseOptions: ParsableArguments {
  @Argument(help: "The database folder (LMDB or LevelDB).")
  var database: String

  @Option(
    name: .customLong("backend"),
    help: "lmdb or leveldb; detected from the folder's files when not given.")
  var backend = ""

  /// The backend `--backend` names, or the one the folder's files show.
  /// - Throws: `CaffeError.database` naming the path when it is missing, a file, or neither
  ///   kind of database, or when `--backend` names no backend.
  func resolvedBackend() throws -> DatabaseBackend {
    if !backend.isEmpty { return try DatabaseBackend(parsing: backend) }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: database, isDirectory: &isFolder) else {
      throw CaffeError.database(path: database, reason: "no such database; check the path")
    }
    guard isFolder.boolValue else {
      throw CaffeError.database(
        path: database,
        reason: "is a file; a database is a folder (give the folder that holds data.mdb or "
          + "CURRENT)")
    }
    let holds = { (name: String) in
      FileManager.default.fileExists(atPath: (database as NSString).appendingPathComponent(name))
    }
    if holds("data.mdb") { return .lmdb }
    if holds("CURRENT") { return .leveldb }
    throw CaffeError.database(
      path: database,
      reason: "neither an LMDB database (no data.mdb) nor a LevelDB one (no CURRENT); give "
        + "--backend if it is one")
  }

  /// Opens the database for reading.
  /// - Throws: what ``resolvedBackend()`` and `openDatabase` throw.
  func open() throws -> any Database {
    try openDatabase(backend: try resolvedBackend(), path: database, mode: .read)
  }

  /// Opens the database and calls `body` with each record, in key order, until it returns
  /// false.
  /// - Throws: what opening and reading the database throw, or what `body` throws.
  func forEachRecord(_ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool) throws {
    let opened = try open()
    defer { opened.close() }
    try Self.forEachRecord(in: opened, body)
  }

  /// Calls `body` with each record of `database`, in key order, until it returns false.
  /// - Throws: what reading the database throws, or what `body` throws.
  static func forEachRecord(
    in database: any Database, _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
  ) throws {
    let cursor = try database.cursor()
    while cursor.valid {
      guard try body(cursor.key, cursor.value) else { return }
      try cursor.next()
    }
  }
}

/// How the `db` subcommands describe a Datum.
enum DatumText {
  /// `C×H×W` as `1x28x28`, or `encoded png (1234 bytes)` for an encoded record.
  static func shape(_ datum: Datum) -> String {
    if datum.encoded {
      let format = try? ImageFormat.detect([UInt8](datum.data), name: "")
      return "encoded \(format?.rawValue ?? "image") (\(datum.data.count) bytes)"
    }
    return "\(datum.channels)x\(datum.height)x\(datum.width)"
  }

  /// The key as text (Caffe's keys are ASCII).
  static func key(_ key: [UInt8]) -> String { String(decoding: key, as: UTF8.self) }
}

// MARK: - stat

/// `caffe db stat DB [--backend lmdb|leveldb]`: a summary of the database.
///
/// Prints the path, backend and record count; for LMDB the map size and page figures; the first
/// key and the first record's shape; then the number of records of each label, in label order.
/// Records that are not Datums are counted separately.
struct DbStatCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stat", abstract: "summarise a database: entries, pages, first record, labels")

  @OptionGroup var options: DatabaseOptions

  func run() throws { print(try report().joined(separator: "\n")) }

  /// The lines `run` prints.
  /// - Throws: `CaffeError.database` when the database is missing or cannot be read.
  func report() throws -> [String] {
    let backend = try options.resolvedBackend()
    var lines = ["database: \(options.database)", "backend: \(backend.rawValue)"]
    let database = try options.open()
    defer { database.close() }
    var pageLines: [String] = []
    if let lmdb = database as? LMDBDatabase {
      let stats = try lmdb.statistics()
      let used = (stats.lastPage + 1) * stats.pageSize
      pageLines = [
        "map size: \(stats.mapSize) bytes",
        "pages: \(stats.pageSize) bytes each, \(stats.lastPage + 1) in use (\(used) bytes); "
          + "B-tree depth \(stats.depth), \(stats.branchPages) branch, \(stats.leafPages) leaf, "
          + "\(stats.overflowPages) overflow",
      ]
    }
    var entries = 0
    var first: (key: String, shape: String)?
    var labels: [Int32: Int] = [:]
    var notDatums = 0
    try DatabaseOptions.forEachRecord(in: database) { key, value in
      entries += 1
      guard let datum = try? Datum(serializedBytes: value) else {
        notDatums += 1
        if first == nil { first = (DatumText.key(key), "not a Datum") }
        return true
      }
      if first == nil { first = (DatumText.key(key), DatumText.shape(datum)) }
      labels[datum.label, default: 0] += 1
      return true
    }
    lines.append("entries: \(entries)")
    lines += pageLines
    lines.append("first key: \(first?.key ?? "(none)")")
    lines.append("first record: \(first?.shape ?? "(none)")")
    if notDatums > 0 { lines.append("records that are not Datums: \(notDatums)") }
    lines.append("labels (\(labels.count) distinct):")
    let width = labels.keys.map { String($0).count }.max() ?? 0
    for (label, count) in labels.sorted(by: { $0.key < $1.key }) {
      let text = String(label)
      lines.append("  " + String(repeating: " ", count: width - text.count) + "\(text)  \(count)")
    }
    return lines
  }
}

// MARK: - ls

/// `caffe db ls DB [--limit n] [--backend]`: one line per record, `key<TAB>shape<TAB>label`.
struct DbListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ls", abstract: "list records: key, Datum shape and label")

  @OptionGroup var options: DatabaseOptions

  @Option(name: .customLong("limit"), help: "List at most this many records (0: all).")
  var limit = 0

  func run() throws {
    try list { print($0) }
  }

  /// Passes each line `run` prints to `emit`.
  /// - Throws: `ValidationError` for a negative limit; `CaffeError.database` when the database
  ///   is missing or cannot be read.
  func list(_ emit: (String) -> Void) throws {
    guard limit >= 0 else { throw ValidationError("--limit must be 0 or more (given \(limit))") }
    var listed = 0
    try options.forEachRecord { key, value in
      let datum = try? Datum(serializedBytes: value)
      let shape = datum.map(DatumText.shape) ?? "not a Datum (\(value.count) bytes)"
      let label = datum.map { String($0.label) } ?? "-"
      emit("\(DatumText.key(key))\t\(shape)\t\(label)")
      listed += 1
      return limit == 0 || listed < limit
    }
  }
}

// MARK: - get

/// `caffe db get DB KEY [--backend]`: one record in detail.
struct DbGetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "get", abstract: "show one record: shape, label, encoded flag, first values")

  @OptionGroup var options: DatabaseOptions

  @Argument(help: "The record's key, such as 00000042.")
  var key: String

  @Option(name: .customLong("values"), help: "How many values to show.")
  var valueCount = 16

  func run() throws { print(try report().joined(separator: "\n")) }

  /// The lines `run` prints.
  /// - Throws: `CaffeError.database` when the database cannot be read, the key is not in it,
  ///   or its value is not a Datum.
  func report() throws -> [String] {
    let wanted = Array(key.utf8)
    var found: [UInt8]?
    try options.forEachRecord { recordKey, value in
      // Keys come in byte order, so the search can stop at the first key past the one wanted.
      if recordKey == wanted { found = value }
      return found == nil && recordKey.lexicographicallyPrecedes(wanted)
    }
    guard let value = found else {
      throw CaffeError.database(
        path: options.database,
        reason: "no record with key \"\(key)\"; list the keys with caffe db ls")
    }
    let datum = try Datum(databaseValue: value, key: wanted, source: options.database)
    var lines = [
      "key: \(key)",
      "shape: \(DatumText.shape(datum))" + (datum.encoded ? "" : " (C x H x W)"),
      "label: \(datum.label)",
      "encoded: \(datum.encoded ? "yes" : "no")",
    ]
    let shown = max(valueCount, 0)
    if !datum.data.isEmpty {
      let head = datum.data.prefix(shown).map { String($0) }.joined(separator: " ")
      lines.append(
        "data: \(datum.data.count) bytes; first \(min(shown, datum.data.count)): \(head)")
    }
    if !datum.floatData.isEmpty {
      let head = datum.floatData.prefix(shown).map { formatG($0) }.joined(separator: " ")
      lines.append(
        "float_data: \(datum.floatData.count) values; first \(min(shown, datum.floatData.count)): "
          + head)
    }
    return lines
  }
}
