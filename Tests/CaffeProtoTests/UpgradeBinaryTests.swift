// A V1 binary caffemodel with legacy 4-D blob shapes upgrades to current layers with its blobs.

import CaffeProto
import CaffeTestSupport
import Foundation
import Testing

@Suite("Upgrade: binary caffemodel", .enabled(if: Golden.isAvailable))
struct UpgradeBinaryTests {
  static let caffemodel = Golden.path(
    "caffe-corpus/weights/ikkichung--cifar10_quick_iter_5000.caffemodel")

  @Test func v1CaffemodelUpgradesToLayersWithBlobs() throws {
    let original = try BinaryProto.read(NetParameter.self, path: Self.caffemodel)
    #expect(original.layer.isEmpty)
    #expect(original.layers.count == 13)
    let net = try ProtoUpgrade.readNetBinary(path: Self.caffemodel)
    #expect(net.name == "CIFAR10_quick")
    #expect(net.layers.isEmpty)
    #expect(
      net.layer.map(\.name) == [
        "cifar", "conv1", "pool1", "relu1", "conv2", "relu2", "pool2", "conv3", "relu3", "pool3",
        "ip1", "ip2", "loss",
      ])
    #expect(net.layer.first?.include.map(\.phase) == [.train])
    for (index, layer) in net.layer.enumerated() {
      #expect(layer.blobs == original.layers[index].blobs, "\(layer.name)")
    }
  }

  @Test func blobsKeepTheirLegacyFourAxisShapes() throws {
    let net = try ProtoUpgrade.readNetBinary(path: Self.caffemodel)
    // (num, channels, height, width) of weights and biases, as Caffe 2015 stored them.
    let expected: [String: [[Int32]]] = [
      "conv1": [[32, 3, 5, 5], [1, 1, 1, 32]], "conv2": [[32, 32, 5, 5], [1, 1, 1, 32]],
      "conv3": [[64, 32, 5, 5], [1, 1, 1, 64]], "ip1": [[1, 1, 64, 1024], [1, 1, 1, 64]],
      "ip2": [[1, 1, 10, 64], [1, 1, 1, 10]],
    ]
    for layer in net.layer {
      let shapes = layer.blobs.map { [$0.num, $0.channels, $0.height, $0.width] }
      #expect(shapes == expected[layer.name, default: []], "\(layer.name)")
      for blob in layer.blobs {
        #expect(!blob.hasShape)
        #expect(blob.data.count == Int(blob.num * blob.channels * blob.height * blob.width))
      }
    }
  }

  @Test func learnedLayersMatchTheCurrentCifar10QuickDefinition() throws {
    let weights = try ProtoUpgrade.readNetBinary(path: Self.caffemodel)
    let definition = try ProtoUpgrade.readNetText(
      path: LegacyCorpus.path("bvlc--ex-cifar10--cifar10_quick_train_test"))
    let learned = weights.layer.filter { !$0.blobs.isEmpty }
    for layer in learned {
      let match = try #require(definition.layer.first { $0.name == layer.name })
      #expect(match.type == layer.type)
      #expect(match.bottom == layer.bottom)
      #expect(match.top == layer.top)
      #expect(match.param.map(\.lrMult) == layer.param.map(\.lrMult))
    }
    #expect(learned.map(\.name) == ["conv1", "conv2", "conv3", "ip1", "ip2"])
  }

  @Test func upgradedCaffemodelRoundTripsWithoutFurtherUpgrade() throws {
    let net = try ProtoUpgrade.readNetBinary(path: Self.caffemodel)
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("upgraded.caffemodel").path
    try BinaryProto.write(net, path: path)
    let reread = try BinaryProto.read(NetParameter.self, path: path)
    #expect(!ProtoUpgrade.netNeedsUpgrade(reread))
    #expect(reread == net)
  }
}
