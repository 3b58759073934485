// RNN layer: an Elman recurrent network over T timesteps of N streams.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "RNN": a simple (Elman) recurrent layer over T timesteps (Caffe's `RNNLayer`).
///
/// For t = 1…T, with D = `num_output` (see ``RecurrentLayer`` for the inputs and their shapes):
///
///     h_t = tanh(W_hh · (cont_t ⊙ h_{t−1}) + W_xh · x_t + b_h [+ W_xh_static · x_static])
///     o_t = tanh(W_ho · h_t + b_o)
///
/// Parameters: `recurrent_param` as in ``RecurrentLayer``.
///
/// - bottom: x (T, N, …), cont (T, N), [x_static (N, …)], [h_0 (1, N, D) with
///   `expose_hidden`].
/// - top[0]: (T, N, D) o, the output of every timestep.
/// - top[1] (with `expose_hidden`): (1, N, D) h_T.
/// - blobs, in Caffe's order (so caffemodels load): W_xh (D, K), b_h (D),
///   [W_xh_static (D, K_s) with a static input], W_hh (D, D), W_ho (D, D), b_o (D).
///
/// Backward overwrites the diffs of x and x_static and accumulates into the parameter diffs.
///
/// - Throws: `CaffeError.invalidParameter` for `num_output` 0, a bad filler or stored blobs in
///   the wrong number; `CaffeError.blobCount`, `.shapeMismatch` and `.invalidNet` for bottoms
///   that break the shapes above or a T that changes after setup.
public final class RNNLayer: RecurrentLayer {
  override public class var type: String { "RNN" }
  override class var stateNames: [String] { ["h"] }
  override class var gateMultiplier: Int { 1 }
  override class var coreParameterNames: [String] { ["W_xh", "b_h", "W_xh_static", "W_hh"] }
  override class var stepNames: (layer: String, input: String) {
    ("h_neuron", "h_neuron_input")
  }

  /// (T, N, D): the hidden state h_t of every timestep.
  private let hidden = Blob()
  /// (T, N, D): the gradient at W_ho · h_t + b_o.
  private let outputDiff = Blob()

  override func extraParameters() -> [(name: String, shape: [Int], isBias: Bool)] {
    [("W_ho", [numOutput, numOutput], false), ("b_o", [numOutput], true)]
  }

  override func reshapeBuffers() throws {
    try hidden.reshape([timesteps, streams, numOutput])
    try outputDiff.reshape([timesteps, streams, numOutput])
  }

  override func stateHistory(_ index: Int, top: [Blob]) -> UnsafeMutablePointer<Float> {
    hidden.data
  }

  override func forwardStep(_ t: Int, cont: UnsafePointer<Float>, top: [Blob]) {
    let offset = t * streams * numOutput
    Activation.tanhForward(
      count: streams * numOutput, x: gates.data + offset, into: hidden.data + offset)
  }

  override func finishForward(top: [Blob]) {
    let (rows, d) = (timesteps * streams, numOutput)
    let (weight, bias) = (blobs[extraParameterIndex], blobs[extraParameterIndex + 1])
    // o (T·N, D) = tanh(h (T·N, D) · W_hoᵀ (D, D) + ones (T·N, 1) · b_o (1, D)).
    BLAS.gemm(
      transA: false, transB: true, m: rows, n: d, k: d, alpha: 1, a: hidden.data,
      b: weight.data, beta: 0, c: top[0].data)
    BLAS.gemm(
      transA: false, transB: false, m: rows, n: d, k: 1, alpha: 1, a: ones.data, b: bias.data,
      beta: 1, c: top[0].data)
    Activation.tanhForward(count: rows * d, x: top[0].data, into: top[0].data)
  }

  override func startBackward(top: [Blob]) {
    let (rows, d) = (timesteps * streams, numOutput)
    let (weightIndex, biasIndex) = (extraParameterIndex, extraParameterIndex + 1)
    Activation.tanhBackward(
      count: rows * d, y: top[0].data, outputDiff: top[0].diff, into: outputDiff.data)
    if propagatesToParameter(weightIndex) {
      // dW_ho (D, D) += do′ᵀ (D, T·N) · h (T·N, D).
      BLAS.gemm(
        transA: true, transB: false, m: d, n: d, k: rows, alpha: 1, a: outputDiff.data,
        b: hidden.data, beta: 1, c: blobs[weightIndex].diff)
    }
    if propagatesToParameter(biasIndex) {
      // db_o (D) += do′ᵀ (D, T·N) · ones (T·N).
      BLAS.gemv(
        transA: true, m: rows, n: d, alpha: 1, a: outputDiff.data, x: ones.data, beta: 1,
        y: blobs[biasIndex].diff)
    }
    // dh (T·N, D) = do′ (T·N, D) · W_ho (D, D).
    BLAS.gemm(
      transA: false, transB: false, m: rows, n: d, k: d, alpha: 1, a: outputDiff.data,
      b: blobs[weightIndex].data, beta: 0, c: hiddenDiff.data)
  }

  override func backwardStep(_ t: Int, cont: UnsafePointer<Float>, top: [Blob]) {
    let offset = t * streams * numOutput
    Activation.tanhBackward(
      count: streams * numOutput, y: hidden.data + offset, outputDiff: hiddenDiff.data + offset,
      into: gates.diff + offset)
  }
}
