// The nets of ModelZoo against the prototxt files they reproduce: LeNet as written in
// examples/mnist, ResNet-50 as released by its authors.

import Caffe
import CaffeProto
import CaffeTestSupport
import Foundation
import Testing

@Suite struct NetSpecModelZooTests {
  static let resnet50Path = Golden.path(
    "caffe-corpus/prototxt/kaiminghe--ResNet-50-deploy.prototxt")
  static var hasResNet50: Bool { FileManager.default.fileExists(atPath: resnet50Path) }

  @Test func lenetEqualsTheMNISTExamplePrototxt() throws {
    let path = Golden.packageRoot.appendingPathComponent(
      "examples/mnist/lenet_train_test.prototxt"
    ).path
    let expected = try ProtoUpgrade.readNetText(path: path)
    #expect(ModelZoo.lenetTrainTest().toProto() == expected)
    #expect(
      try Prototxt.decode(NetParameter.self, text: ModelZoo.lenetTrainTest().prototxt) == expected)
  }

  @Test func lenetDataSourcesAndBatchSizesAreArguments() {
    let spec = ModelZoo.lenetTrainTest(
      trainSource: "train_db", testSource: "test_db", trainBatchSize: 8, testBatchSize: 4)
    let data = spec.layers.filter { $0.type == "Data" }.map(\.dataParam)
    #expect(data.map(\.source) == ["train_db", "test_db"])
    #expect(data.map(\.batchSize) == [8, 4])
  }

  @Test(.enabled(if: hasResNet50)) func resnet50MatchesTheAuthorsDeployPrototxt() throws {
    let expected = try ProtoUpgrade.readNetText(path: Self.resnet50Path)
    let built = ModelZoo.resnet50Deploy().toProto()
    #expect(built.layer.count == expected.layer.count)
    // The upgrade names the Input layer "input"; every other layer is identical.
    #expect(Array(built.layer.dropFirst()) == Array(expected.layer.dropFirst()))
    #expect(built.layer.first?.top == expected.layer.first?.top)
  }

  @Test(.enabled(if: hasResNet50)) func resnet50BlobNamesAndShapesMatchWhenBuilt() throws {
    // Building the net only sets layers up and reshapes; no forward pass runs.
    let expected = try Net(prototxt: Self.resnet50Path, phase: .test)
    let built = try Net(ModelZoo.resnet50Deploy().toProto(), phase: .test)
    #expect(built.layers.count == expected.layers.count)
    #expect(built.blobNames == expected.blobNames)
    #expect(built.blobs.map(\.shape) == expected.blobs.map(\.shape))
    #expect(built.blob(named: "prob")?.shape == [1, 1000])
    #expect(built.blob(named: "res5c")?.shape == [1, 2048, 7, 7])
  }
}
