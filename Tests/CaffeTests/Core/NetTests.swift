// Net construction: wiring, in-place tops, outputs, backward analysis, parameter sharing,
// weight copying and its errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite(.serialized) struct NetTests {
  static func makeNet(_ text: String, phase: Phase = .train) throws -> Net {
    var param = try Prototxt.decode(NetParameter.self, text: text, file: "test.prototxt")
    param.state.phase = phase
    return try Net(param)
  }

  static let twoLayer = """
    name: "tiny"
    layer { name: "input" type: "Input" top: "data" top: "label"
            input_param { shape { dim: 4 dim: 3 } shape { dim: 4 } } }
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
            inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
    layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
            inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.1 } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
    """

  @Test func wiresBlobsInPlaceAndFindsOutputs() throws {
    let net = try Self.makeNet(Self.twoLayer)
    #expect(net.layerNames == ["input", "ip1", "relu", "ip2", "loss"])
    #expect(net.blobNames == ["data", "label", "ip1", "ip2", "loss"])
    #expect(net.tops(ofLayer: 2)[0] === net.bottoms(ofLayer: 2)[0])
    #expect(net.outputBlobs.count == 1)
    #expect(net.outputBlobs[0] === net.blob(named: "loss"))
    #expect(net.blob(named: "ip2")?.shape == [4, 2])
    #expect(net.learnableParams.count == 4)
  }

  @Test func lossLayerWithoutTopStillCountsItsLoss() throws {
    let named = try Self.makeNet(Self.twoLayer)
    let anonymous = try Self.makeNet(
      Self.twoLayer.replacingOccurrences(
        of: #"bottom: "label" top: "loss""#, with: #"bottom: "label""#))
    try anonymous.copyTrainedLayers(fromNet: named)
    for net in [named, anonymous] {
      let data = net.inputBlobs[0]
      let label = net.inputBlobs[1]
      for i in 0..<data.count { data.data[i] = Float(i % 3) * 0.5 - 0.25 }
      for i in 0..<label.count { label.data[i] = Float(i % 2) }
    }
    #expect(anonymous.outputBlobs.isEmpty)
    #expect(anonymous.needsBackward(layer: 4))
    let loss = try anonymous.forward()
    #expect(loss > 0)
    #expect(loss == (try named.forward()))
  }

  @Test func backwardAnalysisSkipsInputs() throws {
    let net = try Self.makeNet(Self.twoLayer)
    #expect(net.needsBackward(layer: 0) == false)
    #expect(net.needsBackward(layer: 1))
    #expect(net.needsBackward(layer: 4))
  }

  @Test func zeroLearningRateBelowStopsBackward() throws {
    let net = try Self.makeNet(
      """
      layer { name: "input" type: "Input" top: "data" top: "label"
              input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
      layer { name: "frozen" type: "InnerProduct" bottom: "data" top: "f"
              param { lr_mult: 0 } param { lr_mult: 0 }
              inner_product_param { num_output: 2 } }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "f" bottom: "label" top: "loss" }
      """)
    #expect(net.needsBackward(layer: 1) == false)
  }

  @Test func topProducedTwiceIsAnError() throws {
    #expect {
      try Self.makeNet(
        """
        layer { name: "a" type: "Input" top: "data" input_param { shape { dim: 1 } } }
        layer { name: "b" type: "Input" top: "data" input_param { shape { dim: 1 } } }
        """)
    } throws: { error in
      "\(error)".contains("Top blob 'data' produced by multiple sources")
    }
  }

  @Test func sharedParamsUseOneBlob() throws {
    let net = try Self.makeNet(
      """
      layer { name: "input" type: "Input" top: "a" top: "b"
              input_param { shape { dim: 2 dim: 3 } } }
      layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "ya"
              param { name: "w" } param { name: "bias" }
              inner_product_param { num_output: 4 } }
      layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "yb"
              param { name: "w" } param { name: "bias" }
              inner_product_param { num_output: 4 } }
      """)
    #expect(net.learnableParams.count == 2)
    #expect(net.paramOwners == [-1, -1, 0, 1])
    let a = try #require(net.layer(named: "ip_a"))
    let b = try #require(net.layer(named: "ip_b"))
    #expect(a.blobs[0].sharesData(with: b.blobs[0]))
  }

  @Test func sharingWithDifferentShapesNamesBothShapes() throws {
    #expect {
      try Self.makeNet(
        """
        layer { name: "input" type: "Input" top: "a" top: "b"
                input_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 5 } } }
        layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "ya"
                param { name: "w" } inner_product_param { num_output: 4 bias_term: false } }
        layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "yb"
                param { name: "w" } inner_product_param { num_output: 4 bias_term: false } }
        """)
    } throws: { error in
      let text = "\(error)"
      return text.contains("Cannot share param 'w'") && text.contains("4 3 (12)")
        && text.contains("4 5 (20)")
    }
  }

  @Test func copyTrainedLayersRoundTrips() throws {
    let source = try Self.makeNet(Self.twoLayer)
    let target = try Self.makeNet(Self.twoLayer)
    try target.copyTrainedLayers(from: source.toProto())
    let sourceWeights = try #require(source.layer(named: "ip1")).blobs[0].dataArray
    #expect(try #require(target.layer(named: "ip1")).blobs[0].dataArray == sourceWeights)
  }

  @Test func copyWithShapeMismatchNamesLayerAndShapesAndChangesNothing() throws {
    let source = try Self.makeNet(Self.twoLayer)
    let target = try Self.makeNet(
      Self.twoLayer.replacingOccurrences(of: "num_output: 2", with: "num_output: 3"))
    let before = try #require(target.layer(named: "ip1")).blobs[0].dataArray
    #expect {
      try target.copyTrainedLayers(from: source.toProto())
    } throws: { error in
      let text = "\(error)"
      return text.contains("layer 'ip2'") && text.contains("2 5 (10)")
        && text.contains("3 5 (15)")
    }
    #expect(try #require(target.layer(named: "ip1")).blobs[0].dataArray == before)
  }

  @Test func copySkipsUnknownLayers() throws {
    var weights = try Self.makeNet(Self.twoLayer).toProto()
    var extra = LayerParameter()
    extra.name = "not_in_net"
    weights.layer.append(extra)
    let log = LogCapture()
    try log.capture { try Self.makeNet(Self.twoLayer).copyTrainedLayers(from: weights) }
    #expect(log.messages.contains("Ignoring source layer not_in_net"))
    #expect(!log.messages.contains { $0.hasPrefix("No layer with parameters") })
  }

  @Test func copyMatchingNoLayerWarns() throws {
    let weights = try Self.makeNet(Self.twoLayer.replacingOccurrences(of: "ip", with: "fc"))
      .toProto()
    let target = try Self.makeNet(Self.twoLayer)
    let log = LogCapture()
    try log.capture { try target.copyTrainedLayers(from: weights) }
    #expect(
      log.messages.contains {
        $0.hasPrefix("No layer with parameters in net \(target.name) has a namesake")
      })
  }

  @Test func forwardBackwardGivesLossAndParamDiffs() throws {
    let net = try Self.makeNet(Self.twoLayer)
    try net.blob(named: "data")?.setData((0..<12).map { Float($0) / 12 })
    try net.blob(named: "label")?.setData([0, 1, 1, 0])
    net.clearParamDiffs()
    let loss = try net.forwardBackward()
    #expect(loss > 0)
    #expect(net.learnableParams[0].asumDiff > 0)
  }
}
