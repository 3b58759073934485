// Layer: the contract every layer type follows (setUp, reshape, forward, backward).

import CaffeKernels
import CaffeProto
import CaffeSupport

/// Computes `top` blobs from `bottom` blobs and, in backward, `bottom` diffs from `top` diffs.
///
/// Subclasses override ``layerSetUp(bottom:top:)`` (shape-independent setup, allocating
/// ``blobs``), ``reshape(bottom:top:)`` (top shapes and buffers), ``forwardCPU(bottom:top:)`` and
/// ``backwardCPU(top:propagateDown:bottom:)``. The base class checks blob counts, reshapes before
/// each forward and applies loss weights: a top with a non-zero loss weight `w` contributes
/// `w · Σ top.data` to the loss, and its diff is seeded with `w` so backward starts from it.
open class Layer {
  /// Caffe's type string, such as "Convolution".
  open class var type: String { "" }
  /// How many bottom blobs the type accepts.
  open class var bottomCount: BlobCount { .any }
  /// How many top blobs the type accepts.
  open class var topCount: BlobCount { .any }
  /// Whether the net creates anonymous tops up to ``topCount``'s minimum (Caffe's AutoTopBlobs).
  open class var autoTopBlobs: Bool { false }

  /// The layer's definition, as written in the prototxt.
  ///
  /// A layer may complete it during setup
  /// (BatchNorm adds `lr_mult: 0` param specs for its statistics, as Caffe does).
  public internal(set) var param: LayerParameter
  /// The phase (TRAIN or TEST) the layer runs in.
  public var phase: Phase
  /// The learnable parameter blobs (weights, biases), in Caffe's order.
  public var blobs: [Blob] = []
  /// For each blob in ``blobs``, whether backward computes its diff.
  public var paramPropagateDown: [Bool] = []
  /// The loss weight of each top (0 for tops that are not losses).
  public private(set) var lossWeights: [Float] = []

  /// The layer's name.
  public var name: String { param.name }
  /// The dynamic type string.
  public var typeName: String { Swift.type(of: self).type }

  /// Reads the shape-independent fields of `param`, including any blobs stored in it.
  /// - Throws: `CaffeError.invalidParameter` naming the layer and the field.
  public required init(_ param: LayerParameter) throws {
    self.param = param
    self.phase = param.phase
    for stored in param.blobs {
      let blob = Blob()
      try blob.load(from: stored)
      blobs.append(blob)
    }
  }

  // MARK: - Wrappers called by the net

  /// Checks blob counts, runs ``layerSetUp(bottom:top:)`` and ``reshape(bottom:top:)``, and
  /// records the loss weights.
  /// - Throws: `CaffeError.blobCount` for a wrong number of blobs, or what the hooks throw.
  public final func setUp(bottom: [Blob], top: [Blob]) throws {
    try checkCount(Self.bottomCount, bottom.count, side: "bottom")
    try checkCount(Self.topCount, top.count, side: "top")
    try layerSetUp(bottom: bottom, top: top)
    try reshape(bottom: bottom, top: top)
    try setLossWeights(top: top)
  }

  /// Reshapes, computes the tops and returns the weighted loss of this layer's tops.
  /// - Throws: what ``reshape(bottom:top:)`` and ``forwardCPU(bottom:top:)`` throw.
  @discardableResult
  public final func forward(bottom: [Blob], top: [Blob]) throws -> Float {
    try reshape(bottom: bottom, top: top)
    try forwardCPU(bottom: bottom, top: top)
    var loss: Float = 0
    for (index, weight) in lossWeights.enumerated() where weight != 0 {
      let blob = top[index]
      var sum: Float = 0
      for i in 0..<blob.count { sum += blob.data[i] }
      loss += weight * sum
      Elementwise.set(count: blob.count, value: weight, into: blob.diff)
    }
    return loss
  }

  /// Computes the bottom diffs (where `propagateDown` says so) and the parameter diffs.
  /// - Throws: what ``backwardCPU(top:propagateDown:bottom:)`` throws.
  public final func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    try backwardCPU(top: top, propagateDown: propagateDown, bottom: bottom)
  }

  // MARK: - Hooks for subclasses

  /// One-time setup that does not depend on bottom shapes beyond their first values.
  open func layerSetUp(bottom: [Blob], top: [Blob]) throws {}

  /// Sets the top shapes (and internal buffers) from the bottom shapes.
  open func reshape(bottom: [Blob], top: [Blob]) throws {
    throw CaffeError.invalidNet(reason: "layer type \(typeName) does not implement reshape")
  }

  /// Computes the tops on the CPU.
  open func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    throw CaffeError.invalidNet(reason: "layer type \(typeName) does not implement forward")
  }

  /// Computes bottom diffs (for `propagateDown[i]`) and accumulates parameter diffs.
  open func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    if propagateDown.contains(true) {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)) cannot propagate gradients to its bottoms")
    }
  }

  /// Whether `force_backward` may make this bottom compute a diff (false for labels).
  open func allowForceBackward(bottomIndex: Int) -> Bool { true }

  /// The loss weight a top gets when `loss_weight` is not given (1 for a loss layer's top 0).
  open func defaultLossWeight(topIndex: Int) -> Float { 0 }

  // MARK: - Helpers

  /// An error naming this layer, its type and the offending field.
  public func invalid(_ field: String, _ reason: String) -> CaffeError {
    .invalidParameter(layer: name, type: typeName, field: field, reason: reason)
  }

  /// Creates ``paramPropagateDown`` with one `true` per blob.
  public func resetParamPropagateDown() {
    paramPropagateDown = Array(repeating: true, count: blobs.count)
  }

  private func checkCount(_ allowed: BlobCount, _ given: Int, side: String) throws {
    guard allowed.accepts(given) else {
      throw CaffeError.blobCount(
        layer: name, type: typeName, side: side, expected: allowed.text, actual: given)
    }
  }

  private func setLossWeights(top: [Blob]) throws {
    let given = param.lossWeight
    guard given.isEmpty || given.count == top.count else {
      throw invalid(
        "loss_weight",
        "given \(given.count) times for \(top.count) tops; give it once per top or not at all")
    }
    lossWeights = top.indices.map { given.isEmpty ? defaultLossWeight(topIndex: $0) : given[$0] }
    for (index, weight) in lossWeights.enumerated() where weight != 0 {
      Elementwise.set(count: top[index].count, value: weight, into: top[index].diff)
    }
  }
}
