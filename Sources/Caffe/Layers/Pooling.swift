// Pooling layer: max, average and stochastic pooling over the spatial axes of (N, C, H, W) blobs.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Pooling": the maximum, the mean or a sample of each kH × kW window of every channel (Caffe's
/// `PoolingLayer`).
///
/// Output size per axis, with `round_mode` CEIL (Caffe's default):
/// `⌈(in + 2·pad − kernel) / stride⌉ + 1`, less one if the last window would start in the padding
/// (only when there is padding); with FLOOR `⌊…⌋ + 1`. With CEIL the last window may run past the
/// padded bottom (a 2×2 window over a 1×1 bottom gives one window); it is clipped. MAX ignores the
/// padding; AVE divides by the window clipped to the padded bottom, so padding counts as zeros but
/// the part beyond it does not.
///
/// STOCHASTIC (Zeiler & Fergus, 2013; GPU-only in Caffe, here on the CPU with Caffe's GPU
/// semantics) expects non-negative inputs. In TRAIN it samples one pixel per window with
/// probability proportional to its value, drawing from ``Runtime``'s generator; in TEST it outputs
/// `Σx² / Σx` over the window (0 where `Σx ≤ 0`).
///
/// Parameters (`pooling_param`):
/// - `pool` (default MAX): MAX, AVE or STOCHASTIC.
/// - `kernel_size`, or both `kernel_h` and `kernel_w`; none with `global_pooling`.
/// - `stride` (default 1) or `stride_h` + `stride_w`; `pad` (default 0) or `pad_h` + `pad_w`,
///   smaller than the kernel, and only for MAX and AVE.
/// - `global_pooling` (default false): the window is the whole H × W plane (pad 0, stride 1).
/// - `round_mode` (default CEIL), `engine` (accepted, ignored).
///
/// - bottom[0]: (N, C, H, W).
/// - top[0]: (N, C, H_out, W_out).
/// - top[1] (MAX only, optional): (N, C, H_out, W_out), the flat index `y·W + x` of each window's
///   maximum within its plane.
///
/// Backward overwrites `bottom[0].diff`: MAX routes each top diff to its maximum, AVE spreads it
/// evenly over the window, STOCHASTIC routes it to the pixel the last TRAIN forward sampled (in
/// TEST nothing is sampled and the diff is zero, as Caffe has no TEST gradient either);
/// overlapping windows add up.
///
/// - Throws: `CaffeError.invalidParameter` for the rules above, a kernel so much larger than the
///   padded bottom that no window is left, or (without padding, with a stride larger than the
///   kernel) a last window that starts past the bottom; `CaffeError.invalidNet` for a bottom
///   without 4 axes.
public final class PoolingLayer: Layer {
  override public class var type: String { "Pooling" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .range(1...2) }

  private let method: PoolingParameter.PoolMethod
  private let globalPooling: Bool
  private let roundMode: PoolingParameter.RoundMode
  private var kernelH: Int
  private var kernelW: Int
  private let padH: Int
  private let padW: Int
  private let strideH: Int
  private let strideW: Int
  private var geometry: PoolingGeometry?
  /// The arg-max (MAX without top[1]) or the sampled pixel (STOCHASTIC) of each window:
  /// (N, C, H_out, W_out), flat indices `y·W + x` in their plane, −1 where nothing was sampled.
  private var mask: [Int32] = []
  /// STOCHASTIC in TRAIN: one uniform draw in [0, 1) per window, (N, C, H_out, W_out).
  private var uniforms: [Float] = []

  /// Reads and checks `pooling_param`.
  /// - Throws: `CaffeError.invalidParameter` for conflicting or missing kernel/pad/stride fields,
  ///   a zero kernel or stride, padding not smaller than the kernel or with STOCHASTIC pooling, or
  ///   global pooling with padding or a stride.
  public required init(_ param: LayerParameter) throws {
    let pooling = param.poolingParam
    method = pooling.pool
    globalPooling = pooling.globalPooling
    roundMode = pooling.roundMode
    kernelH = Int(pooling.hasKernelSize ? pooling.kernelSize : pooling.kernelH)
    kernelW = Int(pooling.hasKernelSize ? pooling.kernelSize : pooling.kernelW)
    padH = Int(pooling.hasPadH ? pooling.padH : pooling.pad)
    padW = Int(pooling.hasPadH ? pooling.padW : pooling.pad)
    strideH = Int(pooling.hasStrideH ? pooling.strideH : pooling.stride)
    strideW = Int(pooling.hasStrideH ? pooling.strideW : pooling.stride)
    try super.init(param)
    try checkWindowFields(pooling)
  }

  private func checkWindowFields(_ pooling: PoolingParameter) throws {
    let hasKernel = pooling.hasKernelSize || pooling.hasKernelH || pooling.hasKernelW
    if globalPooling {
      guard !hasKernel else {
        throw invalid(
          "kernel_size",
          "global_pooling takes the window from the bottom; give no kernel_size, "
            + "kernel_h or kernel_w")
      }
      guard padH == 0, padW == 0, strideH == 1, strideW == 1 else {
        throw invalid("global_pooling", "only pad 0 and stride 1 are allowed with it")
      }
    } else {
      let hasPair = pooling.hasKernelH && pooling.hasKernelW
      guard !(pooling.hasKernelSize && (pooling.hasKernelH || pooling.hasKernelW)) else {
        throw invalid("kernel_size", "give kernel_size or kernel_h and kernel_w, not both")
      }
      guard pooling.hasKernelSize || hasPair else {
        throw invalid("kernel_size", "give kernel_size, or both kernel_h and kernel_w")
      }
      guard kernelH > 0, kernelW > 0 else { throw invalid("kernel_size", "must be positive") }
    }
    try checkPair("pad", pooling.hasPad, pooling.hasPadH, pooling.hasPadW)
    try checkPair("stride", pooling.hasStride, pooling.hasStrideH, pooling.hasStrideW)
    guard strideH > 0, strideW > 0 else { throw invalid("stride", "must be positive") }
    guard padH == 0 && padW == 0 || method != .stochastic else {
      throw invalid("pad", "padding is implemented only for MAX and AVE pooling, not STOCHASTIC")
    }
    if !globalPooling && (padH >= kernelH || padW >= kernelW) {
      throw invalid(
        "pad", "padding \(padH)×\(padW) must be smaller than the kernel \(kernelH)×\(kernelW)")
    }
  }

  /// Checks that a field is given alone or as a complete `_h`/`_w` pair.
  private func checkPair(_ field: String, _ single: Bool, _ h: Bool, _ w: Bool) throws {
    guard (!single && h && w) || (!h && !w) else {
      throw invalid(field, "give \(field), or both \(field)_h and \(field)_w, not a mix")
    }
  }

  /// Checks that only MAX pooling has a second top.
  /// - Throws: `CaffeError.blobCount` for two tops with AVE pooling.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    guard top.count == 1 || method == .max else {
      throw CaffeError.blobCount(
        layer: name, type: typeName, side: "top", expected: "exactly 1 (only MAX has a mask top)",
        actual: top.count)
    }
  }

  /// Computes the pooled size and shapes the tops.
  /// - Throws: `CaffeError.invalidNet` for a bottom without 4 axes; `CaffeError.invalidParameter`
  ///   if no window is left or the last window starts past the bottom.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    guard input.numAxes == 4 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (Pooling): bottom \"\(bottomName(0))\" has shape "
          + "\(input.shape); pooling needs 4 axes (N, C, H, W)")
    }
    if globalPooling {
      kernelH = input.height
      kernelW = input.width
    }
    let pooledH = try pooledSize(input.height, kernelH, padH, strideH, axis: "height")
    let pooledW = try pooledSize(input.width, kernelW, padW, strideW, axis: "width")
    let g = PoolingGeometry(
      planes: input.num * input.channels, height: input.height, width: input.width,
      kernelH: kernelH, kernelW: kernelW, padH: padH, padW: padW, strideH: strideH,
      strideW: strideW, pooledHeight: pooledH, pooledWidth: pooledW)
    geometry = g
    let shape = [input.num, input.channels, pooledH, pooledW]
    for blob in top { try blob.reshape(shape) }
    let count = g.planes * g.pooledPlaneCount
    let needsMask = method == .stochastic || (method == .max && top.count == 1)
    if needsMask && mask.count != count { mask = Array(repeating: -1, count: count) }
  }

  /// Caffe's pooled size along one axis.
  private func pooledSize(_ size: Int, _ kernel: Int, _ pad: Int, _ stride: Int, axis: String)
    throws -> Int
  {
    // The span is negative when the window is larger than the padded bottom; Caffe still rounds
    // it (toward +∞ or −∞), so a 2-pixel window over 1 pixel gives ⌈−1/2⌉ + 1 = 1 window.
    let span = size + 2 * pad - kernel
    let quotient = span.quotientAndRemainder(dividingBy: stride)
    let roundsDown = quotient.remainder < 0
    let roundsUp = quotient.remainder > 0
    var pooled = quotient.quotient + 1
    if roundMode == .floor && roundsDown { pooled -= 1 }
    if roundMode != .floor && roundsUp { pooled += 1 }
    // Caffe drops a last window that would start in the padding, but only when padding is set.
    if (padH != 0 || padW != 0) && (pooled - 1) * stride >= size + pad { pooled -= 1 }
    guard pooled > 0 else {
      throw invalid(
        "kernel_size",
        "the \(kernel)-pixel window leaves no window over the padded bottom \(axis) "
          + "\(size + 2 * pad) of \"\(bottomName(0))\"")
    }
    // Only possible without padding and with a stride larger than the kernel. Caffe would pool
    // an empty window there (MAX gives -FLT_MAX and its backward writes outside the plane).
    guard (pooled - 1) * stride - pad < size else {
      throw invalid(
        "stride",
        "the last \(axis) window starts at \((pooled - 1) * stride - pad), past the "
          + "\(size)-pixel bottom \"\(bottomName(0))\"; use a stride no larger than the kernel "
          + "or round_mode FLOOR")
    }
    return pooled
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let g = try currentGeometry()
    switch method {
    case .ave:
      PoolingKernels.aveForward(g, bottom: bottom[0].data, into: top[0].data)
    case .stochastic:
      stochasticForward(g, bottom: bottom[0], top: top[0])
    default:
      if top.count > 1 {
        PoolingKernels.maxForward(g, bottom: bottom[0].data, into: top[0].data, mask: top[1].data)
      } else {
        mask.withUnsafeMutableBufferPointer { buffer in
          guard let indices = buffer.baseAddress else { return }
          PoolingKernels.maxForward(g, bottom: bottom[0].data, into: top[0].data, mask: indices)
        }
      }
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let g = try currentGeometry()
    switch method {
    case .ave:
      PoolingKernels.aveBackward(g, topDiff: top[0].diff, into: bottom[0].diff)
    default:
      if method == .max && top.count > 1 {
        PoolingKernels.maxBackward(
          g, topDiff: top[0].diff, mask: top[1].data, into: bottom[0].diff)
      } else {
        mask.withUnsafeBufferPointer { buffer in
          guard let indices = buffer.baseAddress else { return }
          PoolingKernels.maxBackward(g, topDiff: top[0].diff, mask: indices, into: bottom[0].diff)
        }
      }
    }
  }

  /// STOCHASTIC forward: samples (TRAIN, recording the picks in ``mask``) or weights (TEST).
  private func stochasticForward(_ g: PoolingGeometry, bottom: Blob, top: Blob) {
    guard phase == .train else {
      PoolingKernels.stochasticForwardTest(g, bottom: bottom.data, into: top.data)
      return
    }
    if uniforms.count != top.count { uniforms = Array(repeating: 0, count: top.count) }
    uniforms.withUnsafeMutableBufferPointer { draws in
      mask.withUnsafeMutableBufferPointer { picks in
        guard let draws = draws.baseAddress, let picks = picks.baseAddress else { return }
        Runtime.withGenerator {
          Random.uniform(count: top.count, min: 0, max: 1, into: draws, using: &$0)
        }
        PoolingKernels.stochasticForwardTrain(
          g, bottom: bottom.data, uniforms: draws, into: top.data, mask: picks)
      }
    }
  }

  private func currentGeometry() throws -> PoolingGeometry {
    guard let geometry else {
      throw CaffeError.invalidNet(reason: "layer \"\(name)\" (Pooling) ran before setup")
    }
    return geometry
  }
}
