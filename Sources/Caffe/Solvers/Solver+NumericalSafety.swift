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

  /// The error for a non-finite value found during iteration ``iteration``.
  func numericalError(_ what: String) -> CaffeError {
    .numerical(
      reason: "Iteration \(iteration): \(what). Training stopped without writing a snapshot; "
        + "the last snapshot is intact. Try a lower base_lr or set clip_gradients.")
  }
}
