// V1 data layers: transformation fields moved from the data parameters to `transform_param`.

/// The deprecated transformation fields that the V1 data parameters (`data_param`,
/// `image_data_param`, `window_data_param`) still carry.
protocol LegacyTransformFields {
  var scale: Float { get set }
  var hasScale: Bool { get }
  mutating func clearScale()
  var meanFile: String { get set }
  var hasMeanFile: Bool { get }
  mutating func clearMeanFile()
  var cropSize: UInt32 { get set }
  var hasCropSize: Bool { get }
  mutating func clearCropSize()
  var mirror: Bool { get set }
  var hasMirror: Bool { get }
  mutating func clearMirror()
}

extension DataParameter: LegacyTransformFields {}
extension ImageDataParameter: LegacyTransformFields {}
extension WindowDataParameter: LegacyTransformFields {}

extension LegacyTransformFields {
  /// Whether any of `scale`, `mean_file`, `crop_size` or `mirror` is set.
  var hasLegacyTransformFields: Bool { hasScale || hasMeanFile || hasCropSize || hasMirror }

  /// Moves each set transformation field into `transform`, clearing it here.
  mutating func moveTransformFields(into transform: inout TransformationParameter) {
    if hasScale {
      transform.scale = scale
      clearScale()
    }
    if hasMeanFile {
      transform.meanFile = meanFile
      clearMeanFile()
    }
    if hasCropSize {
      transform.cropSize = cropSize
      clearCropSize()
    }
    if hasMirror {
      transform.mirror = mirror
      clearMirror()
    }
  }
}

extension ProtoUpgrade {
  /// Whether a V1 DATA, IMAGE_DATA or WINDOW_DATA layer of `net` sets a transformation field in
  /// its data parameter.
  static func netNeedsDataUpgrade(_ net: NetParameter) -> Bool {
    net.layers.contains { layer in
      switch layer.type {
      case .data: return layer.dataParam.hasLegacyTransformFields
      case .imageData: return layer.imageDataParam.hasLegacyTransformFields
      case .windowData: return layer.windowDataParam.hasLegacyTransformFields
      default: return false
      }
    }
  }

  /// Moves `scale`, `mean_file`, `crop_size` and `mirror` of the V1 data layers of `net` into
  /// their `transform_param`.
  static func upgradeDataTransformation(_ net: inout NetParameter) {
    for index in net.layers.indices {
      var layer = net.layers[index]
      var transform = layer.transformParam
      switch layer.type {
      case .data where layer.dataParam.hasLegacyTransformFields:
        layer.dataParam.moveTransformFields(into: &transform)
      case .imageData where layer.imageDataParam.hasLegacyTransformFields:
        layer.imageDataParam.moveTransformFields(into: &transform)
      case .windowData where layer.windowDataParam.hasLegacyTransformFields:
        layer.windowDataParam.moveTransformFields(into: &transform)
      default: continue
      }
      layer.transformParam = transform
      net.layers[index] = layer
    }
  }
}
