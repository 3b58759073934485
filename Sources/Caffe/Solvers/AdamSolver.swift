// AdamSolver: bias-corrected running means of the gradient and of its square.

import CaffeKernels
import CaffeProto
import CaffeSupport
import Foundation

/// Caffe's `Adam` solver (Kingma and Ba, 2015).
///
/// For each learnable parameter, with histories m and v, g its gradient, β1 = `momentum`,
/// β2 = `momentum2` (default 0.999), ε = `delta` (default 1e-8) and t = iteration + 1:
///
///     m ← β1 · m + (1 − β1) · g,    v ← β2 · v + (1 − β2) · g²,
///     Δ = lr · lr_mult · √(1 − β2ᵗ) / (1 − β1ᵗ) · m / (√v + ε)
///
/// and w ← w − Δ. Two history blobs per parameter: m for all parameters, then v for all
/// parameters (Caffe's solver-state layout). Caffe's example uses β1 = 0.9, `base_lr: 0.001`.
public final class AdamSolver: SGDSolver {
  override public class var type: String { "Adam" }
  override public class var dividesByDelta: Bool { true }
  override public class var historyPerParameter: Int { 2 }

  /// Checks the Adam fields, then builds the nets and history (see ``SGDSolver``).
  /// - Throws: `CaffeError.invalidSolver` when `momentum` or `momentum2` is outside [0, 1)
  ///   (the bias correction would divide by zero or never move), or what ``SGDSolver`` throws.
  public required init(_ param: SolverParameter) throws {
    for (field, value) in [("momentum", param.momentum), ("momentum2", param.momentum2)]
    where !(value >= 0 && value < 1) {
      throw CaffeError.invalidSolver(
        reason: "Adam needs 0 <= \(field) < 1 (given \(formatG(value)))")
    }
    try super.init(param)
  }

  /// Updates m and v and writes the bias-corrected step into the diff.
  override public func computeUpdateValue(_ index: Int, rate: Float) {
    let blob = net.learnableParams[index]
    let count = blob.count
    let beta1 = param.momentum
    let beta2 = param.momentum2
    let t = Double(iteration + 1)
    let correction = Float(
      (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t)))
    let mean = history[index].data
    let squares = history[net.learnableParams.count + index].data
    let scratch = tempBuffers[index].data
    BLAS.axpby(count: count, alpha: 1 - beta1, x: blob.diff, beta: beta1, y: mean)
    Elementwise.sqr(count: count, x: blob.diff, into: scratch)
    BLAS.axpby(count: count, alpha: 1 - beta2, x: scratch, beta: beta2, y: squares)
    Elementwise.sqrt(count: count, x: squares, into: scratch)
    Elementwise.addScalar(count: count, value: param.delta, into: scratch)
    Elementwise.div(count: count, a: mean, b: scratch, into: scratch)
    Elementwise.scale(
      count: count, alpha: rate * net.paramsLr[index] * correction, x: scratch, into: blob.diff)
  }
}
