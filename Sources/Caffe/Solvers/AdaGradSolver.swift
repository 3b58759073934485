// AdaGradSolver: per-weight rates scaled by the root of the summed squared gradients.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// Caffe's `AdaGrad` solver (Duchi et al., 2011).
///
/// For each learnable parameter, with history h (the sum of squared gradients) and g its
/// gradient:
///
///     h ← h + g²,    Δ = lr · lr_mult · g / (√h + delta)
///
/// and w ← w − Δ. One history blob per parameter (h). `delta` (default 1e-8) keeps the
/// division finite; `momentum` must be 0.
public final class AdaGradSolver: SGDSolver {
  override public class var type: String { "AdaGrad" }
  override public class var dividesByDelta: Bool { true }

  /// Checks the AdaGrad fields, then builds the nets and history (see ``SGDSolver``).
  /// - Throws: `CaffeError.invalidSolver` when `momentum` is not 0, or what ``SGDSolver``
  ///   throws.
  public required init(_ param: SolverParameter) throws {
    guard param.momentum == 0 else {
      throw CaffeError.invalidSolver(
        reason: "Momentum cannot be used with AdaGrad (momentum: \(formatG(param.momentum)); "
          + "remove it or set it to 0)")
    }
    try super.init(param)
  }

  /// Accumulates g² into h and writes lr · g / (√h + delta) into the diff.
  override public func computeUpdateValue(_ index: Int, rate: Float) {
    let blob = net.learnableParams[index]
    let count = blob.count
    let squares = history[index].data
    let scratch = updateBuffers[index].data
    Elementwise.sqr(count: count, x: blob.diff, into: scratch)
    Elementwise.add(count: count, a: scratch, b: squares, into: squares)
    AdaptiveStep.scaleByRootMeanSquare(
      count: count, gradient: blob.diff, squares: squares, delta: param.delta,
      rate: rate * net.paramsLr[index], scratch: scratch)
  }
}
