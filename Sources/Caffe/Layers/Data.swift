// Data layer: batches of Datum records from an LMDB or LevelDB database, prefetched.

import CaffeData
import CaffeProto
import CaffeSupport

/// "Data": reads `Datum` records in key order from a database, transforms them with
/// ``DataTransformer`` and outputs them in batches (Caffe's `DataLayer`).
///
/// After the last record it starts again from the first, logging `Restarting data prefetching
/// from start.`. A background thread fills `prefetch` batches ahead of use through a free/full
/// queue pair (``Prefetcher``); the next forward reports any error it met (a corrupt record, a
/// size change inside a batch) as a thrown error.
///
/// Parameters:
/// - `data_param.source`: the database folder (not LMDB's `data.mdb` file inside it);
/// - `data_param.backend` (default LEVELDB): LEVELDB or LMDB;
/// - `data_param.batch_size`: N, the records per batch (positive);
/// - `data_param.prefetch` (default 4): the batches prepared ahead (positive);
/// - `data_param.rand_skip`: ignored, as in Caffe 1.0;
/// - `transform_param`: see ``DataTransformer``; encoded records (JPEG or PNG files, as
///   `convert_imageset --encoded` writes) are decoded, honouring `force_color`/`force_gray`.
///
/// - top[0]: (N, C, H, W), the transformed images. C, H and W come from the first record of
///   each batch (H = W = `crop_size` when cropping); records of another size in the same batch
///   are an error, so databases of mixed sizes need batch_size 1.
/// - top[1] (optional): (N), each record's `label`.
///
/// Backward does nothing: data layers have no bottoms.
///
/// **Reproducible positions.** Batch contents depend only on the database, the position in the
/// record stream and ``transformSeed``, never on thread timing: each record's crop and mirror
/// are drawn from a generator made from (``transformSeed``, its stream position) (see
/// ``DataTransformer/transform(_:into:record:)``). Positions count records from the first one
/// read and keep counting across passes over the database. ``recordsConsumed`` is the position
/// the next forward starts at, and ``seek(toRecord:transformSeed:)`` moves there, so a run that
/// saves both at a snapshot and restores them when resuming sees exactly the batches an
/// uninterrupted run sees. ``transformSeed`` is drawn from `Runtime`'s generator at setup, so
/// with a fixed solver `random_seed` it is the same in the resumed run anyway.
///
/// - Throws: `CaffeError.invalidParameter` for a missing source or a zero batch_size or
///   prefetch; `CaffeError.database` for a database that is missing, empty, of the other
///   backend, or holds a record that is not a Datum; what ``DataTransformer`` throws.
public final class DataLayer: Layer {
  override public class var type: String { "Data" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .range(1...2) }

  /// The stream position of the record the next forward starts at.
  ///
  /// It starts at 0 (or where ``seek(toRecord:transformSeed:)`` put it) and grows by batch_size
  /// with each forward, across passes over the database: the records the forward passes have
  /// consumed. The prefetch thread's read-ahead is not included. In a training net it equals
  /// iteration × iter_size × batch_size, so a solver may recompute it instead of saving it.
  public private(set) var recordsConsumed = 0

  /// The seed that, with a record's stream position, decides its random crop and mirror; 0 when
  /// the transform is not random.
  public var transformSeed: UInt64 { reader?.transformer.seed ?? 0 }

  private let batchSize: Int
  private let prefetchCount: Int
  private let database: any Database
  /// The cursor and transform state; the prefetch thread owns it while ``prefetcher`` runs.
  private var reader: DataRecordReader?
  private var prefetcher: Prefetcher<DataBatch>?
  /// The error the prefetch thread stopped with; every later forward throws it again.
  private var failure: Error?

  /// Checks `data_param` and opens the database for reading.
  ///
  /// - Throws: `CaffeError.invalidParameter` for a missing source or a zero batch_size or
  ///   prefetch; `CaffeError.database` naming the path when it cannot be opened.
  public required init(_ param: LayerParameter) throws {
    let data = param.dataParam
    func invalid(_ field: String, _ reason: String) -> CaffeError {
      .invalidParameter(layer: param.name, type: Self.type, field: field, reason: reason)
    }
    guard !data.source.isEmpty else {
      throw invalid("data_param.source", "not given; name the database folder to read")
    }
    guard data.batchSize > 0 else {
      throw invalid("data_param.batch_size", "must be positive; give the records per batch")
    }
    guard data.prefetch > 0 else {
      throw invalid("data_param.prefetch", "must be positive (default 4)")
    }
    batchSize = Int(data.batchSize)
    prefetchCount = Int(data.prefetch)
    let backend: DatabaseBackend = data.backend == .lmdb ? .lmdb : .leveldb
    database = try openDatabase(backend: backend, path: data.source, mode: .read)
    try super.init(param)
  }

  deinit { prefetcher?.stop() }

  /// Reads the first record to size the tops, then starts the prefetch thread.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    prefetcher?.stop()
    prefetcher = nil
    let transformer = try DataTransformer(
      param.transformParam, phase: phase, layer: name, layerType: typeName)
    let cursor = try database.cursor()
    guard cursor.valid else {
      throw CaffeError.database(
        path: database.path, reason: "holds no records; fill it with a converter first")
    }
    let first = try Datum(databaseValue: cursor.value, key: cursor.key, source: database.path)
    let itemShape = try transformer.outputShape(for: first)
    let shape = [batchSize] + itemShape.dropFirst()
    try top[0].reshape(shape)
    Log.info("output data size: " + shape.map(String.init).joined(separator: ","))
    if top.count > 1 { try top[1].reshape([batchSize]) }
    reader = DataRecordReader(
      layer: name, source: database.path, cursor: cursor, transformer: transformer,
      batchSize: batchSize, outputLabels: top.count > 1)
    try startPrefetching()
  }

  /// Does nothing: each forward shapes the tops from its batch.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Copies the next prefetched batch into the tops.
  ///
  /// - Throws: the error the prefetch thread met (also on every later forward), or
  ///   `CaffeError.invalidNet` before setup.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let batch = try DataLayer.nextBatch(
      from: prefetcher, failure: &failure, layer: name, type: "Data")
    try top[0].reshape(batch.shape)
    Self.copy(batch.data, into: top[0])
    if top.count > 1 {
      try top[1].reshape([batchSize])
      Self.copy(batch.labels, into: top[1])
    }
    recordsConsumed = batch.firstRecord + batchSize
    prefetcher?.recycle(batch)
  }

  /// Restarts prefetching so that the next forward returns the batch starting at stream
  /// position `record`.
  ///
  /// Positions past the end of the database wrap around it. Before setup this only sets where
  /// the first batch starts.
  /// - Parameters:
  ///   - record: the stream position, usually a saved ``recordsConsumed``.
  ///   - transformSeed: a saved ``transformSeed`` to restore; nil keeps the current one.
  /// - Throws: `CaffeError.invalidParameter` for a negative position; `CaffeError.database`
  ///   when the database cannot be read.
  public func seek(toRecord record: Int, transformSeed: UInt64? = nil) throws {
    guard record >= 0 else {
      throw invalid("recordsConsumed", "cannot seek to record \(record); give 0 or more")
    }
    prefetcher?.stop()
    prefetcher = nil
    failure = nil
    recordsConsumed = record
    if let transformSeed { reader?.transformer.seed = transformSeed }
    if reader != nil { try startPrefetching() }
  }

  /// Positions the reader at ``recordsConsumed`` and starts the prefetch thread.
  private func startPrefetching() throws {
    guard let reader else { return }
    try reader.seek(to: recordsConsumed)
    prefetcher = Self.makePrefetcher(count: prefetchCount, layer: name) { try reader.fill(&$0) }
  }

}

/// One prefetched batch: (N, C, H, W) images and (N) labels, reused through the free queue.
struct DataBatch: Sendable {
  /// The transformed images, (N, C, H, W) row-major.
  var data: [Float] = []
  /// The labels, (N); empty when the layer has no label top.
  var labels: [Float] = []
  /// (N, C, H, W).
  var shape: [Int] = []
  /// The stream position of the batch's first record.
  var firstRecord = 0
}

/// The database cursor and transform that fill batches; used by one thread at a time (the
/// layer's while the prefetch thread is stopped, the prefetch thread's while it runs).
final class DataRecordReader: @unchecked Sendable {
  /// The transform, whose seed may be changed while the prefetch thread is stopped.
  var transformer: DataTransformer
  private let layer: String
  private let source: String
  private let cursor: any Cursor
  private let batchSize: Int
  private let outputLabels: Bool
  /// The stream position of the record under the cursor.
  private var position = 0
  /// The index of the record under the cursor within the database.
  private var cursorIndex = 0
  /// The number of records, once a pass has reached the end.
  private var recordCount: Int?

  init(
    layer: String, source: String, cursor: any Cursor, transformer: DataTransformer,
    batchSize: Int, outputLabels: Bool
  ) {
    self.layer = layer
    self.source = source
    self.cursor = cursor
    self.transformer = transformer
    self.batchSize = batchSize
    self.outputLabels = outputLabels
  }

  /// Moves the cursor to stream position `record`, wrapping around the database.
  func seek(to record: Int) throws {
    try cursor.seekToFirst()
    cursorIndex = 0
    var remaining = recordCount.map { record % $0 } ?? record
    while remaining > 0 {
      try step(logRestart: false)
      remaining -= 1
      if cursorIndex == 0, let recordCount { remaining %= recordCount }
    }
    position = record
  }

  /// Fills `batch` with the next `batchSize` records.
  ///
  /// - Throws: `CaffeError.database` for a record that is not a Datum; `CaffeError.invalidData`
  ///   (naming the record's key) for a corrupt one or one whose size differs from the batch's
  ///   first; `CaffeError.invalidParameter` when the transform does not fit a record.
  func fill(_ batch: inout DataBatch) throws {
    batch.firstRecord = position
    for item in 0..<batchSize {
      do {
        try fillItem(item, of: &batch)
      } catch CaffeError.invalidData(let layer, let reason) {
        throw CaffeError.invalidData(
          layer: layer, reason: "record \"\(cursor.keyString)\": \(reason)")
      }
      try step(logRestart: true)
    }
  }

  /// Transforms the record under the cursor into slot `item` of `batch`; the first item sets
  /// the batch's shape.
  private func fillItem(_ item: Int, of batch: inout DataBatch) throws {
    let stored = try Datum(databaseValue: cursor.value, key: cursor.key, source: source)
    // Encoded records are decoded once here, not again by each transformer call.
    let datum = try transformer.decode(stored)
    let shape = [batchSize] + (try transformer.outputShape(for: datum)).dropFirst()
    if item == 0 {
      batch.shape = shape
      let count = shape.reduce(1, *)
      if batch.data.count != count { batch.data = Array(repeating: 0, count: count) }
      if outputLabels && batch.labels.count != batchSize {
        batch.labels = Array(repeating: 0, count: batchSize)
      }
    } else if shape != batch.shape {
      throw CaffeError.invalidData(
        layer: layer,
        reason: "its size \(sizeText(shape)) differs from the \(sizeText(batch.shape)) "
          + "(C × H × W) of its batch's first record; records of varying size need batch_size 1")
    }
    let itemCount = shape.dropFirst().reduce(1, *)
    try batch.data.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      try transformer.transform(datum, into: base + item * itemCount, record: position)
    }
    if outputLabels { batch.labels[item] = Float(datum.label) }
  }

  /// Advances one record, going back to the first after the last.
  private func step(logRestart: Bool) throws {
    try cursor.next()
    position += 1
    cursorIndex += 1
    if !cursor.valid {
      recordCount = cursorIndex
      if logRestart { Log.info("Restarting data prefetching from start.") }
      try cursor.seekToFirst()
      cursorIndex = 0
    }
  }

  private func sizeText(_ shape: [Int]) -> String {
    shape.dropFirst().map(String.init).joined(separator: " × ")
  }
}

extension DataLayer {
  /// A prefetcher of `count` (at least one) batches on a thread named after `layer`.
  ///
  /// Caffe's prefetching base class takes the count from `data_param.prefetch` for every data
  /// layer (Data, ImageData, WindowData).
  static func makePrefetcher(
    count: Int, layer: String, fill: @escaping @Sendable (inout DataBatch) throws -> Void
  ) -> Prefetcher<DataBatch> {
    let batches = Array(repeating: DataBatch(), count: max(1, count))
    return Prefetcher(batches: batches, name: "prefetch \(layer)", load: fill)
  }

  /// Copies the first `blob.count` of `values` (or all, when fewer) into `blob`'s data.
  static func copy(_ values: [Float], into blob: Blob) {
    values.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      blob.data.update(from: base, count: min(buffer.count, blob.count))
    }
  }

  /// The next prefetched batch of a data layer (Data, ImageData, WindowData).
  ///
  /// The first error the prefetch thread meets is kept in `failure` and thrown again on every
  /// later call: a broken source stays broken.
  /// - Throws: that error, or `CaffeError.invalidNet` naming `layer` and `type` before setup.
  static func nextBatch(
    from prefetcher: Prefetcher<DataBatch>?, failure: inout Error?, layer: String, type: String
  ) throws -> DataBatch {
    if let failure { throw failure }
    guard let prefetcher else {
      throw CaffeError.invalidNet(reason: "layer \"\(layer)\" (\(type)): forward before setUp")
    }
    do {
      return try prefetcher.next()
    } catch {
      failure = error
      throw error
    }
  }
}
