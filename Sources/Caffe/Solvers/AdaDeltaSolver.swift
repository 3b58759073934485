// AdaDeltaSolver: steps sized by the ratio of running RMS of updates and of gradients.

import CaffeKernels
import CaffeProto

/// Caffe's `AdaDelta` solver (Zeiler, 2012).
///
/// For each learnable parameter, with histories h (running mean of squared gradients) and u
/// (running mean of squared steps), g its gradient and m = `momentum`:
///
///     h ← m · h + (1 − m) · g²,    s = g · √((u + delta) / (h + delta)),
///     u ← m · u + (1 − m) · s²,    Δ = lr · lr_mult · s
///
/// and w ← w − Δ. Two history blobs per parameter: h for all parameters, then u for all
/// parameters (Caffe's solver-state layout). Caffe's example uses `base_lr: 1`.
public final class AdaDeltaSolver: SGDSolver {
  override public class var type: String { "AdaDelta" }
  override public class var dividesByDelta: Bool { true }
  override public class var historyPerParameter: Int { 2 }

  /// Updates h, computes the step s into the diff, updates u, then scales by the rate.
  override public func computeUpdateValue(_ index: Int, rate: Float) {
    let blob = net.learnableParams[index]
    let count = blob.count
    let momentum = param.momentum
    let delta = param.delta
    let gradients = history[index].data
    let steps = history[net.learnableParams.count + index].data
    let ratio = updateBuffers[index].data
    let denominator = tempBuffers[index].data
    Elementwise.sqr(count: count, x: blob.diff, into: ratio)
    BLAS.axpby(count: count, alpha: 1 - momentum, x: ratio, beta: momentum, y: gradients)
    Elementwise.copy(count: count, from: steps, into: ratio)
    Elementwise.addScalar(count: count, value: delta, into: ratio)
    Elementwise.copy(count: count, from: gradients, into: denominator)
    Elementwise.addScalar(count: count, value: delta, into: denominator)
    Elementwise.div(count: count, a: ratio, b: denominator, into: ratio)
    Elementwise.sqrt(count: count, x: ratio, into: ratio)
    Elementwise.mul(count: count, a: blob.diff, b: ratio, into: blob.diff)
    Elementwise.sqr(count: count, x: blob.diff, into: ratio)
    BLAS.axpby(count: count, alpha: 1 - momentum, x: ratio, beta: momentum, y: steps)
    blob.scaleDiff(rate * net.paramsLr[index])
  }
}
