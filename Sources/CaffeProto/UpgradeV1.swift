// V1 nets (`layers { type: CONVOLUTION }`) upgraded to the current `layer { type: "…" }` form.

extension ProtoUpgrade {
  /// Whether `net` has any V1 `layers` entry.
  static func netNeedsV1Upgrade(_ net: NetParameter) -> Bool {
    !net.layers.isEmpty
  }

  /// Replaces the `layers` entries of `net` by `layer` entries, keeping every other field.
  ///
  /// - Parameter net: A net with V1 entries and no `layer` entries.
  /// - Returns: The net in the current format.
  static func upgradeV1Net(_ net: NetParameter) -> NetParameter {
    var result = net
    result.layer = net.layers.map(upgradeV1Layer)
    result.layers = []
    return result
  }

  /// Converts one V1 entry: its enum type becomes the type string, `param` names,
  /// `blob_share_mode`, `blobs_lr` and `weight_decay` become `param { name share_mode lr_mult
  /// decay_mult }` specs (one per learnable blob), and everything else is copied.
  static func upgradeV1Layer(_ v1: V1LayerParameter) -> LayerParameter {
    var layer = LayerParameter()
    layer.bottom = v1.bottom
    layer.top = v1.top
    if v1.hasName { layer.name = v1.name }
    layer.include = v1.include
    layer.exclude = v1.exclude
    if v1.hasType { layer.type = v1LayerTypeName(v1.type) }
    layer.blobs = v1.blobs
    func growParams(to count: Int) {
      while layer.param.count < count { layer.param.append(ParamSpec()) }
    }
    for (index, name) in v1.param.enumerated() {
      growParams(to: index + 1)
      layer.param[index].name = name
    }
    for (index, mode) in v1.blobShareMode.enumerated() {
      growParams(to: index + 1)
      switch mode {
      case .strict: layer.param[index].shareMode = .strict
      case .permissive: layer.param[index].shareMode = .permissive
      }
    }
    for (index, rate) in v1.blobsLr.enumerated() {
      growParams(to: index + 1)
      layer.param[index].lrMult = rate
    }
    for (index, decay) in v1.weightDecay.enumerated() {
      growParams(to: index + 1)
      layer.param[index].decayMult = decay
    }
    layer.lossWeight = v1.lossWeight
    copyLayerParams(from: v1, to: &layer)
    return layer
  }

  /// The current type string for a V1 layer type (`SOFTMAX_LOSS` → "SoftmaxWithLoss").
  static func v1LayerTypeName(_ type: V1LayerParameter.LayerType) -> String {
    switch type {
    case .none: return ""
    case .absval: return "AbsVal"
    case .accuracy: return "Accuracy"
    case .argmax: return "ArgMax"
    case .bnll: return "BNLL"
    case .concat: return "Concat"
    case .contrastiveLoss: return "ContrastiveLoss"
    case .convolution: return "Convolution"
    case .deconvolution: return "Deconvolution"
    case .data: return "Data"
    case .dropout: return "Dropout"
    case .dummyData: return "DummyData"
    case .euclideanLoss: return "EuclideanLoss"
    case .eltwise: return "Eltwise"
    case .exp: return "Exp"
    case .flatten: return "Flatten"
    case .hdf5Data: return "HDF5Data"
    case .hdf5Output: return "HDF5Output"
    case .hingeLoss: return "HingeLoss"
    case .im2Col: return "Im2col"
    case .imageData: return "ImageData"
    case .infogainLoss: return "InfogainLoss"
    case .innerProduct: return "InnerProduct"
    case .lrn: return "LRN"
    case .memoryData: return "MemoryData"
    case .multinomialLogisticLoss: return "MultinomialLogisticLoss"
    case .mvn: return "MVN"
    case .pooling: return "Pooling"
    case .power: return "Power"
    case .relu: return "ReLU"
    case .sigmoid: return "Sigmoid"
    case .sigmoidCrossEntropyLoss: return "SigmoidCrossEntropyLoss"
    case .silence: return "Silence"
    case .softmax: return "Softmax"
    case .softmaxLoss: return "SoftmaxWithLoss"
    case .split: return "Split"
    case .slice: return "Slice"
    case .tanh: return "TanH"
    case .windowData: return "WindowData"
    case .threshold: return "Threshold"
    }
  }

  /// Copies every `*_param` block a V1 layer sets into the current layer.
  private static func copyLayerParams(from v1: V1LayerParameter, to layer: inout LayerParameter) {
    if v1.hasAccuracyParam { layer.accuracyParam = v1.accuracyParam }
    if v1.hasArgmaxParam { layer.argmaxParam = v1.argmaxParam }
    if v1.hasConcatParam { layer.concatParam = v1.concatParam }
    if v1.hasContrastiveLossParam { layer.contrastiveLossParam = v1.contrastiveLossParam }
    if v1.hasConvolutionParam { layer.convolutionParam = v1.convolutionParam }
    if v1.hasDataParam { layer.dataParam = v1.dataParam }
    if v1.hasDropoutParam { layer.dropoutParam = v1.dropoutParam }
    if v1.hasDummyDataParam { layer.dummyDataParam = v1.dummyDataParam }
    if v1.hasEltwiseParam { layer.eltwiseParam = v1.eltwiseParam }
    if v1.hasExpParam { layer.expParam = v1.expParam }
    if v1.hasHdf5DataParam { layer.hdf5DataParam = v1.hdf5DataParam }
    if v1.hasHdf5OutputParam { layer.hdf5OutputParam = v1.hdf5OutputParam }
    if v1.hasHingeLossParam { layer.hingeLossParam = v1.hingeLossParam }
    if v1.hasImageDataParam { layer.imageDataParam = v1.imageDataParam }
    if v1.hasInfogainLossParam { layer.infogainLossParam = v1.infogainLossParam }
    if v1.hasInnerProductParam { layer.innerProductParam = v1.innerProductParam }
    if v1.hasLrnParam { layer.lrnParam = v1.lrnParam }
    if v1.hasMemoryDataParam { layer.memoryDataParam = v1.memoryDataParam }
    if v1.hasMvnParam { layer.mvnParam = v1.mvnParam }
    if v1.hasPoolingParam { layer.poolingParam = v1.poolingParam }
    if v1.hasPowerParam { layer.powerParam = v1.powerParam }
    if v1.hasReluParam { layer.reluParam = v1.reluParam }
    if v1.hasSigmoidParam { layer.sigmoidParam = v1.sigmoidParam }
    if v1.hasSoftmaxParam { layer.softmaxParam = v1.softmaxParam }
    if v1.hasSliceParam { layer.sliceParam = v1.sliceParam }
    if v1.hasTanhParam { layer.tanhParam = v1.tanhParam }
    if v1.hasThresholdParam { layer.thresholdParam = v1.thresholdParam }
    if v1.hasWindowDataParam { layer.windowDataParam = v1.windowDataParam }
    if v1.hasTransformParam { layer.transformParam = v1.transformParam }
    if v1.hasLossParam { layer.lossParam = v1.lossParam }
  }
}
