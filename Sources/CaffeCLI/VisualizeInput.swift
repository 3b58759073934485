// The one example `caffe visualize` feeds a net: a data layer or input blob made to take it.

import Caffe
import CaffeData
import CaffeProto
import CaffeSupport

/// A TEST-phase net definition rewritten to take exactly one example, and how to fill it.
///
/// The net's first data layer (Data, ImageData, WindowData or MemoryData) becomes an Input
/// layer of the same name and tops: the first top (N, C, H, W) = (1, C, H', W') holds the image
/// after the layer's own `transform_param` (scale, mean, centre crop, as in TEST), the second,
/// if any, (1) holds its label. A deploy net (an Input layer, or net-level `input:`) keeps its
/// first input blob, set to (1, C, H, W) of its declared C, H and W; images of another size are
/// resized to it, and no transform applies unless `--scale` is given.
struct VisualizeInput {
  /// The rewritten net definition, with state phase TEST.
  var definition: NetParameter
  /// The blob the example's pixels go into.
  var dataBlob: String
  /// The blob the example's label goes into, if the net has one.
  var labelBlob: String?
  /// How the pixels become input values.
  var transformer: DataTransformer
  /// The example itself, (C, H, W) pixels and its label.
  var datum: Datum

  /// The data layer types that become an Input layer.
  static let dataLayerTypes: Set<String> = ["Data", "ImageData", "WindowData", "MemoryData"]

  /// Where the example comes from.
  enum Source {
    /// An image file (JPEG or PNG).
    case image(path: String)
    /// Record `index` (0-based, in key order) of a database.
    case database(path: String, backend: DatabaseBackend, index: Int)
  }

  /// Reads the model and the example and rewrites the net to take it.
  ///
  /// - Parameters:
  ///   - model: the net definition file.
  ///   - source: where the example comes from.
  ///   - scale: replaces `transform_param.scale` when given (the factor applied to pixels).
  /// - Throws: `CaffeError` for unreadable files, a net with neither a data layer nor an input
  ///   blob, a database with fewer records than `index + 1`, or an example that does not fit.
  init(model: String, source: Source, scale: Float?) throws {
    var definition = try ProtoUpgrade.readNetText(path: model)
    definition.state = NetState()
    definition.state.phase = .test
    definition = try NetFilter.filter(definition)
    var transform = TransformationParameter()
    if let index = definition.layer.firstIndex(where: { Self.dataLayerTypes.contains($0.type) }) {
      let layer = definition.layer[index]
      transform = layer.transformParam
      if let scale { transform.scale = scale }
      let transformer = try DataTransformer(
        transform, phase: .test, layer: layer.name, layerType: layer.type)
      let color: ImageColorMode =
        transform.forceGray ? .gray : transform.forceColor ? .color : .native
      datum = try transformer.decode(try Self.read(source, color: color, size: nil))
      guard let top = layer.top.first else {
        throw CaffeError.invalidNet(reason: "layer \"\(layer.name)\" (\(layer.type)) has no top")
      }
      definition.layer[index] = Self.inputLayer(
        named: layer.name, tops: layer.top, shape: try transformer.outputShape(for: datum))
      dataBlob = top
      labelBlob = layer.top.count > 1 ? layer.top[1] : nil
      self.transformer = transformer
    } else if let index = definition.layer.firstIndex(where: { $0.type == "Input" }) {
      let layer = definition.layer[index]
      let shape = layer.inputParam.shape.first?.dim.map(Int.init) ?? []
      guard let top = layer.top.first, shape.count == 4 else {
        throw CaffeError.invalidNet(
          reason: "\(model): input layer \"\(layer.name)\" must give its first top a "
            + "(N, C, H, W) shape for visualize")
      }
      let color: ImageColorMode = shape[1] == 1 ? .gray : .color
      datum = try Self.read(source, color: color, size: (shape[2], shape[3]))
      var tops = layer.inputParam.shape
      tops[0].dim = [1, Int64(shape[1]), Int64(shape[2]), Int64(shape[3])]
      definition.layer[index].inputParam.shape = tops
      if let scale { transform.scale = scale }
      transformer = try DataTransformer(transform, phase: .test, layer: layer.name)
      dataBlob = top
      labelBlob = nil
    } else {
      throw CaffeError.invalidNet(
        reason: "\(model): the net has no data layer (Data, ImageData, WindowData, MemoryData) "
          + "and no Input layer to feed the example into")
    }
    self.definition = definition
  }

  /// Copies the transformed example (and its label) into the net.
  ///
  /// - Throws: `CaffeError` when the example does not fit the input blob.
  func feed(_ net: Net) throws {
    guard let blob = net.blob(named: dataBlob) else {
      throw CaffeError.invalidNet(reason: "the net has no input blob \"\(dataBlob)\"")
    }
    let shape = try transformer.outputShape(for: datum)
    guard blob.shape == shape else {
      throw CaffeError.shapeMismatch(
        layer: "visualize", blob: dataBlob, expected: blob.shape, actual: shape)
    }
    try transformer.transform(datum, into: blob.data, record: 0)
    if let labelBlob, let label = net.blob(named: labelBlob), label.count == 1 {
      try label.setData([Float(datum.label)])
    }
  }

  /// An Input layer named `name` whose first top has `shape` and the others shape (1).
  private static func inputLayer(named name: String, tops: [String], shape: [Int])
    -> LayerParameter
  {
    var layer = LayerParameter()
    layer.name = name
    layer.type = "Input"
    layer.top = tops
    layer.inputParam.shape = tops.indices.map { index in
      var blobShape = BlobShape()
      blobShape.dim = index == 0 ? shape.map(Int64.init) : [1]
      return blobShape
    }
    return layer
  }

  /// Reads the example: an image file as a raw datum (resized to `size` when given), or a
  /// database record (decoded when it holds a JPEG or PNG file).
  ///
  /// - Throws: `CaffeError` for an unreadable image or database, or a missing record.
  private static func read(_ source: Source, color: ImageColorMode, size: (Int, Int)?) throws
    -> Datum
  {
    switch source {
    case .image(let path):
      var image = try Image(contentsOfFile: path, color: color)
      if let (height, width) = size {
        image = try image.resized(height: height, width: width)
      }
      return Datum(image: image, label: 0)
    case .database(let path, let backend, let index):
      let database = try openDatabase(backend: backend, path: path, mode: .read)
      defer { database.close() }
      let cursor = try database.cursor()
      var position = 0
      while cursor.valid && position < index {
        try cursor.next()
        position += 1
      }
      guard cursor.valid else {
        throw CaffeError.database(
          path: path,
          reason: "has \(position) records; --index \(index) is past the end "
            + "(records count from 0)")
      }
      let datum = try Datum(databaseValue: cursor.value, key: cursor.key, source: path)
        .decoded(color: color, name: "\(path) record \(index)")
      guard let (height, width) = size, Int(datum.height) != height || Int(datum.width) != width
      else { return datum }
      throw CaffeError.database(
        path: path,
        reason: "record \(index) is \(datum.height) × \(datum.width) (H × W) but "
          + "the net takes \(height) × \(width)")
    }
  }
}
