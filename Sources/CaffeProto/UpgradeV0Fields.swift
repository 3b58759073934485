// The table that says where each V0 layer field goes in the V1 format, per V0 layer type.

/// One field of a V0 layer and how it moves into a V1 layer.
struct V0FieldRule: Sendable {
  /// The field's name as Caffe's log gives it (`num_output`, `kernelsize`, `shuffle`).
  let name: String
  /// Whether the V0 layer sets the field (its `has…` property).
  let isSet: KeyPath<V0LayerParameter, Bool> & Sendable
  /// Copies the field into the V1 layer for V0 type `type`; returns false when that type has no
  /// place for it.
  let move: @Sendable (_ type: String, V0LayerParameter, inout V1LayerParameter) -> Bool

  /// All rules, in the order Caffe applies them (which is the order of its log lines).
  static let all: [V0FieldRule] =
    learnedLayerRules + geometryRules + normalizationRules
    + dataRules + windowDataRules
}

extension V0FieldRule {
  /// Fields of `conv` and `innerproduct` layers.
  private static let learnedLayerRules: [V0FieldRule] = [
    V0FieldRule(name: "num_output", isSet: \.hasNumOutput) { type, v0, v1 in
      switch type {
      case "conv": v1.convolutionParam.numOutput = v0.numOutput
      case "innerproduct": v1.innerProductParam.numOutput = v0.numOutput
      default: return false
      }
      return true
    },
    V0FieldRule(name: "biasterm", isSet: \.hasBiasterm) { type, v0, v1 in
      switch type {
      case "conv": v1.convolutionParam.biasTerm = v0.biasterm
      case "innerproduct": v1.innerProductParam.biasTerm = v0.biasterm
      default: return false
      }
      return true
    },
    V0FieldRule(name: "weight_filler", isSet: \.hasWeightFiller) { type, v0, v1 in
      switch type {
      case "conv": v1.convolutionParam.weightFiller = v0.weightFiller
      case "innerproduct": v1.innerProductParam.weightFiller = v0.weightFiller
      default: return false
      }
      return true
    },
    V0FieldRule(name: "bias_filler", isSet: \.hasBiasFiller) { type, v0, v1 in
      switch type {
      case "conv": v1.convolutionParam.biasFiller = v0.biasFiller
      case "innerproduct": v1.innerProductParam.biasFiller = v0.biasFiller
      default: return false
      }
      return true
    },
  ]

  /// Window geometry of `conv` and `pool` layers.
  private static let geometryRules: [V0FieldRule] = [
    V0FieldRule(name: "pad", isSet: \.hasPad) { type, v0, v1 in
      switch type {
      case "conv": v1.convolutionParam.pad.append(v0.pad)
      case "pool": v1.poolingParam.pad = v0.pad
      default: return false
      }
      return true
    },
    V0FieldRule(name: "kernelsize", isSet: \.hasKernelsize) { type, v0, v1 in
      switch type {
      case "conv": v1.convolutionParam.kernelSize.append(v0.kernelsize)
      case "pool": v1.poolingParam.kernelSize = v0.kernelsize
      default: return false
      }
      return true
    },
    V0FieldRule(name: "group", isSet: \.hasGroup) { type, v0, v1 in
      guard type == "conv" else { return false }
      v1.convolutionParam.group = v0.group
      return true
    },
    V0FieldRule(name: "stride", isSet: \.hasStride) { type, v0, v1 in
      switch type {
      case "conv": v1.convolutionParam.stride.append(v0.stride)
      case "pool": v1.poolingParam.stride = v0.stride
      default: return false
      }
      return true
    },
    V0FieldRule(name: "pool", isSet: \.hasPool) { type, v0, v1 in
      guard type == "pool" else { return false }
      switch v0.pool {
      case .max: v1.poolingParam.pool = .max
      case .ave: v1.poolingParam.pool = .ave
      case .stochastic: v1.poolingParam.pool = .stochastic
      }
      return true
    },
  ]

  /// Fields of `dropout` and `lrn` layers.
  private static let normalizationRules: [V0FieldRule] = [
    V0FieldRule(name: "dropout_ratio", isSet: \.hasDropoutRatio) { type, v0, v1 in
      guard type == "dropout" else { return false }
      v1.dropoutParam.dropoutRatio = v0.dropoutRatio
      return true
    },
    V0FieldRule(name: "local_size", isSet: \.hasLocalSize) { type, v0, v1 in
      guard type == "lrn" else { return false }
      v1.lrnParam.localSize = v0.localSize
      return true
    },
    V0FieldRule(name: "alpha", isSet: \.hasAlpha) { type, v0, v1 in
      guard type == "lrn" else { return false }
      v1.lrnParam.alpha = v0.alpha
      return true
    },
    V0FieldRule(name: "beta", isSet: \.hasBeta) { type, v0, v1 in
      guard type == "lrn" else { return false }
      v1.lrnParam.beta = v0.beta
      return true
    },
    V0FieldRule(name: "k", isSet: \.hasK) { type, v0, v1 in
      guard type == "lrn" else { return false }
      v1.lrnParam.k = v0.k
      return true
    },
  ]

  /// Fields of the data layers (and `infogain_loss`'s `source`); the transformation fields
  /// go to `transform_param` whatever the type.
  private static let dataRules: [V0FieldRule] = [
    V0FieldRule(name: "source", isSet: \.hasSource) { type, v0, v1 in
      switch type {
      case "data": v1.dataParam.source = v0.source
      case "hdf5_data": v1.hdf5DataParam.source = v0.source
      case "images": v1.imageDataParam.source = v0.source
      case "window_data": v1.windowDataParam.source = v0.source
      case "infogain_loss": v1.infogainLossParam.source = v0.source
      default: return false
      }
      return true
    },
    V0FieldRule(name: "scale", isSet: \.hasScale) { _, v0, v1 in
      v1.transformParam.scale = v0.scale
      return true
    },
    V0FieldRule(name: "meanfile", isSet: \.hasMeanfile) { _, v0, v1 in
      v1.transformParam.meanFile = v0.meanfile
      return true
    },
    V0FieldRule(name: "batchsize", isSet: \.hasBatchsize) { type, v0, v1 in
      switch type {
      case "data": v1.dataParam.batchSize = v0.batchsize
      case "hdf5_data": v1.hdf5DataParam.batchSize = v0.batchsize
      case "images": v1.imageDataParam.batchSize = v0.batchsize
      case "window_data": v1.windowDataParam.batchSize = v0.batchsize
      default: return false
      }
      return true
    },
    V0FieldRule(name: "cropsize", isSet: \.hasCropsize) { _, v0, v1 in
      v1.transformParam.cropSize = v0.cropsize
      return true
    },
    V0FieldRule(name: "mirror", isSet: \.hasMirror) { _, v0, v1 in
      v1.transformParam.mirror = v0.mirror
      return true
    },
    V0FieldRule(name: "rand_skip", isSet: \.hasRandSkip) { type, v0, v1 in
      switch type {
      case "data": v1.dataParam.randSkip = v0.randSkip
      case "images": v1.imageDataParam.randSkip = v0.randSkip
      default: return false
      }
      return true
    },
    // Caffe's log names this field "shuffle", not "shuffle_images".
    V0FieldRule(name: "shuffle", isSet: \.hasShuffleImages) { type, v0, v1 in
      guard type == "images" else { return false }
      v1.imageDataParam.shuffle = v0.shuffleImages
      return true
    },
    // V0 sizes are int32 and the current ones uint32; the bits carry over, as in C++.
    V0FieldRule(name: "new_height", isSet: \.hasNewHeight) { type, v0, v1 in
      guard type == "images" else { return false }
      v1.imageDataParam.newHeight = UInt32(truncatingIfNeeded: v0.newHeight)
      return true
    },
    V0FieldRule(name: "new_width", isSet: \.hasNewWidth) { type, v0, v1 in
      guard type == "images" else { return false }
      v1.imageDataParam.newWidth = UInt32(truncatingIfNeeded: v0.newWidth)
      return true
    },
    V0FieldRule(name: "concat_dim", isSet: \.hasConcatDim) { type, v0, v1 in
      guard type == "concat" else { return false }
      v1.concatParam.concatDim = v0.concatDim
      return true
    },
  ]

  /// Fields of `window_data` (R-CNN detection windows) and `hdf5_output` layers.
  private static let windowDataRules: [V0FieldRule] = [
    V0FieldRule(name: "det_fg_threshold", isSet: \.hasDetFgThreshold) { type, v0, v1 in
      guard type == "window_data" else { return false }
      v1.windowDataParam.fgThreshold = v0.detFgThreshold
      return true
    },
    V0FieldRule(name: "det_bg_threshold", isSet: \.hasDetBgThreshold) { type, v0, v1 in
      guard type == "window_data" else { return false }
      v1.windowDataParam.bgThreshold = v0.detBgThreshold
      return true
    },
    V0FieldRule(name: "det_fg_fraction", isSet: \.hasDetFgFraction) { type, v0, v1 in
      guard type == "window_data" else { return false }
      v1.windowDataParam.fgFraction = v0.detFgFraction
      return true
    },
    V0FieldRule(name: "det_context_pad", isSet: \.hasDetContextPad) { type, v0, v1 in
      guard type == "window_data" else { return false }
      v1.windowDataParam.contextPad = v0.detContextPad
      return true
    },
    V0FieldRule(name: "det_crop_mode", isSet: \.hasDetCropMode) { type, v0, v1 in
      guard type == "window_data" else { return false }
      v1.windowDataParam.cropMode = v0.detCropMode
      return true
    },
    V0FieldRule(name: "hdf5_output_param", isSet: \.hasHdf5OutputParam) { type, v0, v1 in
      guard type == "hdf5_output" else { return false }
      v1.hdf5OutputParam = v0.hdf5OutputParam
      return true
    },
  ]
}
