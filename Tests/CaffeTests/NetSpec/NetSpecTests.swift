// NetSpec: how calls become layers — naming, in-place tops, param specs, rules, loss weights,
// and the generic call for any other layer type.

import Caffe
import CaffeProto
import CaffeTestSupport
import Testing

@Suite struct NetSpecTests {
  @Test func unnamedTopsAreNamedAfterTheirTypeWithACounterPerType() {
    let spec = NetSpec()
    let data = spec.input(shape: [1, 1, 8, 8])
    let conv = spec.convolution(data, numOutput: 2, kernelSize: 3)
    let relu = spec.relu(conv)
    let conv2 = spec.convolution(relu, numOutput: 2, kernelSize: 3)
    #expect(
      [data, conv, relu, conv2].map(\.name) == ["Input1", "Convolution1", "ReLU1", "Convolution2"])
    // A layer without a name takes its first top's name.
    #expect(spec.layers.map(\.name) == ["Input1", "Convolution1", "ReLU1", "Convolution2"])
  }

  @Test func aNameNamesTheLayerAndItsSingleTop() {
    let spec = NetSpec()
    let data = spec.input(shape: [1, 4], name: "data")
    let ip = spec.innerProduct(data, name: "ip", numOutput: 3)
    #expect(ip == Top("ip"))
    #expect(spec.layers[1].name == "ip")
    #expect(spec.layers[1].bottom == ["data"])
    #expect(spec.layers[1].top == ["ip"])
  }

  @Test func inPlaceLayersWriteOverTheirBottom() {
    let spec = NetSpec()
    let ip = spec.innerProduct(spec.input(shape: [1, 4], name: "data"), name: "ip", numOutput: 3)
    let named = spec.relu(ip, name: "relu", inPlace: true)
    let unnamed = spec.dropout(ip, inPlace: true)
    #expect(named == ip && unnamed == ip)
    #expect(spec.layers[2].top == ["ip"] && spec.layers[2].name == "relu")
    // An unnamed in-place layer gets the automatic name its top would have had.
    #expect(spec.layers[3].top == ["ip"] && spec.layers[3].name == "Dropout1")
  }

  @Test func genericLayerCoversEveryOtherTypeAndField() {
    let spec = NetSpec()
    let tops = spec.layer("DummyData", ntop: 2) { layer in
      var shape = BlobShape()
      shape.dim = [2, 3]
      layer.dummyDataParam.shape = [shape, shape]
    }
    #expect(tops == [Top("DummyData1"), Top("DummyData2")])
    #expect(spec.layers[0].name == "DummyData1")
    let silenced = spec.layer("Silence", tops, ntop: 0)
    #expect(silenced.isEmpty)
    #expect(spec.layers[1].name == "Silence1" && spec.layers[1].top.isEmpty)
    let sliced = spec.layer("Slice", [tops[0]], name: "slice", tops: ["left", "right"])
    #expect(sliced == [Top("left"), Top("right")] && spec.layers[2].name == "slice")
  }

  @Test func paramSpecsRulesAndLossWeightsGoToTheLayer() {
    let spec = NetSpec()
    let data = spec.input(shape: [2, 4], name: "data")
    spec.innerProduct(
      data, name: "shared", numOutput: 3,
      params: [.init(lrMult: 1, decayMult: 1, name: "w"), .init(name: "b", lrMult: 2)])
    spec.layer(
      "EuclideanLoss", [Top("shared"), data], name: "loss", include: [.phase(.train)],
      exclude: [.stages("deploy")], lossWeight: [0.5])
    let text = spec.prototxt
    let parsed = try? Prototxt.decode(NetParameter.self, text: text)
    #expect(parsed == spec.toProto())
    let ip = spec.layers[1]
    #expect(ip.param.map(\.name) == ["w", "b"])
    #expect(ip.param[0].hasDecayMult && !ip.param[1].hasDecayMult)
    #expect(spec.layers[2].include.first?.phase == .train)
    #expect(spec.layers[2].exclude.first?.stage == ["deploy"])
    #expect(spec.layers[2].lossWeight == [0.5])
  }

  @Test func unsetArgumentsWriteNoField() {
    let spec = NetSpec()
    spec.convolution(Top("data"), name: "conv", numOutput: 8, kernelSize: 3)
    let conv = spec.layers[0].convolutionParam
    #expect(!conv.hasBiasTerm && conv.stride.isEmpty && conv.pad.isEmpty && !conv.hasWeightFiller)
    #expect(spec.prototxt.contains("kernel_size: 3") && !spec.prototxt.contains("stride"))
  }

  @Test func writtenPrototxtBuildsANet() throws {
    let folder = try Golden.temporaryDirectory()
    let path = folder.appendingPathComponent("deploy.prototxt").path
    try ModelZoo.lenetDeploy().write(to: path)
    let net = try Net(prototxt: path, phase: .test)
    #expect(net.blob(named: "prob")?.shape == [1, 10])
  }
}
