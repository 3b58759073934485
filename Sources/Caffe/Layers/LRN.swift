// LRN layer: local response normalisation across channels or within each channel.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "LRN", local response normalisation: `y = x · s^−β` (Caffe's `LRNLayer`).
///
/// `s` is a scaled sum of squares over a window around each element (Krizhevsky, Sutskever and
/// Hinton 2012):
///
/// - ACROSS_CHANNELS: `s = k + α/n · Σ x²` over the n channels centred on the element's own
///   (clipped at the first and last channel).
/// - WITHIN_CHANNEL: `s = 1 + α/n² · Σ x²` over the n × n square centred on the element in its
///   own channel (clipped at the borders; the divisor stays n², as Caffe's zero-padded average
///   pooling gives). `k` is not used. Caffe builds this mode from Split, Power, Pooling and
///   Eltwise layers; it is computed directly here, with the same formula.
///
/// Parameters (`lrn_param`):
/// - `local_size` (default 5): n, odd.
/// - `alpha` (default 1), `beta` (default 0.75), `k` (default 1).
/// - `norm_region` (default ACROSS_CHANNELS) or WITHIN_CHANNEL.
/// - `engine` is accepted and ignored.
///
/// - bottom[0]: (N, C, H, W), exactly 4 axes.
/// - top[0]: (N, C, H, W); it cannot be the bottom (backward needs both x and y).
///
/// Backward overwrites `bottom[0].diff` with
/// `dy · s^−β − (2αβ/n′) · x · Σ_window(dy · y / s)`, where n′ = n (across) or n² (within).
///
/// - Throws: `CaffeError.invalidParameter` for an even `local_size`; `CaffeError.invalidNet` for a
///   bottom without 4 axes or a top that is the bottom.
public final class LRNLayer: Layer {
  override public class var type: String { "LRN" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private let size: Int
  private let alpha: Float
  private let beta: Float
  private let withinChannel: Bool
  /// The constant term of `s`: `k` across channels, 1 within.
  private let offset: Float
  /// The number of elements in a full window: n across channels, n² within.
  private let windowCount: Float
  /// s, (N, C, H, W), kept for backward.
  private let scale = Blob()
  /// Scratch, (N, C, H, W): the squares in forward, `dy · y / s` in backward.
  private let work = Blob()
  /// Scratch for the row pass of the within-channel window, (N, C, H, W); empty across channels.
  private let rowSums = Blob()
  private var shape: [Int] = []

  /// Reads `lrn_param`.
  /// - Throws: `CaffeError.invalidParameter` if `local_size` is even.
  public required init(_ param: LayerParameter) throws {
    let lrn = param.lrnParam
    size = Int(lrn.localSize)
    alpha = lrn.alpha
    beta = lrn.beta
    withinChannel = lrn.normRegion == .withinChannel
    offset = withinChannel ? 1 : lrn.k
    windowCount = Float(withinChannel ? size * size : size)
    try super.init(param)
    guard size % 2 == 1 else {
      throw invalid("lrn_param.local_size", "must be odd, got \(size)")
    }
  }

  /// Shapes the top and the buffers like the bottom.
  /// - Throws: `CaffeError.invalidNet` for a bottom without 4 axes or a top that is the bottom.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    guard input.numAxes == 4 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (LRN): bottom \"\(bottomName(0))\" must have 4 axes "
          + "(N, C, H, W); got shape \(input.shape)")
    }
    guard top[0] !== input else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (LRN) cannot run in place: give top \"\(topName(0))\" a "
          + "name other than its bottom's")
    }
    shape = input.shape
    try top[0].reshape(shape)
    try scale.reshape(shape)
    try work.reshape(shape)
    try rowSums.reshape(withinChannel ? shape : [0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let count = bottom[0].count
    let (x, y) = (bottom[0].data, top[0].data)
    Elementwise.sqr(count: count, x: x, into: work.data)
    windowSums(work.data, into: scale.data)
    BLAS.scale(count: count, alpha: alpha / windowCount, x: scale.data)
    Elementwise.addScalar(count: count, value: offset, into: scale.data)
    Elementwise.powx(count: count, x: scale.data, power: -beta, into: y)
    Elementwise.mul(count: count, a: y, b: x, into: y)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let count = bottom[0].count
    let (x, y, dy, dx) = (bottom[0].data, top[0].data, top[0].diff, bottom[0].diff)
    // dx ← x · Σ_window(dy · y / s)
    Elementwise.mul(count: count, a: dy, b: y, into: work.data)
    Elementwise.div(count: count, a: work.data, b: scale.data, into: work.data)
    windowSums(work.data, into: dx)
    Elementwise.mul(count: count, a: dx, b: x, into: dx)
    // dx ← dy · s^−β − (2αβ/n′) · dx
    Elementwise.powx(count: count, x: scale.data, power: -beta, into: work.data)
    Elementwise.mul(count: count, a: work.data, b: dy, into: work.data)
    BLAS.axpby(count: count, alpha: 1, x: work.data, beta: -2 * alpha * beta / windowCount, y: dx)
  }

  /// Sums `source` over each element's window: along C, or along W then H.
  /// - Parameters:
  ///   - source: (N, C, H, W).
  ///   - target: (N, C, H, W); overwritten; must differ from `source` and ``rowSums``.
  private func windowSums(
    _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>
  ) {
    let (num, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    let radius = (size - 1) / 2
    if withinChannel {
      NormalizationKernels.windowSum(
        source, outer: num * channels * height, length: width, inner: 1, radius: radius,
        into: rowSums.data)
      NormalizationKernels.windowSum(
        rowSums.data, outer: num * channels, length: height, inner: width, radius: radius,
        into: target)
    } else {
      NormalizationKernels.windowSum(
        source, outer: num, length: channels, inner: height * width, radius: radius, into: target)
    }
  }
}
