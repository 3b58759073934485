// WindowData layer: R-CNN batches of foreground and background windows cut from images and warped.

import CaffeData
import CaffeKernels
import CaffeProto
import CaffeSupport

/// "WindowData": samples object (foreground) and non-object (background) windows listed in a
/// window file, cuts each out of its image, warps it to `crop_size` × `crop_size` and outputs
/// the windows with their class labels in batches (Caffe's `WindowDataLayer`, as R-CNN used it).
///
/// The window file (see ``WindowFile``) lists images and, for each, windows
/// `class_index overlap x1 y1 x2 y2` (inclusive pixel corners). A window whose overlap is at
/// least `fg_threshold` is foreground with its class (which must be positive); one whose overlap
/// is below `bg_threshold` is background with label 0; the rest are not used. Each batch holds
/// `N − ⌊N · fg_fraction⌋` background windows first, then `⌊N · fg_fraction⌋` foreground
/// windows, each drawn uniformly with replacement from its set by a generator seeded from
/// `Runtime`'s. A background thread prepares the batches (``Prefetcher``), as in the Data layer;
/// the next forward reports any error it met.
///
/// Parameters (`window_data_param`):
/// - `source`: the window file;
/// - `root_folder` (default ""): prefixed to every image path as written;
/// - `batch_size`: N, the windows per batch (positive);
/// - `fg_threshold` (default 0.5), `bg_threshold` (default 0.5), `fg_fraction` (default 0.25,
///   in 0...1): the split described above;
/// - `context_pad` (default 0): pixels of image context kept around the window in the output,
///   less than `crop_size / 2`;
/// - `crop_mode` (default "warp"): "warp" stretches the window to the square output; "square"
///   first grows the shorter side of the window to make it square;
/// - `scale` (default 1): applied after the mean is subtracted; a `transform_param.scale`, where
///   loading a net moves this field, takes precedence (Caffe reads only this field, so the
///   moved value is lost there);
/// - `cache_images` (default false): decode every image once at setup and keep it in memory.
///
/// From `transform_param`: `crop_size` (required: the output size), `mirror` (flip each window
/// left to right with probability ½, in every phase), and `mean_file` or `mean_value`
/// (one value, or one per channel). A mean file's (C, H, W) must have C = 3 and H, W ≥
/// `crop_size`; its centred `crop_size` × `crop_size` part is subtracted. (Caffe centres both
/// axes by the width's margin, which differs only for non-square means.) The legacy
/// `window_data_param` fields `crop_size`, `mirror` and `mean_file` are not read, as in Caffe.
///
/// Each window, grown by `context_pad` and `crop_mode` (see ``WindowGeometry``), is clipped to
/// its image, resized bilinearly (`Image.resized`), optionally mirrored and placed into the
/// output where it would lie had the unclipped region been warped; outputs outside the image
/// stay 0. Each value is `(pixel − mean) · scale`.
///
/// - top[0]: (N, 3, `crop_size`, `crop_size`), the windows, BGR (images are always decoded in
///   colour, as Caffe's `imread` does, whatever channel count the window file states).
/// - top[1]: (N), each window's label: its class for foreground, 0 for background.
///
/// Backward does nothing: data layers have no bottoms.
///
/// - Throws: `CaffeError.invalidParameter` for a missing source, a zero batch_size or
///   crop_size, an unknown crop_mode, an fg_fraction outside 0...1, a context_pad of half the
///   crop_size or more, both mean_file and mean_value, a mean_value count other than 1 or 3, or
///   a mean file of the wrong size; `CaffeError.io` for a missing window file;
///   `CaffeError.invalidData` naming the window file and line for a malformed line, a
///   foreground window of class 0 or less, no windows of a set that the batch needs, an image
///   that cannot be read, or a window outside its image (at setup or on a later forward).
public final class WindowDataLayer: Layer {
  override public class var type: String { "WindowData" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .exactly(2) }

  /// C of the output: images are decoded as BGR.
  static let channels = 3

  private let batchSize: Int
  private let cropSize: Int
  private var prefetcher: Prefetcher<DataBatch>?
  /// The error the prefetch thread stopped with; every later forward throws it again.
  private var failure: Error?

  /// Checks `window_data_param` and the `transform_param` fields the layer reads.
  ///
  /// - Throws: `CaffeError.invalidParameter` naming the field at fault (see the type's list).
  public required init(_ param: LayerParameter) throws {
    let windows = param.windowDataParam
    let transform = param.transformParam
    func invalid(_ field: String, _ reason: String) -> CaffeError {
      .invalidParameter(layer: param.name, type: Self.type, field: field, reason: reason)
    }
    guard !windows.source.isEmpty else {
      throw invalid("window_data_param.source", "not given; name the window file")
    }
    guard windows.batchSize > 0 else {
      throw invalid("window_data_param.batch_size", "must be positive; give the windows per batch")
    }
    guard transform.cropSize > 0 else {
      throw invalid(
        "transform_param.crop_size",
        "must be positive: it is the size windows are warped to (window_data_param.crop_size "
          + "is not read)")
    }
    guard windows.cropMode == "warp" || windows.cropMode == "square" else {
      throw invalid("window_data_param.crop_mode", "\"\(windows.cropMode)\" is not warp or square")
    }
    guard (0...1).contains(windows.fgFraction) else {
      throw invalid("window_data_param.fg_fraction", "\(windows.fgFraction) is not in 0...1")
    }
    guard 2 * Int(windows.contextPad) < Int(transform.cropSize) else {
      throw invalid(
        "window_data_param.context_pad",
        "\(windows.contextPad) leaves no room for the window in a crop of \(transform.cropSize); "
          + "it must be less than half the crop_size")
    }
    guard transform.meanFile.isEmpty || transform.meanValue.isEmpty else {
      throw invalid(
        "transform_param.mean_value", "cannot be given together with mean_file; give one")
    }
    guard [0, 1, Self.channels].contains(transform.meanValue.count) else {
      throw invalid(
        "transform_param.mean_value",
        "give 1 value or \(Self.channels) (one per channel), not \(transform.meanValue.count)")
    }
    batchSize = Int(windows.batchSize)
    cropSize = Int(transform.cropSize)
    try super.init(param)
  }

  deinit { prefetcher?.stop() }

  /// Reads the window file (and the images when caching), sizes the tops, then starts the
  /// prefetch thread.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    prefetcher?.stop()
    prefetcher = nil
    failure = nil
    let windows = param.windowDataParam
    Log.info(
      "Window data layer: foreground (object) overlap threshold: \(windows.fgThreshold), "
        + "background (non-object) overlap threshold: \(windows.bgThreshold), foreground "
        + "sampling fraction: \(windows.fgFraction), cache_images: \(windows.cacheImages), "
        + "root_folder: \(windows.rootFolder)")
    let file = try WindowFile.read(windows, layer: name)
    Log.info("Number of images: \(file.images.count)")
    for (label, count) in file.labelCounts.sorted(by: { $0.key < $1.key }) {
      Log.info("class \(label) has \(count) samples")
    }
    Log.info("Amount of context padding: \(windows.contextPad)")
    Log.info("Crop mode: \(windows.cropMode)")
    let sampler = try WindowSampler(
      layer: name, param: param, file: file, batchSize: batchSize,
      mean: try WindowSampler.mean(param.transformParam, crop: cropSize, layer: name),
      generator: Runtime.makeGenerator())
    let shape = [batchSize, Self.channels, cropSize, cropSize]
    try top[0].reshape(shape)
    Log.info("output data size: " + shape.map(String.init).joined(separator: ","))
    try top[1].reshape([batchSize])
    prefetcher = DataLayer.makePrefetcher(
      count: Int(param.dataParam.prefetch), layer: name
    ) { try sampler.fill(&$0) }
  }

  /// Does nothing: the tops keep the shapes set up.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Copies the next prefetched batch into the tops.
  ///
  /// - Throws: the error the prefetch thread met (also on every later forward), or
  ///   `CaffeError.invalidNet` before setup.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let batch = try DataLayer.nextBatch(
      from: prefetcher, failure: &failure, layer: name, type: "WindowData")
    DataLayer.copy(batch.data, into: top[0])
    DataLayer.copy(batch.labels, into: top[1])
    prefetcher?.recycle(batch)
  }

}
