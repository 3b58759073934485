// The layer registry: one entry per Caffe type string, and a useful unknown-type error.

import CaffeProto
import CaffeSupport
import Testing

@testable import Caffe

@Suite struct LayerRegistryTests {
  @Test func typeStringsAreUniqueAndSorted() {
    let types = LayerRegistry.classes.map { $0.type }
    #expect(Set(types).count == types.count)
    #expect(types.allSatisfy { !$0.isEmpty })
    #expect(LayerRegistry.knownTypes == types.sorted())
  }

  /// BVLC Caffe master's 60 CPU layer types (all it registers except Python), sorted.
  @Test func knownTypesAreExactlyCaffesCPULayers() {
    let caffe = [
      "AbsVal", "Accuracy", "ArgMax", "BatchNorm", "BatchReindex", "Bias", "BNLL", "Clip",
      "Concat", "ContrastiveLoss", "Convolution", "Crop", "Data", "Deconvolution", "Dropout",
      "DummyData", "Eltwise", "ELU", "Embed", "EuclideanLoss", "Exp", "Filter", "Flatten",
      "HDF5Data", "HDF5Output", "HingeLoss", "Im2col", "ImageData", "InfogainLoss",
      "InnerProduct", "Input", "Log", "LRN", "LSTM", "LSTMUnit", "MemoryData",
      "MultinomialLogisticLoss", "MVN", "Parameter", "Pooling", "Power", "PReLU", "Reduction",
      "ReLU", "Reshape", "RNN", "Scale", "Sigmoid", "SigmoidCrossEntropyLoss", "Silence", "Slice",
      "Softmax", "SoftmaxWithLoss", "Split", "SPP", "Swish", "TanH", "Threshold", "Tile",
      "WindowData",
    ]
    #expect(caffe.count == 60)
    #expect(LayerRegistry.knownTypes == caffe.sorted())
  }

  @Test func eachTypeFindsItsOwnClass() throws {
    for layerClass in LayerRegistry.classes {
      let found = try #require(LayerRegistry.layerClass(for: layerClass.type))
      #expect(found == layerClass)
    }
  }

  @Test func unknownTypeNamesTheLayerAndListsKnownTypes() {
    var param = LayerParameter()
    param.name = "relu1"
    param.type = "ReLu"
    #expect {
      try LayerRegistry.makeLayer(param)
    } throws: { error in
      guard case CaffeError.unknownLayerType(let layer, let type, let known) = error else {
        return false
      }
      return layer == "relu1" && type == "ReLu" && known.contains("ReLU")
        && "\(error)".contains("Convolution")
    }
  }
}
