// ImageData layer: batches of images read from a "path label" list, decoded and prefetched.

import CaffeData
import CaffeKernels
import CaffeProto
import CaffeSupport

/// "ImageData": reads the JPEG or PNG images named in a list file, transforms them with
/// ``DataTransformer`` and outputs them with their labels in batches (Caffe's `ImageDataLayer`).
///
/// Each line of the list is `path label`, split at the last space (see `ImageListEntry`); the
/// image read is `root_folder` + path. After the last line it starts again from the first,
/// reshuffling first when `shuffle` is set. A background thread prepares the batches
/// (``Prefetcher``), as in the Data layer; the next forward reports any error it met.
///
/// Parameters (`image_data_param`):
/// - `source`: the list file;
/// - `root_folder` (default ""): prefixed to every path as written (end it with `/`);
/// - `batch_size` (default 1): N, the images per batch (positive);
/// - `shuffle` (default false): shuffle the lines at setup and at the start of every pass,
///   with a generator seeded from `Runtime`'s;
/// - `rand_skip` (default 0): start at a random line below this number (fewer than the lines);
/// - `new_height`, `new_width` (default 0): resize every image to this size with bilinear
///   interpolation (both or neither);
/// - `is_color` (default true): decode to 3 channels (BGR), else 1 gray channel;
/// - `transform_param`: see ``DataTransformer``.
///
/// - top[0]: (N, C, H, W), the transformed images. C, H and W come from the first image of each
///   batch (H = W = `crop_size` when cropping); images of another size in the same batch are an
///   error, so lists of mixed sizes need batch_size 1 or `new_height`/`new_width`.
/// - top[1]: (N), each image's label.
///
/// Backward does nothing: data layers have no bottoms.
///
/// - Throws: `CaffeError.invalidParameter` for a missing source, a zero batch_size, only one of
///   new_height and new_width, or a rand_skip beyond the list; `CaffeError.io` for an
///   unreadable or empty list; `CaffeError.invalidData` naming the list line for a label that
///   is not an integer or an image that cannot be read (at setup or on a later forward).
public final class ImageDataLayer: Layer {
  override public class var type: String { "ImageData" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .exactly(2) }

  private let batchSize: Int
  /// The list reader and transform; the prefetch thread owns it while ``prefetcher`` runs.
  private var reader: ImageListReader?
  private var prefetcher: Prefetcher<DataBatch>?
  /// The error the prefetch thread stopped with; every later forward throws it again.
  private var failure: Error?

  /// Checks `image_data_param`.
  ///
  /// - Throws: `CaffeError.invalidParameter` for a missing source, a zero batch_size, or only
  ///   one of new_height and new_width.
  public required init(_ param: LayerParameter) throws {
    let images = param.imageDataParam
    func invalid(_ field: String, _ reason: String) -> CaffeError {
      .invalidParameter(layer: param.name, type: Self.type, field: field, reason: reason)
    }
    guard !images.source.isEmpty else {
      throw invalid("image_data_param.source", "not given; name the list of \"path label\" lines")
    }
    guard images.batchSize > 0 else {
      throw invalid("image_data_param.batch_size", "must be positive; give the images per batch")
    }
    guard (images.newHeight == 0) == (images.newWidth == 0) else {
      throw invalid(
        "image_data_param.new_height",
        "new_height (\(images.newHeight)) and new_width (\(images.newWidth)) must be set "
          + "together; give both, or neither to keep the images' sizes")
    }
    batchSize = Int(images.batchSize)
    try super.init(param)
  }

  deinit { prefetcher?.stop() }

  /// Reads the list, reads the first image to size the tops, then starts the prefetch thread.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    prefetcher?.stop()
    prefetcher = nil
    failure = nil
    let images = param.imageDataParam
    let transformer = try DataTransformer(
      param.transformParam, phase: phase, layer: name, layerType: typeName)
    Log.info("Opening file \(images.source)")
    let entries = try ImageListEntry.read(images.source)
    guard !entries.isEmpty else {
      throw CaffeError.io(path: images.source, reason: "is empty; list one \"path label\" per line")
    }
    let reader = try ImageListReader(
      layer: name, param: images, entries: entries, transformer: transformer,
      batchSize: batchSize, generator: Runtime.makeGenerator())
    if images.shuffle { Log.info("Shuffling data") }
    Log.info("A total of \(entries.count) images.")
    if images.randSkip > 0 {
      let skip = try reader.skipRandomly(below: Int(images.randSkip))
      Log.info("Skipping first \(skip) data points.")
    }
    let shape = [batchSize] + (try reader.firstItemShape()).dropFirst()
    try top[0].reshape(shape)
    Log.info("output data size: " + shape.map(String.init).joined(separator: ","))
    try top[1].reshape([batchSize])
    self.reader = reader
    prefetcher = DataLayer.makePrefetcher(
      count: Int(param.dataParam.prefetch), layer: name
    ) { try reader.fill(&$0) }
  }

  /// Does nothing: each forward shapes the tops from its batch.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Copies the next prefetched batch into the tops.
  ///
  /// - Throws: the error the prefetch thread met (also on every later forward), or
  ///   `CaffeError.invalidNet` before setup.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let batch = try DataLayer.nextBatch(
      from: prefetcher, failure: &failure, layer: name, type: "ImageData")
    try top[0].reshape(batch.shape)
    DataLayer.copy(batch.data, into: top[0])
    try top[1].reshape([batchSize])
    DataLayer.copy(batch.labels, into: top[1])
    prefetcher?.recycle(batch)
  }

}

/// The list, its position and the transform that fill ImageData batches; used by one thread at
/// a time (the layer's during setup, then the prefetch thread's).
final class ImageListReader: @unchecked Sendable {
  private let layer: String
  private let source: String
  private let rootFolder: String
  private let height: Int
  private let width: Int
  private let color: ImageColorMode
  private let shuffle: Bool
  private let transformer: DataTransformer
  private let batchSize: Int
  private var entries: [ImageListEntry]
  private var generator: SeededGenerator
  /// The index of the next entry to read.
  private var index = 0
  /// The number of images read so far, across passes: each image's stream position.
  private var position = 0

  /// Checks every label, then shuffles the list when `param.shuffle` asks for it.
  ///
  /// - Throws: `CaffeError.invalidData` naming the first line whose label is not an integer.
  init(
    layer: String, param: ImageDataParameter, entries: [ImageListEntry],
    transformer: DataTransformer, batchSize: Int, generator: SeededGenerator
  ) throws {
    self.layer = layer
    source = param.source
    rootFolder = param.rootFolder
    height = Int(param.newHeight)
    width = Int(param.newWidth)
    color = param.isColor ? .color : .gray
    shuffle = param.shuffle
    self.transformer = transformer
    self.batchSize = batchSize
    self.entries = entries
    self.generator = generator
    if let bad = entries.first(where: { $0.label == nil }) {
      throw CaffeError.invalidData(
        layer: layer,
        reason: "\(source):\(bad.line): the label \"\(bad.labelText)\" is not an integer; "
          + "each line must be \"path label\"")
    }
    if shuffle { self.entries.shuffle(using: &self.generator) }
  }

  /// Starts at a random entry below `limit` (Caffe's `rand_skip`) and returns its index.
  ///
  /// - Throws: `CaffeError.invalidParameter` when the list has no more than the skip.
  func skipRandomly(below limit: Int) throws -> Int {
    let skip = Int(generator.next() % UInt64(limit))
    guard skip < entries.count else {
      throw CaffeError.invalidParameter(
        layer: layer, type: "ImageData", field: "image_data_param.rand_skip",
        reason: "skipping \(skip) of the \(entries.count) images leaves none; give a rand_skip "
          + "of at most \(entries.count)")
    }
    index = skip
    return skip
  }

  /// The transformed shape (1, C, H', W') of the entry the first batch starts with.
  ///
  /// - Throws: `CaffeError.invalidData` naming the list line when the image cannot be read.
  func firstItemShape() throws -> [Int] {
    try transformer.outputShape(for: try datum(entries[index]))
  }

  /// Fills `batch` with the next `batchSize` images and their labels.
  ///
  /// - Throws: `CaffeError.invalidData` naming the list line for an unreadable image or one
  ///   whose size differs from the batch's first; what ``DataTransformer`` throws.
  func fill(_ batch: inout DataBatch) throws {
    batch.firstRecord = position
    for item in 0..<batchSize {
      let entry = entries[index]
      let datum = try datum(entry)
      let shape = [batchSize] + (try transformer.outputShape(for: datum)).dropFirst()
      if item == 0 {
        batch.shape = shape
        let count = shape.reduce(1, *)
        if batch.data.count != count { batch.data = Array(repeating: 0, count: count) }
        if batch.labels.count != batchSize {
          batch.labels = Array(repeating: 0, count: batchSize)
        }
      } else if shape != batch.shape {
        throw CaffeError.invalidData(
          layer: layer,
          reason: "\(source):\(entry.line): \(entry.path) has size \(sizeText(shape)), not the "
            + "\(sizeText(batch.shape)) (C × H × W) of its batch's first image; set new_height "
            + "and new_width, or batch_size 1")
      }
      let itemCount = shape.dropFirst().reduce(1, *)
      try batch.data.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        try transformer.transform(datum, into: base + item * itemCount, record: position)
      }
      batch.labels[item] = Float(datum.label)
      position += 1
      index += 1
      if index == entries.count {
        index = 0
        if shuffle { entries.shuffle(using: &generator) }
      }
    }
  }

  /// The entry's image, decoded and resized, as a raw Datum.
  private func datum(_ entry: ImageListEntry) throws -> Datum {
    do {
      var image = try Image(contentsOfFile: rootFolder + entry.path, color: color)
      if height > 0 && width > 0 { image = try image.resized(height: height, width: width) }
      return Datum(image: image, label: entry.label ?? 0)
    } catch let error as CaffeError {
      throw CaffeError.invalidData(
        layer: layer, reason: "\(source):\(entry.line): could not load \(entry.path): \(error)")
    }
  }

  private func sizeText(_ shape: [Int]) -> String {
    shape.dropFirst().map(String.init).joined(separator: " × ")
  }
}
