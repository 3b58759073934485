// V0 nets (`layers { layer { type: "conv" … } }`) upgraded to V1 `layers` entries.

import CaffeSupport

extension ProtoUpgrade {
  /// The V0 layer type strings and the V1 types they become, in Caffe's order.
  static let v0LayerTypes: [(name: String, type: V1LayerParameter.LayerType)] = [
    ("accuracy", .accuracy), ("bnll", .bnll), ("concat", .concat), ("conv", .convolution),
    ("data", .data), ("dropout", .dropout), ("euclidean_loss", .euclideanLoss),
    ("flatten", .flatten), ("hdf5_data", .hdf5Data), ("hdf5_output", .hdf5Output),
    ("im2col", .im2Col), ("images", .imageData), ("infogain_loss", .infogainLoss),
    ("innerproduct", .innerProduct), ("lrn", .lrn),
    ("multinomial_logistic_loss", .multinomialLogisticLoss), ("pool", .pooling),
    ("relu", .relu), ("sigmoid", .sigmoid), ("softmax", .softmax),
    ("softmax_loss", .softmaxLoss), ("split", .split), ("tanh", .tanh),
    ("window_data", .windowData),
  ]

  /// Whether `net` has any V0 entry (`layers { layer { … } }`).
  static func netNeedsV0Upgrade(_ net: NetParameter) -> Bool {
    net.layers.contains { $0.hasLayer }
  }

  /// Folds the padding layers of `net`, then turns every V0 entry into a V1 entry.
  ///
  /// - Parameter net: A net with V0 entries; its other fields are kept.
  /// - Returns: The V1 net, and false when some V0 field had no place in its layer's type
  ///   (each such field is logged as an error and dropped).
  /// - Throws: `CaffeError.unknownLayerType` for a V0 type Caffe never had;
  ///   what ``foldV0PaddingLayers(_:)`` throws.
  static func upgradeV0Net(_ net: NetParameter) throws -> (net: NetParameter, isComplete: Bool) {
    var result = try foldV0PaddingLayers(net)
    var isComplete = true
    result.layers = try result.layers.map { entry in
      let (layer, layerComplete) = try upgradeV0Layer(entry)
      isComplete = isComplete && layerComplete
      return layer
    }
    return (result, isComplete)
  }

  /// Turns one V0 entry into a V1 entry.
  ///
  /// Name, type, blobs, `blobs_lr`, `weight_decay` and every V0 field its type takes (see
  /// ``V0FieldRule``) carry over. An entry with no V0 `layer` is returned as is.
  ///
  /// - Returns: The V1 entry, and false when some field was dropped.
  /// - Throws: `CaffeError.unknownLayerType` when the V0 type is not one of ``v0LayerTypes``.
  static func upgradeV0Layer(
    _ entry: V1LayerParameter
  ) throws -> (layer: V1LayerParameter, isComplete: Bool) {
    guard entry.hasLayer else { return (entry, true) }
    let v0 = entry.layer
    var v1 = V1LayerParameter()
    v1.bottom = entry.bottom
    v1.top = entry.top
    if v0.hasName { v1.name = v0.name }
    if v0.hasType {
      guard let match = v0LayerTypes.first(where: { $0.name == v0.type }) else {
        throw CaffeError.unknownLayerType(
          layer: v0.name, type: v0.type, known: v0LayerTypes.map(\.name))
      }
      v1.type = match.type
    }
    v1.blobs = v0.blobs
    v1.blobsLr = v0.blobsLr
    v1.weightDecay = v0.weightDecay
    var isComplete = true
    for rule in V0FieldRule.all where v0[keyPath: rule.isSet] {
      if !rule.move(v0.type, v0, &v1) {
        Log.error("Unknown parameter \(rule.name) for layer type \(v0.type)")
        isComplete = false
      }
    }
    return (v1, isComplete)
  }
}
