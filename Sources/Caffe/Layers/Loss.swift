// Loss layers: the LossLayer family and SoftmaxWithLoss.

import CaffeKernels
import CaffeProto
import CaffeSupport
import Foundation

/// The family of layers that compare predictions (bottom[0]) with targets (bottom[1]) and output
/// a scalar loss.
///
/// Top 0 has loss weight 1 unless `loss_weight` says otherwise; no gradient is ever forced into
/// the targets.
///
/// - bottom[0]: (N, …), the predictions.
/// - bottom[1]: (N, …), the targets; the same first dimension.
/// - top[0]: a scalar (no axes), the loss.
open class LossLayer: Layer {
  override open class var bottomCount: BlobCount { .exactly(2) }
  override open class var topCount: BlobCount { .exactly(1) }

  override open func defaultLossWeight(topIndex: Int) -> Float { topIndex == 0 ? 1 : 0 }

  override open func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

  /// Checks the first dimensions and makes top 0 a scalar.
  /// - Throws: `CaffeError.invalidNet` if the bottoms' first dimensions differ.
  override open func reshape(bottom: [Blob], top: [Blob]) throws {
    let data = bottom[0]
    let label = bottom[1]
    guard data.numAxes > 0, label.numAxes > 0, data.shape[0] == label.shape[0] else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)): The data and label should have the same "
          + "first dimension: \"\(bottomName(0))\" is \(data.shape), \"\(bottomName(1))\" is "
          + "\(label.shape)")
    }
    try top[0].reshape([])
  }

  /// Reads label `index` as a class index, as Caffe does (truncating toward zero).
  /// - Throws: `CaffeError.invalidData` for a label that is not a finite number in Int32 range.
  func classIndex(_ label: UnsafePointer<Float>, _ index: Int) throws -> Int {
    let value = label[index]
    guard value.isFinite, abs(value) < 2_147_483_648 else {
      throw CaffeError.invalidData(
        layer: name,
        reason: "label \(value) at index \(index) of \"\(bottomName(1))\" is not a "
          + "class index")
    }
    return Int(value)
  }
}

// MARK: - SoftmaxWithLoss

/// "SoftmaxWithLoss": softmax along `softmax_param.axis` followed by the multinomial logistic loss
/// `−Σ log p[label] / normaliser` (Caffe's `SoftmaxWithLossLayer`).
///
/// Parameters:
/// - `softmax_param.axis` (default 1): the class axis; the axes before it are samples, those after
///   it positions (one label per sample and position).
/// - `loss_param.ignore_label` (optional): positions with this label add no loss and no gradient.
/// - `loss_param.normalization` (default VALID): divide by the number of positions (FULL), of
///   non-ignored positions (VALID), of samples (BATCH_SIZE), or by 1 (NONE); never by less than 1.
///   The legacy `normalize: false` (without `normalization`) means BATCH_SIZE, `true` VALID.
///
/// - bottom[0]: (N, C, …), scores.
/// - bottom[1]: (N, 1, …) or (N, …), labels in [0, C), N·∏(positions) of them.
/// - top[0]: a scalar, the loss.
/// - top[1] (optional): (N, C, …), the probabilities.
///
/// Backward overwrites `bottom[0].diff` with `(p − onehot(label)) · loss weight / normaliser` (0 at
/// ignored positions); it cannot propagate to the labels.
///
/// - Throws: `CaffeError.invalidNet` if the label count does not match; `CaffeError.invalidData`
///   for a label outside [0, C) (checked on every forward, unlike Caffe's debug-only check).
public final class SoftmaxWithLossLayer: LossLayer {
  override public class var type: String { "SoftmaxWithLoss" }
  override public class var topCount: BlobCount { .range(1...2) }

  private let softmax: SoftmaxLayer
  private let probabilities = Blob()
  private let ignoreLabel: Int?
  private let normalization: LossParameter.NormalizationMode
  private var outer = 0
  private var channels = 0
  private var inner = 0

  /// Reads `loss_param` and creates the inner softmax.
  /// - Throws: what ``SoftmaxLayer`` throws for its parameters.
  public required init(_ param: LayerParameter) throws {
    var softmaxParam = param
    softmaxParam.type = SoftmaxLayer.type
    softmaxParam.bottom = Array(param.bottom.prefix(1))
    softmaxParam.top = []
    softmaxParam.lossWeight = []
    softmax = try SoftmaxLayer(softmaxParam)
    let loss = param.lossParam
    ignoreLabel = loss.hasIgnoreLabel ? Int(loss.ignoreLabel) : nil
    if !loss.hasNormalization && loss.hasNormalize {
      normalization = loss.normalize ? .valid : .batchSize
    } else {
      normalization = loss.normalization
    }
    try super.init(param)
  }

  /// Sets up the inner softmax.
  /// - Throws: `CaffeError.invalidParameter` if `softmax_param.axis` is out of range.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    _ = try axisIndex(Int(param.softmaxParam.axis), of: bottom[0], field: "axis")
    try softmax.setUp(bottom: [bottom[0]], top: [probabilities])
  }

  /// Shapes the loss and probability tops.
  /// - Throws: `CaffeError.invalidNet` if the first dimensions or the label count do not match.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    let scores = bottom[0]
    let axis = try axisIndex(Int(param.softmaxParam.axis), of: scores, field: "axis")
    try softmax.reshape(bottom: [scores], top: [probabilities])
    outer = scores.count(from: 0, to: axis)
    channels = scores.shape[axis]
    inner = scores.count(from: axis + 1)
    guard outer * inner == bottom[1].count else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (SoftmaxWithLoss): Number of labels must match number of "
          + "predictions; e.g., if softmax axis == 1 and prediction shape is (N, C, H, W), label "
          + "count (number of labels) must be N*H*W, with integer values in {0, 1, ..., C-1}. "
          + "Here \"\(bottomName(0))\" is \(scores.shape), so \(outer * inner) labels are "
          + "needed; \"\(bottomName(1))\" has \(bottom[1].count)")
    }
    if top.count > 1 { try top[1].reshape(like: scores) }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    try softmax.forward(bottom: [bottom[0]], top: [probabilities])
    let prob = probabilities.data
    var loss: Float = 0
    var valid = 0
    try forEachLabel(bottom[1]) { sample, position, label in
      guard let label else { return }
      let p = prob[(sample * channels + label) * inner + position]
      loss -= log(max(p, Float.leastNormalMagnitude))
      valid += 1
    }
    top[0].data[0] = loss / normalizer(valid: valid)
    if top.count > 1 { top[1].shareData(with: probabilities) }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard !propagateDown[1] else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (SoftmaxWithLoss) cannot backpropagate to label inputs")
    }
    guard propagateDown[0] else { return }
    let diff = bottom[0].diff
    Elementwise.copy(count: probabilities.count, from: probabilities.data, into: diff)
    var valid = 0
    try forEachLabel(bottom[1]) { sample, position, label in
      guard let label else {
        for c in 0..<channels { diff[(sample * channels + c) * inner + position] = 0 }
        return
      }
      diff[(sample * channels + label) * inner + position] -= 1
      valid += 1
    }
    let scale = top[0].diff[0] / normalizer(valid: valid)
    BLAS.scale(count: probabilities.count, alpha: scale, x: diff)
  }

  /// Calls `body(sample, position, label)` for every label, with `nil` for an ignored one.
  /// - Throws: `CaffeError.invalidData` for a label outside [0, C).
  private func forEachLabel(_ labels: Blob, _ body: (Int, Int, Int?) -> Void) throws {
    let label = labels.data
    for sample in 0..<outer {
      for position in 0..<inner {
        let index = sample * inner + position
        let value = try classIndex(label, index)
        if value == ignoreLabel {
          body(sample, position, nil)
          continue
        }
        guard value >= 0 && value < channels else {
          throw CaffeError.invalidData(
            layer: name,
            reason: "label \(value) of sample \(sample)"
              + (inner > 1 ? " at position \(position)" : "")
              + " is outside [0, \(channels)) (\"\(bottomName(1))\")")
        }
        body(sample, position, value)
      }
    }
  }

  /// Caffe's normaliser for `valid` counted labels, never below 1.
  private func normalizer(valid: Int) -> Float {
    let value: Int
    switch normalization {
    case .full: value = outer * inner
    case .valid: value = valid
    case .batchSize: value = outer
    default: value = 1
    }
    return max(1, Float(value))
  }
}
