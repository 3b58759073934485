// Neuron layers: forward against the formulas, element-wise gradients, in-place equivalence.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

/// One neuron layer under test: its definition and the formula it must compute.
struct NeuronCase: Sendable, CustomTestStringConvertible {
  var definition: String
  var formula: @Sendable (Float) -> Float
  /// Caffe's constants for the layer's gradient check: step, threshold, kink range around 0.
  var step: Float = 1e-2
  var threshold: Float = 1e-3
  var kinkRange: Float = -1
  /// Whether the layer may run in place (backward does not read x).
  var inPlace = true
  /// Whether the bottom must be positive (inputs drawn from [0.5, 2) instead of N(0, 1)).
  var positiveInputs = false
  /// Non-smooth points other than 0: inputs closer than 0.02 to one are pushed to 0.02 from it,
  /// so that no finite-difference step crosses it (Caffe's Clip test does the same).
  var kinks: [Float] = []

  var testDescription: String { definition }

  func bottom(_ shape: [Int] = BlobBuilder.standardShape) throws -> Blob {
    let blob =
      positiveInputs
      ? try BlobBuilder.uniform(shape, min: 0.5, max: 2) : try BlobBuilder.gaussian(shape)
    for i in 0..<blob.count {
      for kink in kinks where abs(blob.data[i] - kink) < 0.02 {
        blob.data[i] = kink + (blob.data[i] < kink ? -0.02 : 0.02)
      }
    }
    return blob
  }

  static let all: [NeuronCase] = [
    NeuronCase(definition: "type: \"ReLU\"", formula: { max($0, 0) }, kinkRange: 0.01),
    NeuronCase(
      definition: "type: \"ReLU\" relu_param { negative_slope: 0.01 }",
      formula: { $0 > 0 ? $0 : 0.01 * $0 }, kinkRange: 0.01),
    NeuronCase(
      definition: "type: \"Sigmoid\"", formula: { 1 / (1 + exp(-$0)) }, kinkRange: 0.01),
    NeuronCase(definition: "type: \"TanH\"", formula: { tanh($0) }),
    NeuronCase(definition: "type: \"AbsVal\"", formula: { abs($0) }, kinkRange: 0.01),
    // Caffe's test_power_layer: GradientChecker(1e-3, 1e-2, 1701, 0, 0.01).
    NeuronCase(
      definition: "type: \"Power\" power_param { power: 2 scale: 0.5 shift: -1 }",
      formula: { (0.5 * $0 - 1) * (0.5 * $0 - 1) }, step: 1e-3, threshold: 1e-2,
      kinkRange: 0.01, inPlace: false),
    NeuronCase(
      definition: "type: \"Power\" power_param { power: 0.37 scale: 0.83 shift: 0.4 }",
      formula: { pow(0.4 + 0.83 * $0, 0.37) }, step: 1e-3, threshold: 1e-2, kinkRange: 0.01,
      inPlace: false, positiveInputs: true),
    NeuronCase(
      definition: "type: \"Power\" power_param { power: 0 scale: 3 }", formula: { _ in 1 },
      inPlace: false),
    NeuronCase(definition: "type: \"Exp\"", formula: { exp($0) }),
    NeuronCase(
      definition: "type: \"Exp\" exp_param { base: 2 scale: 0.5 shift: 1 }",
      formula: { pow(2, 1 + 0.5 * $0) }),
    NeuronCase(
      definition: "type: \"Log\"", formula: { log($0) }, inPlace: false, positiveInputs: true),
    NeuronCase(
      definition: "type: \"Log\" log_param { base: 2 scale: 0.5 shift: 1 }",
      formula: { log2(1 + 0.5 * $0) }, inPlace: false, positiveInputs: true),
    // Caffe's test_neuron_layer: BNLL (1e-2, 1e-3); ELU and Swish (1e-2, 1e-3, 1701, 0, 0.01).
    NeuronCase(definition: "type: \"BNLL\"", formula: { log(1 + exp($0)) }),
    NeuronCase(
      definition: "type: \"ELU\" elu_param { alpha: 0.5 }",
      formula: { $0 > 0 ? $0 : 0.5 * (exp($0) - 1) }, kinkRange: 0.01),
    NeuronCase(
      definition: "type: \"ELU\" elu_param { alpha: 0 }", formula: { max($0, 0) }, kinkRange: 0.01),
    NeuronCase(
      definition: "type: \"ELU\" elu_param { alpha: -0.5 }",
      formula: { $0 > 0 ? $0 : -0.5 * (exp($0) - 1) }, kinkRange: 0.01),
    NeuronCase(
      definition: "type: \"ELU\"", formula: { $0 > 0 ? $0 : exp($0) - 1 }, kinkRange: 0.01),
    NeuronCase(definition: "type: \"Swish\"", formula: { $0 / (1 + exp(-$0)) }, kinkRange: 0.01),
    NeuronCase(
      definition: "type: \"Swish\" swish_param { beta: 1.5 }",
      formula: { $0 / (1 + exp(-1.5 * $0)) }, kinkRange: 0.01),
    NeuronCase(
      definition: "type: \"Swish\" swish_param { beta: 0 }", formula: { $0 / 2 },
      kinkRange: 0.01),
    // Caffe's TestClipGradient: (1e-2, 1e-3), inputs moved off the bounds.
    NeuronCase(
      definition: "type: \"Clip\" clip_param { min: -1 max: 2 }",
      formula: { min(max($0, -1), 2) }, kinks: [-1, 2]),
    NeuronCase(
      definition: "type: \"Clip\" clip_param { min: 0.25 max: 0.25 }", formula: { _ in 0.25 },
      kinks: [0.25]),
  ]
}

@Suite struct NeuronTests {
  func makeLayer(_ definition: String) throws -> Layer {
    try LayerRegistry.makeLayer(try LayerFixture.param("name: \"neuron\" " + definition))
  }

  @Test(arguments: NeuronCase.all)
  func forwardAppliesTheFormula(_ c: NeuronCase) throws {
    let layer = try makeLayer(c.definition)
    let bottom = try c.bottom()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == bottom.shape)
    let expected = bottom.dataArray.map(c.formula)
    let relative = zip(top.dataArray, expected).map { abs($0 - $1) / max(1, abs($1)) }
    #expect((relative.max() ?? 0) < 1e-5)
  }

  // Caffe's test_neuron_layer: (1e-2, 1e-3), with kink 0 ± 0.01 for ReLU and Sigmoid.
  @Test(arguments: NeuronCase.all)
  func gradientIsExact(_ c: NeuronCase) throws {
    let layer = try makeLayer(c.definition)
    let checker = GradientChecker(
      stepSize: c.step, threshold: c.threshold, kink: 0, kinkRange: c.kinkRange)
    let failures = try checker.checkGradientEltwise(
      layer, bottom: [try c.bottom([2, 3, 2, 2])], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: NeuronCase.all.filter(\.inPlace))
  func inPlaceMatchesOutOfPlace(_ c: NeuronCase) throws {
    let outOfPlace = try makeLayer(c.definition)
    let bottom = try c.bottom()
    let top = Blob()
    try outOfPlace.setUp(bottom: [bottom], top: [top])
    try outOfPlace.forward(bottom: [bottom], top: [top])
    let topDiff = try BlobBuilder.gaussian(seed: 11).dataArray
    try top.setDiff(topDiff)
    try outOfPlace.backward(top: [top], propagateDown: [true], bottom: [bottom])

    let inPlace = try makeLayer(c.definition)
    let shared = try c.bottom()
    try inPlace.setUp(bottom: [shared], top: [shared])
    try inPlace.forward(bottom: [shared], top: [shared])
    #expect(shared.dataArray == top.dataArray)
    try shared.setDiff(topDiff)
    try inPlace.backward(top: [shared], propagateDown: [true], bottom: [shared])
    #expect(LayerFixture.maxDifference(shared.diffArray, bottom.diffArray) < 1e-6)
  }

  @Test func reluBackwardPassesPositiveGradients() throws {
    let layer = try makeLayer("type: \"ReLU\" relu_param { negative_slope: 0.5 }")
    let bottom = try BlobBuilder.values([4], [-2, -0.5, 0.5, 2])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.dataArray == [-1, -0.25, 0.5, 2])
    try top.setDiff([1, 2, 3, 4])
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray == [0.5, 1, 3, 4])
  }

  @Test func reshapeFollowsTheBottom() throws {
    let layer = try makeLayer("type: \"ReLU\"")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try bottom.reshape([3, 5])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [3, 5])
  }

  @Test(arguments: [
    ("type: \"Exp\" exp_param { base: -2 }", "base"),
    ("type: \"Log\" log_param { base: 0 }", "base"),
    ("type: \"Log\" log_param { base: 1 }", "base"),
  ])
  func badBasesAreRejected(_ definition: String, _ field: String) throws {
    #expect { try makeLayer(definition) } throws: {
      LayerFixture.isInvalid($0, layer: "neuron", field: field)
    }
  }

  @Test func neuronLayersTakeOneBottomAndOneTop() throws {
    let layer = try makeLayer("type: \"ReLU\"")
    #expect {
      try layer.setUp(
        bottom: [try BlobBuilder.gaussian(), try BlobBuilder.gaussian()], top: [Blob()])
    } throws: { error in
      guard case CaffeError.blobCount(let name, _, let side, _, let actual) = error else {
        return false
      }
      return name == "neuron" && side == "bottom" && actual == 2
    }
  }
}
