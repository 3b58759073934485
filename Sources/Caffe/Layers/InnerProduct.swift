// InnerProduct layer: a fully connected layer, y = x·Wᵀ + b.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "InnerProduct": `y = x · Wᵀ + b` on the bottom flattened from `axis` on (Caffe's
/// `InnerProductLayer`).
///
/// The axes before `axis` are M independent rows; the axes from `axis` on are flattened into K
/// inputs per row.
///
/// Parameters (`inner_product_param`):
/// - `num_output` (required, > 0): O, outputs per row.
/// - `bias_term` (default true), `weight_filler` and `bias_filler` (default constant 0).
/// - `axis` (default 1; negative counts from the end).
/// - `transpose` (default false): store the weight as (K, O) instead of (O, K).
///
/// - bottom[0]: (M…, K…), e.g. (N, C, H, W) with M = N and K = C·H·W.
/// - top[0]: (M…, O).
/// - blobs: weight (O, K) — or (K, O) with `transpose` —, bias (O).
///
/// Backward overwrites `bottom[0].diff` and accumulates into the weight and bias diffs.
///
/// - Throws: `CaffeError.invalidParameter` for a zero `num_output`, an out-of-range `axis` or
///   stored blobs in the wrong number; `CaffeError.shapeMismatch` when K differs from setup or a
///   stored blob has the wrong size.
public final class InnerProductLayer: Layer {
  override public class var type: String { "InnerProduct" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private let numOutput: Int
  private let biasTerm: Bool
  private let transpose: Bool
  /// K: inputs per row, fixed at setup.
  private var inputCount = 0
  /// M: rows of the current bottom.
  private var rows = 0
  /// (M) ones, to add and sum the bias over rows with BLAS.
  private let biasMultiplier = Blob()

  /// Reads `inner_product_param`.
  /// - Throws: `CaffeError.invalidParameter` if `num_output` is 0.
  public required init(_ param: LayerParameter) throws {
    let ip = param.innerProductParam
    numOutput = Int(ip.numOutput)
    biasTerm = ip.biasTerm
    transpose = ip.transpose
    try super.init(param)
    guard numOutput > 0 else { throw invalid("num_output", "must be positive, got 0") }
  }

  /// Fixes K from the bottom and creates (or checks) the weights.
  /// - Throws: `CaffeError.invalidParameter` for a bad `axis` or filler, or stored blobs in the
  ///   wrong number; `CaffeError.shapeMismatch` for stored blobs of the wrong size.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let ip = param.innerProductParam
    let axis = try axisIndex(Int(ip.axis), of: bottom[0], field: "axis")
    inputCount = bottom[0].count(from: axis)
    try setUpParameterBlobs(
      weightShape: transpose ? [inputCount, numOutput] : [numOutput, inputCount],
      biasShape: biasTerm ? [numOutput] : nil, weightFiller: ip.weightFiller,
      biasFiller: ip.biasFiller, exactShape: false)
  }

  /// Shapes the top (M…, O).
  /// - Throws: `CaffeError.shapeMismatch` if the bottom no longer has K inputs per row.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let axis = try axisIndex(Int(param.innerProductParam.axis), of: input, field: "axis")
    guard input.count(from: axis) == inputCount else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(0),
        expected: Array(input.shape[..<axis]) + [inputCount], actual: input.shape)
    }
    rows = input.count(from: 0, to: axis)
    try top[0].reshape(Array(input.shape[..<axis]) + [numOutput])
    if biasTerm && biasMultiplier.count != rows {
      try biasMultiplier.reshape([rows])
      Elementwise.set(count: rows, value: 1, into: biasMultiplier.data)
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    // x (M, K) · op(W) (K, O) → y (M, O).
    BLAS.gemm(
      transA: false, transB: !transpose, m: rows, n: numOutput, k: inputCount, alpha: 1,
      a: bottom[0].data, b: blobs[0].data, beta: 0, c: top[0].data)
    if biasTerm {
      // ones (M, 1) · b (1, O) added to y.
      BLAS.gemm(
        transA: false, transB: false, m: rows, n: numOutput, k: 1, alpha: 1,
        a: biasMultiplier.data, b: blobs[1].data, beta: 1, c: top[0].data)
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let topDiff = top[0].diff
    if propagatesToParameter(0) {
      // dW (O, K) += dyᵀ (O, M) · x (M, K); transposed storage: dW (K, O) += xᵀ · dy.
      if transpose {
        BLAS.gemm(
          transA: true, transB: false, m: inputCount, n: numOutput, k: rows, alpha: 1,
          a: bottom[0].data, b: topDiff, beta: 1, c: blobs[0].diff)
      } else {
        BLAS.gemm(
          transA: true, transB: false, m: numOutput, n: inputCount, k: rows, alpha: 1,
          a: topDiff, b: bottom[0].data, beta: 1, c: blobs[0].diff)
      }
    }
    if biasTerm && propagatesToParameter(1) {
      // db (O) += dyᵀ (O, M) · ones (M).
      BLAS.gemv(
        transA: true, m: rows, n: numOutput, alpha: 1, a: topDiff, x: biasMultiplier.data,
        beta: 1, y: blobs[1].diff)
    }
    if propagateDown[0] {
      // dx (M, K) = dy (M, O) · op(W) (O, K).
      BLAS.gemm(
        transA: false, transB: transpose, m: rows, n: inputCount, k: numOutput, alpha: 1,
        a: topDiff, b: blobs[0].data, beta: 0, c: bottom[0].diff)
    }
  }
}
