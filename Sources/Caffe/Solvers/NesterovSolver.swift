// NesterovSolver: SGD with Nesterov's accelerated gradient.

import CaffeKernels
import CaffeProto

/// Caffe's `Nesterov` solver: momentum SGD that steps back to the previous velocity and then
/// over-steps along the new one (Sutskever et al., 2013, in Bengio et al.'s form).
///
/// For each learnable parameter, with history v (the velocity) and g its gradient:
///
///     v' ← momentum · v + lr · lr_mult · g,    Δ = (1 + momentum) · v' − momentum · v
///
/// and w ← w − Δ. One history blob per parameter (v).
public final class NesterovSolver: SGDSolver {
  override public class var type: String { "Nesterov" }

  /// Saves v in the update buffer, advances v, then writes the over-stepped update.
  override public func computeUpdateValue(_ index: Int, rate: Float) {
    let blob = net.learnableParams[index]
    let count = blob.count
    let localRate = rate * net.paramsLr[index]
    let momentum = param.momentum
    let velocity = history[index].data
    let previous = updateBuffers[index].data
    previous.update(from: velocity, count: count)
    BLAS.axpby(count: count, alpha: localRate, x: blob.diff, beta: momentum, y: velocity)
    BLAS.axpby(count: count, alpha: 1 + momentum, x: velocity, beta: -momentum, y: previous)
    blob.diff.update(from: previous, count: count)
  }
}
