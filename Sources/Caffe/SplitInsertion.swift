// Automatic Split layers for blobs that feed more than one consumer.

import CaffeProto
import CaffeSupport

/// Inserts a `Split` layer after every top that more than one bottom (or a loss) consumes.
///
/// Names follow Caffe so that caffemodels and logs line up: the split layer of top `j` of layer
/// `L` producing blob `b` is `b_L_j_split`, and its tops are `b_L_j_split_0`, `b_L_j_split_1`, ….
/// A non-zero `loss_weight` on such a top counts as one more consumer and moves to the split's
/// first top.
public enum SplitInsertion {
  private struct TopIndex: Hashable {
    let layer: Int
    let top: Int
  }

  /// Returns `param` with Split layers inserted.
  /// - Throws: `CaffeError.invalidNet` for a bottom that no earlier layer produces.
  public static func insertSplits(_ param: NetParameter) throws -> NetParameter {
    var lastProducer: [String: TopIndex] = [:]
    var sourceOfBottom: [TopIndex: TopIndex] = [:]
    var consumers: [TopIndex: Int] = [:]
    var lossWeight: [TopIndex: Float] = [:]
    for (i, layer) in param.layer.enumerated() {
      for (j, blob) in layer.bottom.enumerated() {
        guard let source = lastProducer[blob] else {
          throw CaffeError.invalidNet(
            reason: "Unknown bottom blob '\(blob)' (layer '\(layer.name)', bottom index \(j))")
        }
        sourceOfBottom[TopIndex(layer: i, top: j)] = source
        consumers[source, default: 0] += 1
      }
      for (j, blob) in layer.top.enumerated() { lastProducer[blob] = TopIndex(layer: i, top: j) }
      for j in 0..<min(layer.lossWeight.count, layer.top.count) {
        guard let index = lastProducer[layer.top[j]] else { continue }
        lossWeight[index] = layer.lossWeight[j]
        if layer.lossWeight[j] != 0 { consumers[index, default: 0] += 1 }
      }
    }
    var result = param
    result.layer = []
    var nextSplit: [TopIndex: Int] = [:]
    for (i, original) in param.layer.enumerated() {
      var layer = original
      for j in layer.bottom.indices {
        guard let source = sourceOfBottom[TopIndex(layer: i, top: j)],
          consumers[source, default: 0] > 1
        else { continue }
        let producer = param.layer[source.layer].name
        let k = nextSplit[source, default: 0]
        nextSplit[source] = k + 1
        layer.bottom[j] = splitBlobName(producer, layer.bottom[j], source.top, k)
      }
      var splits: [LayerParameter] = []
      for j in layer.top.indices {
        let index = TopIndex(layer: i, top: j)
        let count = consumers[index, default: 0]
        guard count > 1 else { continue }
        let weight = lossWeight[index, default: 0]
        splits.append(splitLayer(layer.name, layer.top[j], j, count, weight))
        if weight != 0 {
          layer.lossWeight = []
          nextSplit[index, default: 0] += 1
        }
      }
      result.layer.append(layer)
      result.layer.append(contentsOf: splits)
    }
    return result
  }

  /// Caffe's name for the split layer of top `topIndex` (blob `blob`) of layer `layer`.
  public static func splitLayerName(_ layer: String, _ blob: String, _ topIndex: Int) -> String {
    "\(blob)_\(layer)_\(topIndex)_split"
  }

  /// Caffe's name for output `k` of that split layer.
  public static func splitBlobName(_ layer: String, _ blob: String, _ topIndex: Int, _ k: Int)
    -> String
  {
    "\(blob)_\(layer)_\(topIndex)_split_\(k)"
  }

  private static func splitLayer(
    _ layer: String, _ blob: String, _ topIndex: Int, _ count: Int, _ weight: Float
  ) -> LayerParameter {
    var split = LayerParameter()
    split.name = splitLayerName(layer, blob, topIndex)
    split.type = "Split"
    split.bottom = [blob]
    split.top = (0..<count).map { splitBlobName(layer, blob, topIndex, $0) }
    if weight != 0 {
      split.lossWeight = [weight] + Array(repeating: 0, count: count - 1)
    }
    return split
  }
}
