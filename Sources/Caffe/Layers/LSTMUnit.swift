// LSTMUnit layer: one LSTM step from the gate pre-activations, and the step math LSTM reuses.

import CaffeKernels
import CaffeProto
import CaffeSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// "LSTMUnit": one step of an LSTM cell from its gate pre-activations (Caffe's `LSTMUnitLayer`).
///
/// With D the hidden size and the 4D gate inputs of a stream split as [i′, f′, o′, g′] in that
/// order (Graves 2013, "Generating sequences with recurrent neural networks", as in Caffe's
/// `lstm_layer.hpp`):
///
///     i = σ(i′)   f = cont · σ(f′) (exactly 0 when cont = 0)   o = σ(o′)   g = tanh(g′)
///     c_t = f ⊙ c_{t−1} + i ⊙ g      h_t = o ⊙ tanh(c_t)
///
/// The cell input is not clipped. The layer has no parameters.
///
/// - bottom[0]: (1, N, D) c_{t−1}, the previous cell state.
/// - bottom[1]: (1, N, 4D) the gate pre-activations.
/// - bottom[2]: (1, N) cont, the sequence-continuation indicators (0 starts a new sequence).
/// - top[0]: (1, N, D) c_t.
/// - top[1]: (1, N, D) h_t.
///
/// Backward overwrites the diffs of bottom[0] and bottom[1] (both, when either is asked for)
/// from the diffs of both tops; it never propagates to cont.
///
/// - Throws: `CaffeError.invalidNet` for bottoms with the wrong number of axes or a backward
///   asked to reach cont; `CaffeError.shapeMismatch` for a leading axis other than 1, a stream
///   count that differs between bottoms, or gate inputs that are not 4D wide.
public final class LSTMUnitLayer: Layer {
  override public class var type: String { "LSTMUnit" }
  override public class var bottomCount: BlobCount { .exactly(3) }
  override public class var topCount: BlobCount { .exactly(2) }

  /// D: the hidden (and cell) size.
  private var hiddenSize = 0

  /// Checks the three bottoms against each other and shapes both tops like c_{t−1}.
  /// - Throws: `CaffeError.invalidNet` for a wrong number of axes; `CaffeError.shapeMismatch`
  ///   for a wrong leading axis, stream count or gate width.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let streams = bottom[0].numAxes > 1 ? bottom[0].shape[1] : 0
    for (index, blob) in bottom.enumerated() {
      let axes = index == 2 ? 2 : 3
      guard blob.numAxes == axes else {
        throw CaffeError.invalidNet(
          reason: "layer \"\(name)\" (LSTMUnit): bottom \"\(bottomName(index))\" must have "
            + "\(axes) axes, (1, N\(index == 2 ? "" : ", ...")); it has shape \(blob.shape)")
      }
      guard blob.shape[0] == 1, blob.shape[1] == streams else {
        var expected = blob.shape
        expected[0] = 1
        expected[1] = streams
        throw CaffeError.shapeMismatch(
          layer: name, blob: bottomName(index), expected: expected, actual: blob.shape)
      }
    }
    hiddenSize = bottom[0].shape[2]
    guard bottom[1].shape[2] == 4 * hiddenSize else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(1), expected: [1, streams, 4 * hiddenSize],
        actual: bottom[1].shape)
    }
    try top[0].reshape(like: bottom[0])
    try top[1].reshape(like: bottom[0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    LSTMStep.forward(
      streams: bottom[0].shape[1], hiddenSize: hiddenSize, previousCell: bottom[0].data,
      gates: bottom[1].data, cont: bottom[2].data, cell: top[0].data, hidden: top[1].data)
  }

  /// Overwrites the diffs of c_{t−1} and of the gate inputs.
  /// - Throws: `CaffeError.invalidNet` if asked to propagate to cont (bottom 2).
  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard !propagateDown[2] else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (LSTMUnit) cannot backpropagate to the sequence "
          + "indicators \"\(bottomName(2))\"")
    }
    guard propagateDown[0] || propagateDown[1] else { return }
    LSTMStep.backward(
      streams: bottom[0].shape[1], hiddenSize: hiddenSize, previousCell: bottom[0].data,
      gates: bottom[1].data, cont: bottom[2].data, cell: top[0].data, cellDiff: top[0].diff,
      hiddenDiff: top[1].diff, previousCellDiff: bottom[0].diff, gatesDiff: bottom[1].diff)
  }

  /// Only c_{t−1} and the gate inputs may be forced to compute diffs, not cont.
  override public func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 2 }
}

// MARK: - Step math

/// The LSTM cell step, forward and backward, on one timestep of N streams.
///
/// Shared by ``LSTMUnitLayer`` and ``LSTMLayer``. The nonlinearities use Caffe's own forms,
/// σ(x) = 1 / (1 + e^−x) and tanh(x) = 2σ(2x) − 1, so results match Caffe's to rounding.
enum LSTMStep {
  /// Computes c_t and h_t from c_{t−1}, the gate pre-activations and cont.
  ///
  /// - Parameters:
  ///   - streams: N.
  ///   - hiddenSize: D.
  ///   - previousCell: (N, D) c_{t−1}.
  ///   - gates: (N, 4D) pre-activations [i′, f′, o′, g′] per stream.
  ///   - cont: (N) continuation indicators.
  ///   - cell: (N, D) c_t; overwritten.
  ///   - hidden: (N, D) h_t; overwritten.
  static func forward(
    streams: Int, hiddenSize: Int, previousCell: UnsafePointer<Float>,
    gates: UnsafePointer<Float>, cont: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
    hidden: UnsafeMutablePointer<Float>
  ) {
    let d = hiddenSize
    for n in 0..<streams {
      // Row n: gates + n·4D holds [i′ | f′ | o′ | g′]; the (N, D) buffers start at n·D.
      let x = gates + n * 4 * d
      let row = n * d
      for j in 0..<d {
        let i = sigmoid(x[j])
        let f = cont[n] == 0 ? 0 : cont[n] * sigmoid(x[d + j])
        let o = sigmoid(x[2 * d + j])
        let g = caffeTanh(x[3 * d + j])
        let c = f * previousCell[row + j] + i * g
        cell[row + j] = c
        hidden[row + j] = o * caffeTanh(c)
      }
    }
  }

  /// Computes the diffs of c_{t−1} and of the gate pre-activations.
  ///
  /// With `dc = cellDiff + hiddenDiff · o · (1 − tanh²(c_t))`: `dc_{t−1} = dc · f`,
  /// `di′ = dc · g · i(1 − i)`, `df′ = dc · c_{t−1} · f(1 − f)`, `do′ = dh · tanh(c_t) · o(1 − o)`,
  /// `dg′ = dc · i · (1 − g²)`, with f including the cont factor as in Caffe.
  ///
  /// - Parameters:
  ///   - streams: N.
  ///   - hiddenSize: D.
  ///   - previousCell: (N, D) c_{t−1}.
  ///   - gates: (N, 4D) pre-activations.
  ///   - cont: (N) continuation indicators.
  ///   - cell: (N, D) c_t from the forward pass.
  ///   - cellDiff: (N, D) the gradient at c_t.
  ///   - hiddenDiff: (N, D) the gradient at h_t.
  ///   - previousCellDiff: (N, D) the gradient at c_{t−1}; overwritten.
  ///   - gatesDiff: (N, 4D) the gradient at the pre-activations; overwritten.
  static func backward(
    streams: Int, hiddenSize: Int, previousCell: UnsafePointer<Float>,
    gates: UnsafePointer<Float>, cont: UnsafePointer<Float>, cell: UnsafePointer<Float>,
    cellDiff: UnsafePointer<Float>, hiddenDiff: UnsafePointer<Float>,
    previousCellDiff: UnsafeMutablePointer<Float>, gatesDiff: UnsafeMutablePointer<Float>
  ) {
    let d = hiddenSize
    for n in 0..<streams {
      let x = gates + n * 4 * d
      let dx = gatesDiff + n * 4 * d
      let row = n * d
      for j in 0..<d {
        let i = sigmoid(x[j])
        let f = cont[n] == 0 ? 0 : cont[n] * sigmoid(x[d + j])
        let o = sigmoid(x[2 * d + j])
        let g = caffeTanh(x[3 * d + j])
        let tanhC = caffeTanh(cell[row + j])
        let dh = hiddenDiff[row + j]
        let dc = cellDiff[row + j] + dh * o * (1 - tanhC * tanhC)
        previousCellDiff[row + j] = dc * f
        dx[j] = dc * g * i * (1 - i)
        dx[d + j] = dc * previousCell[row + j] * f * (1 - f)
        dx[2 * d + j] = dh * tanhC * o * (1 - o)
        dx[3 * d + j] = dc * i * (1 - g * g)
      }
    }
  }

  @inline(__always)
  private static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

  @inline(__always)
  private static func caffeTanh(_ x: Float) -> Float { 2 * sigmoid(2 * x) - 1 }
}
