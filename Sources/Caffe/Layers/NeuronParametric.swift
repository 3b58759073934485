// Neuron layers with learnable parameters: PReLU.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "PReLU", the parametric ReLU: `y = max(x, 0) + a[c] · min(x, 0)`, with a learnt slope per
/// channel (or one for all channels).
///
/// After He et al. (2015).
///
/// Parameters (`prelu_param`):
/// - `filler` (default constant 0.25): how new slopes are filled;
/// - `channel_shared` (default false): one slope for every channel.
///
/// - bottom[0]: (N, C, …), at least 2 axes; axis 1 is the channel axis.
/// - top[0]: the bottom's shape; may be the bottom (in place, x is kept aside for backward).
/// - blobs[0]: the slopes, (C), or a scalar (no axes) when `channel_shared`.
///
/// Backward accumulates `Σ top.diff · x · (x ≤ 0)` per channel into `blobs[0].diff` (first, so
/// that in place the top diff is still intact), then overwrites `bottom[0].diff` with
/// `top.diff · (x > 0 ? 1 : a[c])`.
///
/// - Throws: `CaffeError.invalidNet` for a bottom with fewer than 2 axes;
///   `CaffeError.invalidParameter` for a bad filler or stored slopes of the wrong size.
public final class PReLULayer: NeuronLayer {
  override public class var type: String { "PReLU" }
  override public var backwardReadsInput: Bool { true }

  private var channelShared: Bool { param.preluParam.channelShared }
  private var num = 0
  private var channels = 0
  private var inner = 0

  /// Creates (or checks) the slope blob.
  /// - Throws: `CaffeError.invalidNet` for a bottom with fewer than 2 axes;
  ///   `CaffeError.invalidParameter` for a bad filler or stored slopes of the wrong size.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    try checkAxes(bottom[0])
    let channels = bottom[0].shape[1]
    let expected = channelShared ? 1 : channels
    if blobs.isEmpty {
      let slopes = try Blob(shape: channelShared ? [] : [channels])
      var filler = FillerParameter()
      filler.type = "constant"
      filler.value = 0.25
      try fill(
        slopes, with: param.preluParam.hasFiller ? param.preluParam.filler : filler,
        field: "prelu_param.filler")
      blobs = [slopes]
    } else {
      guard blobs.count == 1 else {
        throw invalid(
          "blobs", "the definition carries \(blobs.count) parameter blobs; PReLU needs 1 (slopes)")
      }
      guard blobs[0].count == expected else {
        throw invalid(
          "prelu_param.channel_shared",
          "the stored slopes have \(blobs[0].count) values but \(expected) are needed "
            + (channelShared ? "(channel_shared)" : "(one per channel of \(bottom[0].shape))"))
      }
    }
    resetParamPropagateDown()
  }

  /// Shapes the top (and the copy of x when in place).
  /// - Throws: `CaffeError.invalidNet` for a bottom with fewer than 2 axes, or one whose channel
  ///   count no longer matches the slopes.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try checkAxes(bottom[0])
    let input = bottom[0]
    guard channelShared || input.shape[1] == blobs[0].count else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (PReLU): bottom \"\(bottomName(0))\" has \(input.shape[1]) "
          + "channels (shape \(input.shape)) but the layer has \(blobs[0].count) slopes")
    }
    try super.reshape(bottom: bottom, top: top)
    num = input.shape[0]
    channels = input.shape[1]
    inner = input.count(from: 2)
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    saveInputIfInPlace(bottom: bottom, top: top)
    Activation.preluForward(
      num: num, channels: channels, inner: inner, slope: blobs[0].data,
      channelShared: channelShared, x: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let x = forwardInput(bottom: bottom, top: top)
    if propagatesToParameter(0) {
      Activation.preluSlopeBackward(
        num: num, channels: channels, inner: inner, channelShared: channelShared, x: x,
        outputDiff: top[0].diff, accumulatingInto: blobs[0].diff)
    }
    guard propagateDown[0] else { return }
    Activation.preluBackward(
      num: num, channels: channels, inner: inner, slope: blobs[0].data,
      channelShared: channelShared, x: x, outputDiff: top[0].diff, into: bottom[0].diff)
  }

  /// - Throws: `CaffeError.invalidNet` for a bottom with fewer than 2 axes.
  private func checkAxes(_ input: Blob) throws {
    guard input.numAxes >= 2 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (PReLU): Number of axes of bottom blob must be >=2; "
          + "\"\(bottomName(0))\" has shape \(input.shape)")
    }
  }
}
