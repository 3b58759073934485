// MemoryData layer: batches served from arrays or Datums handed over through the Swift API.

import CaffeData
import CaffeProto
import CaffeSupport

/// "MemoryData": serves batches from data the program gives it, rather than from a file
/// (Caffe's `MemoryDataLayer`).
///
/// Fill it with ``reset(data:labels:count:)`` (float arrays, used as they are) or
/// ``add(datums:)`` (Datums, transformed by ``DataTransformer`` with `transform_param`, as
/// Caffe's `AddDatumVector`). Each forward serves the next `batch_size` items and wraps to the
/// first after the last, so the item count must be a multiple of `batch_size`.
///
/// Parameters (`memory_data_param`, all required and positive): `batch_size` (N), `channels`
/// (C), `height` (H), `width` (W). `transform_param` applies to ``add(datums:)`` only.
///
/// - top[0]: (N, C, H, W), the items of the batch.
/// - top[1]: (N) after setup and (N, 1, 1, 1) after each forward, as in Caffe: the labels.
///
/// Backward does nothing: data layers have no bottoms.
///
/// - Throws: `CaffeError.invalidParameter` when a `memory_data_param` field is zero or
///   missing; see the methods for the errors of filling.
public final class MemoryDataLayer: Layer {
  override public class var type: String { "MemoryData" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .exactly(2) }

  /// N, the items per forward; ``setBatchSize(_:)`` changes it.
  public private(set) var batchSize: Int
  /// C, the channels of one item.
  public let channels: Int
  /// H, the height of one item.
  public let height: Int
  /// W, the width of one item.
  public let width: Int

  /// The items, (n, C, H, W) row-major.
  private var items: [Float] = []
  /// The labels, (n).
  private var labels: [Float] = []
  /// n, the number of items; 0 until the layer is filled.
  private var itemCount = 0
  /// The item the next forward starts at.
  private var position = 0
  /// Whether Datums were added and have not all been served yet (Caffe's `has_new_data_`).
  private var hasNewData = false
  /// The number of Datums transformed so far, which seeds each one's random crop and mirror.
  private var datumsAdded = 0
  private var transformer: DataTransformer?

  /// C·H·W, the values of one item.
  private var itemSize: Int { channels * height * width }

  /// Reads and checks `memory_data_param`.
  /// - Throws: `CaffeError.invalidParameter` naming the first field that is zero.
  public required init(_ param: LayerParameter) throws {
    let memory = param.memoryDataParam
    let fields = [
      ("batch_size", memory.batchSize), ("channels", memory.channels),
      ("height", memory.height), ("width", memory.width),
    ]
    for (field, value) in fields where value == 0 {
      throw CaffeError.invalidParameter(
        layer: param.name, type: Self.type, field: "memory_data_param.\(field)",
        reason: "must be given and positive (batch_size, channels, height and width are all "
          + "required)")
    }
    batchSize = Int(memory.batchSize)
    channels = Int(memory.channels)
    height = Int(memory.height)
    width = Int(memory.width)
    try super.init(param)
  }

  /// Shapes the tops and prepares the transform for ``add(datums:)``.
  /// - Throws: what ``DataTransformer`` throws for a bad `transform_param`.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    try top[0].reshape([batchSize, channels, height, width])
    try top[1].reshape([batchSize])
    transformer = try DataTransformer(
      param.transformParam, phase: phase, layer: name, layerType: typeName)
  }

  /// Does nothing: each forward shapes the tops.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Copies the next batch into the tops and moves on, wrapping after the last item.
  /// - Throws: `CaffeError.invalidData` when the layer has not been filled.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    guard itemCount > 0 else {
      throw CaffeError.invalidData(
        layer: name,
        reason: "MemoryData has no data; call reset(data:labels:count:) or add(datums:) "
          + "before the forward pass")
    }
    guard itemCount % batchSize == 0 else {
      throw CaffeError.invalidData(
        layer: name,
        reason: "its \(itemCount) items are not a multiple of batch_size (\(batchSize)) "
          + "since setBatchSize; fill it again")
    }
    try top[0].reshape([batchSize, channels, height, width])
    try top[1].reshape([batchSize, 1, 1, 1])
    items.withUnsafeBufferPointer { source in
      guard let base = source.baseAddress else { return }
      top[0].data.update(from: base + position * itemSize, count: batchSize * itemSize)
    }
    labels.withUnsafeBufferPointer { source in
      guard let base = source.baseAddress else { return }
      top[1].data.update(from: base + position, count: batchSize)
    }
    position = (position + batchSize) % itemCount
    if position == 0 { hasNewData = false }
  }

  // MARK: - Filling

  /// Serves the first `n` items of `data` and `labels`, untransformed, from the next forward
  /// on (Caffe's `Reset`).
  ///
  /// - Parameters:
  ///   - data: at least n·C·H·W values, (n, C, H, W) row-major.
  ///   - labels: at least n labels.
  ///   - n: the number of items; a positive multiple of `batch_size`.
  /// - Throws: `CaffeError.invalidData` when `n` is not a positive multiple of `batch_size`
  ///   or the arrays hold fewer values than `n` items need.
  public func reset(data: [Float], labels: [Float], count n: Int) throws {
    try checkItemCount(n)
    guard data.count >= n * itemSize, labels.count >= n else {
      throw CaffeError.invalidData(
        layer: name,
        reason: "\(n) items of \(channels) x \(height) x \(width) (C x H x W) need "
          + "\(n * itemSize) values and \(n) labels; given \(data.count) values and "
          + "\(labels.count) labels")
    }
    if param.hasTransformParam {
      Log.warning("\(typeName) does not transform array data on reset(data:labels:count:)")
    }
    store(Array(data.prefix(n * itemSize)), Array(labels.prefix(n)), count: n)
  }

  /// Transforms `datums` with `transform_param` and serves them from the next forward on
  /// (Caffe's `AddDatumVector`); their labels become the label top.
  ///
  /// Each Datum's random crop and mirror (if any) come from the transformer's seed and the
  /// Datum's position among all Datums added to this layer.
  /// - Parameter datums: raw (not encoded) Datums, a positive multiple of `batch_size` of them,
  ///   each transforming to (C, H, W).
  /// - Throws: `CaffeError.invalidData` when the Datums added before have not all been served,
  ///   when there are none, or their count is not a multiple of `batch_size`;
  ///   `CaffeError.shapeMismatch` for a Datum that does not transform to (C, H, W); what
  ///   ``DataTransformer`` throws for an encoded or inconsistent Datum.
  public func add(datums: [Datum]) throws {
    guard !hasNewData else {
      throw CaffeError.invalidData(
        layer: name,
        reason: "cannot add data until the data added before has been consumed (served by "
          + "forward passes up to its end)")
    }
    guard !datums.isEmpty else {
      throw CaffeError.invalidData(layer: name, reason: "there are no Datums to add")
    }
    try checkItemCount(datums.count)
    guard let transformer else {
      throw CaffeError.invalidNet(reason: "layer \"\(name)\" (MemoryData): add before setUp")
    }
    var values = [Float](repeating: 0, count: datums.count * itemSize)
    for (index, datum) in datums.enumerated() {
      let shape = try transformer.outputShape(for: datum)
      guard shape == [1, channels, height, width] else {
        throw CaffeError.shapeMismatch(
          layer: name, blob: "datum \(index)", expected: [channels, height, width],
          actual: Array(shape.dropFirst()))
      }
      try values.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        try transformer.transform(
          datum, into: base + index * itemSize, record: datumsAdded + index)
      }
    }
    datumsAdded += datums.count
    store(values, datums.map { Float($0.label) }, count: datums.count)
    hasNewData = true
  }

  /// Changes N, the items per forward (Caffe's `set_batch_size`).
  /// - Throws: `CaffeError.invalidData` while added Datums are still being served, or for a
  ///   size below 1.
  public func setBatchSize(_ newSize: Int) throws {
    guard !hasNewData else {
      throw CaffeError.invalidData(
        layer: name,
        reason: "cannot change batch_size until the data added before has been consumed")
    }
    guard newSize > 0 else {
      throw CaffeError.invalidData(
        layer: name, reason: "batch_size must be positive, not \(newSize)")
    }
    batchSize = newSize
  }

  private func checkItemCount(_ n: Int) throws {
    guard n > 0, n % batchSize == 0 else {
      throw CaffeError.invalidData(
        layer: name,
        reason: "the number of items (\(n)) must be a positive multiple of batch_size "
          + "(\(batchSize))")
    }
  }

  private func store(_ values: [Float], _ newLabels: [Float], count n: Int) {
    items = values
    labels = newLabels
    itemCount = n
    position = 0
  }
}
