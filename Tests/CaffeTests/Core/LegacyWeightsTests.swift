// A V1 caffemodel with legacy 4-D blob shapes loads into the current-format version of its net.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite(.enabled(if: Golden.isAvailable)) struct LegacyWeightsTests {
  @Test func v1CifarQuickWeightsLoadIntoTheV2Net() throws {
    let log = LogCapture()
    try log.capture {
      let definition = try ProtoUpgrade.readNetText(
        path: Golden.path("caffe-corpus/prototxt/bvlc--ex-cifar10--cifar10_quick.prototxt"))
      let net = try Net(definition)
      let weights = try ProtoUpgrade.readNetBinary(
        path: Golden.path("caffe-corpus/weights/ikkichung--cifar10_quick_iter_5000.caffemodel"))
      let legacyBlobs = weights.layer.flatMap(\.blobs).filter { $0.hasNum }
      #expect(!legacyBlobs.isEmpty, "the fixture should carry legacy num/channels/height/width")
      try net.copyTrainedLayers(from: weights)
      let conv1 = try #require(net.layer(named: "conv1"))
      let stored = try #require(weights.layer.first { $0.name == "conv1" }?.blobs.first)
      #expect(conv1.blobs[0].shape == [32, 3, 5, 5])
      #expect(conv1.blobs[0].dataArray == stored.data)
      try net.forward()
      let prob = try #require(net.blob(named: "prob"))
      let sum = prob.dataArray.reduce(0, +)
      #expect(abs(sum - 1) < 1e-4)
    }
  }
}
