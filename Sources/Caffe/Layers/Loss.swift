// Loss layers: the LossLayer family and the softmax-based losses (SoftmaxWithLoss, InfogainLoss).

import CaffeKernels
import CaffeProto
import CaffeSupport
import Foundation

/// The family of layers that compare predictions (bottom[0]) with targets (bottom[1]) and output
/// a scalar loss.
///
/// Top 0 has loss weight 1 unless `loss_weight` says otherwise; no gradient is ever forced into
/// the targets. As in Caffe, a loss layer written without a `top` gets an anonymous one, so its
/// loss still counts.
///
/// - bottom[0]: (N, …), the predictions.
/// - bottom[1]: (N, …), the targets; the same first dimension.
/// - top[0]: a scalar (no axes), the loss.
open class LossLayer: Layer {
  override open class var bottomCount: BlobCount { .exactly(2) }
  override open class var topCount: BlobCount { .exactly(1) }
  override open class var autoTopBlobs: Bool { true }

  /// The smallest probability whose logarithm a loss takes (Caffe's `kLOG_THRESHOLD`).
  public static let logThreshold: Float = 1e-20

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

  /// Reads a float label as Caffe's `static_cast<int>` does, or nil where that is undefined (NaN,
  /// infinite, outside Int32); used where any value is a valid target and only equality with
  /// `ignore_label` matters.
  func truncatedLabel(_ value: Float) -> Int? {
    value.isFinite && abs(value) < 2_147_483_648 ? Int(value) : nil
  }

  /// The normalisation `loss_param` asks for: `normalization` when given, else the legacy
  /// `normalize` (true: VALID, false: BATCH_SIZE), else `fallback`.
  func normalizationMode(default fallback: LossParameter.NormalizationMode)
    -> LossParameter.NormalizationMode
  {
    let loss = param.lossParam
    if loss.hasNormalization { return loss.normalization }
    if loss.hasNormalize { return loss.normalize ? .valid : .batchSize }
    return fallback
  }

  /// Caffe's loss normaliser, never below 1 (so a batch with every label ignored gives 0, not NaN).
  ///
  /// - Parameters:
  ///   - mode: FULL (`outer · inner`), VALID (`valid`), BATCH_SIZE (`outer`) or NONE (1).
  ///   - outer: the number of samples.
  ///   - inner: the number of positions per sample.
  ///   - valid: the number of labels that were not ignored.
  /// - Returns: the divisor for the summed loss, at least 1.
  func normalizer(
    _ mode: LossParameter.NormalizationMode, outer: Int, inner: Int, valid: Int
  ) -> Float {
    let value: Int
    switch mode {
    case .full: value = outer * inner
    case .valid: value = valid
    case .batchSize: value = outer
    default: value = 1
    }
    return max(1, Float(value))
  }

  /// Calls `body(sample, position, label)` for every label of an (outer, inner) grid, with `nil`
  /// for an ignored one.
  ///
  /// - Parameters:
  ///   - labels: (outer · inner) class indices stored as floats.
  ///   - outer: the number of samples.
  ///   - inner: the number of positions per sample.
  ///   - classes: the number of classes; labels must lie in [0, classes).
  ///   - ignoreLabel: the label that marks positions to skip, if any.
  ///   - body: called once per label, in order.
  /// - Throws: `CaffeError.invalidData` for a label outside [0, classes) (checked always, unlike
  ///   Caffe's debug-only check).
  func forEachLabel(
    _ labels: Blob, outer: Int, inner: Int, classes: Int, ignoreLabel: Int?,
    _ body: (_ sample: Int, _ position: Int, _ label: Int?) -> Void
  ) throws {
    let label = labels.data
    for sample in 0..<outer {
      for position in 0..<inner {
        let index = sample * inner + position
        let value = try classIndex(label, index)
        if value == ignoreLabel {
          body(sample, position, nil)
          continue
        }
        guard value >= 0 && value < classes else {
          throw CaffeError.invalidData(
            layer: name,
            reason: "label \(value) of sample \(sample)"
              + (inner > 1 ? " at position \(position)" : "")
              + " is outside [0, \(classes)) (\"\(bottomName(1))\")")
        }
        body(sample, position, value)
      }
    }
  }

  /// Refuses a gradient for the labels (bottom 1), as every classification loss does.
  /// - Throws: `CaffeError.invalidNet` if `propagateDown[1]` is set.
  func refuseLabelGradient(_ propagateDown: [Bool]) throws {
    guard propagateDown.count < 2 || !propagateDown[1] else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)) cannot backpropagate to label inputs")
    }
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
  private var normalization = LossParameter.NormalizationMode.valid
  private var outer = 0
  private var channels = 0
  private var inner = 0

  /// Reads `loss_param` and creates the inner softmax.
  /// - Throws: what ``SoftmaxLayer`` throws for its parameters.
  public required init(_ param: LayerParameter) throws {
    softmax = try Self.innerSoftmax(param, axis: param.softmaxParam.axis)
    let loss = param.lossParam
    ignoreLabel = loss.hasIgnoreLabel ? Int(loss.ignoreLabel) : nil
    try super.init(param)
    normalization = normalizationMode(default: .valid)
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
    try checkLabelCount(
      scores: scores, labels: bottom[1], predictions: outer * inner, axisName: "softmax")
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
    try refuseLabelGradient(propagateDown)
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

  private func forEachLabel(_ labels: Blob, _ body: (Int, Int, Int?) -> Void) throws {
    try forEachLabel(
      labels, outer: outer, inner: inner, classes: channels, ignoreLabel: ignoreLabel, body)
  }

  private func normalizer(valid: Int) -> Float {
    normalizer(normalization, outer: outer, inner: inner, valid: valid)
  }
}

// MARK: - InfogainLoss

/// "InfogainLoss": softmax along `infogain_loss_param.axis`, then
/// `−Σ_k H[label, k] · log(max(p_k, 1e-20)) / normaliser` for each labelled position
/// (Caffe's `InfogainLossLayer`; with H the identity it is SoftmaxWithLoss).
///
/// Parameters:
/// - `infogain_loss_param.source`: a binaryproto `BlobProto` holding H (K × K values, K the
///   number of classes), required unless H comes as bottom[2];
/// - `infogain_loss_param.axis` (default 1): the class axis; the axes before it are samples,
///   those after it positions;
/// - `loss_param.ignore_label` (optional): positions with this label add no loss and no
///   gradient;
/// - `loss_param.normalization` (default VALID), as for SoftmaxWithLoss; the deprecated
///   `normalize` is refused.
///
/// - bottom[0]: (N, K, …), scores.
/// - bottom[1]: N·∏(positions) labels in [0, K).
/// - bottom[2] (optional): H, K·K values (row = true label), used instead of `source`.
/// - top[0]: a scalar, the loss.
/// - top[1] (optional): (N, K, …), the probabilities.
///
/// Backward overwrites `bottom[0].diff` with `(p_k · Σ_j H[label, j] − H[label, k]) · loss weight
/// / normaliser` (0 at ignored positions); it cannot propagate to the labels or to H.
///
/// - Throws: `CaffeError.invalidParameter` for `normalize`, a missing `source` or a bad axis;
///   `CaffeError.io`/`invalidFile` if `source` cannot be read; `CaffeError.invalidNet` if the
///   label count does not match; `CaffeError.shapeMismatch` if H is not K × K;
///   `CaffeError.invalidData` for a label outside [0, K).
public final class InfogainLossLayer: LossLayer {
  override public class var type: String { "InfogainLoss" }
  override public class var bottomCount: BlobCount { .range(2...3) }
  override public class var topCount: BlobCount { .range(1...2) }

  private let softmax: SoftmaxLayer
  private let probabilities = Blob()
  /// H read from `source` (unused when H is bottom[2]).
  private let storedInfogain = Blob()
  private let ignoreLabel: Int?
  private var outer = 0
  private var classes = 0
  private var inner = 0

  /// Reads `infogain_loss_param` and `loss_param` and creates the inner softmax.
  /// - Throws: `CaffeError.invalidParameter` if the deprecated `loss_param.normalize` is given.
  public required init(_ param: LayerParameter) throws {
    softmax = try Self.innerSoftmax(param, axis: param.infogainLossParam.axis)
    let loss = param.lossParam
    ignoreLabel = loss.hasIgnoreLabel ? Int(loss.ignoreLabel) : nil
    try super.init(param)
    guard !loss.hasNormalize else {
      throw invalid("loss_param.normalize", "normalize is deprecated; use \"normalization\"")
    }
  }

  override public func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex == 0 }

  /// Sets up the inner softmax and reads H from `source` when there is no bottom[2].
  /// - Throws: `CaffeError.invalidParameter` for a bad axis or a missing `source`;
  ///   `CaffeError.io`/`invalidFile` if `source` cannot be read.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    _ = try axisIndex(Int(param.infogainLossParam.axis), of: bottom[0], field: "axis")
    try softmax.setUp(bottom: [bottom[0]], top: [probabilities])
    guard bottom.count < 3 else { return }
    let infogain = param.infogainLossParam
    guard infogain.hasSource else {
      throw invalid(
        "infogain_loss_param.source",
        "Infogain matrix source must be specified (or give H as a third bottom)")
    }
    try storedInfogain.load(from: BinaryProto.read(BlobProto.self, path: infogain.source))
  }

  /// Shapes the loss and probability tops and checks the labels and H.
  /// - Throws: `CaffeError.invalidNet` if the first dimensions or the label count do not match;
  ///   `CaffeError.shapeMismatch` if H does not hold K·K values.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    let scores = bottom[0]
    let axis = try axisIndex(Int(param.infogainLossParam.axis), of: scores, field: "axis")
    try softmax.reshape(bottom: [scores], top: [probabilities])
    outer = scores.count(from: 0, to: axis)
    classes = scores.shape[axis]
    inner = scores.count(from: axis + 1)
    try checkLabelCount(
      scores: scores, labels: bottom[1], predictions: outer * inner, axisName: "infogain")
    let infogain = bottom.count > 2 ? bottom[2] : storedInfogain
    guard infogain.count == classes * classes else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottom.count > 2 ? bottomName(2) : param.infogainLossParam.source,
        expected: [classes, classes], actual: infogain.shape)
    }
    if top.count > 1 { try top[1].reshape(like: scores) }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    try softmax.forward(bottom: [bottom[0]], top: [probabilities])
    let prob = probabilities.data
    let h = (bottom.count > 2 ? bottom[2] : storedInfogain).data
    let (classes, inner) = (classes, inner)
    var loss: Float = 0
    var valid = 0
    try forEachLabel(
      bottom[1], outer: outer, inner: inner, classes: classes, ignoreLabel: ignoreLabel
    ) { sample, position, label in
      guard let label else { return }
      // prob is (outer, K, inner); H is (K, K), row = true label.
      for k in 0..<classes {
        let p = prob[(sample * classes + k) * inner + position]
        loss -= h[label * classes + k] * log(max(p, LossLayer.logThreshold))
      }
      valid += 1
    }
    top[0].data[0] = loss / normalizer(valid: valid)
    if top.count > 1 { top[1].shareData(with: probabilities) }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    try refuseLabelGradient(propagateDown)
    guard propagateDown.count < 3 || !propagateDown[2] else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (InfogainLoss) cannot backpropagate to infogain inputs")
    }
    guard propagateDown[0] else { return }
    let prob = probabilities.data
    let h = (bottom.count > 2 ? bottom[2] : storedInfogain).data
    let (classes, inner) = (classes, inner)
    // Σ_j H[k, j] per row k, summed in Caffe's order; H may change when it is a bottom.
    let sums = (0..<classes).map { row in
      (0..<classes).reduce(Float(0)) { $0 + h[row * classes + $1] }
    }
    let diff = bottom[0].diff
    var valid = 0
    try forEachLabel(
      bottom[1], outer: outer, inner: inner, classes: classes, ignoreLabel: ignoreLabel
    ) { sample, position, label in
      for k in 0..<classes {
        let at = (sample * classes + k) * inner + position
        diff[at] = label.map { prob[at] * sums[$0] - h[$0 * classes + k] } ?? 0
      }
      if label != nil { valid += 1 }
    }
    BLAS.scale(count: bottom[0].count, alpha: top[0].diff[0] / normalizer(valid: valid), x: diff)
  }

  private func normalizer(valid: Int) -> Float {
    normalizer(
      normalizationMode(default: .valid), outer: outer, inner: inner, valid: valid)
  }
}

extension LossLayer {
  /// The Softmax layer a softmax-based loss runs inside itself: the loss's own definition
  /// retyped, fed by bottom[0] along `axis`, with no tops or loss weights of its own.
  ///
  /// - Returns: the inner layer.
  /// - Throws: what ``SoftmaxLayer`` throws for its parameters.
  static func innerSoftmax(_ param: LayerParameter, axis: Int32) throws -> SoftmaxLayer {
    var softmaxParam = param
    softmaxParam.type = SoftmaxLayer.type
    softmaxParam.bottom = Array(param.bottom.prefix(1))
    softmaxParam.top = []
    softmaxParam.lossWeight = []
    softmaxParam.softmaxParam.axis = axis
    return try SoftmaxLayer(softmaxParam)
  }
}
