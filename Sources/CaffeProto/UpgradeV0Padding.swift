// V0 nets: `padding` layers folded into the convolution or pooling layer that reads them.

import CaffeSupport

extension ProtoUpgrade {
  /// Removes the V0 `padding` layers of `net`: each one's `pad` moves to the `conv` or `pool`
  /// layer that reads its output, and that layer reads the padding layer's input instead.
  ///
  /// Every other field of `net` is kept. Entries without a V0 `layer` are kept as they are.
  ///
  /// - Parameter net: A net with V0 `layers { layer { … } }` entries.
  /// - Returns: The net without padding layers.
  /// - Throws: `CaffeError.invalidNet` when a layer reads a blob that no earlier layer or net
  ///   input produces, when a padding layer feeds a layer other than `conv` or `pool`, or when
  ///   the padding layer or the layer it feeds has other than one bottom (or the padding layer
  ///   other than one top).
  static func foldV0PaddingLayers(_ net: NetParameter) throws -> NetParameter {
    var result = net
    result.layers = []
    // The index in `net.layers` of the last layer that wrote each blob; -1 for net inputs.
    var producer: [String: Int] = [:]
    for name in net.input { producer[name] = -1 }
    for (index, entry) in net.layers.enumerated() {
      let layer = entry.layer
      if layer.type != "padding" { result.layers.append(entry) }
      for (slot, blob) in entry.bottom.enumerated() {
        guard let source = producer[blob] else {
          throw CaffeError.invalidNet(
            reason: "V0 layer \"\(layer.name)\" reads blob \"\(blob)\", which no earlier layer "
              + "or net input produces")
        }
        guard source >= 0, net.layers[source].layer.type == "padding" else { continue }
        let padding = net.layers[source]
        try checkPaddingFold(padding: padding, into: entry)
        // `entry` is a conv or pool layer, so it is the last one appended.
        let last = result.layers.count - 1
        result.layers[last].layer.pad = padding.layer.pad
        result.layers[last].bottom[slot] = padding.bottom[0]
      }
      for blob in entry.top { producer[blob] = index }
    }
    return result
  }

  /// Checks that `padding` can be folded into `consumer`: a single-input `conv` or `pool` layer
  /// reading a padding layer with one bottom and one top.
  ///
  /// - Throws: `CaffeError.invalidNet` naming both layers and the broken rule.
  private static func checkPaddingFold(
    padding: V1LayerParameter, into consumer: V1LayerParameter
  ) throws {
    let name = consumer.layer.name
    let type = consumer.layer.type
    let paddingName = padding.layer.name
    guard type == "conv" || type == "pool" else {
      throw CaffeError.invalidNet(
        reason: "V0 padding layer \"\(paddingName)\" feeds layer \"\(name)\" of type \"\(type)\"; "
          + "a padding layer may only feed a conv or pool layer")
    }
    guard consumer.bottom.count == 1 else {
      throw CaffeError.invalidNet(
        reason: "V0 layer \"\(name)\" reads padding layer \"\(paddingName)\" but has "
          + "\(consumer.bottom.count) bottoms; a layer fed by a padding layer takes exactly one")
    }
    guard padding.bottom.count == 1, padding.top.count == 1 else {
      throw CaffeError.invalidNet(
        reason: "V0 padding layer \"\(paddingName)\" has \(padding.bottom.count) bottoms and "
          + "\(padding.top.count) tops; a padding layer takes exactly one of each")
    }
  }
}
