// The single table from Caffe type strings to layer classes.

import CaffeProto
import CaffeSupport

/// Creates layers from their `type` string, as Caffe's LayerRegistry does.
public enum LayerRegistry {
  /// Every registered layer class, in alphabetical order of type string.
  static let classes: [Layer.Type] = [
    AbsValLayer.self,
    AccuracyLayer.self,
    ArgMaxLayer.self,
    BNLLLayer.self,
    BatchNormLayer.self,
    BatchReindexLayer.self,
    BiasLayer.self,
    ClipLayer.self,
    ConcatLayer.self,
    ContrastiveLossLayer.self,
    ConvolutionLayer.self,
    CropLayer.self,
    DataLayer.self,
    DeconvolutionLayer.self,
    DropoutLayer.self,
    DummyDataLayer.self,
    ELULayer.self,
    EltwiseLayer.self,
    EmbedLayer.self,
    EuclideanLossLayer.self,
    ExpLayer.self,
    FilterLayer.self,
    FlattenLayer.self,
    HDF5DataLayer.self,
    HDF5OutputLayer.self,
    HingeLossLayer.self,
    Im2colLayer.self,
    ImageDataLayer.self,
    InfogainLossLayer.self,
    InnerProductLayer.self,
    InputLayer.self,
    LRNLayer.self,
    LSTMLayer.self,
    LSTMUnitLayer.self,
    LogLayer.self,
    MVNLayer.self,
    MemoryDataLayer.self,
    MultinomialLogisticLossLayer.self,
    PReLULayer.self,
    ParameterLayer.self,
    PoolingLayer.self,
    PowerLayer.self,
    RNNLayer.self,
    ReLULayer.self,
    ReductionLayer.self,
    ReshapeLayer.self,
    SPPLayer.self,
    ScaleLayer.self,
    SigmoidLayer.self,
    SigmoidCrossEntropyLossLayer.self,
    SilenceLayer.self,
    SliceLayer.self,
    SoftmaxLayer.self,
    SoftmaxWithLossLayer.self,
    SplitLayer.self,
    SwishLayer.self,
    TanHLayer.self,
    ThresholdLayer.self,
    TileLayer.self,
    WindowDataLayer.self,
  ]

  /// The registered type strings, sorted.
  public static var knownTypes: [String] { classes.map { $0.type }.sorted() }

  /// Looks up the class registered for `type`.
  public static func layerClass(for type: String) -> Layer.Type? {
    classes.first { $0.type == type }
  }

  /// Creates the layer that `param.type` names.
  /// - Throws: `CaffeError.unknownLayerType` listing the known types, or what the layer's
  ///   initialiser throws for bad parameters.
  public static func makeLayer(_ param: LayerParameter) throws -> Layer {
    guard let layerClass = layerClass(for: param.type) else {
      throw CaffeError.unknownLayerType(layer: param.name, type: param.type, known: knownTypes)
    }
    return try layerClass.init(param)
  }
}
