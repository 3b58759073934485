// Numerical safety (Caffe has none): stop training at the first NaN or infinity.

import CaffeSupport

extension Solver {
  /// Checks one forward/backward pass: its loss, then the accumulated parameter gradients.
  /// - Throws: `CaffeError.numerical` naming the iteration and the first layer whose top (for
  ///   the loss) or diff (for the gradients) went non-finite.
  func checkPassIsFinite(loss: Float) throws {
    if !loss.isFinite {
      let place = net.firstNonFiniteForward() ?? "no single layer (the sum of the losses)"
      throw numericalError("the loss is \(formatG(loss)); first non-finite: \(place)")
    }
    if !net.gradientsAreFinite {
      let place = net.firstNonFiniteBackward() ?? "a parameter diff"
      throw numericalError(
        "the loss is finite (\(formatG(loss))) but the gradient is not; first non-finite: "
          + place)
    }
  }

  /// Checks the weights after an update.
  /// - Throws: `CaffeError.numerical` naming the iteration and the first non-finite parameter.
  func checkParametersAreFinite() throws {
    guard let place = net.firstNonFiniteParameter() else { return }
    throw numericalError("the \(Self.type) update made \(place) non-finite")
  }

  /// The error for a non-finite value found during iteration ``iteration``: what was found,
  /// which snapshot is still good, and what to change.
  func numericalError(_ what: String) -> CaffeError {
    let kept =
      lastSnapshot.map { "the last snapshot (\($0.path), \($0.state)) is intact" }
      ?? "no snapshot had been written yet"
    return .numerical(
      reason: "Iteration \(iteration): \(what). Training stopped without writing a snapshot; "
        + "\(kept). \(numericalAdvice)")
  }

  /// What to change in the solver: a zero `delta` divides 0 by 0 in the adaptive solvers'
  /// first steps; otherwise the steps (or the weight decay) are too large.
  private var numericalAdvice: String {
    if Self.dividesByDelta && param.delta == 0 {
      return "delta is 0, so \(Self.type) divides by zero where a gradient is 0: set delta "
        + "(Caffe's default 1e-8)."
    }
    return "Try a lower base_lr or weight_decay, or set clip_gradients."
  }
}
