// V1 layers, net-level inputs, three-param BatchNorm and mixed definitions, on small inline nets.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@Suite("Upgrade: V1 nets, inputs, BatchNorm")
struct UpgradeNetTests {
  @Test func netWithBothLayerAndLayersIsRefused() throws {
    let net = try netText(
      """
      layer { name: "a" type: "ReLU" bottom: "x" top: "x" }
      layers { name: "b" type: RELU bottom: "x" top: "x" }
      """)
    #expect(ProtoUpgrade.netNeedsUpgrade(net))
    let error = #expect(throws: CaffeError.self) {
      try ProtoUpgrade.upgradeNet(net, source: "mixed.prototxt")
    }
    guard case .invalidNet(let reason)? = error else {
      Issue.record("expected invalidNet, got \(String(describing: error))")
      return
    }
    #expect(reason.contains("mixed.prototxt"))
    #expect(reason.contains("both 'layer' and 'layers'"))
  }

  @Test func everyV1LayerTypeGetsItsTypeString() throws {
    let expected: [V1LayerParameter.LayerType: String] = [
      .absval: "AbsVal", .accuracy: "Accuracy", .argmax: "ArgMax", .bnll: "BNLL",
      .concat: "Concat", .contrastiveLoss: "ContrastiveLoss", .convolution: "Convolution",
      .deconvolution: "Deconvolution", .data: "Data", .dropout: "Dropout",
      .dummyData: "DummyData", .euclideanLoss: "EuclideanLoss", .eltwise: "Eltwise", .exp: "Exp",
      .flatten: "Flatten", .hdf5Data: "HDF5Data", .hdf5Output: "HDF5Output",
      .hingeLoss: "HingeLoss", .im2Col: "Im2col", .imageData: "ImageData",
      .infogainLoss: "InfogainLoss", .innerProduct: "InnerProduct", .lrn: "LRN",
      .memoryData: "MemoryData", .multinomialLogisticLoss: "MultinomialLogisticLoss",
      .mvn: "MVN", .pooling: "Pooling", .power: "Power", .relu: "ReLU", .sigmoid: "Sigmoid",
      .sigmoidCrossEntropyLoss: "SigmoidCrossEntropyLoss", .silence: "Silence",
      .softmax: "Softmax", .softmaxLoss: "SoftmaxWithLoss", .split: "Split", .slice: "Slice",
      .tanh: "TanH", .windowData: "WindowData", .threshold: "Threshold", .none: "",
    ]
    #expect(expected.count == V1LayerParameter.LayerType.allCases.count)
    var net = NetParameter()
    net.layers = V1LayerParameter.LayerType.allCases.map { type in
      var layer = V1LayerParameter()
      layer.name = "\(type)"
      layer.type = type
      return layer
    }
    let upgraded = try ProtoUpgrade.upgradeNet(net, source: "<test>")
    for (index, type) in V1LayerParameter.LayerType.allCases.enumerated() {
      #expect(upgraded.layer[index].type == expected[type], "\(type)")
    }
  }

  @Test func v1LearningSpecsBecomeParamSpecs() throws {
    let net = try netText(
      """
      layers {
        name: "shared" type: INNER_PRODUCT bottom: "x" top: "y"
        blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0
        param: "w" param: "b" blob_share_mode: PERMISSIVE
        loss_weight: 0.5
        include { phase: TRAIN } exclude { stage: "deploy" }
        inner_product_param { num_output: 7 }
        blobs { num: 1 channels: 1 height: 7 width: 3 data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
          12, 13, 14, 15, 16, 17, 18, 19, 20, 21] }
      }
      layers { name: "only_lr" type: CONVOLUTION bottom: "y" top: "z" blobs_lr: 3 }
      """)
    let upgraded = try ProtoUpgrade.upgradeNet(net, source: "<test>")
    let shared = upgraded.layer[0]
    #expect(shared.param.map(\.name) == ["w", "b"])
    #expect(shared.param.map(\.lrMult) == [1, 2])
    #expect(shared.param.map(\.decayMult) == [1, 0])
    #expect(shared.param.map(\.hasShareMode) == [true, false])
    #expect(shared.param[0].shareMode == .permissive)
    #expect(shared.lossWeight == [0.5])
    #expect(shared.include.map(\.phase) == [.train])
    #expect(shared.exclude.map(\.stage) == [["deploy"]])
    #expect(shared.innerProductParam.numOutput == 7)
    #expect(shared.blobs == net.layers[0].blobs)
    let onlyLR = upgraded.layer[1]
    #expect(onlyLR.param.count == 1)
    #expect(onlyLR.param[0].lrMult == 3 && !onlyLR.param[0].hasDecayMult)
  }

  @Test func inputDimsBecomeOneInputLayerPlacedFirst() throws {
    let net = try netText(
      """
      name: "two_inputs"
      input: "image" input_dim: 2 input_dim: 3 input_dim: 8 input_dim: 8
      input: "mask" input_dim: 2 input_dim: 1 input_dim: 8 input_dim: 8
      layer { name: "product" type: "Eltwise" bottom: "image" bottom: "mask" top: "out" }
      """)
    let upgraded = try ProtoUpgrade.upgradeNet(net, source: "<test>")
    #expect(upgraded.input.isEmpty && upgraded.inputDim.isEmpty)
    #expect(upgraded.layer.map(\.name) == ["input", "product"])
    let input = upgraded.layer[0]
    #expect(input.type == "Input")
    #expect(input.top == ["image", "mask"])
    #expect(input.inputParam.shape.map(\.dim) == [[2, 3, 8, 8], [2, 1, 8, 8]])
  }

  @Test func inputShapesWinOverInputDims() throws {
    let net = try netText(
      """
      input: "v" input_shape { dim: 5 dim: 17 }
      layer { name: "r" type: "ReLU" bottom: "v" top: "v" }
      """)
    let upgraded = try ProtoUpgrade.upgradeNet(net, source: "<test>")
    #expect(upgraded.inputShape.isEmpty)
    #expect(upgraded.layer[0].inputParam.shape.map(\.dim) == [[5, 17]])
  }

  @Test func inputWithoutShapesIsDropped() throws {
    var net = NetParameter()
    net.input = ["data"]
    var layer = LayerParameter()
    layer.name = "r"
    layer.type = "ReLU"
    net.layer = [layer]
    let upgraded = try ProtoUpgrade.upgradeNet(net, source: "<test>")
    #expect(upgraded.input.isEmpty)
    #expect(upgraded.layer.map(\.name) == ["r"])
  }

  @Test func inputsWithTooFewDimsAreAnError() throws {
    let net = try netText(
      #"input: "a" input: "b" input_dim: 1 input_dim: 2 input_dim: 3 input_dim: 4"#)
    let error = #expect(throws: CaffeError.self) {
      try ProtoUpgrade.upgradeNet(net, source: "<test>")
    }
    #expect(error?.description.contains("2 inputs but 4 input_dim") == true)
  }

  @Test func batchNormWithThreeParamsStopsLearningOthersAreKept() throws {
    let net = try netText(
      """
      layer { name: "bn3" type: "BatchNorm" bottom: "x" top: "x"
              param { lr_mult: 1 name: "m" } param { lr_mult: 1 } param { decay_mult: 4 } }
      layer { name: "bn2" type: "BatchNorm" bottom: "x" top: "x"
              param { lr_mult: 1 } param { lr_mult: 1 } }
      layer { name: "s3" type: "Scale" bottom: "x" top: "x"
              param { lr_mult: 1 } param { lr_mult: 1 } param { lr_mult: 1 } }
      """)
    #expect(ProtoUpgrade.netNeedsUpgrade(net))
    let upgraded = try ProtoUpgrade.upgradeNet(net, source: "<test>")
    #expect(upgraded.layer[0].param.map(\.lrMult) == [0, 0, 0])
    #expect(upgraded.layer[0].param.map(\.decayMult) == [0, 0, 0])
    #expect(upgraded.layer[0].param[0].name == "m")
    #expect(upgraded.layer[1] == net.layer[1])
    #expect(upgraded.layer[2] == net.layer[2])
  }

  @Test func currentNetComesBackUnchanged() throws {
    let net = try netText(
      """
      name: "current"
      layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
              param { lr_mult: 1 } inner_product_param { num_output: 3 } }
      """)
    #expect(!ProtoUpgrade.netNeedsUpgrade(net))
    #expect(try ProtoUpgrade.upgradeNet(net, source: "<test>") == net)
  }
}
