// SPP layer: spatial pyramid pooling, built from Split, Pooling, Flatten and Concat layers.

import CaffeProto
import CaffeSupport

/// "SPP": spatial pyramid pooling (He et al., 2014), a fixed-length summary of an image of any
/// size (Caffe's `SPPLayer`).
///
/// Level `l` (0 ≤ l < `pyramid_height`) pools each channel into about 2ˡ × 2ˡ bins. Per axis of
/// size `s` it uses, as Caffe does, `bins = 2ˡ`, `kernel = ⌈s / bins⌉`, `stride = kernel` and
/// `pad = (kernel·bins − s + 1) / 2` (integer division), with Pooling's CEIL rounding. Each
/// level's (N, C, h, w) output is flattened to (N, C·h·w) and the levels are concatenated in
/// order, so a channel's bins are consecutive within its level's block.
///
/// Parameters (`spp_param`):
/// - `pyramid_height` (required, ≥ 1): the number of levels.
/// - `pool` (default MAX): MAX, AVE or STOCHASTIC (STOCHASTIC refuses levels that need padding,
///   as Pooling does). The inner Pooling layers run in this layer's phase.
/// - `engine` is accepted and ignored.
///
/// - bottom[0]: (N, C, H, W), H and W positive.
/// - top[0]: (N, C·Σₗ hₗ·wₗ), which is (N, C·(4ᴸ − 1)/3) when every level gives 2ˡ × 2ˡ bins; with
///   `pyramid_height: 1` Caffe skips the flattening and the top is (N, C, 1, 1).
///
/// Backward overwrites `bottom[0].diff` with the sum of the levels' pooling gradients.
///
/// - Throws: `CaffeError.invalidParameter` for `pyramid_height` 0 or a bottom too small for it (a
///   level whose padding would not be smaller than its kernel); `CaffeError.invalidNet` for a
///   bottom without 4 axes or with an empty spatial axis.
public final class SPPLayer: Layer {
  override public class var type: String { "SPP" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private let pyramidHeight: Int
  private let method: PoolingParameter.PoolMethod
  /// The (H, W) the pooling layers were built for.
  private var builtFor: (height: Int, width: Int)?
  private var poolings: [PoolingLayer] = []
  private var split: SplitLayer?
  private var flattens: [FlattenLayer] = []
  private var concat: ConcatLayer?
  /// The split's tops: one view of the bottom per level, each with its own diff.
  private var levelInputs: [Blob] = []
  /// Each level's pooled output, (N, C, h, w).
  private var levelOutputs: [Blob] = []
  /// Each level's output flattened to (N, C·h·w).
  private var levelFlats: [Blob] = []

  /// Reads `spp_param`.
  /// - Throws: `CaffeError.invalidParameter` for `pyramid_height` 0.
  public required init(_ param: LayerParameter) throws {
    let spp = param.sppParam
    pyramidHeight = Int(spp.pyramidHeight)
    switch spp.pool {
    case .max: method = .max
    case .ave: method = .ave
    case .stochastic: method = .stochastic
    }
    try super.init(param)
    guard pyramidHeight > 0 else {
      throw invalid("pyramid_height", "must be at least 1 (the number of pyramid levels)")
    }
  }

  /// Builds the inner layers for the current bottom size (again whenever H or W changes, as
  /// Caffe does) and shapes the top.
  /// - Throws: `CaffeError.invalidNet` for a bottom without 4 axes or an empty spatial axis;
  ///   `CaffeError.invalidParameter` for a bottom too small for the pyramid.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    guard input.numAxes == 4 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (SPP): bottom \"\(bottomName(0))\" has shape \(input.shape); "
          + "SPP needs 4 axes (N, C, H, W)")
    }
    guard input.height > 0, input.width > 0 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (SPP): bottom \"\(bottomName(0))\" has shape \(input.shape); "
          + "its height and width must be positive")
    }
    let rebuild = builtFor?.height != input.height || builtFor?.width != input.width
    if rebuild {
      try build(height: input.height, width: input.width)
      builtFor = (input.height, input.width)
    }
    for stage in stages(bottom: bottom, top: top) {
      if rebuild {
        try stage.layer.setUp(bottom: stage.bottom, top: stage.top)
      } else {
        try stage.layer.reshape(bottom: stage.bottom, top: stage.top)
      }
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    for stage in stages(bottom: bottom, top: top) {
      try stage.layer.forward(bottom: stage.bottom, top: stage.top)
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    for stage in stages(bottom: bottom, top: top).reversed() {
      let all = Array(repeating: true, count: stage.bottom.count)
      try stage.layer.backward(top: stage.top, propagateDown: all, bottom: stage.bottom)
    }
  }

  // MARK: - Inner layers

  /// Creates the pooling layers for an H × W bottom, and the split, flatten and concat layers
  /// around them (none with a single level).
  private func build(height: Int, width: Int) throws {
    poolings = try (0..<pyramidHeight).map { level in
      try PoolingLayer(poolingParameter(level: level, height: height, width: width))
    }
    guard pyramidHeight > 1 else { return }
    if split == nil {
      split = try SplitLayer(innerParameter("split", type: SplitLayer.type))
      concat = try ConcatLayer(innerParameter("concat", type: ConcatLayer.type))
      flattens = try (0..<pyramidHeight).map { level in
        try FlattenLayer(innerParameter("flatten\(level)", type: FlattenLayer.type))
      }
      levelInputs = (0..<pyramidHeight).map { _ in Blob() }
      levelOutputs = (0..<pyramidHeight).map { _ in Blob() }
      levelFlats = (0..<pyramidHeight).map { _ in Blob() }
    }
  }

  /// The Pooling definition of one pyramid level (Caffe's `GetPoolingParam`).
  /// - Throws: `CaffeError.invalidParameter` if the level's padding is not smaller than its
  ///   kernel (the bottom is too small for the pyramid).
  private func poolingParameter(level: Int, height: Int, width: Int) throws -> LayerParameter {
    let bins = 1 << level
    let (kernelH, padH) = Self.window(size: height, bins: bins)
    let (kernelW, padW) = Self.window(size: width, bins: bins)
    guard padH < kernelH, padW < kernelW else {
      throw invalid(
        "pyramid_height",
        "level \(level) splits the \(height)×\(width) bottom \"\(bottomName(0))\" into "
          + "\(bins)×\(bins) bins with kernel \(kernelH)×\(kernelW) and padding \(padH)×\(padW); "
          + "the padding must be smaller than the kernel, so use a larger bottom or a lower "
          + "pyramid_height")
    }
    var definition = innerParameter("pool\(level)", type: PoolingLayer.type)
    definition.poolingParam.pool = method
    definition.poolingParam.kernelH = UInt32(kernelH)
    definition.poolingParam.kernelW = UInt32(kernelW)
    definition.poolingParam.strideH = UInt32(kernelH)
    definition.poolingParam.strideW = UInt32(kernelW)
    definition.poolingParam.padH = UInt32(padH)
    definition.poolingParam.padW = UInt32(padW)
    return definition
  }

  /// The kernel (= stride) and padding that cover `size` pixels with `bins` windows.
  static func window(size: Int, bins: Int) -> (kernel: Int, pad: Int) {
    let kernel = (size + bins - 1) / bins
    // Caffe pads half the shortfall on each side, rounding up.
    return (kernel, (kernel * bins - size + 1) / 2)
  }

  /// The inner layers in forward order, each with its bottoms and tops: split, then per level
  /// pooling and flatten, then concat; or the single pooling layer.
  private func stages(bottom: [Blob], top: [Blob]) -> [(layer: Layer, bottom: [Blob], top: [Blob])]
  {
    guard let split, let concat else { return poolings.prefix(1).map { ($0, bottom, top) } }
    var stages: [(layer: Layer, bottom: [Blob], top: [Blob])] = [(split, bottom, levelInputs)]
    for level in 0..<pyramidHeight {
      stages.append((poolings[level], [levelInputs[level]], [levelOutputs[level]]))
      stages.append((flattens[level], [levelOutputs[level]], [levelFlats[level]]))
    }
    stages.append((concat, levelFlats, top))
    return stages
  }

  /// A definition for an inner layer, named after this one, in this layer's phase.
  private func innerParameter(_ suffix: String, type: String) -> LayerParameter {
    var definition = LayerParameter()
    definition.name = "\(name)/\(suffix)"
    definition.type = type
    definition.phase = phase
    return definition
  }
}
