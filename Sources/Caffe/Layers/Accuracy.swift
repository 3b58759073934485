// Accuracy layer: the fraction of predictions whose true class is among the top k scores.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Accuracy": the fraction of labelled positions whose true class scores among the `top_k`
/// highest (Caffe's `AccuracyLayer`); a class tied with the true one counts as scoring higher.
///
/// Parameters (`accuracy_param`):
/// - `top_k` (default 1): how many of the best scores may hold the true class; at most C.
/// - `axis` (default 1): the class axis; the axes before it are samples, those after it
///   positions.
/// - `ignore_label` (optional): positions with this label are not counted.
///
/// - bottom[0]: (N, C, …), scores.
/// - bottom[1]: (N, 1, …) or (N, …), labels in [0, C), N·∏(positions) of them.
/// - top[0]: a scalar, the accuracy (0 when no position is counted).
/// - top[1] (optional): (C), the accuracy per true class (0 for a class that never occurs).
///
/// The layer has no backward: asking for bottom gradients is an error.
///
/// - Throws: `CaffeError.invalidParameter` for `top_k` above C or a bad `axis`;
///   `CaffeError.invalidNet` if the label count does not match; `CaffeError.invalidData` for a
///   label outside [0, C).
public final class AccuracyLayer: Layer {
  override public class var type: String { "Accuracy" }
  override public class var bottomCount: BlobCount { .exactly(2) }
  override public class var topCount: BlobCount { .range(1...2) }

  private let topK: Int
  private let ignoreLabel: Int?
  private var outer = 0
  private var classes = 0
  private var inner = 0

  /// Reads `accuracy_param`.
  /// - Throws: `CaffeError.invalidParameter` if `top_k` is 0.
  public required init(_ param: LayerParameter) throws {
    let accuracy = param.accuracyParam
    topK = Int(accuracy.topK)
    ignoreLabel = accuracy.hasIgnoreLabel ? Int(accuracy.ignoreLabel) : nil
    try super.init(param)
    guard topK > 0 else { throw invalid("top_k", "must be positive, got 0") }
  }

  override public func allowForceBackward(bottomIndex: Int) -> Bool { false }

  /// Shapes the scalar top and the per-class top.
  /// - Throws: `CaffeError.invalidParameter` for `top_k` above the class count or a bad `axis`;
  ///   `CaffeError.invalidNet` if the label count does not match.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let scores = bottom[0]
    let axis = try axisIndex(Int(param.accuracyParam.axis), of: scores, field: "axis")
    outer = scores.count(from: 0, to: axis)
    classes = scores.shape[axis]
    inner = scores.count(from: axis + 1)
    guard topK <= classes else {
      throw invalid(
        "top_k",
        "top_k \(topK) must be less than or equal to the number of classes "
          + "(\(classes) in \"\(bottomName(0))\", shape \(scores.shape))")
    }
    try checkLabelCount(
      scores: scores, labels: bottom[1], predictions: outer * inner, axisName: "label")
    try top[0].reshape([])
    if top.count > 1 { try top[1].reshape([classes]) }
  }

  /// Counts the hits.
  /// - Throws: `CaffeError.invalidData` for a label that is not a class index in [0, C).
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let score = bottom[0].data
    let label = bottom[1].data
    var hitsPerClass = [Int](repeating: 0, count: top.count > 1 ? classes : 0)
    var countPerClass = hitsPerClass
    var hits = 0
    var counted = 0
    for sample in 0..<outer {
      for position in 0..<inner {
        let value = label[sample * inner + position]
        guard value.isFinite, abs(value) < 2_147_483_648 else {
          throw labelError("\(value)", sample, position)
        }
        let truth = Int(value)
        if truth == ignoreLabel { continue }
        guard truth >= 0 && truth < classes else { throw labelError("\(truth)", sample, position) }
        // (outer, C, inner): the scores of one position are `inner` apart.
        let row = score + sample * classes * inner + position
        let trueScore = row[truth * inner]
        var better = 0
        for c in 0..<classes where row[c * inner] >= trueScore { better += 1 }
        counted += 1
        if top.count > 1 { countPerClass[truth] += 1 }
        // `better` includes the true class itself.
        if better <= topK {
          hits += 1
          if top.count > 1 { hitsPerClass[truth] += 1 }
        }
      }
    }
    top[0].data[0] = counted == 0 ? 0 : Float(hits) / Float(counted)
    if top.count > 1 {
      for c in 0..<classes {
        top[1].data[c] =
          countPerClass[c] == 0 ? 0 : Float(hitsPerClass[c]) / Float(countPerClass[c])
      }
    }
  }

  private func labelError(_ value: String, _ sample: Int, _ position: Int) -> CaffeError {
    .invalidData(
      layer: name,
      reason: "label \(value) of sample \(sample)"
        + (inner > 1 ? " at position \(position)" : "")
        + " is outside [0, \(classes)) (\"\(bottomName(1))\")")
  }
}
