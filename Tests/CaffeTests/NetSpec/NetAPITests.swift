// The Net API as pycaffe users know it: load with weights, blobs and params by name, forward
// with inputs, partial forward, backward, reshape, copying and saving weights.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct NetAPITests {
  /// "data" (2, 3) → InnerProduct "ip" (2, 2) → Softmax "prob" (2, 2).
  static func tinyClassifier() throws -> Net {
    let spec = NetSpec(name: "tiny")
    let data = spec.input(shape: [2, 3], name: "data")
    let ip = spec.innerProduct(data, name: "ip", numOutput: 2)
    spec.softmax(ip, name: "prob")
    return try Net(spec.toProto(), phase: .test)
  }

  @Test func blobsAndParamsAreFoundByName() throws {
    let net = try Net(ModelZoo.lenetDeploy(batchSize: 2).toProto(), phase: .test)
    #expect(net.blobsByName["conv1"]?.shape == [2, 20, 24, 24])
    #expect(net.blobsByName["prob"]?.shape == [2, 10])
    let conv1 = try #require(net.paramsByName["conv1"])
    #expect(conv1.map(\.shape) == [[20, 1, 5, 5], [20]])
    // Layers without parameters (pooling, ReLU, softmax) are not listed.
    #expect(net.paramsByName.keys.sorted() == ["conv1", "conv2", "ip1", "ip2"])
  }

  @Test func forwardWithInputsReturnsTheOutputs() throws {
    let net = try Self.tinyClassifier()
    let ip = try #require(net.paramsByName["ip"])
    try ip[0].setData([1, 0, 0, 0, 1, 0])  // weights (2, 3): score k = x[k]
    try ip[1].setData([0, 0])
    let outputs = try net.forward(inputs: ["data": [0, 0, 9, 2, 2, 9]])
    let prob = try #require(outputs["prob"])
    #expect(prob == [0.5, 0.5, 0.5, 0.5])
    #expect(net.blobsByName["ip"]?.dataArray == [0, 0, 2, 2])
    #expect(throws: CaffeError.self) { try net.forward(inputs: ["pixels": [0]]) }
    #expect(throws: CaffeError.self) { try net.forward(inputs: ["data": [0]]) }
  }

  @Test func forwardByLayerNamesRunsOnlyThatRange() throws {
    let net = try Self.tinyClassifier()
    try net.blobsByName["data"]?.setData([1, 2, 3, 4, 5, 6])
    try net.forward(from: "ip", to: "ip")
    #expect(net.blobsByName["prob"]?.dataArray == [0, 0, 0, 0])
    try net.forward(from: "prob", to: "prob")
    #expect(net.blobsByName["prob"]?.dataArray.reduce(0, +) ?? 0 > 1.99)
    #expect(throws: CaffeError.self) { try net.forward(from: "prob", to: "ip") }
    #expect(throws: CaffeError.self) { try net.forward(from: "conv1", to: "prob") }
  }

  @Test func backwardFillsTheParameterGradients() throws {
    // loss = ½ Σ (w·x − t)² / N with N = 1, so ∂loss/∂w = (w·x − t) x.
    let spec = NetSpec()
    let x = spec.input(shape: [1, 2], name: "x")
    let target = spec.input(shape: [1, 1], name: "target")
    let y = spec.innerProduct(x, name: "y", numOutput: 1, biasTerm: false)
    spec.layer("EuclideanLoss", [y, target], name: "loss")
    let net = try Net(spec.toProto(), phase: .train)
    try net.paramsByName["y"]?[0].setData([2, 3])
    let loss = try net.forward(inputs: ["x": [1, 1], "target": [4]])
    #expect(loss["loss"] == [0.5])
    try net.backward()
    #expect(net.paramsByName["y"]?[0].diffArray == [1, 1])
  }

  @Test func reshapingAnInputReshapesEveryLaterBlob() throws {
    let net = try Net(ModelZoo.lenetDeploy().toProto(), phase: .test)
    try net.blobsByName["data"]?.reshape([3, 1, 28, 28])
    try net.reshape()
    #expect(net.blobsByName["pool2"]?.shape == [3, 50, 4, 4])
    #expect(net.blobsByName["prob"]?.shape == [3, 10])
  }

  @Test func weightsAreCopiedSavedAndLoaded() throws {
    let folder = try Golden.temporaryDirectory()
    let trained = try Net(ModelZoo.lenetDeploy().toProto(), phase: .test)
    let other = try Net(ModelZoo.lenetDeploy().toProto(), phase: .test)
    try other.copyTrainedLayers(fromNet: trained)
    #expect(other.paramsByName["ip2"]?[0].dataArray == trained.paramsByName["ip2"]?[0].dataArray)
    let weights = folder.appendingPathComponent("lenet.caffemodel").path
    let definition = folder.appendingPathComponent("lenet.prototxt").path
    try trained.save(to: weights)
    try ModelZoo.lenetDeploy().write(to: definition)
    let loaded = try Net(prototxt: definition, weights: weights, phase: .test)
    for name in ["conv1", "conv2", "ip1", "ip2"] {
      let expected = try #require(trained.paramsByName[name]).map(\.dataArray)
      #expect(loaded.paramsByName[name]?.map(\.dataArray) == expected)
    }
  }

  @Test func phaseAndStagesSelectLayers() throws {
    let spec = NetSpec()
    let data = spec.input(shape: [1, 2], name: "data")
    spec.relu(data, name: "train_only") { $0.include = [.phase(.train)] }
    spec.layer("AbsVal", [data], name: "deploy_only", include: [.stages("deploy")])
    let test = try Net(spec.toProto(), phase: .test)
    let deploy = try Net(spec.toProto(), phase: .test, stages: ["deploy"])
    let train = try Net(spec.toProto(), phase: .train)
    #expect(test.layerNames == ["data"])
    #expect(deploy.layerNames == ["data", "deploy_only"])
    #expect(train.layerNames == ["data", "train_only"])
  }
}
