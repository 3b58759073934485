// More loss layers: EuclideanLoss, SigmoidCrossEntropyLoss, MultinomialLogisticLoss, HingeLoss,
// ContrastiveLoss.

import CaffeKernels
import CaffeProto
import CaffeSupport
import Foundation

// MARK: - EuclideanLoss

/// "EuclideanLoss": `L = Σ (a − b)² / (2N)`, the sum of squares over everything, halved and
/// averaged over the batch.
///
/// - bottom[0]: (N, …), the predictions a.
/// - bottom[1]: (N, …), the targets b, as many values per sample as a.
/// - top[0]: a scalar, the loss.
///
/// Backward overwrites `bottom[0].diff` with `(a − b) · w / N` and `bottom[1].diff` with
/// `(b − a) · w / N` (w the loss weight); unlike most losses, both bottoms take gradients.
///
/// - Throws: `CaffeError.invalidNet` if the first dimensions or the per-sample counts differ.
public final class EuclideanLossLayer: LossLayer {
  override public class var type: String { "EuclideanLoss" }

  /// a − b, the bottoms' shape.
  private let difference = Blob()

  override public func allowForceBackward(bottomIndex: Int) -> Bool { true }

  /// Checks the bottoms' sizes and shapes the difference buffer.
  /// - Throws: `CaffeError.invalidNet` if the first dimensions or the per-sample counts differ.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    guard bottom[0].count(from: 1) == bottom[1].count(from: 1) else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (EuclideanLoss): Inputs must have the same dimension: "
          + "\"\(bottomName(0))\" is \(bottom[0].shape), \"\(bottomName(1))\" is "
          + "\(bottom[1].shape)")
    }
    try difference.reshape(like: bottom[0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let count = bottom[0].count
    Elementwise.sub(count: count, a: bottom[0].data, b: bottom[1].data, into: difference.data)
    let sumOfSquares = BLAS.dot(count: count, x: difference.data, y: difference.data)
    top[0].data[0] = sumOfSquares / Float(bottom[0].shape[0]) / 2
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    for i in 0..<2 where propagateDown[i] {
      let sign: Float = i == 0 ? 1 : -1
      let alpha = sign * top[0].diff[0] / Float(bottom[i].shape[0])
      Elementwise.scale(
        count: bottom[i].count, alpha: alpha, x: difference.data, into: bottom[i].diff)
    }
  }
}

// MARK: - SigmoidCrossEntropyLoss

/// "SigmoidCrossEntropyLoss": the cross-entropy of targets t ∈ [0, 1] against `p = σ(x)`,
/// `−Σ [t · log p + (1 − t) · log(1 − p)] / normaliser`, evaluated in the overflow-free form
/// `x · (t − [x ≥ 0]) − log(1 + e^(x − 2x·[x ≥ 0]))`.
///
/// Parameters (`loss_param`):
/// - `ignore_label` (optional): elements whose target, truncated to an integer as Caffe does,
///   equals it add no loss and no gradient;
/// - `normalization` (default BATCH_SIZE for this layer, unlike SoftmaxWithLoss): FULL, VALID,
///   BATCH_SIZE or NONE; the legacy `normalize: true` means VALID, `false` BATCH_SIZE.
///
/// - bottom[0]: (N, …), scores x.
/// - bottom[1]: (N, …), targets t, as many as scores.
/// - top[0]: a scalar, the loss.
///
/// Backward overwrites `bottom[0].diff` with `(σ(x) − t) · loss weight / normaliser` (0 at
/// ignored elements); it cannot propagate to the targets.
///
/// - Throws: `CaffeError.invalidNet` if the counts differ, or if asked for the targets' gradient.
public final class SigmoidCrossEntropyLossLayer: LossLayer {
  override public class var type: String { "SigmoidCrossEntropyLoss" }

  /// σ(x), the scores' shape.
  private let sigmoid = Blob()
  private let ignoreLabel: Int?
  private var normalization = LossParameter.NormalizationMode.batchSize
  /// The last forward's normaliser, which backward reuses.
  private var lastNormalizer: Float = 1

  /// Reads `loss_param`.
  public required init(_ param: LayerParameter) throws {
    ignoreLabel = param.lossParam.hasIgnoreLabel ? Int(param.lossParam.ignoreLabel) : nil
    try super.init(param)
    normalization = normalizationMode(default: .batchSize)
  }

  /// Checks the counts and shapes the sigmoid buffer.
  /// - Throws: `CaffeError.invalidNet` if the first dimensions or the counts differ.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    guard bottom[0].count == bottom[1].count else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (SigmoidCrossEntropyLoss): inputs must have the same count: "
          + "\"\(bottomName(0))\" is \(bottom[0].shape), \"\(bottomName(1))\" is "
          + "\(bottom[1].shape)")
    }
    try sigmoid.reshape(like: bottom[0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let scores = bottom[0]
    let count = scores.count
    Activation.sigmoidForward(count: count, x: scores.data, into: sigmoid.data)
    let (x, target) = (scores.data, bottom[1].data)
    var loss: Float = 0
    var valid = 0
    for i in 0..<count where !isIgnored(target[i]) {
      let positive: Float = x[i] >= 0 ? 1 : 0
      loss -= x[i] * (target[i] - positive) - log(1 + exp(x[i] - 2 * x[i] * positive))
      valid += 1
    }
    lastNormalizer = normalizer(
      normalization, outer: scores.shape[0], inner: scores.count(from: 1), valid: valid)
    top[0].data[0] = loss / lastNormalizer
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    try refuseLabelGradient(propagateDown)
    guard propagateDown[0] else { return }
    let count = bottom[0].count
    let (diff, target) = (bottom[0].diff, bottom[1].data)
    Elementwise.sub(count: count, a: sigmoid.data, b: target, into: diff)
    if ignoreLabel != nil {
      for i in 0..<count where isIgnored(target[i]) { diff[i] = 0 }
    }
    BLAS.scale(count: count, alpha: top[0].diff[0] / lastNormalizer, x: diff)
  }

  private func isIgnored(_ target: Float) -> Bool {
    ignoreLabel != nil && truncatedLabel(target) == ignoreLabel
  }
}

// MARK: - MultinomialLogisticLoss

/// "MultinomialLogisticLoss": `L = −Σ_n log(max(p[n, label_n], 1e-20)) / N` on probabilities
/// that a previous layer (usually Softmax) computed.
///
/// - bottom[0]: (N, C, …), probabilities; the values of sample n are its C·… classes.
/// - bottom[1]: (N), (N, 1) or (N, 1, 1, 1), one label in [0, C·…) per sample.
/// - top[0]: a scalar, the loss.
///
/// Backward overwrites `bottom[0].diff` with `−w / (N · max(p, 1e-20))` at each sample's label
/// and 0 elsewhere (w the loss weight); it cannot propagate to the labels.
///
/// - Throws: `CaffeError.invalidNet` if the first dimensions differ; `CaffeError.shapeMismatch`
///   if the labels are not one per sample; `CaffeError.invalidData` for a label out of range.
public final class MultinomialLogisticLossLayer: LossLayer {
  override public class var type: String { "MultinomialLogisticLoss" }

  /// Checks that there is one label per sample.
  /// - Throws: `CaffeError.invalidNet` if the first dimensions differ;
  ///   `CaffeError.shapeMismatch` if the labels are not one per sample.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    try checkOneLabelPerSample(bottom)
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (num, dim) = (bottom[0].shape[0], bottom[0].count(from: 1))
    let prob = bottom[0].data
    var loss: Float = 0
    try forEachLabel(bottom[1], outer: num, inner: 1, classes: dim, ignoreLabel: nil) {
      sample, _, label in
      guard let label else { return }
      loss -= log(max(prob[sample * dim + label], LossLayer.logThreshold))
    }
    top[0].data[0] = loss / Float(num)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    try refuseLabelGradient(propagateDown)
    guard propagateDown[0] else { return }
    let (num, dim) = (bottom[0].shape[0], bottom[0].count(from: 1))
    let (prob, diff) = (bottom[0].data, bottom[0].diff)
    Elementwise.set(count: bottom[0].count, value: 0, into: diff)
    let scale = -top[0].diff[0] / Float(num)
    try forEachLabel(bottom[1], outer: num, inner: 1, classes: dim, ignoreLabel: nil) {
      sample, _, label in
      guard let label else { return }
      let at = sample * dim + label
      diff[at] = scale / max(prob[at], LossLayer.logThreshold)
    }
  }
}

// MARK: - HingeLoss

/// "HingeLoss": the one-versus-all hinge loss.
///
/// With `t = −1` at the sample's label and `+1` elsewhere, `h = max(0, 1 + t · x)` and
/// `L = Σ h / N` (L1) or `Σ h² / N` (L2).
///
/// Parameters (`hinge_loss_param`): `norm` (default L1), L1 or L2.
///
/// - bottom[0]: (N, C, …), scores; the values of sample n are its C·… classes.
/// - bottom[1]: (N), (N, 1) or (N, 1, 1, 1), one label in [0, C·…) per sample.
/// - top[0]: a scalar, the loss.
///
/// Backward overwrites `bottom[0].diff` with `−t · sign(h) · w / N` (L1) or `−t · 2h · w / N`
/// (L2), w the loss weight; it cannot propagate to the labels.
///
/// - Throws: `CaffeError.invalidNet` if the first dimensions differ; `CaffeError.shapeMismatch`
///   if the labels are not one per sample; `CaffeError.invalidData` for a label out of range.
public final class HingeLossLayer: LossLayer {
  override public class var type: String { "HingeLoss" }

  /// h, the scores' shape.
  private let margins = Blob()

  /// Checks that there is one label per sample and shapes the margin buffer.
  /// - Throws: `CaffeError.invalidNet` if the first dimensions differ;
  ///   `CaffeError.shapeMismatch` if the labels are not one per sample.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    try checkOneLabelPerSample(bottom)
    try margins.reshape(like: bottom[0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (num, count) = (bottom[0].shape[0], bottom[0].count)
    let h = margins.data
    Elementwise.copy(count: count, from: bottom[0].data, into: h)
    try flipLabelEntries(h, bottom: bottom)
    for i in 0..<count { h[i] = max(0, 1 + h[i]) }
    let total =
      param.hingeLossParam.norm == .l2
      ? BLAS.dot(count: count, x: h, y: h) : BLAS.asum(count: count, x: h)
    top[0].data[0] = total / Float(num)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    try refuseLabelGradient(propagateDown)
    guard propagateDown[0] else { return }
    let (num, count) = (bottom[0].shape[0], bottom[0].count)
    let diff = bottom[0].diff
    Elementwise.copy(count: count, from: margins.data, into: diff)
    try flipLabelEntries(diff, bottom: bottom)
    let weight = top[0].diff[0] / Float(num)
    if param.hingeLossParam.norm == .l2 {
      BLAS.scale(count: count, alpha: 2 * weight, x: diff)
    } else {
      Elementwise.sign(count: count, x: diff, into: diff)
      BLAS.scale(count: count, alpha: weight, x: diff)
    }
  }

  /// Negates each sample's entry at its label.
  /// - Throws: `CaffeError.invalidData` for a label out of range.
  private func flipLabelEntries(_ values: UnsafeMutablePointer<Float>, bottom: [Blob]) throws {
    let (num, dim) = (bottom[0].shape[0], bottom[0].count(from: 1))
    try forEachLabel(bottom[1], outer: num, inner: 1, classes: dim, ignoreLabel: nil) {
      sample, _, label in
      guard let label else { return }
      values[sample * dim + label] *= -1
    }
  }
}

// MARK: - ContrastiveLoss

/// "ContrastiveLoss" (Hadsell, Chopra & LeCun 2006), for siamese nets: with `d = ‖a − b‖` per
/// pair, `L = Σ [y · d² + (1 − y) · max(margin − d, 0)²] / (2N)`; with `legacy_version` the
/// dissimilar term is `max(margin − d², 0)` instead.
///
/// Parameters (`contrastive_loss_param`): `margin` (default 1), `legacy_version` (default false).
///
/// - bottom[0]: (N, C, 1, 1) or (N, C), the first features a.
/// - bottom[1]: (N, C, 1, 1) or (N, C), the second features b.
/// - bottom[2]: (N, 1, 1, 1) or (N), y: non-zero (after truncation to an integer) for a similar
///   pair.
/// - top[0]: a scalar, the loss.
///
/// Backward overwrites `bottom[0].diff` and `bottom[1].diff` (with opposite signs): for a similar
/// pair `±(a − b) · w / N`; for a dissimilar one inside the margin `∓(a − b) · w / N` (legacy)
/// or `∓(a − b) · (margin − d) / (d + 1e-4) · w / N`, and 0 outside it. It cannot propagate to y.
///
/// - Throws: `CaffeError.invalidNet` if the first dimensions differ;
///   `CaffeError.shapeMismatch` for bottoms that are not (N, C, 1, 1), (N, C, 1, 1), (N, 1, 1, 1);
///   `CaffeError.invalidData` for a y that is not a number.
public final class ContrastiveLossLayer: LossLayer {
  override public class var type: String { "ContrastiveLoss" }
  override public class var bottomCount: BlobCount { .exactly(3) }

  /// a − b, (N, C).
  private let difference = Blob()
  /// d² for each pair, (N).
  private var distanceSquared: [Float] = []

  override public func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 2 }

  /// Checks the three bottoms' shapes and sizes the buffers.
  /// - Throws: `CaffeError.invalidNet` if the first dimensions differ;
  ///   `CaffeError.shapeMismatch` for a bottom of the wrong shape.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try super.reshape(bottom: bottom, top: top)
    let (a, b, y) = (bottom[0], bottom[1], bottom[2])
    let (num, channels) = (a.shape[0], a.channels)
    let pairShape = [num, channels, 1, 1]
    guard a.count(from: 2) == 1 else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(0), expected: pairShape, actual: a.shape)
    }
    guard b.count(from: 2) == 1, b.channels == channels else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(1), expected: pairShape, actual: b.shape)
    }
    guard y.numAxes > 0, y.shape[0] == num, y.count == num else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(2), expected: [num, 1, 1, 1], actual: y.shape)
    }
    try difference.reshape(like: a)
    distanceSquared = Array(repeating: 0, count: num)
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (a, b) = (bottom[0], bottom[1])
    let (num, channels) = (a.shape[0], a.channels)
    let p = param.contrastiveLossParam
    Elementwise.sub(count: a.count, a: a.data, b: b.data, into: difference.data)
    var loss: Float = 0
    for n in 0..<num {
      // difference is (N, C); row n holds pair n.
      let row = difference.data + n * channels
      let d2 = BLAS.dot(count: channels, x: row, y: row)
      distanceSquared[n] = d2
      if try isSimilar(bottom[2], n) {
        loss += d2
      } else if p.legacyVersion {
        loss += max(p.margin - d2, 0)
      } else {
        let gap = max(p.margin - d2.squareRoot(), 0)
        loss += gap * gap
      }
    }
    top[0].data[0] = loss / Float(num) / 2
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let p = param.contrastiveLossParam
    let (num, channels) = (bottom[0].shape[0], bottom[0].channels)
    for i in 0..<2 where propagateDown[i] {
      let alpha = (i == 0 ? 1 : -1) * top[0].diff[0] / Float(num)
      for n in 0..<num {
        let row = difference.data + n * channels
        let out = bottom[i].diff + n * channels
        var factor = alpha
        if try !isSimilar(bottom[2], n) {
          let d2 = distanceSquared[n]
          let distance = d2.squareRoot()
          let inside = p.legacyVersion ? p.margin - d2 : p.margin - distance
          factor = p.legacyVersion ? -alpha : -alpha * inside / (distance + 1e-4)
          if !(inside > 0) { factor = 0 }
        }
        Elementwise.scale(count: channels, alpha: factor, x: row, into: out)
      }
    }
  }

  /// Whether pair `n` is similar (y, truncated to an integer as Caffe does, is non-zero).
  /// - Throws: `CaffeError.invalidData` for a y that is not a number.
  private func isSimilar(_ y: Blob, _ n: Int) throws -> Bool {
    try classIndex(y.data, n) != 0
  }
}

// MARK: - Helpers

extension LossLayer {
  /// Checks that bottom[1] holds exactly one label per sample of bottom[0] (Caffe: labels of
  /// shape (N, 1, 1, 1)).
  /// - Throws: `CaffeError.shapeMismatch` naming bottom[1] otherwise.
  func checkOneLabelPerSample(_ bottom: [Blob]) throws {
    let num = bottom[0].shape[0]
    guard bottom[1].count == num else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(1), expected: [num], actual: bottom[1].shape)
    }
  }
}
