// Normalisation layers: BatchNorm (per-channel statistics over the mini-batch) and MVN (mean and
// variance normalisation per sample).

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "BatchNorm": `y = (x − μ[c]) / √(σ²[c] + eps)` per channel (Caffe's `BatchNormLayer`).
///
/// After Ioffe and Szegedy (2015), without the learnt γ and β: follow it with a Scale layer with
/// `bias_term` for those.
///
/// With `use_global_stats` false, μ and σ² are the mean and (biased) variance of the current
/// mini-batch over N and the spatial axes, and each forward updates the moving sums:
/// `s ← λ·s + 1`, `blobs[0] ← λ·blobs[0] + μ`, `blobs[1] ← λ·blobs[1] + m/(m−1)·σ²`, with
/// m = N·H·W. With `use_global_stats` true, μ = blobs[0]/s and σ² = blobs[1]/s (0 when s = 0).
///
/// Parameters (`batch_norm_param`):
/// - `use_global_stats` (default: true in the TEST phase, false in TRAIN).
/// - `moving_average_fraction` (default 0.999): λ.
/// - `eps` (default 1e-5).
///
/// - bottom[0]: (N, C, …), or (N) for one channel.
/// - top[0]: the bottom's shape; may be the bottom (in place).
/// - blobs: mean sum (C), variance sum (C), scale factor s (1); zero when created.
///
/// The three blobs are statistics, not parameters: as Caffe does, the layer gives any missing
/// `param` spec `lr_mult: 0`, so the solver leaves them alone, and rejects a spec with another
/// `lr_mult`. Backward writes no diff for them; it overwrites `bottom[0].diff` with
/// `(dy − mean(dy) − y · mean(dy · y)) / √(σ² + eps)`, or `dy / √(σ² + eps)` with global
/// statistics. It uses its own copy of y, so a later in-place layer may change the top.
///
/// - Throws: `CaffeError.invalidParameter` for a `param` spec with a non-zero `lr_mult` or stored
///   blobs in the wrong number; `CaffeError.shapeMismatch` for a bottom whose channel count
///   changed or stored blobs of the wrong size; `CaffeError.invalidNet` for a bottom with no axes.
public final class BatchNormLayer: Layer {
  override public class var type: String { "BatchNorm" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private let movingAverageFraction: Float
  private let eps: Float
  /// Whether forward uses the stored statistics (set at setup from the phase and the parameter).
  public private(set) var useGlobalStats = false
  /// The index of the first `param` spec whose `lr_mult` is not 0, if any.
  private let learnableSpec: Int?
  private var channels = 0
  private var num = 0
  private var spatial = 0
  /// μ, σ², √(σ² + eps), (C) each.
  private let mean = Blob()
  private let variance = Blob()
  private let std = Blob()
  /// mean(dy) and mean(dy · y) per channel, (C) each.
  private let meanDiff = Blob()
  private let meanDiffProjection = Blob()
  /// y, kept for backward.
  private let normalized = Blob()

  /// Reads `batch_norm_param` and gives the statistics blobs `lr_mult: 0`.
  /// - Throws: `CaffeError.invalidParameter` for a `param` spec with a non-zero `lr_mult`.
  public required init(_ param: LayerParameter) throws {
    let bn = param.batchNormParam
    movingAverageFraction = bn.movingAverageFraction
    eps = bn.eps
    var adjusted = param
    let statistics = param.blobs.isEmpty ? 3 : param.blobs.count
    while adjusted.param.count < statistics {
      var spec = ParamSpec()
      spec.lrMult = 0
      adjusted.param.append(spec)
    }
    learnableSpec = param.param.firstIndex { $0.lrMult != 0 }
    try super.init(adjusted)
    if let index = learnableSpec {
      throw invalid(
        "param",
        "spec \(index) has lr_mult \(param.param[index].lrMult); batch normalization statistics "
          + "cannot be learnt, so lr_mult must be 0 (or the spec left out)")
    }
  }

  /// Decides between batch and global statistics and creates (or checks) the three blobs.
  /// - Throws: `CaffeError.invalidNet` for a bottom with no axes;
  ///   `CaffeError.invalidParameter` or `CaffeError.shapeMismatch` for stored blobs.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let bn = param.batchNormParam
    useGlobalStats = bn.hasUseGlobalStats ? bn.useGlobalStats : phase == .test
    let input = bottom[0]
    guard input.numAxes >= 1 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (BatchNorm): bottom \"\(bottomName(0))\" has no axes; it "
          + "needs at least (N)")
    }
    channels = input.numAxes == 1 ? 1 : input.shape[1]
    let shapes = [[channels], [channels], [1]]
    let names = ["mean", "variance", "scale factor"]
    if blobs.isEmpty {
      blobs = try shapes.map { try Blob(shape: $0) }
    } else {
      guard blobs.count == 3 else {
        throw invalid(
          "blobs",
          "the definition carries \(blobs.count) blobs; BatchNorm needs 3 (mean, variance, "
            + "scale factor)")
      }
      for (index, blob) in blobs.enumerated() where blob.count != shapes[index][0] {
        throw CaffeError.shapeMismatch(
          layer: name, blob: names[index], expected: shapes[index], actual: blob.shape)
      }
    }
    paramPropagateDown = [false, false, false]
  }

  /// Shapes the top and the buffers.
  /// - Throws: `CaffeError.shapeMismatch` if the channel count differs from setup.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let given = input.numAxes == 1 ? 1 : input.shape[1]
    guard input.numAxes >= 1, given == channels else {
      var expected = input.shape
      if expected.count > 1 { expected[1] = channels }
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(0), expected: expected, actual: input.shape)
    }
    num = input.shape[0]
    spatial = num * channels > 0 ? input.count / (num * channels) : 0
    try top[0].reshape(input.shape)
    try normalized.reshape(input.shape)
    for blob in [mean, variance, std, meanDiff, meanDiffProjection] {
      try blob.reshape([channels])
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (x, y) = (bottom[0].data, top[0].data)
    if useGlobalStats {
      let factor = blobs[2].data[0]
      let inverse: Float = factor == 0 ? 0 : 1 / factor
      Elementwise.scale(count: channels, alpha: inverse, x: blobs[0].data, into: mean.data)
      Elementwise.scale(count: channels, alpha: inverse, x: blobs[1].data, into: variance.data)
    } else {
      computeBatchStatistics(x)
      updateMovingAverages()
    }
    Elementwise.copy(count: channels, from: variance.data, into: std.data)
    Elementwise.addScalar(count: channels, value: eps, into: std.data)
    Elementwise.sqrt(count: channels, x: std.data, into: std.data)
    NormalizationKernels.normalize(
      x, mean: mean.data, std: std.data, outer: num, channels: channels, inner: spatial,
      into: y)
    Elementwise.copy(count: normalized.count, from: y, into: normalized.data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let (dy, dx, y) = (top[0].diff, bottom[0].diff, normalized.data)
    guard !useGlobalStats else {
      NormalizationKernels.normalizeBackward(
        y: y, dy: dy, meanDy: nil, meanDyY: nil, std: std.data, outer: num, channels: channels,
        inner: spatial, into: dx)
      return
    }
    let inverseCount = 1 / Float(num * spatial)
    Elementwise.set(count: channels, value: 0, into: meanDiff.data)
    Elementwise.set(count: channels, value: 0, into: meanDiffProjection.data)
    NormalizationKernels.channelSums(
      dy, outer: num, channels: channels, inner: spatial, accumulatingInto: meanDiff.data)
    NormalizationKernels.channelDotSums(
      dy, y, outer: num, channels: channels, inner: spatial,
      accumulatingInto: meanDiffProjection.data)
    BLAS.scale(count: channels, alpha: inverseCount, x: meanDiff.data)
    BLAS.scale(count: channels, alpha: inverseCount, x: meanDiffProjection.data)
    NormalizationKernels.normalizeBackward(
      y: y, dy: dy, meanDy: meanDiff.data, meanDyY: meanDiffProjection.data, std: std.data,
      outer: num, channels: channels, inner: spatial, into: dx)
  }

  /// μ and the biased σ² of the mini-batch, per channel (two passes).
  private func computeBatchStatistics(_ x: UnsafePointer<Float>) {
    let inverseCount = 1 / Float(num * spatial)
    Elementwise.set(count: channels, value: 0, into: mean.data)
    NormalizationKernels.channelSums(
      x, outer: num, channels: channels, inner: spatial, accumulatingInto: mean.data)
    BLAS.scale(count: channels, alpha: inverseCount, x: mean.data)
    Elementwise.set(count: channels, value: 0, into: variance.data)
    NormalizationKernels.channelSquaredDeviationSums(
      x, mean: mean.data, outer: num, channels: channels, inner: spatial,
      accumulatingInto: variance.data)
    BLAS.scale(count: channels, alpha: inverseCount, x: variance.data)
  }

  /// Folds this batch's μ and σ² (with Bessel's m/(m−1) correction) into the moving sums.
  private func updateMovingAverages() {
    let fraction = movingAverageFraction
    blobs[2].data[0] = blobs[2].data[0] * fraction + 1
    BLAS.axpby(count: channels, alpha: 1, x: mean.data, beta: fraction, y: blobs[0].data)
    let m = num * spatial
    let correction: Float = m > 1 ? Float(m) / Float(m - 1) : 1
    BLAS.axpby(
      count: channels, alpha: correction, x: variance.data, beta: fraction, y: blobs[1].data)
  }
}

// MARK: - MVN

/// "MVN", mean-variance normalisation: `y = (x − μ) / (σ + eps)` (Caffe's `MVNLayer`).
///
/// μ and σ (the population standard deviation) are taken over each sample's channel, or over
/// each whole sample. Note where eps goes: it is added to σ, not to σ².
///
/// Parameters (`mvn_param`):
/// - `normalize_variance` (default true): without it, `y = x − μ`.
/// - `across_channels` (default false): statistics over (C, H, W) per sample instead of over
///   (H, W) per sample and channel.
/// - `eps` (default 1e-9).
///
/// - bottom[0]: (N, C, H, W), at most 4 axes (missing trailing axes count as 1).
/// - top[0]: (N, C, H, W), always 4 axes, as Caffe gives it; may be the bottom (in place).
///
/// Backward overwrites `bottom[0].diff` with `(dy − mean(dy) − y · mean(dy · y)) / (σ + eps)`
/// (Caffe's formula, exact for eps = 0), or `dy − mean(dy)` without `normalize_variance`. It uses
/// its own copy of y, so in-place use and later in-place layers are safe.
///
/// - Throws: `CaffeError.invalidNet` for a bottom with more than 4 axes.
public final class MVNLayer: Layer {
  override public class var type: String { "MVN" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private var normalizeVariance: Bool { param.mvnParam.normalizeVariance }
  private var acrossChannels: Bool { param.mvnParam.acrossChannels }
  private var eps: Float { param.mvnParam.eps }
  /// The number of normalised groups: N, or N·C.
  private var rows = 0
  /// The elements per group.
  private var dim = 0
  /// μ, σ + eps, (rows) each.
  private let mean = Blob()
  private let std = Blob()
  /// mean(dy) and mean(dy · y) per group, (rows) each.
  private let meanDiff = Blob()
  private let meanDiffProjection = Blob()
  /// y, kept for backward.
  private let normalized = Blob()

  /// Shapes the top (N, C, H, W) and the per-group buffers.
  /// - Throws: `CaffeError.invalidNet` for a bottom with more than 4 axes.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    guard input.numAxes <= 4 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (MVN): bottom \"\(bottomName(0))\" has \(input.numAxes) "
          + "axes (shape \(input.shape)); MVN takes at most 4 (N, C, H, W)")
    }
    let legacy = [input.num, input.channels, input.height, input.width]
    rows = acrossChannels ? legacy[0] : legacy[0] * legacy[1]
    dim = rows > 0 ? input.count / rows : 0
    try top[0].reshape(legacy)
    try normalized.reshape(legacy)
    for blob in [mean, std, meanDiff, meanDiffProjection] { try blob.reshape([rows]) }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (x, y) = (bottom[0].data, top[0].data)
    let inverseDim = 1 / Float(dim)
    Elementwise.set(count: rows, value: 0, into: mean.data)
    NormalizationKernels.channelSums(
      x, outer: 1, channels: rows, inner: dim, accumulatingInto: mean.data)
    BLAS.scale(count: rows, alpha: inverseDim, x: mean.data)
    if normalizeVariance {
      Elementwise.set(count: rows, value: 0, into: std.data)
      NormalizationKernels.channelSquaredDeviationSums(
        x, mean: mean.data, outer: 1, channels: rows, inner: dim, accumulatingInto: std.data)
      BLAS.scale(count: rows, alpha: inverseDim, x: std.data)
      Elementwise.sqrt(count: rows, x: std.data, into: std.data)
      Elementwise.addScalar(count: rows, value: eps, into: std.data)
    }
    NormalizationKernels.normalize(
      x, mean: mean.data, std: normalizeVariance ? std.data : nil, outer: 1, channels: rows,
      inner: dim, into: y)
    Elementwise.copy(count: normalized.count, from: y, into: normalized.data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let (dy, dx, y) = (top[0].diff, bottom[0].diff, normalized.data)
    let inverseDim = 1 / Float(dim)
    Elementwise.set(count: rows, value: 0, into: meanDiff.data)
    NormalizationKernels.channelSums(
      dy, outer: 1, channels: rows, inner: dim, accumulatingInto: meanDiff.data)
    BLAS.scale(count: rows, alpha: inverseDim, x: meanDiff.data)
    if normalizeVariance {
      Elementwise.set(count: rows, value: 0, into: meanDiffProjection.data)
      NormalizationKernels.channelDotSums(
        dy, y, outer: 1, channels: rows, inner: dim, accumulatingInto: meanDiffProjection.data)
      BLAS.scale(count: rows, alpha: inverseDim, x: meanDiffProjection.data)
    }
    NormalizationKernels.normalizeBackward(
      y: y, dy: dy, meanDy: meanDiff.data,
      meanDyY: normalizeVariance ? meanDiffProjection.data : nil,
      std: normalizeVariance ? std.data : nil, outer: 1, channels: rows, inner: dim, into: dx)
  }
}
