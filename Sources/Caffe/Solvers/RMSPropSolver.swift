// RMSPropSolver: per-weight rates scaled by a running root mean square of the gradients.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// Caffe's `RMSProp` solver (Tieleman and Hinton, 2012).
///
/// For each learnable parameter, with history h (the running mean of squared gradients) and g
/// its gradient, and ρ = `rms_decay` (default 0.99):
///
///     h ← ρ · h + (1 − ρ) · g²,    Δ = lr · lr_mult · g / (√h + delta)
///
/// and w ← w − Δ. One history blob per parameter (h). `momentum` must be 0 and
/// 0 ≤ `rms_decay` < 1.
public final class RMSPropSolver: SGDSolver {
  override public class var type: String { "RMSProp" }
  override public class var dividesByDelta: Bool { true }

  /// Checks the RMSProp fields, then builds the nets and history (see ``SGDSolver``).
  /// - Throws: `CaffeError.invalidSolver` when `momentum` is not 0 or `rms_decay` is outside
  ///   [0, 1), or what ``SGDSolver`` throws.
  public required init(_ param: SolverParameter) throws {
    guard param.momentum == 0 else {
      throw CaffeError.invalidSolver(
        reason: "Momentum cannot be used with RMSProp (momentum: \(formatG(param.momentum)); "
          + "use rms_decay for the running average)")
    }
    guard param.rmsDecay >= 0, param.rmsDecay < 1 else {
      throw CaffeError.invalidSolver(
        reason: "rms_decay should lie between 0 and 1 (0 <= rms_decay < 1; given "
          + "\(formatG(param.rmsDecay)))")
    }
    try super.init(param)
  }

  /// Averages g² into h and writes lr · g / (√h + delta) into the diff.
  override public func computeUpdateValue(_ index: Int, rate: Float) {
    let blob = net.learnableParams[index]
    let count = blob.count
    let decay = param.rmsDecay
    let squares = history[index].data
    let scratch = updateBuffers[index].data
    Elementwise.sqr(count: count, x: blob.diff, into: scratch)
    BLAS.axpby(count: count, alpha: 1 - decay, x: scratch, beta: decay, y: squares)
    AdaptiveStep.scaleByRootMeanSquare(
      count: count, gradient: blob.diff, squares: squares, delta: param.delta,
      rate: rate * net.paramsLr[index], scratch: scratch)
  }
}
