// Eltwise layer: PROD, SUM with coefficients and MAX, forward, gradients and errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct EltwiseTests {
  /// Three (2, 3, 4, 5) bottoms uniform in [0, 1), as in Caffe's test_eltwise_layer.
  func bottoms() throws -> [Blob] {
    try (1...3).map { try BlobBuilder.uniform([2, 3, 4, 5], seed: UInt64($0)) }
  }

  func run(_ text: String, _ bottoms: [Blob]) throws -> Blob {
    let layer = try LayerFixture.make(EltwiseLayer.self, "eltwise_param { \(text) }")
    let top = Blob()
    try layer.setUp(bottom: bottoms, top: [top])
    try layer.forward(bottom: bottoms, top: [top])
    return top
  }

  /// The expected value of one element for each definition in `forwardCombinesElementwise`.
  static func formula(_ text: String, _ a: Float, _ b: Float, _ c: Float) -> Float {
    switch text {
    case "operation: PROD": return a * b * c
    case "operation: SUM": return a + b + c
    case "operation: MAX": return max(a, b, c)
    default: return a - 0.5 * b + 2 * c
    }
  }

  @Test(arguments: [
    "operation: PROD", "operation: SUM", "operation: SUM coeff: 1 coeff: -0.5 coeff: 2",
    "operation: MAX",
  ])
  func forwardCombinesElementwise(_ text: String) throws {
    let inputs = try bottoms()
    let top = try run(text, inputs)
    #expect(top.shape == [2, 3, 4, 5])
    let (a, b, c) = (inputs[0].dataArray, inputs[1].dataArray, inputs[2].dataArray)
    let expected = (0..<top.count).map { Self.formula(text, a[$0], b[$0], c[$0]) }
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-4)
  }

  @Test func maxGradientGoesToTheWinner() throws {
    let layer = try LayerFixture.make(EltwiseLayer.self, "eltwise_param { operation: MAX }")
    let bottoms = [
      try BlobBuilder.values([3], [1, 2, 0]), try BlobBuilder.values([3], [1, 1, 0]),
      try BlobBuilder.values([3], [0, 3, 0]),
    ]
    let top = Blob()
    try layer.setUp(bottom: bottoms, top: [top])
    try layer.forward(bottom: bottoms, top: [top])
    #expect(top.dataArray == [1, 3, 0])
    try top.setDiff([10, 20, 30])
    try layer.backward(top: [top], propagateDown: [true, true, true], bottom: bottoms)
    // Bottom 1 wins its ties with bottom 0; bottom 2 must be strictly greater.
    #expect(bottoms.map(\.diffArray) == [[0, 0, 0], [10, 0, 30], [0, 20, 0]])
  }

  // Caffe's test_eltwise_layer: GradientChecker(1e-2, 1e-3) element-wise; MAX uses (1e-4, 1e-3).
  @Test(arguments: [
    ("operation: PROD stable_prod_grad: true", Float(1e-2)),
    ("operation: PROD stable_prod_grad: false", 1e-2),
    ("operation: SUM", 1e-2),
    ("operation: SUM coeff: 1 coeff: -0.5 coeff: 2", 1e-2),
    ("operation: MAX", 1e-4),
  ])
  func gradientMatchesFiniteDifferences(_ text: String, _ step: Float) throws {
    let layer = try LayerFixture.make(EltwiseLayer.self, "eltwise_param { \(text) }")
    let checker = GradientChecker(stepSize: step, threshold: 1e-3)
    let failures = try checker.checkGradientEltwise(layer, bottom: try bottoms(), top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func coefficientsWithProductThrow() throws {
    #expect {
      try LayerFixture.make(
        EltwiseLayer.self, "eltwise_param { operation: PROD coeff: 1 coeff: 2 }")
    } throws: { LayerFixture.isInvalid($0, field: "coeff") }
  }

  @Test func coefficientCountMustMatchTheBottoms() throws {
    let layer = try LayerFixture.make(EltwiseLayer.self, "eltwise_param { coeff: 1 coeff: 2 }")
    #expect { try layer.setUp(bottom: try bottoms(), top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, field: "coeff")
    }
  }

  @Test func bottomsOfDifferentShapesThrow() throws {
    let layer = try LayerFixture.make(EltwiseLayer.self)
    let inputs = [try BlobBuilder.gaussian([2, 3]), try BlobBuilder.gaussian([3, 2])]
    #expect { try layer.setUp(bottom: inputs, top: [Blob()]) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [2, 3], actual: [3, 2])
    }
  }

  @Test func inPlaceIsRefused() throws {
    let layer = try LayerFixture.make(EltwiseLayer.self)
    let inputs = try bottoms()
    #expect { try layer.setUp(bottom: inputs, top: [inputs[0]]) } throws: {
      "\($0)".contains("in-place")
    }
  }
}
