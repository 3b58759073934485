// Dropout layer: random zeroing of activations during training.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Dropout", in its "inverted" form: in TRAIN, `y = x · m / (1 − p)` with a fresh mask
/// `m ~ Bernoulli(1 − p)` per element and forward; in TEST, `y = x`.
///
/// After Srivastava et al. (2014).
///
/// Parameters (`dropout_param`): `dropout_ratio` p (default 0.5), the chance of dropping an
/// element, in [0, 1). The mask is drawn from ``Runtime``'s generator, so a seeded run
/// (`random_seed`) drops the same elements each time.
///
/// - bottom[0]: any shape.
/// - top[0]: the bottom's shape; may be the bottom (in place).
///
/// Backward overwrites `bottom[0].diff` with `top.diff · m / (1 − p)` in TRAIN (the forward's
/// mask) and with `top.diff` in TEST.
///
/// - Throws: `CaffeError.invalidParameter` for a ratio outside [0, 1).
public final class DropoutLayer: NeuronLayer {
  override public class var type: String { "Dropout" }

  /// 1 / (1 − p), the factor for kept elements.
  private let scale: Float
  /// The chance of keeping an element, 1 − p.
  private let keepProbability: Float
  /// The last TRAIN forward's mask, one 0 or 1 per element.
  private var mask: [UInt32] = []

  /// Reads `dropout_param`.
  /// - Throws: `CaffeError.invalidParameter` for a ratio outside [0, 1).
  public required init(_ param: LayerParameter) throws {
    let ratio = param.dropoutParam.dropoutRatio
    // Caffe stores the scale in Dtype after computing it in double.
    scale = Float(1 / (1 - Double(ratio)))
    keepProbability = 1 - ratio
    try super.init(param)
    // Caffe checks 0 < p < 1 in debug builds only; p = 0 is a harmless identity, so it is kept.
    guard ratio >= 0 && ratio < 1 else {
      throw invalid("dropout_ratio", "must be in [0, 1), got \(ratio)")
    }
  }

  /// Shapes the top and the mask.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    if mask.count != bottom[0].count {
      mask = Array(repeating: 0, count: bottom[0].count)
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let count = bottom[0].count
    guard phase == .train else {
      Elementwise.copy(count: count, from: bottom[0].data, into: top[0].data)
      return
    }
    let probability = keepProbability
    let scale = scale
    mask.withUnsafeMutableBufferPointer { mask in
      guard let pointer = mask.baseAddress else { return }
      Runtime.withGenerator {
        Random.bernoulli(count: count, probability: probability, into: pointer, using: &$0)
      }
      Activation.dropout(
        count: count, scale: scale, mask: pointer, x: bottom[0].data, into: top[0].data)
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let count = bottom[0].count
    guard phase == .train else {
      Elementwise.copy(count: count, from: top[0].diff, into: bottom[0].diff)
      return
    }
    mask.withUnsafeBufferPointer { mask in
      guard let pointer = mask.baseAddress else { return }
      Activation.dropout(
        count: count, scale: scale, mask: pointer, x: top[0].diff, into: bottom[0].diff)
    }
  }
}
