// LSTM layer: a long short-term memory network over T timesteps of N streams.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "LSTM": a long short-term memory layer over T timesteps (Caffe's `LSTMLayer`).
///
/// For t = 1…T, with D = `num_output` (see ``RecurrentLayer`` for the inputs and their shapes):
///
///     gate_t = W_hc · (cont_t ⊙ h_{t−1}) + W_xc · x_t + b_c [+ W_xc_static · x_static]
///     (c_t, h_t) = LSTMUnit(c_{t−1}, gate_t, cont_t)
///
/// where ``LSTMUnitLayer`` splits the 4D gates as [i, f, o, g] (Graves 2013, as Caffe's
/// `lstm_layer.hpp`); a `cont_t = 0` zeroes both h_{t−1}'s contribution and the forget gate.
///
/// Parameters: `recurrent_param` as in ``RecurrentLayer``.
///
/// - bottom: x (T, N, …), cont (T, N), [x_static (N, …)], [h_0 (1, N, D), c_0 (1, N, D) with
///   `expose_hidden`].
/// - top[0]: (T, N, D) h, the hidden state of every timestep.
/// - top[1], top[2] (with `expose_hidden`): (1, N, D) h_T and c_T.
/// - blobs, in Caffe's order (so caffemodels load): W_xc (4D, K), b_c (4D),
///   [W_xc_static (4D, K_s) with a static input], W_hc (4D, D).
///
/// Backward overwrites the diffs of x and x_static and accumulates into the parameter diffs.
///
/// - Throws: `CaffeError.invalidParameter` for `num_output` 0, a bad filler or stored blobs in
///   the wrong number; `CaffeError.blobCount`, `.shapeMismatch` and `.invalidNet` for bottoms
///   that break the shapes above or a T that changes after setup.
public final class LSTMLayer: RecurrentLayer {
  override public class var type: String { "LSTM" }
  override class var stateNames: [String] { ["h", "c"] }
  override class var gateMultiplier: Int { 4 }
  override class var coreParameterNames: [String] { ["W_xc", "b_c", "W_xc_static", "W_hc"] }
  override class var stepNames: (layer: String, input: String) { ("unit", "gate_input") }

  /// (T, N, D): the cell state c_t of every timestep.
  private let cells = Blob()
  /// (T + 1, N, D): slot t holds the gradient at c_t (slot 0 the discarded one at c_0).
  private let cellDiff = Blob()

  override func reshapeBuffers() throws {
    try cells.reshape([timesteps, streams, numOutput])
    try cellDiff.reshape([timesteps + 1, streams, numOutput])
  }

  override func stateHistory(_ index: Int, top: [Blob]) -> UnsafeMutablePointer<Float> {
    index == 0 ? top[0].data : cells.data
  }

  override func forwardStep(_ t: Int, cont: UnsafePointer<Float>, top: [Blob]) {
    let offset = t * streams * numOutput
    LSTMStep.forward(
      streams: streams, hiddenSize: numOutput, previousCell: previousState(1, at: t, top: top),
      gates: gates.data + t * streams * gateCount, cont: cont, cell: cells.data + offset,
      hidden: top[0].data + offset)
  }

  override func startBackward(top: [Blob]) {
    let size = streams * numOutput
    Elementwise.copy(count: timesteps * size, from: top[0].diff, into: hiddenDiff.data)
    Elementwise.set(count: size, value: 0, into: cellDiff.data + timesteps * size)
  }

  override func backwardStep(_ t: Int, cont: UnsafePointer<Float>, top: [Blob]) {
    let size = streams * numOutput
    LSTMStep.backward(
      streams: streams, hiddenSize: numOutput, previousCell: previousState(1, at: t, top: top),
      gates: gates.data + t * streams * gateCount, cont: cont, cell: cells.data + t * size,
      cellDiff: cellDiff.data + (t + 1) * size, hiddenDiff: hiddenDiff.data + t * size,
      previousCellDiff: cellDiff.data + t * size, gatesDiff: gates.diff + t * streams * gateCount)
  }
}
