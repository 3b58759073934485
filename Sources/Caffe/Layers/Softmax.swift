// Softmax layer: normalised exponentials along one axis.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Softmax": `y[.., c, ..] = exp(x[.., c, ..]) / Σ_c' exp(x[.., c', ..])` along
/// `softmax_param.axis` (default 1), with the maximum subtracted first so nothing overflows.
///
/// - bottom[0]: (outer…, C, inner…), e.g. (N, C) scores or (N, C, H, W) score maps.
/// - top[0]: the bottom's shape; probabilities that sum to 1 along the axis.
///
/// Backward overwrites `bottom[0].diff` with `y ⊙ (top.diff − Σ_c top.diff · y)`.
///
/// - Throws: `CaffeError.invalidParameter` if `axis` is out of range for the bottom.
public final class SoftmaxLayer: Layer {
  override public class var type: String { "Softmax" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private var outer = 0
  private var channels = 0
  private var inner = 0

  /// Finds the softmax axis and gives the top the bottom's shape.
  /// - Throws: `CaffeError.invalidParameter` if `softmax_param.axis` is out of range.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let axis = try axisIndex(Int(param.softmaxParam.axis), of: input, field: "axis")
    outer = input.count(from: 0, to: axis)
    channels = input.shape[axis]
    inner = input.count(from: axis + 1)
    if top[0] !== input { try top[0].reshape(like: input) }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    SoftmaxKernels.forward(
      outer: outer, channels: channels, inner: inner, input: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    SoftmaxKernels.backward(
      outer: outer, channels: channels, inner: inner, output: top[0].data,
      outputDiff: top[0].diff, into: bottom[0].diff)
  }
}
