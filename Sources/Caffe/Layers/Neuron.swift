// Neuron layers: element-wise functions of one bottom (NeuronLayer, ReLU, Sigmoid, TanH, AbsVal,
// Power, Exp, Log).

import CaffeKernels
import CaffeProto
import CaffeSupport
import Foundation

/// The family of element-wise layers: one bottom, one top of the same shape, `y[i] = f(x[i])`.
///
/// The top may be the bottom itself (in-place computation, `top: "x"` with `bottom: "x"`), which
/// saves the memory of a blob. A layer whose backward needs x sets ``backwardReadsInput``; in
/// place, it then calls ``saveInputIfInPlace(bottom:top:)`` first in its forward and reads x
/// back through ``forwardInput(bottom:top:)``, so in place gives the same gradients as out of
/// place (at the cost of one copy of the bottom, made only in place).
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape.
open class NeuronLayer: Layer {
  override open class var bottomCount: BlobCount { .exactly(1) }
  override open class var topCount: BlobCount { .exactly(1) }

  /// Whether backward reads the forward input x (so running in place needs a copy of it).
  open var backwardReadsInput: Bool { false }

  /// The copy of x kept for backward when the layer runs in place and reads x.
  private let savedInput = Blob()

  /// Gives the top the bottom's shape (nothing to do when in place, except sizing the copy of x
  /// where backward needs one).
  override open func reshape(bottom: [Blob], top: [Blob]) throws {
    if top[0] !== bottom[0] {
      try top[0].reshape(like: bottom[0])
    } else if backwardReadsInput {
      try savedInput.reshape(like: bottom[0])
    }
  }

  /// Copies x aside when the layer runs in place and its backward reads x; call it before the
  /// forward overwrites the top.
  public func saveInputIfInPlace(bottom: [Blob], top: [Blob]) {
    guard top[0] === bottom[0], backwardReadsInput else { return }
    Elementwise.copy(count: bottom[0].count, from: bottom[0].data, into: savedInput.data)
  }

  /// The forward input x for backward: the bottom's data, or the copy the forward made in place.
  public func forwardInput(bottom: [Blob], top: [Blob]) -> UnsafeMutablePointer<Float> {
    top[0] === bottom[0] && backwardReadsInput ? savedInput.data : bottom[0].data
  }
}

// MARK: - ReLU

/// "ReLU": `y = max(x, 0) + negative_slope · min(x, 0)` (rectified linear unit; leaky when
/// `relu_param.negative_slope`, default 0, is non-zero).
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · (x > 0 ? 1 : negative_slope)`. In place,
/// the sign of y stands in for that of x, which holds for any non-negative slope.
public final class ReLULayer: NeuronLayer {
  override public class var type: String { "ReLU" }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    Activation.reluForward(
      count: bottom[0].count, negativeSlope: param.reluParam.negativeSlope, x: bottom[0].data,
      into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.reluBackward(
      count: bottom[0].count, negativeSlope: param.reluParam.negativeSlope, x: bottom[0].data,
      outputDiff: top[0].diff, into: bottom[0].diff)
  }
}

// MARK: - Sigmoid

/// "Sigmoid": `y = 1 / (1 + e^−x)`.
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · y · (1 − y)`.
public final class SigmoidLayer: NeuronLayer {
  override public class var type: String { "Sigmoid" }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    Activation.sigmoidForward(count: bottom[0].count, x: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.sigmoidBackward(
      count: top[0].count, y: top[0].data, outputDiff: top[0].diff, into: bottom[0].diff)
  }
}

// MARK: - TanH

/// "TanH": `y = tanh(x)`.
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · (1 − y²)`.
public final class TanHLayer: NeuronLayer {
  override public class var type: String { "TanH" }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    Activation.tanhForward(count: bottom[0].count, x: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.tanhBackward(
      count: top[0].count, y: top[0].data, outputDiff: top[0].diff, into: bottom[0].diff)
  }
}

// MARK: - AbsVal

/// "AbsVal": `y = |x|`.
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place, x is kept aside for backward).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · sign(x)`.
public final class AbsValLayer: NeuronLayer {
  override public class var type: String { "AbsVal" }
  override public var backwardReadsInput: Bool { true }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    saveInputIfInPlace(bottom: bottom, top: top)
    Elementwise.abs(count: bottom[0].count, x: bottom[0].data, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    Activation.absBackward(
      count: bottom[0].count, x: forwardInput(bottom: bottom, top: top),
      outputDiff: top[0].diff, into: bottom[0].diff)
  }
}

// MARK: - Power

/// "Power": `y = (shift + scale · x) ^ power`.
///
/// Parameters (`power_param`): `power` (default 1), `scale` (default 1), `shift` (default 0).
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape (not in place: backward reads x).
///
/// Backward overwrites `bottom[0].diff` with
/// `top.diff · power · scale · (shift + scale · x) ^ (power − 1)`.
public final class PowerLayer: NeuronLayer {
  override public class var type: String { "Power" }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let p = param.powerParam
    let count = bottom[0].count
    let y = top[0].data
    // Caffe's special case: with power or scale 0 the output does not depend on x.
    guard p.power * p.scale != 0 else {
      Elementwise.set(count: count, value: p.power == 0 ? 1 : pow(p.shift, p.power), into: y)
      return
    }
    Elementwise.scale(count: count, alpha: p.scale, x: bottom[0].data, into: y)
    Elementwise.addScalar(count: count, value: p.shift, into: y)
    if p.power != 1 { Elementwise.powx(count: count, x: y, power: p.power, into: y) }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let p = param.powerParam
    let count = bottom[0].count
    let dx = bottom[0].diff
    let slope = p.power * p.scale
    if slope == 0 || p.power == 1 {
      Elementwise.set(count: count, value: slope, into: dx)
    } else {
      Elementwise.scale(count: count, alpha: p.scale, x: bottom[0].data, into: dx)
      Elementwise.addScalar(count: count, value: p.shift, into: dx)
      Elementwise.powx(count: count, x: dx, power: p.power - 1, into: dx)
      Elementwise.scale(count: count, alpha: slope, x: dx, into: dx)
    }
    Elementwise.mul(count: count, a: top[0].diff, b: dx, into: dx)
  }
}

// MARK: - Exp

/// "Exp": `y = base ^ (shift + scale · x)`, with base e when `base` is -1.
///
/// Parameters (`exp_param`): `base` (default -1, meaning e; otherwise > 0), `scale` (default 1),
/// `shift` (default 0).
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · y · ln(base) · scale`.
///
/// - Throws: `CaffeError.invalidParameter` for a base that is neither -1 nor positive.
public final class ExpLayer: NeuronLayer {
  override public class var type: String { "Exp" }

  /// ln(base) · scale.
  private let innerScale: Float
  /// base ^ shift.
  private let outerScale: Float

  /// Reads `exp_param`.
  /// - Throws: `CaffeError.invalidParameter` for a base that is neither -1 nor positive.
  public required init(_ param: LayerParameter) throws {
    let p = param.expParam
    let logBase = p.base == -1 ? 1 : log(p.base)
    innerScale = logBase * p.scale
    outerScale = p.shift == 0 ? 1 : exp(logBase * p.shift)
    try super.init(param)
    guard p.base == -1 || p.base > 0 else {
      throw invalid("base", "must be -1 (for e) or positive, got \(p.base)")
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let count = bottom[0].count
    let y = top[0].data
    Elementwise.scale(count: count, alpha: innerScale, x: bottom[0].data, into: y)
    Elementwise.exp(count: count, x: y, into: y)
    if outerScale != 1 { Elementwise.scale(count: count, alpha: outerScale, x: y, into: y) }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let count = bottom[0].count
    let dx = bottom[0].diff
    Elementwise.mul(count: count, a: top[0].data, b: top[0].diff, into: dx)
    if innerScale != 1 { Elementwise.scale(count: count, alpha: innerScale, x: dx, into: dx) }
  }
}

// MARK: - Log

/// "Log": `y = log_base(shift + scale · x)`, the natural logarithm when `base` is -1.
///
/// Parameters (`log_param`): `base` (default -1, meaning e; otherwise positive and not 1),
/// `scale` (default 1), `shift` (default 0).
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape (not in place: backward reads x).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · scale / (ln(base) · (shift + scale · x))`.
///
/// - Throws: `CaffeError.invalidParameter` for a base that is not -1 or positive, or is 1.
public final class LogLayer: NeuronLayer {
  override public class var type: String { "Log" }

  /// ln(base).
  private let logBase: Float

  /// Reads `log_param`.
  /// - Throws: `CaffeError.invalidParameter` for a base that is not -1 or positive, or is 1.
  public required init(_ param: LayerParameter) throws {
    let base = param.logParam.base
    logBase = base == -1 ? 1 : log(base)
    try super.init(param)
    guard base == -1 || (base > 0 && base != 1) else {
      throw invalid("base", "must be -1 (for e) or positive and not 1, got \(base)")
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let p = param.logParam
    let count = bottom[0].count
    let y = top[0].data
    Elementwise.scale(count: count, alpha: p.scale, x: bottom[0].data, into: y)
    Elementwise.addScalar(count: count, value: p.shift, into: y)
    Elementwise.log(count: count, x: y, into: y)
    if logBase != 1 { Elementwise.scale(count: count, alpha: 1 / logBase, x: y, into: y) }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let p = param.logParam
    let count = bottom[0].count
    let dx = bottom[0].diff
    Elementwise.scale(count: count, alpha: p.scale, x: bottom[0].data, into: dx)
    Elementwise.addScalar(count: count, value: p.shift, into: dx)
    Elementwise.div(count: count, a: top[0].diff, b: dx, into: dx)
    Elementwise.scale(count: count, alpha: p.scale / logBase, x: dx, into: dx)
  }
}
