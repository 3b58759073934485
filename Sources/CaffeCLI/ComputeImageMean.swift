// The compute_image_mean command: the mean image of a database of Datums, as a BlobProto file.

import ArgumentParser
import CaffeData
import CaffeProto
import CaffeSupport
import Foundation

/// `compute_image_mean [--backend lmdb|leveldb] INPUT_DB [OUTPUT_FILE]`, as Caffe's
/// `tools/compute_image_mean`.
///
/// Averages every record's pixels (the uint8 `data`, or `float_data`; encoded records decoded
/// with their own channel count) position by position, summing in single precision as Caffe
/// does. Writes the mean as a BlobProto `.binaryproto` with the legacy shape fields
/// (num 1, C, H, W), the file a `transform_param.mean_file` reads, and logs each channel's mean
/// as `mean_value channel [c]: v`. A record whose size differs from the first one's is an error
/// naming its key and both sizes.
public struct ComputeImageMean: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "compute_image_mean",
    abstract: "Computes the mean image of a set of images given by a LevelDB or LMDB.")

  /// The database to average.
  @Argument(help: ArgumentHelp("The database of Datum records.", valueName: "INPUT_DB"))
  public var inputDB: String

  /// Where to write the mean; without it the means are only logged.
  @Argument(help: ArgumentHelp("The BlobProto file to write.", valueName: "OUTPUT_FILE"))
  public var outputFile: String?

  /// The storage engine, `lmdb` (default) or `leveldb`.
  @Option(
    name: .customLong("backend"), help: "The backend {leveldb, lmdb} containing the images.")
  public var backend = DatabaseBackend.lmdb.rawValue

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Rejects an unknown backend before the database is opened.
  ///
  /// - Throws: `ValidationError` naming the known backends.
  public func validate() throws {
    guard DatabaseBackend(rawValue: backend) != nil else {
      let known = DatabaseBackend.allCases.map(\.rawValue).joined(separator: ", ")
      throw ValidationError("unknown backend \"\(backend)\" (known backends: \(known))")
    }
  }

  /// Computes, writes and logs the mean.
  ///
  /// - Throws: `CaffeError.database` for a missing, empty or unreadable database, a record of
  ///   another size than the first, or an encoded one that cannot be decoded; `CaffeError.io`
  ///   when the output cannot be written.
  public func run() throws {
    let db = try openDatabase(
      backend: try DatabaseBackend(parsing: backend), path: inputDB, mode: .read)
    defer { db.close() }
    let mean = try Self.mean(of: db)
    if let outputFile {
      Log.info("Write to \(outputFile)")
      try BinaryProto.write(mean, path: outputFile)
    }
    let channels = Int(mean.channels)
    let plane = Int(mean.height) * Int(mean.width)
    Log.info("Number of channels: \(channels)")
    for c in 0..<channels {
      var sum: Float = 0
      for i in 0..<plane { sum += mean.data[c * plane + i] }
      Log.info("mean_value channel [\(c)]: \(formatG(sum / Float(plane)))")
    }
  }

  /// The mean of every record in `db`: a BlobProto of shape (1, C, H, W).
  ///
  /// - Throws: see ``run()``.
  static func mean(of db: any Database) throws -> BlobProto {
    let cursor = try db.cursor()
    guard cursor.valid else {
      throw CaffeError.database(path: db.path, reason: "holds no records; nothing to average")
    }
    var sum: [Float] = []
    var shape: [Int] = []
    var count = 0
    while cursor.valid {
      let key = cursor.keyString
      let stored = try Datum(databaseValue: cursor.value, key: cursor.key, source: db.path)
      if count == 0 && stored.encoded { Log.info("Decoding Datum") }
      let datum: Datum
      do {
        datum = try stored.decoded(color: .native, name: "record \"\(key)\"")
      } catch let error as CaffeError {
        throw CaffeError.database(path: db.path, reason: error.description)
      }
      let datumShape = [Int(datum.channels), Int(datum.height), Int(datum.width)]
      if count == 0 {
        shape = datumShape
        sum = Array(repeating: 0, count: shape.reduce(1, *))
        Log.info("Starting iteration")
      }
      try accumulate(datum, shape: datumShape, into: &sum, key: key, first: shape, db: db.path)
      count += 1
      if count % 10_000 == 0 { Log.info("Processed \(count) files.") }
      try cursor.next()
    }
    if count % 10_000 != 0 { Log.info("Processed \(count) files.") }
    var mean = BlobProto()
    mean.num = 1
    mean.channels = Int32(shape[0])
    mean.height = Int32(shape[1])
    mean.width = Int32(shape[2])
    mean.data = sum.map { $0 / Float(count) }
    return mean
  }

  /// Adds one raw datum's values to `sum`, in single precision as Caffe does.
  private static func accumulate(
    _ datum: Datum, shape: [Int], into sum: inout [Float], key: String, first: [Int],
    db: String
  ) throws {
    let size = max(datum.data.count, datum.floatData.count)
    guard size == sum.count, shape.reduce(1, *) == size else {
      let text = { (shape: [Int]) in shape.map(String.init).joined(separator: " × ") }
      throw CaffeError.database(
        path: db,
        reason: "record \"\(key)\" holds \(size) values (\(text(shape)), C × H × W) but the "
          + "first record holds \(sum.count) (\(text(first))); the mean needs images of one "
          + "size: convert them with --resize_height and --resize_width")
    }
    if !datum.data.isEmpty {
      for (i, byte) in datum.data.enumerated() { sum[i] += Float(byte) }
    } else {
      for (i, value) in datum.floatData.enumerated() { sum[i] += value }
    }
  }
}
