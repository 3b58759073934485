// Eltwise: element-wise product, weighted sum or maximum of several blobs of one shape.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Eltwise": combines bottoms of equal shape element by element (ResNet's shortcut sum, for
/// example).
///
/// - PROD: `y = Πᵢ xᵢ`.
/// - SUM: `y = Σᵢ cᵢ·xᵢ`, with `cᵢ` from `coeff` (default all 1).
/// - MAX: `y = maxᵢ xᵢ`; on ties the earliest bottom wins, except that bottom 1 wins a tie with
///   bottom 0 (Caffe's comparison order).
///
/// Parameters (`eltwise_param`): `operation` (default SUM); `coeff` (SUM only, none or one per
/// bottom); `stable_prod_grad` (default true): PROD's gradient as the product of the other
/// bottoms rather than `y / xᵢ`, which fails where `xᵢ` is 0.
///
/// - bottom[i]: any shape, the same for every bottom, e.g. (N, C, H, W).
/// - top[0]: that shape.
///
/// Backward overwrites `bottom[i].diff` where `propagateDown[i]`: PROD `∂y·Π_{j≠i} xⱼ`, SUM
/// `cᵢ·∂y`, MAX `∂y` where bottom `i` was the maximum and 0 elsewhere.
///
/// - Throws: `CaffeError.invalidParameter` for `coeff` with PROD or a `coeff` count other than
///   the bottoms'; `CaffeError.shapeMismatch` for bottoms of different shapes;
///   `CaffeError.invalidNet` for in-place use.
public final class EltwiseLayer: Layer {
  override public class var type: String { "Eltwise" }
  override public class var bottomCount: BlobCount { .atLeast(2) }
  override public class var topCount: BlobCount { .exactly(1) }

  private typealias Operation = EltwiseParameter.EltwiseOp

  private let operation: Operation
  private let stableProductGradient: Bool
  /// One coefficient per bottom (SUM).
  private var coefficients: [Float] = []
  /// (count) for MAX: which bottom held each maximum.
  private var maxIndex: [Int32] = []

  /// Reads `eltwise_param`.
  /// - Throws: `CaffeError.invalidParameter` for coefficients with PROD.
  public required init(_ param: LayerParameter) throws {
    let eltwise = param.eltwiseParam
    operation = eltwise.operation
    stableProductGradient = eltwise.stableProdGrad
    try super.init(param)
    guard eltwise.coeff.isEmpty || operation != .prod else {
      throw invalid("coeff", "only SUM takes coefficients; the operation is PROD")
    }
  }

  /// Fixes one coefficient per bottom.
  /// - Throws: `CaffeError.invalidParameter` for a `coeff` count other than the bottoms'.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let given = param.eltwiseParam.coeff
    guard given.isEmpty || given.count == bottom.count else {
      throw invalid(
        "coeff",
        "given \(given.count) times for \(bottom.count) bottoms; give one per bottom or none")
    }
    coefficients = given.isEmpty ? Array(repeating: 1, count: bottom.count) : given
  }

  /// Checks that the bottoms agree and shapes the top like them.
  /// - Throws: `CaffeError.shapeMismatch` naming the first bottom that differs;
  ///   `CaffeError.invalidNet` in place.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try refuseInPlace(bottom: bottom, top: top)
    for (index, blob) in bottom.enumerated().dropFirst() where blob.shape != bottom[0].shape {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(index), expected: bottom[0].shape, actual: blob.shape)
    }
    try top[0].reshape(like: bottom[0])
    if operation == .max && maxIndex.count != bottom[0].count {
      maxIndex = Array(repeating: -1, count: bottom[0].count)
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let count = top[0].count
    let output = top[0].data
    switch operation {
    case .prod:
      Elementwise.mul(count: count, a: bottom[0].data, b: bottom[1].data, into: output)
      for blob in bottom.dropFirst(2) {
        Elementwise.mul(count: count, a: output, b: blob.data, into: output)
      }
    case .sum:
      Elementwise.set(count: count, value: 0, into: output)
      for (blob, coefficient) in zip(bottom, coefficients) {
        BLAS.axpy(count: count, alpha: coefficient, x: blob.data, y: output)
      }
    case .max:
      maxForward(bottom: bottom, count: count, into: output)
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let count = top[0].count
    let outputDiff = top[0].diff
    for (index, blob) in bottom.enumerated() where propagateDown[index] {
      let diff = blob.diff
      switch operation {
      case .prod:
        if stableProductGradient {
          let others = bottom.indices.filter { $0 != index }
          Elementwise.copy(count: count, from: bottom[others[0]].data, into: diff)
          for other in others.dropFirst() {
            Elementwise.mul(count: count, a: diff, b: bottom[other].data, into: diff)
          }
        } else {
          Elementwise.div(count: count, a: top[0].data, b: blob.data, into: diff)
        }
        Elementwise.mul(count: count, a: diff, b: outputDiff, into: diff)
      case .sum:
        Elementwise.scale(count: count, alpha: coefficients[index], x: outputDiff, into: diff)
      case .max:
        let winner = Int32(index)
        maxIndex.withUnsafeBufferPointer { mask in
          for i in 0..<count { diff[i] = mask[i] == winner ? outputDiff[i] : 0 }
        }
      }
    }
  }

  /// Writes the element-wise maximum into `output` and the winning bottom into ``maxIndex``.
  private func maxForward(bottom: [Blob], count: Int, into output: UnsafeMutablePointer<Float>) {
    maxIndex.withUnsafeMutableBufferPointer { mask in
      let a = bottom[0].data
      let b = bottom[1].data
      for i in 0..<count {
        // Caffe keeps bottom 0 only when strictly greater, so bottom 1 wins a tie.
        let firstWins = a[i] > b[i]
        output[i] = firstWins ? a[i] : b[i]
        mask[i] = firstWins ? 0 : 1
      }
      for (index, blob) in bottom.enumerated().dropFirst(2) {
        let x = blob.data
        for i in 0..<count where x[i] > output[i] {
          output[i] = x[i]
          mask[i] = Int32(index)
        }
      }
    }
  }
}
