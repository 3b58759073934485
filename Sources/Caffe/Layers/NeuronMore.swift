// More neuron layers: BNLL, ELU, Swish, Clip, Threshold.

import CaffeKernels
import CaffeProto
import CaffeSupport

// MARK: - BNLL

/// "BNLL" (binomial normal log likelihood, also called softplus): `y = log(1 + e^x)`, computed
/// as `x + log(1 + e^−x)` for x > 0 so that large inputs do not overflow.
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place, x is kept aside for backward).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · σ(x)`, where `σ(x) = e / (e + 1)` and
/// `e = exp(min(x, 50))` as in Caffe.
public final class BNLLLayer: NeuronLayer {
  override public class var type: String { "BNLL" }
  override public var backwardReadsInput: Bool { true }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    saveInputIfInPlace(bottom: bottom, top: top)
    Activation.bnllForward(count: bottom[0].count, x: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.bnllBackward(
      count: bottom[0].count, x: forwardInput(bottom: bottom, top: top),
      outputDiff: top[0].diff, into: bottom[0].diff)
  }
}

// MARK: - ELU

/// "ELU", the exponential linear unit: `y = x` for x > 0, else `alpha · (e^x − 1)`.
///
/// After Clevert et al. (2015).
///
/// Parameters (`elu_param`): `alpha` (default 1), the value y approaches as x → −∞.
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place; with a negative alpha x is kept
///   aside for backward, since the sign of y then no longer tells that of x).
///
/// Backward overwrites `bottom[0].diff` with `top.diff` where x > 0 and
/// `top.diff · (y + alpha)` elsewhere.
public final class ELULayer: NeuronLayer {
  override public class var type: String { "ELU" }
  override public var backwardReadsInput: Bool { param.eluParam.alpha < 0 }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    saveInputIfInPlace(bottom: bottom, top: top)
    Activation.eluForward(
      count: bottom[0].count, alpha: param.eluParam.alpha, x: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.eluBackward(
      count: bottom[0].count, alpha: param.eluParam.alpha,
      x: forwardInput(bottom: bottom, top: top), y: top[0].data, outputDiff: top[0].diff,
      into: bottom[0].diff)
  }
}

// MARK: - Swish

/// "Swish": `y = x · σ(beta · x)`.
///
/// After Ramachandran et al. (2017).
///
/// Parameters (`swish_param`): `beta` (default 1); beta 0 gives `x / 2`.
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · (beta · y + s · (1 − beta · y))`,
/// `s = σ(beta · x)` kept from the forward.
public final class SwishLayer: NeuronLayer {
  override public class var type: String { "Swish" }

  /// σ(beta · x), the bottom's shape.
  private let sigmoid = Blob()

  /// Gives the top and the sigmoid buffer the bottom's shape.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    try sigmoid.reshape(like: bottom[0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    Activation.swishForward(
      count: bottom[0].count, beta: param.swishParam.beta, x: bottom[0].data,
      sigmoid: sigmoid.data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.swishBackward(
      count: bottom[0].count, beta: param.swishParam.beta, y: top[0].data, sigmoid: sigmoid.data,
      outputDiff: top[0].diff, into: bottom[0].diff)
  }
}

// MARK: - Clip

/// "Clip": `y = max(min, min(x, max))`.
///
/// Parameters (`clip_param`, both required): `min`, `max` (min ≤ max).
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place, x is kept aside for backward).
///
/// Backward overwrites `bottom[0].diff` with `top.diff` where `min ≤ x ≤ max` and 0 elsewhere.
///
/// - Throws: `CaffeError.invalidParameter` if `clip_param.min` or `max` is missing, or
///   min > max.
public final class ClipLayer: NeuronLayer {
  override public class var type: String { "Clip" }
  override public var backwardReadsInput: Bool { true }

  private let minimum: Float
  private let maximum: Float

  /// Reads `clip_param`.
  /// - Throws: `CaffeError.invalidParameter` if `min` or `max` is missing, or min > max.
  public required init(_ param: LayerParameter) throws {
    let clip = param.clipParam
    minimum = clip.min
    maximum = clip.max
    try super.init(param)
    guard clip.hasMin else { throw invalid("clip_param.min", "is required") }
    guard clip.hasMax else { throw invalid("clip_param.max", "is required") }
    guard minimum <= maximum else {
      throw invalid(
        "clip_param.min", "min (\(minimum)) must not be greater than max (\(maximum))")
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    saveInputIfInPlace(bottom: bottom, top: top)
    Activation.clipForward(
      count: bottom[0].count, min: minimum, max: maximum, x: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.clipBackward(
      count: bottom[0].count, min: minimum, max: maximum,
      x: forwardInput(bottom: bottom, top: top), outputDiff: top[0].diff, into: bottom[0].diff)
  }
}

// MARK: - Threshold

/// "Threshold": `y = 1` where `x > threshold`, else 0.
///
/// Parameters (`threshold_param`): `threshold` (default 0).
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place).
///
/// There is no backward (the gradient is 0 almost everywhere and undefined at the step), as in
/// Caffe.
///
/// - Throws: `CaffeError.invalidNet` from backward when a gradient is asked of it.
public final class ThresholdLayer: NeuronLayer {
  override public class var type: String { "Threshold" }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    Activation.thresholdForward(
      count: bottom[0].count, threshold: param.thresholdParam.threshold, x: bottom[0].data,
      into: top[0].data)
  }

  /// Refuses to compute a gradient.
  /// - Throws: `CaffeError.invalidNet` when `propagateDown[0]` is set.
  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard !propagateDown[0] else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (Threshold) has no backward: its gradient is zero almost "
          + "everywhere; set `propagate_down: false` on it or keep it off the path to the loss")
    }
  }
}
