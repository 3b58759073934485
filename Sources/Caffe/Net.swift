// Net: layers wired through named blobs, run forward and backward in order.

import CaffeProto
import CaffeSupport

/// A directed acyclic graph of layers connected by named blobs, as Caffe's `Net`.
///
/// Building a net filters its layers by `state` (phase, level, stages), inserts Split layers
/// where a blob feeds several consumers, creates and sets up each layer (logging as Caffe does),
/// decides which layers need backward, and collects the learnable parameters (sharing those with
/// the same `param { name }`).
public final class Net {
  /// The net's name (`name:` in the prototxt).
  public let name: String
  /// TRAIN or TEST.
  public let phase: Phase
  /// The definition after filtering and split insertion.
  public let param: NetParameter

  /// The layers, in execution order.
  public internal(set) var layers: [Layer] = []
  /// The layers' names, parallel to ``layers``.
  public internal(set) var layerNames: [String] = []
  /// Every named blob, in creation order.
  public internal(set) var blobs: [Blob] = []
  /// The blobs' names, parallel to ``blobs``.
  public internal(set) var blobNames: [String] = []

  var bottomVecs: [[Blob]] = []
  var bottomIDs: [[Int]] = []
  var topVecs: [[Blob]] = []
  var topIDs: [[Int]] = []
  var bottomNeedBackward: [[Bool]] = []
  var blobNeedBackward: [Bool] = []
  var layerNeedBackward: [Bool] = []
  var blobLossWeights: [Float] = []
  var memoryUsed = 0

  /// Every parameter blob of every layer (shared ones appear once per layer that uses them).
  public internal(set) var params: [Blob] = []
  /// For each entry of ``params``, the index of the owning entry, or -1 if it owns itself.
  public internal(set) var paramOwners: [Int] = []
  var paramLayerIndices: [(layer: Int, param: Int)] = []
  /// Display names of ``params``: the `param { name }` or the index within the layer.
  public internal(set) var paramDisplayNames: [String] = []
  var paramNamesIndex: [String: Int] = [:]
  /// The parameters the solver updates (owners only).
  public internal(set) var learnableParams: [Blob] = []
  /// For each entry of ``params``, its index in ``learnableParams``.
  public internal(set) var learnableParamIDs: [Int] = []
  /// Per learnable parameter: `lr_mult`.
  public internal(set) var paramsLr: [Float] = []
  /// Per learnable parameter: `decay_mult`.
  public internal(set) var paramsWeightDecay: [Float] = []
  var hasParamsLr: [Bool] = []
  var hasParamsDecay: [Bool] = []

  /// The tops of `Input` layers.
  public internal(set) var inputBlobs: [Blob] = []
  /// Blobs no layer consumes, in name order.
  public internal(set) var outputBlobs: [Blob] = []
  /// Indices (into ``blobs``) of ``outputBlobs``.
  public internal(set) var outputBlobIndices: [Int] = []
  /// Whether forward and backward log per-layer statistics.
  public var debugInfo: Bool

  /// Builds and sets up a net from its definition (already upgraded to the current format).
  ///
  /// - Throws: `CaffeError` for unknown layer types, bad parameters, unknown bottoms, tops
  ///   produced twice, shape errors or bad parameter sharing.
  public init(_ definition: NetParameter) throws {
    let filtered = try NetFilter.filter(definition)
    Log.info("Initializing net from parameters: \n" + Prototxt.encode(filtered))
    param = try SplitInsertion.insertSplits(filtered)
    name = param.name
    phase = param.state.phase
    debugInfo = param.debugInfo
    var available = Set<String>()
    var indexOfBlob: [String: Int] = [:]
    for layerParam in param.layer {
      try appendLayer(layerParam, available: &available, indexOfBlob: &indexOfBlob)
    }
    analyseBackward()
    if param.forceBackward { forceBackward() }
    for blobName in available.sorted() {
      Log.info("This network produces output \(blobName)")
      guard let index = indexOfBlob[blobName] else { continue }
      outputBlobs.append(blobs[index])
      outputBlobIndices.append(index)
    }
    shareWeights()
    Log.info("Network initialization done.")
  }

  // MARK: - Lookup

  /// The blob called `name`, if any.
  public func blob(named name: String) -> Blob? {
    blobNames.firstIndex(of: name).map { blobs[$0] }
  }

  /// The layer called `name`, if any.
  public func layer(named name: String) -> Layer? {
    layerNames.firstIndex(of: name).map { layers[$0] }
  }

  /// The bottoms of layer `index`.
  public func bottoms(ofLayer index: Int) -> [Blob] { bottomVecs[index] }
  /// The tops of layer `index`.
  public func tops(ofLayer index: Int) -> [Blob] { topVecs[index] }
  /// The names of the tops of layer `index`.
  ///
  /// Anonymous tops the net created itself (Caffe's AutoTopBlobs) are named "(automatic)".
  public func topNames(ofLayer index: Int) -> [String] {
    topIDs[index].map { $0 >= 0 ? blobNames[$0] : "(automatic)" }
  }
  /// Whether layer `index` runs backward.
  public func needsBackward(layer index: Int) -> Bool { layerNeedBackward[index] }
  /// For each bottom of layer `index`, whether backward computes its diff.
  public func bottomNeedsBackward(layer index: Int) -> [Bool] { bottomNeedBackward[index] }
  /// The loss weight of blob `index` (non-zero for loss outputs).
  public func lossWeight(ofBlob index: Int) -> Float { blobLossWeights[index] }

  // MARK: - Running

  /// Runs layers `start...end` forward and returns the sum of their weighted losses.
  /// - Throws: what the layers throw.
  @discardableResult
  public func forward(from start: Int, to end: Int) throws -> Float {
    var loss: Float = 0
    for i in start...end {
      loss += try layers[i].forward(bottom: bottomVecs[i], top: topVecs[i])
      if debugInfo { logForwardDebugInfo(layer: i) }
    }
    return loss
  }

  /// Runs the whole net forward and returns the total weighted loss.
  /// - Throws: what the layers throw.
  @discardableResult
  public func forward() throws -> Float {
    guard !layers.isEmpty else { return 0 }
    return try forward(from: 0, to: layers.count - 1)
  }

  /// Runs layers `start` down to `end` backward (those that need it).
  /// - Throws: what the layers throw.
  public func backward(from start: Int, to end: Int) throws {
    guard start >= end else { return }
    for i in stride(from: start, through: end, by: -1) where layerNeedBackward[i] {
      try layers[i].backward(
        top: topVecs[i], propagateDown: bottomNeedBackward[i], bottom: bottomVecs[i])
      if debugInfo { logBackwardDebugInfo(layer: i) }
    }
  }

  /// Runs the whole net backward.
  /// - Throws: what the layers throw.
  public func backward() throws {
    guard !layers.isEmpty else { return }
    try backward(from: layers.count - 1, to: 0)
    if debugInfo { logParamNorms() }
  }

  /// Forward then backward; returns the loss.
  /// - Throws: what the layers throw.
  @discardableResult
  public func forwardBackward() throws -> Float {
    let loss = try forward()
    try backward()
    return loss
  }

  /// Zeroes the diffs of the learnable parameters.
  public func clearParamDiffs() {
    for blob in learnableParams {
      blob.diff.update(repeating: 0, count: blob.count)
    }
  }

  /// Applies the parameter diffs: data ← data − diff for every learnable parameter.
  public func update() {
    for blob in learnableParams { blob.update() }
  }
}
