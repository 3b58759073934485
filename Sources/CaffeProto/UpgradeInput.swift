// Net-level `input` / `input_dim` / `input_shape` fields turned into a leading `Input` layer.

import CaffeSupport

extension ProtoUpgrade {
  /// Whether `net` declares net-level `input` blobs.
  static func netNeedsInputUpgrade(_ net: NetParameter) -> Bool {
    !net.input.isEmpty
  }

  /// Replaces the net-level inputs of `net` by one `Input` layer named "input", placed first,
  /// with one top and one `input_param.shape` per input.
  ///
  /// Shapes come from `input_shape` (one per input) when present, else from `input_dim` (four
  /// per input: N, C, H, W). Inputs with neither, as old caffemodels store them, are simply
  /// dropped. The `input`, `input_dim` and `input_shape` fields are cleared.
  ///
  /// - Throws: `CaffeError.invalidNet` when there are fewer shapes than inputs.
  static func upgradeNetInput(_ net: inout NetParameter) throws {
    let hasShape = !net.inputShape.isEmpty
    let hasDim = !net.inputDim.isEmpty
    if hasShape || hasDim {
      var layer = LayerParameter()
      layer.name = "input"
      layer.type = "Input"
      layer.top = net.input
      layer.inputParam.shape = hasShape ? try inputShapes(of: net) : try inputDimShapes(of: net)
      net.layer.insert(layer, at: 0)
    }
    net.input = []
    net.inputShape = []
    net.inputDim = []
  }

  /// The first `input.count` entries of `input_shape`.
  private static func inputShapes(of net: NetParameter) throws -> [BlobShape] {
    guard net.inputShape.count >= net.input.count else {
      throw CaffeError.invalidNet(
        reason: "the net has \(net.input.count) inputs but \(net.inputShape.count) input_shape "
          + "entries; give one input_shape per input")
    }
    return Array(net.inputShape.prefix(net.input.count))
  }

  /// One four-axis shape (N, C, H, W) per input, from consecutive groups of four `input_dim`s.
  private static func inputDimShapes(of net: NetParameter) throws -> [BlobShape] {
    guard net.inputDim.count >= 4 * net.input.count else {
      throw CaffeError.invalidNet(
        reason: "the net has \(net.input.count) inputs but \(net.inputDim.count) input_dim "
          + "values; give four (N, C, H, W) per input")
    }
    return net.input.indices.map { index in
      var shape = BlobShape()
      shape.dim = net.inputDim[(4 * index)..<(4 * index + 4)].map(Int64.init)
      return shape
    }
  }
}
