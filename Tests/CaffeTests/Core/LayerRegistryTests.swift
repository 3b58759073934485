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
