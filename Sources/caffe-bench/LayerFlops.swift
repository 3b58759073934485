// LayerFlops: the arithmetic of a net's layers, counted from their shapes.
import Caffe

/// Floating-point operations (2 per multiply-add) of the layers whose work is a matrix product.
///
/// Only Convolution and InnerProduct count. Other layers (pooling, ReLU, softmax, …) count as 0;
/// they are memory-bound and their arithmetic is negligible next to the products.
///
/// For LeNet at batch 64 this gives 0.29 GFLOP forward and 0.55 GFLOP backward (conv1 does not
/// compute a diff for the data), 0.84 GFLOP per training step.
enum LayerFlops {
  /// Forward operations of layer `index` of `net` at its current shapes.
  ///
  /// Convolution: 2·N·O·(C/group)·∏kernel·∏output per bottom. InnerProduct (M rows, K inputs,
  /// O outputs): 2·M·K·O.
  static func forward(_ net: Net, layer index: Int) -> Double {
    let layer = net.layers[index]
    let bottoms = net.bottoms(ofLayer: index)
    if let convolution = layer as? BaseConvolutionLayer, let g = convolution.geometry {
      return Double(g.forwardFlops * bottoms.count)
    }
    if layer is InnerProductLayer, let bottom = bottoms.first {
      return 2 * Double(bottom.count) * Double(layer.param.innerProductParam.numOutput)
    }
    return 0
  }

  /// Backward operations of layer `index`: one forward's worth for the weight gradient, and one
  /// more for each bottom that receives a diff (see ``bottomNeedsDiff(_:layer:bottom:)``).
  static func backward(_ net: Net, layer index: Int) -> Double {
    guard net.needsBackward(layer: index) else { return 0 }
    let perBottom = forward(net, layer: index) / Double(max(1, net.bottoms(ofLayer: index).count))
    guard perBottom > 0 else { return 0 }
    let layer = net.layers[index]
    let weight = layer.paramPropagateDown.first ?? false ? forward(net, layer: index) : 0
    let inputs = net.bottoms(ofLayer: index).indices.filter {
      bottomNeedsDiff(net, layer: index, bottom: $0)
    }
    return weight + perBottom * Double(inputs.count)
  }

  /// Whether bottom `bottom` of layer `index` gets a diff in backward: whether the last layer
  /// before it that writes that blob runs backward (the net's own flags are internal; this
  /// reproduces them for nets such as LeNet, where the data comes from an Input layer).
  static func bottomNeedsDiff(_ net: Net, layer index: Int, bottom: Int) -> Bool {
    let blob = net.bottoms(ofLayer: index)[bottom]
    for producer in stride(from: index - 1, through: 0, by: -1)
    where net.tops(ofLayer: producer).contains(where: { $0 === blob }) {
      return net.needsBackward(layer: producer)
    }
    return false
  }
}
