// NetSummary: per-layer parameter counts, multiply-accumulates and top shapes of a built net.

import CaffeProto
import CaffeSupport

/// What a built ``Net`` holds and costs, layer by layer: the rows of `caffe summary`.
///
/// Parameters are the layers' `blobs`. A layer's count is the sum of its blobs' counts; a blob that
/// shares an earlier layer's parameter (`param { name }`) is counted in that layer's row, marked
/// shared, and only once in ``totalParameters``.
///
/// Multiply-accumulates (MACs) are counted for one forward pass of the net's batch, by the rules
/// of ``MACRule``. They are exact for the layers that multiply by weights (convolution,
/// deconvolution, inner product) and a rough measure of work for the others.
///
/// Split layers that the net inserted itself (named `<blob>_<layer>_<j>_split`, see
/// ``SplitInsertion``) only share data, so they get no row; ``hiddenSplitCount`` says how many.
public struct NetSummary: Sendable {
  /// One layer's row.
  public struct Row: Equatable, Sendable {
    /// The layer's name.
    public let name: String
    /// The layer's type string, such as "Convolution".
    public let type: String
    /// The names of the tops, in order ("" for a top the net made because the layer needs one).
    public let topNames: [String]
    /// The shape of each top, in order (an empty shape is a scalar, such as a loss).
    public let topShapes: [[Int]]
    /// The sum of the counts of the layer's parameter blobs, shared ones included.
    public let parameterCount: Int
    /// The part of ``parameterCount`` held by blobs shared with an earlier layer.
    public let sharedParameterCount: Int
    /// Multiply-accumulates of one forward pass, by the layer type's ``MACRule``.
    public let macs: Int
  }

  /// The net's name (`name:` in the prototxt).
  public let netName: String
  /// The phase the net was built in.
  public let phase: Phase
  /// One row per layer, in execution order, without the inserted Split layers.
  public let rows: [Row]
  /// How many Split layers the net inserted (and ``rows`` leaves out).
  public let hiddenSplitCount: Int
  /// Parameters of every layer, each shared blob counted once.
  public let totalParameters: Int
  /// The part of ``totalParameters`` a solver updates: blobs whose `lr_mult` is not 0, except
  /// BatchNorm's running statistics (Caffe fixes their `lr_mult` at 0).
  public let trainableParameters: Int
  /// The sum of the rows' ``Row/macs``.
  public let totalMACs: Int
  /// Bytes of float32 data in all tops, each data buffer counted once.
  ///
  /// In-place tops and the tops of Split layers (which share their bottom's data) add nothing.
  /// Diffs are not included.
  public let topByteCount: Int

  /// Summarises a built net.
  public init(_ net: Net) {
    netName = net.name
    phase = net.phase
    var shared = [Int](repeating: 0, count: net.layers.count)
    var total = 0
    var trainable = 0
    for (i, blob) in net.params.enumerated() {
      let layerID = net.paramLayerIndices[i].layer
      guard net.paramOwners[i] < 0 else {
        shared[layerID] += blob.count
        continue
      }
      total += blob.count
      let learns = net.paramsLr[net.learnableParamIDs[i]] != 0
      if learns && net.layers[layerID].typeName != "BatchNorm" { trainable += blob.count }
    }
    var rows: [Row] = []
    var hidden = 0
    for (i, layer) in net.layers.enumerated() {
      if Self.isInsertedSplit(layer) {
        hidden += 1
        continue
      }
      let top = net.tops(ofLayer: i)
      rows.append(
        Row(
          name: layer.name, type: layer.typeName,
          topNames: net.topIDs[i].map { $0 >= 0 ? net.blobNames[$0] : "" },
          topShapes: top.map(\.shape),
          parameterCount: layer.blobs.reduce(0) { $0 + $1.count },
          sharedParameterCount: shared[i],
          macs: MACRule.of(layer.typeName).macs(
            layer: layer, bottom: net.bottoms(ofLayer: i), top: top)))
    }
    self.rows = rows
    hiddenSplitCount = hidden
    totalParameters = total
    trainableParameters = trainable
    totalMACs = rows.reduce(0) { $0 + $1.macs }
    topByteCount = Self.distinctTopCount(net) * MemoryLayout<Float>.size
  }

  /// Whether `layer` is a Split layer named as ``SplitInsertion`` names the ones it inserts,
  /// with tops `<name>_0`, `<name>_1`, ….
  static func isInsertedSplit(_ layer: Layer) -> Bool {
    let param = layer.param
    guard layer.typeName == "Split", param.name.hasSuffix("_split") else { return false }
    return param.top.enumerated().allSatisfy { $0.element == "\(param.name)_\($0.offset)" }
  }

  /// The number of floats in the tops of all layers, each distinct data buffer counted once.
  private static func distinctTopCount(_ net: Net) -> Int {
    var seen: [Blob] = []
    var count = 0
    for i in net.layers.indices {
      for blob in net.tops(ofLayer: i) where !seen.contains(where: { $0.sharesData(with: blob) }) {
        seen.append(blob)
        count += blob.count
      }
    }
    return count
  }
}

/// How ``NetSummary`` counts a layer type's multiply-accumulates (MACs) in one forward pass.
///
/// N is the batch, `top.count` and `bottom.count` are element counts (all axes):
/// - ``convolution``: for each top, `top.count · (C/g)·kH·kW`, that is N·O·outH·outW·(C/g)·kH·kW;
///   `(C/g)·kH·kW` is the weight's count over its first axis (O). The bias adds nothing.
/// - ``deconvolution``: the same over the input: for each bottom, `bottom.count · (O/g)·kH·kW`,
///   that is N·C·inH·inW·(O/g)·kH·kW (the weight is (C, O/g, kH, kW)).
/// - ``innerProduct``: `top.count · K`, that is M·O·K, with K the weight's count over
///   `inner_product_param.num_output`.
/// - ``recurrent`` (LSTM, RNN; approximate): T·N (the first two axes of the bottom) times the
///   summed counts of the weight matrices (blobs of two or more axes). A static input's weight is
///   counted at every step although Caffe applies it once per sequence; biases add nothing.
/// - ``localResponse`` (LRN; approximate): the window's sum of squares, `top.count · local_size`
///   across channels or `top.count · local_size²` within a channel; the scaling is left out.
/// - ``perTopElement``: one per top element (the first top) for element-wise and pooling work:
///   activations, BatchNorm, Scale, Bias, Eltwise, MVN, Softmax, Dropout, Pooling. A rough
///   measure: a max pooling compares rather than multiplies.
/// - ``perBottomElement``: one per element of the first bottom, for layers that reduce their input
///   to a few numbers: losses, Accuracy, ArgMax, Reduction, SPP.
/// - ``none``: 0, for layers that only read, route or re-view data (Input, Data, Split, Concat,
///   Slice, Reshape, Flatten, Crop, Tile, Embed's lookup, …) and for any type not in ``table``.
public enum MACRule: Sendable, Equatable {
  /// N·O·outSpatial·(C/g)·kernel.
  case convolution
  /// N·C·inSpatial·(O/g)·kernel.
  case deconvolution
  /// M·K·O.
  case innerProduct
  /// T·N times the weight matrices' counts (approximate).
  case recurrent
  /// The LRN window's multiply-accumulates (approximate).
  case localResponse
  /// One per element of the first top.
  case perTopElement
  /// One per element of the first bottom.
  case perBottomElement
  /// Zero.
  case none

  /// The rule of each of Caffe's layer types.
  public static let table: [String: MACRule] = [
    "AbsVal": .perTopElement, "Accuracy": .perBottomElement, "ArgMax": .perBottomElement,
    "BatchNorm": .perTopElement, "BatchReindex": .none, "Bias": .perTopElement,
    "BNLL": .perTopElement, "Clip": .perTopElement, "Concat": .none,
    "ContrastiveLoss": .perBottomElement, "Convolution": .convolution, "Crop": .none,
    "Data": .none, "Deconvolution": .deconvolution, "Dropout": .perTopElement,
    "DummyData": .none, "Eltwise": .perTopElement, "ELU": .perTopElement, "Embed": .none,
    "EuclideanLoss": .perBottomElement, "Exp": .perTopElement, "Filter": .none,
    "Flatten": .none, "HDF5Data": .none, "HDF5Output": .none, "HingeLoss": .perBottomElement,
    "Im2col": .none, "ImageData": .none, "InfogainLoss": .perBottomElement,
    "InnerProduct": .innerProduct, "Input": .none, "Log": .perTopElement,
    "LRN": .localResponse, "LSTM": .recurrent, "LSTMUnit": .perTopElement,
    "MemoryData": .none, "MultinomialLogisticLoss": .perBottomElement, "MVN": .perTopElement,
    "Parameter": .none, "Pooling": .perTopElement, "Power": .perTopElement,
    "PReLU": .perTopElement, "Reduction": .perBottomElement, "ReLU": .perTopElement,
    "Reshape": .none, "RNN": .recurrent, "Scale": .perTopElement, "Sigmoid": .perTopElement,
    "SigmoidCrossEntropyLoss": .perBottomElement, "Silence": .none, "Slice": .none,
    "Softmax": .perTopElement, "SoftmaxWithLoss": .perBottomElement, "Split": .none,
    "SPP": .perBottomElement, "Swish": .perTopElement, "TanH": .perTopElement,
    "Threshold": .perTopElement, "Tile": .none, "WindowData": .none,
  ]

  /// The rule for `type`: its ``table`` entry, or ``none`` for a type the table lacks.
  public static func of(_ type: String) -> MACRule { table[type] ?? .none }

  /// The multiply-accumulates of one forward pass of `layer`, set up on `bottom` and `top`.
  public func macs(layer: Layer, bottom: [Blob], top: [Blob]) -> Int {
    switch self {
    case .convolution:
      return top.reduce(0) { $0 + $1.count * Self.perLeadingIndex(layer.blobs.first) }
    case .deconvolution:
      return bottom.reduce(0) { $0 + $1.count * Self.perLeadingIndex(layer.blobs.first) }
    case .innerProduct:
      let outputs = Int(layer.param.innerProductParam.numOutput)
      guard let weight = layer.blobs.first, outputs > 0, let output = top.first else { return 0 }
      return output.count * (weight.count / outputs)
    case .recurrent:
      guard let input = bottom.first, input.numAxes >= 2 else { return 0 }
      let steps = input.count(from: 0, to: 2)
      return steps * layer.blobs.filter { $0.numAxes >= 2 }.reduce(0) { $0 + $1.count }
    case .localResponse:
      let size = Int(layer.param.lrnParam.localSize)
      let window = layer.param.lrnParam.normRegion == .withinChannel ? size * size : size
      return (top.first?.count ?? 0) * window
    case .perTopElement:
      return top.first?.count ?? 0
    case .perBottomElement:
      return bottom.first?.count ?? 0
    case .none:
      return 0
    }
  }

  /// A weight's count divided by its first axis ((C/g)·kH·kW for a convolution), or 0.
  private static func perLeadingIndex(_ weight: Blob?) -> Int {
    guard let weight, let leading = weight.shape.first, leading > 0 else { return 0 }
    return weight.count / leading
  }
}
