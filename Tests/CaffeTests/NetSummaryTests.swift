// NetSummary: parameter counts and multiply-accumulates per layer, checked by hand on LeNet,
// AlexNet (grouped convolutions), deconvolution, shared and frozen parameters.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct NetSummaryTests {
  static let corpus = "caffe-corpus/prototxt/"

  /// Builds a net from prototxt text in `phase`, its log captured.
  static func summary(_ text: String, phase: Phase = .train) throws -> NetSummary {
    var param = try Prototxt.decode(NetParameter.self, text: text, file: "test.prototxt")
    param.state.phase = phase
    return try LogCapture().capture { NetSummary(try Net(param)) }
  }

  /// Builds a corpus net (phase TEST) after `edit`, its log captured.
  static func corpusSummary(
    _ name: String, edit: (inout NetParameter) -> Void = { _ in }
  ) throws -> NetSummary {
    var param = try ProtoUpgrade.readNetText(path: Golden.path(corpus + name))
    param.state.phase = .test
    edit(&param)
    let definition = param
    return try LogCapture().capture { NetSummary(try Net(definition)) }
  }

  static func row(_ summary: NetSummary, _ name: String) throws -> NetSummary.Row {
    try #require(summary.rows.first { $0.name == name })
  }

  @Test(.enabled(if: Golden.isAvailable, "needs ../shared"))
  func leNetDeployCountsByHand() throws {
    let summary = try Self.corpusSummary("bvlc--ex-mnist--lenet.prototxt")
    #expect(summary.netName == "LeNet")
    #expect(
      summary.rows.map(\.name) == [
        "data", "conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2", "prob",
      ])
    // Parameters: weights + biases.
    #expect(try Self.row(summary, "conv1").parameterCount == 20 * 1 * 5 * 5 + 20)
    #expect(try Self.row(summary, "conv2").parameterCount == 50 * 20 * 5 * 5 + 50)
    #expect(try Self.row(summary, "ip1").parameterCount == 500 * 800 + 500)
    #expect(try Self.row(summary, "ip2").parameterCount == 10 * 500 + 10)
    #expect(summary.totalParameters == 431_080)
    #expect(summary.trainableParameters == 431_080)
    // MACs at batch 64: N·O·outH·outW·C·kH·kW for convolutions, N·K·O for inner products.
    #expect(try Self.row(summary, "conv1").macs == 64 * 20 * 24 * 24 * 25)
    #expect(try Self.row(summary, "conv2").macs == 64 * 50 * 8 * 8 * 20 * 25)
    #expect(try Self.row(summary, "ip1").macs == 64 * 800 * 500)
    #expect(try Self.row(summary, "ip2").macs == 64 * 500 * 10)
    // One per top element for pooling, activations and softmax; none for the input.
    #expect(try Self.row(summary, "pool1").macs == 64 * 20 * 12 * 12)
    #expect(try Self.row(summary, "pool2").macs == 64 * 50 * 4 * 4)
    #expect(try Self.row(summary, "relu1").macs == 64 * 500)
    #expect(try Self.row(summary, "prob").macs == 64 * 10)
    #expect(try Self.row(summary, "data").macs == 0)
    #expect(summary.totalMACs == 147_020_160)
    #expect(try Self.row(summary, "conv1").topShapes == [[64, 20, 24, 24]])
    #expect(try Self.row(summary, "prob").topShapes == [[64, 10]])
    // Distinct tops: relu1 is in place, so ip1's blob is counted once.
    let floats = 64 * (784 + 11_520 + 2_880 + 3_200 + 800 + 500 + 10 + 10)
    #expect(summary.topByteCount == floats * 4)
  }

  /// AlexNet's deploy net with each LRN layer turned into an identity `Power` layer when LRN is
  /// not registered: LRN has no parameters and keeps the shape, so parameters and the other
  /// layers' MACs are unchanged.
  @Test(.enabled(if: Golden.isAvailable, "needs ../shared"))
  func alexNetGroupedConvolutionsByHand() throws {
    let hasLRN = LayerRegistry.layerClass(for: "LRN") != nil
    let summary = try Self.corpusSummary("bvlc--bvlc_alexnet--deploy.prototxt") { param in
      guard !hasLRN else { return }
      for i in param.layer.indices where param.layer[i].type == "LRN" {
        param.layer[i].type = "Power"
        param.layer[i].clearLrnParam()
      }
    }
    // conv2, conv4 and conv5 have group 2: each output sees half the input channels.
    #expect(try Self.row(summary, "conv2").parameterCount == 256 * 48 * 5 * 5 + 256)
    #expect(try Self.row(summary, "conv2").macs == 10 * 256 * 27 * 27 * 48 * 25)
    #expect(try Self.row(summary, "conv4").macs == 10 * 384 * 13 * 13 * 192 * 9)
    #expect(try Self.row(summary, "fc6").macs == 10 * 9216 * 4096)
    #expect(summary.totalParameters == 60_965_224)
    #expect(summary.trainableParameters == 60_965_224)
    let perImage = [
      96 * 55 * 55 * 3 * 121, 256 * 27 * 27 * 48 * 25, 384 * 13 * 13 * 256 * 9,
      384 * 13 * 13 * 192 * 9, 256 * 13 * 13 * 192 * 9, 9216 * 4096, 4096 * 4096, 4096 * 1000,
    ]
    let weighted = ["conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"]
    let weightedMACs = try weighted.reduce(0) { $0 + (try Self.row(summary, $1).macs) }
    #expect(weightedMACs == 10 * perImage.reduce(0, +))
    #expect(summary.rows.last?.topShapes == [[10, 1000]])
    if hasLRN {
      #expect(try Self.row(summary, "norm1").macs == 10 * 96 * 55 * 55 * 5)
    }
  }

  @Test func deconvolutionCountsOverItsInput() throws {
    let summary = try Self.summary(
      """
      layer { name: "in" type: "Input" top: "x"
              input_param { shape { dim: 2 dim: 4 dim: 3 dim: 3 } } }
      layer { name: "up" type: "Deconvolution" bottom: "x" top: "y"
              convolution_param { num_output: 6 group: 2 kernel_size: 3 stride: 2 } }
      """)
    let up = try Self.row(summary, "up")
    #expect(up.topShapes == [[2, 6, 7, 7]])
    // Weight (C, O/g, kH, kW) = (4, 3, 3, 3), bias 6; MACs N·C·inH·inW·(O/g)·kH·kW.
    #expect(up.parameterCount == 4 * 3 * 3 * 3 + 6)
    #expect(up.macs == 2 * 4 * 3 * 3 * 3 * 3 * 3)
  }

  @Test func sharedParametersCountOnceAndFrozenOnesAreNotTrainable() throws {
    let summary = try Self.summary(
      """
      layer { name: "in" type: "Input" top: "a" top: "b"
              input_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 3 } } }
      layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "fa"
              param { name: "w" } param { name: "bias" lr_mult: 0 }
              inner_product_param { num_output: 5 } }
      layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "fb"
              param { name: "w" } param { name: "bias" }
              inner_product_param { num_output: 5 } }
      """)
    #expect(try Self.row(summary, "ip_a").parameterCount == 20)
    #expect(try Self.row(summary, "ip_a").sharedParameterCount == 0)
    #expect(try Self.row(summary, "ip_b").parameterCount == 20)
    #expect(try Self.row(summary, "ip_b").sharedParameterCount == 20)
    #expect(summary.totalParameters == 20)
    #expect(summary.trainableParameters == 15)
    #expect(try Self.row(summary, "ip_b").macs == 4 * 3 * 5)
  }

  @Test func insertedSplitsAreHiddenAndShareTheirBottomsMemory() throws {
    let summary = try Self.summary(
      """
      layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
      layer { name: "e" type: "Eltwise" bottom: "x" bottom: "x" top: "y" }
      """)
    #expect(summary.rows.map(\.name) == ["in", "e"])
    #expect(summary.hiddenSplitCount == 1)
    #expect(summary.topByteCount == 2 * 6 * 4)
    #expect(try Self.row(summary, "e").macs == 6)
  }

  /// Every net whose TEST-phase outputs `caffe-corpus/INDEX.md` lists, with those outputs.
  ///
  /// The three 500×500 FCN nets take about 20 s each in a debug build; they run only when
  /// `SWIFT_CAFFE_SLOW_TESTS` is set.
  static let corpusOutputs: [CorpusOutputs] = {
    let index = Golden.path("caffe-corpus/INDEX.md")
    guard let text = try? String(contentsOfFile: index, encoding: .utf8) else { return [] }
    let slow = ProcessInfo.processInfo.environment["SWIFT_CAFFE_SLOW_TESTS"] != nil
    return text.split(separator: "\n").compactMap(CorpusOutputs.init)
      .filter { slow || !$0.outputs.contains { $0.shape.suffix(2) == [500, 500] } }
  }()

  @Test(arguments: corpusOutputs)
  func corpusNetOutputShapes(_ entry: CorpusOutputs) throws {
    let summary = try Self.corpusSummary(entry.file)
    for output in entry.outputs {
      let shapes = summary.rows.flatMap { row in
        zip(row.topNames, row.topShapes).filter { $0.0 == output.name }.map(\.1)
      }
      #expect(shapes.last == output.shape, "output \(output.name)")
    }
    #expect(summary.totalParameters > 0)
  }

  @Test func everyRegisteredTypeHasAMACRule() {
    let missing = LayerRegistry.knownTypes.filter { MACRule.table[$0] == nil }
    #expect(missing.isEmpty, "types without a MAC rule: \(missing)")
    #expect(MACRule.of("NoSuchType") == .none)
  }
}

/// A row of `caffe-corpus/INDEX.md` that lists a net's TEST-phase outputs, such as
/// `prob 10x1000; loss 1x43`.
struct CorpusOutputs: Sendable, CustomTestStringConvertible {
  let file: String
  let outputs: [(name: String, shape: [Int])]
  var testDescription: String { file }

  init?(_ line: Substring) {
    let cells = line.split(separator: "|", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    guard cells.count >= 8, cells[1].hasPrefix("`"), cells[1].hasSuffix(".prototxt`") else {
      return nil
    }
    file = String(cells[1].dropFirst().dropLast())
    outputs = cells[6].split(separator: ";").compactMap { item in
      let parts = item.split(separator: " ")
      guard parts.count == 2 else { return nil }
      let dims = parts[1].split(separator: "x").compactMap { Int($0) }
      return dims.isEmpty ? nil : (String(parts[0]), dims)
    }
    if outputs.isEmpty { return nil }
  }
}
