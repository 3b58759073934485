// The extract_features command: a trained net's blob values, one Datum per image, into databases.

import ArgumentParser
import Caffe
import CaffeData
import CaffeProto
import CaffeSupport
import Foundation

/// `extract_features PRETRAINED NET BLOB[,BLOB] DB[,DB] NUM_BATCHES lmdb|leveldb [CPU|GPU]
/// [DEVICE_ID]`, as Caffe's `tools/extract_features`.
///
/// Builds the net in phase TEST (its data layer supplies the images), loads the trained weights
/// and runs NUM_BATCHES forward passes. After each pass, every image `n` of each named blob
/// (N, C, H, W) becomes one Datum with Caffe's legacy `channels`, `height`, `width` of the blob
/// (for an InnerProduct top (N, D): channels D, height 1, width 1) and its C·H·W values in
/// `float_data`, stored under the key `%010d` (the image's running index) in that blob's own new
/// database. Commits every 1 000 records and logs Caffe's `Extracted features of N query images
/// for feature blob X` at each commit and at the end. This build is CPU-only: `GPU` logs a
/// warning and runs on the CPU.
public struct ExtractFeatures: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "extract_features",
    abstract: "Extracts the values of a trained net's blobs for the images its data layer reads.",
    discussion: """
      Several features can be extracted in one pass: give several blob names and as many \
      database names, each list separated by ','. Each database must not exist yet.
      """)

  /// The trained weights, a `.caffemodel` (or HDF5 `.caffemodel.h5`).
  @Argument(help: ArgumentHelp("The trained weights.", valueName: "pretrained_net_param"))
  public var pretrainedNetParam: String

  /// The net definition; its TEST-phase data layer supplies the images.
  @Argument(
    help: ArgumentHelp(
      "The net definition (prototxt).", valueName: "feature_extraction_proto_file"))
  public var featureExtractionProtoFile: String

  /// The blobs to extract, separated by `,`.
  @Argument(
    help: ArgumentHelp(
      "The blob names, separated by ','.", valueName: "extract_feature_blob_name1[,name2,...]"))
  public var extractFeatureBlobNames: String

  /// The databases to create, one per blob, separated by `,`.
  @Argument(
    help: ArgumentHelp(
      "The databases to create, one per blob.", valueName: "save_feature_dataset_name1[,name2,...]"
    ))
  public var saveFeatureDatasetNames: String

  /// The number of forward passes (mini-batches), a positive integer.
  @Argument(help: ArgumentHelp("The number of mini-batches.", valueName: "num_mini_batches"))
  public var numMiniBatches: String

  /// The storage engine of the outputs: `lmdb` or `leveldb`.
  @Argument(help: ArgumentHelp("The backend: lmdb or leveldb.", valueName: "db_type"))
  public var dbType: String

  /// `CPU` (default) or `GPU`; this build always computes on the CPU.
  @Argument(help: ArgumentHelp("CPU or GPU (GPU runs on the CPU here).", valueName: "CPU/GPU"))
  public var device: String?

  /// The GPU id Caffe would use with `GPU`; accepted and ignored.
  @Argument(help: ArgumentHelp("The GPU id (ignored).", valueName: "DEVICE_ID"))
  public var deviceID: String?

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// The blob names, split at `,` as Caffe splits them.
  var blobNames: [String] { Self.split(extractFeatureBlobNames) }

  /// The database paths, split at `,` as Caffe splits them.
  var datasetNames: [String] { Self.split(saveFeatureDatasetNames) }

  /// Checks every argument that needs no file before anything is read.
  ///
  /// - Throws: `ValidationError` for a NUM_BATCHES that is not a positive integer, an unknown
  ///   backend or device, a negative DEVICE_ID, an empty or repeated name, or a different number
  ///   of blob names and database names.
  public func validate() throws {
    guard let batches = Int(numMiniBatches), batches >= 1 else {
      throw ValidationError(
        "num_mini_batches must be a positive integer (given \"\(numMiniBatches)\")")
    }
    guard DatabaseBackend(rawValue: dbType) != nil else {
      let known = DatabaseBackend.allCases.map(\.rawValue).joined(separator: ", ")
      throw ValidationError("unknown db_type \"\(dbType)\" (known backends: \(known))")
    }
    if let device, device != "CPU", device != "GPU" {
      throw ValidationError("the device must be CPU or GPU (given \"\(device)\")")
    }
    if let deviceID, (Int(deviceID) ?? -1) < 0 {
      throw ValidationError("DEVICE_ID must be a non-negative integer (given \"\(deviceID)\")")
    }
    guard blobNames.count == datasetNames.count else {
      throw ValidationError(
        "the number of blob names and dataset names must be equal (\(blobNames.count) blobs: "
          + "\(extractFeatureBlobNames); \(datasetNames.count) databases: "
          + "\(saveFeatureDatasetNames))")
    }
    for (kind, names) in [("blob", blobNames), ("dataset", datasetNames)] {
      if names.contains("") { throw ValidationError("empty \(kind) name in the list") }
      if Set(names).count != names.count {
        throw ValidationError("a \(kind) name is repeated in \(names.joined(separator: ","))")
      }
    }
  }

  /// Extracts the features.
  ///
  /// - Throws: `CaffeError` for unreadable or invalid net and weight files, a blob the net does
  ///   not have (the message lists its blobs), an output database that already exists, and
  ///   database write errors.
  public func run() throws {
    if device == "GPU" {
      Log.warning(
        "This build of caffe is CPU-only: ignoring GPU (device \(deviceID ?? "0")) and using "
          + "the CPU.")
    }
    Log.info("Using CPU")
    let net = try locatingLayerErrors(in: [featureExtractionProtoFile]) {
      var definition = try ProtoUpgrade.readNetText(path: featureExtractionProtoFile)
      definition.state.phase = .test
      return try Net(definition)
    }
    try net.copyTrainedLayers(fromFile: pretrainedNetParam)
    let blobs = try blobNames.map { try featureBlob($0, in: net) }
    let backend = try DatabaseBackend(parsing: dbType)
    for path in datasetNames where FileManager.default.fileExists(atPath: path) {
      throw CaffeError.database(
        path: path,
        reason: "already exists; remove it or choose another output path (it is never "
          + "overwritten)")
    }
    let writers = try zip(blobNames, datasetNames).map { name, path in
      Log.info("Opening dataset \(path)")
      return try FeatureWriter(blobName: name, path: path, backend: backend)
    }
    Log.info("Extracting Features")
    for _ in 0..<(Int(numMiniBatches) ?? 0) {
      _ = try net.forward()
      for (blob, writer) in zip(blobs, writers) { try writer.append(blob) }
    }
    for writer in writers { try writer.finish() }
    Log.info("Successfully extracted the features!")
  }

  /// The blob `name` of `net`.
  ///
  /// - Throws: `CaffeError.invalidNet` naming the blob, the net file and the blobs it has.
  func featureBlob(_ name: String, in net: Net) throws -> Blob {
    guard let blob = net.blob(named: name) else {
      throw CaffeError.invalidNet(
        reason: "Unknown feature blob name \(name) in the network "
          + "\(featureExtractionProtoFile) (its blobs: \(net.blobNames.joined(separator: ", ")))")
    }
    return blob
  }

  /// Splits a `,`-separated list, keeping empty parts (they are reported by ``validate()``).
  static func split(_ list: String) -> [String] {
    list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
  }
}

/// Writes one blob's per-image feature Datums into a new database, as Caffe's extract_features
/// loop does: keys `%010d`, a commit and a log line every 1 000 records.
final class FeatureWriter {
  /// Records between commits (and progress lines), as in Caffe.
  static let commitInterval = 1000

  let blobName: String
  let database: any Database
  let transaction: any Transaction
  /// The number of records written so far (the next key).
  private(set) var written = 0

  /// Creates the database at `path`, which must not exist.
  ///
  /// - Throws: `CaffeError.database` when it exists or cannot be created.
  init(blobName: String, path: String, backend: DatabaseBackend) throws {
    self.blobName = blobName
    database = try openDatabase(backend: backend, path: path, mode: .new)
    transaction = try database.transaction()
  }

  /// Stores one Datum per image of `blob` (N, C, H, W): C·H·W values of image `n` in
  /// `float_data`, with the blob's legacy channels, height and width.
  ///
  /// - Throws: `CaffeError.database` when a record cannot be encoded or committed.
  func append(_ blob: Blob) throws {
    let batch = blob.num
    guard batch > 0 else { return }
    let dim = blob.count / batch
    var datum = Datum()
    datum.channels = Int32(blob.channels)
    datum.height = Int32(blob.height)
    datum.width = Int32(blob.width)
    for n in 0..<batch {
      // Image n occupies data[n·dim ..< (n + 1)·dim].
      datum.floatData = Array(UnsafeBufferPointer(start: blob.data + n * dim, count: dim))
      let key = Array(String(format: "%010d", written).utf8)
      transaction.put(key, try datum.serializedValue(key: key, source: database.path))
      written += 1
      if written % Self.commitInterval == 0 {
        try transaction.commit()
        logProgress()
      }
    }
  }

  /// Commits the records since the last commit, logs the total and closes the database.
  ///
  /// - Throws: `CaffeError.database` when the commit fails.
  func finish() throws {
    if written % Self.commitInterval != 0 { try transaction.commit() }
    logProgress()
    database.close()
  }

  private func logProgress() {
    Log.info("Extracted features of \(written) query images for feature blob \(blobName)")
  }
}
