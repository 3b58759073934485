// GradientChecker: compares a layer's backward pass with central finite differences.

import Caffe

/// Checks a layer's analytic gradients against central differences, with the semantics of
/// Caffe's `GradientChecker` (`test_gradient_check_util.hpp`).
///
/// The objective is either ½·Σ top² over every top (`topID == nil`), or twice one top element.
/// For every element `x` of every checked blob, the estimate is `(f(x + h) − f(x − h)) / 2h`, and
/// it must agree with the analytic diff within `threshold · max(|analytic|, |estimate|, 1)`.
/// Elements whose value lies in the kink region `kink − kinkRange ≤ |x| ≤ kink + kinkRange` are
/// skipped (non-smooth points such as ReLU's 0). ``Runtime`` is reseeded with `seed` before every
/// forward, so layers that draw random numbers see the same ones each time.
///
/// Disagreements are returned as values, so that tests can `#expect(failures.isEmpty)`.
public struct GradientChecker {
  /// One element whose analytic and numeric gradients disagree.
  public struct Failure: CustomStringConvertible, Sendable {
    /// The top of the objective (nil: ½·Σ top² over all tops).
    public var topID: Int?
    /// The element of that top (nil with `topID == nil`).
    public var topDataID: Int?
    /// The checked blob: parameter blobs first, then bottoms.
    public var blobID: Int
    /// The element of that blob.
    public var featureID: Int
    /// The element's value.
    public var feature: Float
    /// The gradient backward computed.
    public var computed: Float
    /// The central-difference estimate.
    public var estimated: Float

    /// A one-line account, in the order Caffe's message gives.
    public var description: String {
      "(top \(topID.map(String.init) ?? "all"), element \(topDataID.map(String.init) ?? "all"), "
        + "blob \(blobID), feature \(featureID)): feature \(feature), computed \(computed), "
        + "estimated \(estimated)"
    }
  }

  /// The finite-difference step h.
  public var stepSize: Float
  /// The relative tolerance.
  public var threshold: Float
  /// The seed set before every forward.
  public var seed: UInt64
  /// The centre of the skipped non-smooth region.
  public var kink: Float
  /// The half-width of the skipped region (negative: skip nothing).
  public var kinkRange: Float

  /// Creates a checker with Caffe's defaults (seed 1701, no kink).
  ///
  /// - Parameters:
  ///   - stepSize: the finite-difference step (Caffe's tests mostly use 1e-2).
  ///   - threshold: the relative tolerance (mostly 1e-3; 1e-2 for losses and pooling).
  ///   - seed: the random seed set before every forward.
  ///   - kink: the centre of the skipped region.
  ///   - kinkRange: its half-width; negative skips nothing.
  public init(
    stepSize: Float, threshold: Float, seed: UInt64 = 1701, kink: Float = 0, kinkRange: Float = -1
  ) {
    self.stepSize = stepSize
    self.threshold = threshold
    self.seed = seed
    self.kink = kink
    self.kinkRange = kinkRange
  }

  /// Sets the layer up, then checks the objective ½·Σ top² once.
  ///
  /// - Parameters:
  ///   - layer: the layer under test.
  ///   - bottom: its input blobs.
  ///   - top: its output blobs.
  ///   - checkBottom: which bottoms to check besides the parameters: -1 all, `i ≥ 0` only
  ///     bottom `i`, below -1 none (as Caffe's `check_bottom`).
  /// - Returns: the disagreeing elements.
  /// - Throws: what the layer throws.
  public func checkGradient(
    _ layer: Layer, bottom: [Blob], top: [Blob], checkBottom: Int = -1
  ) throws -> [Failure] {
    try layer.setUp(bottom: bottom, top: top)
    return try checkGradientSingle(
      layer, bottom: bottom, top: top, checkBottom: checkBottom, topID: nil, topDataID: nil)
  }

  /// Sets the layer up, then checks the objective "one top element" for every element of every
  /// top.
  ///
  /// - Parameters:
  ///   - layer: the layer under test.
  ///   - bottom: its input blobs.
  ///   - top: its output blobs.
  ///   - checkBottom: as in ``checkGradient(_:bottom:top:checkBottom:)``.
  /// - Returns: the disagreeing elements.
  /// - Throws: what the layer throws.
  public func checkGradientExhaustive(
    _ layer: Layer, bottom: [Blob], top: [Blob], checkBottom: Int = -1
  ) throws -> [Failure] {
    try layer.setUp(bottom: bottom, top: top)
    // A forward first: some layers (Filter) size their tops from the data, not at setup.
    try layer.forward(bottom: bottom, top: top)
    var failures: [Failure] = []
    for topID in top.indices {
      for element in 0..<top[topID].count {
        failures += try checkGradientSingle(
          layer, bottom: bottom, top: top, checkBottom: checkBottom, topID: topID,
          topDataID: element)
      }
    }
    return failures
  }

  /// Sets an element-wise layer (no parameters, `dy[i]/dx[j] = 0` for i ≠ j) up and checks each
  /// top element against the matching bottom element only; the other analytic entries must be 0.
  ///
  /// - Returns: the disagreeing elements.
  /// - Throws: what the layer throws.
  public func checkGradientEltwise(_ layer: Layer, bottom: [Blob], top: [Blob]) throws
    -> [Failure]
  {
    try layer.setUp(bottom: bottom, top: top)
    var failures: [Failure] = []
    for topID in top.indices {
      for element in 0..<top[topID].count {
        failures += try checkGradientSingle(
          layer, bottom: bottom, top: top, checkBottom: -1, topID: topID, topDataID: element,
          elementwise: true)
      }
    }
    return failures
  }

  /// Checks one objective: ½·Σ top² (`topID == nil`) or `2 · top[topID][topDataID]`.
  ///
  /// The parameter diffs are zeroed first. The layer must already be set up.
  ///
  /// - Parameters:
  ///   - layer: the layer under test, already set up.
  ///   - bottom: its input blobs.
  ///   - top: its output blobs.
  ///   - checkBottom: -1 all bottoms, `i ≥ 0` only bottom `i`, below -1 none.
  ///   - topID: the top of a one-element objective, or nil.
  ///   - topDataID: the element of that top.
  ///   - elementwise: difference only the element matching `topDataID`.
  /// - Returns: the disagreeing elements.
  /// - Throws: what the layer throws.
  public func checkGradientSingle(
    _ layer: Layer, bottom: [Blob], top: [Blob], checkBottom: Int, topID: Int?, topDataID: Int?,
    elementwise: Bool = false
  ) throws -> [Failure] {
    var checked: [Blob] = []
    for blob in layer.blobs {
      blob.diff.update(repeating: 0, count: blob.count)
      checked.append(blob)
    }
    var propagateDown = Array(repeating: checkBottom == -1, count: bottom.count)
    if checkBottom == -1 {
      checked += bottom
    } else if checkBottom >= 0 {
      checked.append(bottom[checkBottom])
      propagateDown[checkBottom] = true
    }
    Runtime.setRandomSeed(seed)
    try layer.forward(bottom: bottom, top: top)
    _ = objective(top: top, topID: topID, topDataID: topDataID)
    try layer.backward(top: top, propagateDown: propagateDown, bottom: bottom)
    let computed = checked.map { $0.diffArray }

    var failures: [Failure] = []
    for (blobID, blob) in checked.enumerated() {
      for featureID in 0..<blob.count {
        var estimated: Float = 0
        if !elementwise || featureID == topDataID {
          let original = blob.data[featureID]
          blob.data[featureID] = original + stepSize
          let positive = try evaluate(layer, bottom, top, topID, topDataID)
          blob.data[featureID] = original - stepSize
          let negative = try evaluate(layer, bottom, top, topID, topDataID)
          blob.data[featureID] = original
          estimated = (positive - negative) / stepSize / 2
        }
        let analytic = computed[blobID][featureID]
        let feature = blob.data[featureID]
        guard kink - kinkRange > abs(feature) || abs(feature) > kink + kinkRange else { continue }
        let scale = max(abs(analytic), abs(estimated), 1)
        if !(abs(analytic - estimated) <= threshold * scale) {
          failures.append(
            Failure(
              topID: topID, topDataID: topDataID, blobID: blobID, featureID: featureID,
              feature: feature, computed: analytic, estimated: estimated))
        }
      }
    }
    return failures
  }

  /// Reseeds, runs forward and returns the objective.
  private func evaluate(
    _ layer: Layer, _ bottom: [Blob], _ top: [Blob], _ topID: Int?, _ topDataID: Int?
  ) throws -> Float {
    Runtime.setRandomSeed(seed)
    try layer.forward(bottom: bottom, top: top)
    return objective(top: top, topID: topID, topDataID: topDataID)
  }

  /// Computes the objective and writes its gradient into the top diffs.
  private func objective(top: [Blob], topID: Int?, topDataID: Int?) -> Float {
    guard let topID, let topDataID else {
      var sum: Float = 0
      for blob in top {
        for i in 0..<blob.count {
          sum += blob.data[i] * blob.data[i]
          blob.diff[i] = blob.data[i]
        }
      }
      return sum / 2
    }
    for blob in top { blob.diff.update(repeating: 0, count: blob.count) }
    let lossWeight: Float = 2
    top[topID].diff[topDataID] = lossWeight
    return top[topID].data[topDataID] * lossWeight
  }
}
