// DatabaseReadBenchmark: why Caffe stores images in LMDB/LevelDB — read speed vs JPEG files.

import CaffeData
import CaffeProto
import CaffeSupport
import Foundation

/// Times reading the same MNIST digits three ways, as Caffe's data layers would get them:
/// a sequential LMDB scan, a sequential LevelDB scan (each record parsed into a `Datum`), and
/// reading and decoding one JPEG file per digit (into a `Datum`, as the ImageData layer does).
///
/// The three stores are written into a temporary folder first, from an MNIST LMDB folder or an
/// IDX image file (with its labels file beside it); all of them are then in the page cache, so
/// the rows compare the cost of the formats, not of the disk.
struct DatabaseReadBenchmark {
  /// The digits to store, as raw (1, 28, 28) Datums.
  let digits: [Datum]
  /// The folder holding `lmdb/`, `leveldb/` and `jpeg/`.
  let folder: URL

  /// Loads the digits from `source` and writes the three stores.
  ///
  /// - Parameter source: an LMDB folder of Datums (such as `examples/mnist/mnist_test_lmdb`)
  ///   or an IDX image file (such as `data/mnist/t10k-images-idx3-ubyte`).
  /// - Throws: `CaffeError` when the source cannot be read or a store cannot be written.
  init(source: String) throws {
    digits = try Self.loadDigits(source)
    folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("caffe-bench-db-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for backend in DatabaseBackend.allCases { try writeDatabase(backend) }
    try writeJPEGFiles()
  }

  /// Removes the temporary stores.
  func remove() { try? FileManager.default.removeItem(at: folder) }

  /// The path of a store inside ``folder``.
  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  /// The size of the files under `name`, in MB (10⁶ bytes).
  func megabytes(_ name: String) -> Double {
    let files = FileManager.default.enumerator(atPath: path(name))?.allObjects as? [String] ?? []
    let bytes = files.reduce(0) { total, file in
      let attributes = try? FileManager.default.attributesOfItem(
        atPath: (path(name) as NSString).appendingPathComponent(file))
      return total + ((attributes?[.size] as? Int) ?? 0)
    }
    return Double(bytes) / 1e6
  }

  /// Scans a whole database in key order, parsing every value into a Datum.
  ///
  /// - Returns: the number of records and the sum of their pixel bytes' counts (a checksum that
  ///   keeps the work from being skipped).
  /// - Throws: `CaffeError.database` on a read or parse error.
  func scanDatabase(_ backend: DatabaseBackend) throws -> (records: Int, bytes: Int) {
    let db = try openDatabase(backend: backend, path: path(backend.rawValue), mode: .read)
    defer { db.close() }
    let cursor = try db.cursor()
    var records = 0
    var bytes = 0
    while cursor.valid {
      let datum = try Datum(databaseValue: cursor.value, key: cursor.key, source: db.path)
      records += 1
      bytes += datum.data.count
      try cursor.next()
    }
    return (records, bytes)
  }

  /// Reads and decodes every JPEG file (gray, as the digits were stored) into a Datum.
  ///
  /// - Returns: the number of files and the sum of their decoded pixel counts.
  /// - Throws: `CaffeError` when a file cannot be read or decoded.
  func decodeJPEGFiles() throws -> (records: Int, bytes: Int) {
    var bytes = 0
    for index in digits.indices {
      let image = try Image(contentsOfFile: jpegPath(index), color: .gray)
      bytes += Datum(image: image, label: digits[index].label).data.count
    }
    return (digits.count, bytes)
  }

  /// The JPEG file of digit `index`.
  private func jpegPath(_ index: Int) -> String {
    path("jpeg/" + String(format: "%05d.jpg", index))
  }

  /// Writes every digit under Caffe's `%08d` keys, committing every 1 000 records.
  private func writeDatabase(_ backend: DatabaseBackend) throws {
    let db = try openDatabase(backend: backend, path: path(backend.rawValue), mode: .new)
    defer { db.close() }
    let transaction = try db.transaction()
    for (index, datum) in digits.enumerated() {
      let key = Array(String(format: "%08d", index).utf8)
      transaction.put(key, try datum.serializedValue(key: key, source: db.path))
      if (index + 1) % 1000 == 0 { try transaction.commit() }
    }
    try transaction.commit()
  }

  /// Writes every digit as a gray JPEG file (quality 95, OpenCV's default).
  private func writeJPEGFiles() throws {
    try FileManager.default.createDirectory(
      atPath: path("jpeg"), withIntermediateDirectories: true)
    for (index, datum) in digits.enumerated() {
      // One channel: the (C, H, W) bytes are also the (H, W, C) pixels.
      let image = try Image(
        height: Int(datum.height), width: Int(datum.width), channels: 1, pixels: Array(datum.data))
      try Data(try image.encoded(as: .jpeg)).write(to: URL(fileURLWithPath: jpegPath(index)))
    }
  }

  /// The digits of an LMDB folder or of an IDX image file and its labels file.
  ///
  /// - Throws: `CaffeError` when `source` is missing or not readable as either.
  static func loadDigits(_ source: String) throws -> [Datum] {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) else {
      throw CaffeError.io(
        path: source,
        reason: "no such MNIST source; give an LMDB folder or an IDX image file with --source")
    }
    if isFolder.boolValue {
      let db = try openDatabase(backend: .lmdb, path: source, mode: .read)
      defer { db.close() }
      let cursor = try db.cursor()
      var digits: [Datum] = []
      while cursor.valid {
        digits.append(try Datum(databaseValue: cursor.value, key: cursor.key, source: source))
        try cursor.next()
      }
      return digits
    }
    let images = try MNISTImages(path: source)
    let labels = try MNISTLabels(
      path: source.replacingOccurrences(of: "images-idx3", with: "labels-idx1"))
    return (0..<min(images.count, labels.count)).map { index in
      Datum(
        channels: 1, height: Int32(images.rows), width: Int32(images.columns),
        bytes: Array(images.image(index)), label: Int32(labels.labels[index]))
    }
  }
}

/// Runs the database read benchmark and prints images/second for each store and the ratios.
///
/// - Throws: what ``DatabaseReadBenchmark`` throws.
func runDatabaseMode(_ options: Options) throws {
  let bench = try DatabaseReadBenchmark(source: options.mnistSource)
  defer { bench.remove() }
  let passes = max(options.passes, 1)
  print(
    "Reading \(bench.digits.count) MNIST digits from \(options.mnistSource): median of "
      + "\(passes) passes after one untimed pass; the stores are in the page cache")
  var rows: [(name: String, megabytes: Double, imagesPerSecond: Double, perCPUSecond: Double)] =
    []
  for (name, store, scan) in [
    ("LMDB scan + Datum parse", "lmdb", { try bench.scanDatabase(.lmdb) }),
    ("LevelDB scan + Datum parse", "leveldb", { try bench.scanDatabase(.leveldb) }),
    ("JPEG files read + decode", "jpeg", { try bench.decodeJPEGFiles() }),
  ] as [(String, String, () throws -> (records: Int, bytes: Int))] {
    let first = try scan()
    guard first.records == bench.digits.count else {
      throw CaffeError.invalidData(
        layer: "", reason: "\(name) read \(first.records) of \(bench.digits.count) digits")
    }
    var times: [Double] = []
    let cpuStart = Benchmark.processCPUMilliseconds()
    for _ in 0..<passes {
      let start = ContinuousClock.now
      _ = try scan()
      times.append(Benchmark.milliseconds(ContinuousClock.now - start))
    }
    let images = Double(first.records)
    let cpuSeconds = (Benchmark.processCPUMilliseconds() - cpuStart) / 1000 / Double(passes)
    rows.append(
      (name, bench.megabytes(store), images / (Benchmark.median(times) / 1000), images / cpuSeconds)
    )
  }
  print(
    Benchmark.pad("store", 28) + Benchmark.pad("MB", 9, right: true)
      + Benchmark.pad("images/s", 14, right: true) + Benchmark.pad("images/CPU-s", 14, right: true))
  for row in rows {
    let size = Benchmark.format(row.megabytes, 1)
    let rate = Benchmark.format(row.imagesPerSecond, 0)
    let cpuRate = Benchmark.format(row.perCPUSecond, 0)
    print(
      Benchmark.pad(row.name, 28) + Benchmark.pad(size, 9, right: true)
        + Benchmark.pad(rate, 14, right: true) + Benchmark.pad(cpuRate, 14, right: true))
  }
  let (jpeg, jpegCPU) = (rows[2].imagesPerSecond, rows[2].perCPUSecond)
  print(
    "LMDB / JPEG: \(Benchmark.format(rows[0].imagesPerSecond / jpeg, 1))x   "
      + "LevelDB / JPEG: \(Benchmark.format(rows[1].imagesPerSecond / jpeg, 1))x   (per CPU "
      + "second: \(Benchmark.format(rows[0].perCPUSecond / jpegCPU, 1))x and "
      + "\(Benchmark.format(rows[1].perCPUSecond / jpegCPU, 1))x)")
}
