// Bias layer: broadcasting from bottom[1] or a learnt β, gradients, in place, defaults and errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct BiasTests {
  /// Caffe's Bias test bottom: (2, 3, 4, 5), uniform in [1, 10).
  static let shape = [2, 3, 4, 5]

  /// (axis, bottom[1]'s shape), as in Caffe's Eltwise, BroadcastBegin/Middle/End, Bias and
  /// BiasAxis2 tests, plus a negative axis.
  static let broadcasts: [(Int, [Int])] = [
    (0, [2, 3, 4, 5]), (0, [2, 3]), (1, [3, 4]), (2, [4, 5]), (1, []), (2, []), (-2, [4, 5]),
  ]

  /// Learnt β: the definition and β's shape.
  static let learnt: [(String, [Int])] = [
    ("", [3]), ("axis: 0 num_axes: -1", [2, 3, 4, 5]), ("axis: 1 num_axes: 2", [3, 4]),
    ("num_axes: 0", []), ("axis: -1", [5]),
  ]

  func makeBias(_ body: String = "") throws -> BiasLayer {
    try LayerFixture.make(BiasLayer.self, "name: \"bias\" bias_param { \(body) }")
  }

  func bottom(seed: UInt64 = 1701) throws -> Blob {
    try BlobBuilder.uniform(Self.shape, min: 1, max: 10, seed: seed)
  }

  /// `x + β` with β of `operandShape` broadcast from `axis` (a naive reference).
  func reference(_ x: Blob, axis: Int, operandShape: [Int], bias: [Float]) -> [Float] {
    ScaleTests.reference(
      x, axis: axis, operandShape: operandShape,
      scale: Array(repeating: 1, count: bias.count), bias: bias)
  }

  // MARK: - Forward

  @Test(arguments: broadcasts)
  func forwardBroadcastsBottomOne(_ axis: Int, _ biasShape: [Int]) throws {
    let layer = try makeBias("axis: \(axis)")
    let (x, bias) = (try bottom(), try BlobBuilder.uniform(biasShape, min: 1, max: 10, seed: 3))
    let top = Blob()
    try layer.setUp(bottom: [x, bias], top: [top])
    try layer.forward(bottom: [x, bias], top: [top])
    #expect(layer.blobs.isEmpty)
    #expect(top.shape == Self.shape)
    let expected = reference(x, axis: axis, operandShape: biasShape, bias: bias.dataArray)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-5)
  }

  @Test(arguments: learnt)
  func forwardAddsTheLearntBias(_ body: String, _ biasShape: [Int]) throws {
    let layer = try makeBias(body)
    let x = try bottom()
    let top = Blob()
    try layer.setUp(bottom: [x], top: [top])
    #expect(layer.blobs.map(\.shape) == [biasShape])
    #expect(layer.blobs[0].dataArray.allSatisfy { $0 == 0 })
    try ScaleTests.randomizeBlobs(layer)
    try layer.forward(bottom: [x], top: [top])
    let expected = reference(
      x, axis: Int(layer.param.biasParam.axis), operandShape: biasShape,
      bias: layer.blobs[0].dataArray)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-5)
  }

  @Test func fillerSetsTheBias() throws {
    let layer = try makeBias("filler { type: \"constant\" value: 0.5 }")
    try layer.setUp(bottom: [try bottom()], top: [Blob()])
    #expect(layer.blobs[0].dataArray == [0.5, 0.5, 0.5])
  }

  // MARK: - Gradient

  // Caffe's Bias gradient tests: (1e-2, 1e-3), exhaustive.
  @Test(arguments: broadcasts)
  func gradientThroughBothBottomsIsExact(_ axis: Int, _ biasShape: [Int]) throws {
    let layer = try makeBias("axis: \(axis)")
    let bottoms = [try bottom(), try BlobBuilder.uniform(biasShape, min: 1, max: 10, seed: 3)]
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(layer, bottom: bottoms, top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: learnt.map(\.0))
  func gradientThroughTheLearntBiasIsExact(_ body: String) throws {
    let layer = try makeBias(body)
    let x = try bottom()
    try layer.setUp(bottom: [x], top: [Blob()])
    try ScaleTests.randomizeBlobs(layer)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(layer, bottom: [x], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func learntDiffAccumulatesAndBottomOnesIsOverwritten() throws {
    let learnt = try makeBias("num_axes: 0")
    let x = try BlobBuilder.values([1, 2], [1, 2])
    let top = Blob()
    try learnt.setUp(bottom: [x], top: [top])
    try learnt.forward(bottom: [x], top: [top])
    try top.setDiff([3, 4])
    try learnt.blobs[0].setDiff([10])
    try learnt.backward(top: [top], propagateDown: [true], bottom: [x])
    #expect(learnt.blobs[0].diffArray == [17])
    #expect(x.diffArray == [3, 4])

    let given = try makeBias()
    let bias = try BlobBuilder.values([2], [5, 6])
    try given.setUp(bottom: [x, bias], top: [top])
    try given.forward(bottom: [x, bias], top: [top])
    #expect(top.dataArray == [6, 8])
    try top.setDiff([3, 4])
    try bias.setDiff([10, 10])
    try given.backward(top: [top], propagateDown: [false, true], bottom: [x, bias])
    #expect(bias.diffArray == [3, 4])
  }

  // MARK: - In place

  @Test(arguments: [("axis: 1", [3, 4]), ("axis: 1 num_axes: 2", nil)])
  func inPlaceMatchesOutOfPlace(_ body: String, _ biasShape: [Int]?) throws {
    let topDiff = try bottom(seed: 11).dataArray
    func run(inPlace: Bool) throws -> (x: Blob, top: Blob, bias: Blob?, layer: BiasLayer) {
      let layer = try makeBias(body)
      let x = try bottom()
      let bias = try biasShape.map { try BlobBuilder.uniform($0, min: 1, max: 10, seed: 3) }
      let bottoms = [x] + (bias.map { [$0] } ?? [])
      let top = inPlace ? x : Blob()
      try layer.setUp(bottom: bottoms, top: [top])
      try ScaleTests.randomizeBlobs(layer)
      try layer.forward(bottom: bottoms, top: [top])
      try top.setDiff(topDiff)
      try layer.backward(
        top: [top], propagateDown: Array(repeating: true, count: bottoms.count), bottom: bottoms)
      return (x, top, bias, layer)
    }
    let outOfPlace = try run(inPlace: false)
    let inPlace = try run(inPlace: true)
    #expect(inPlace.top.dataArray == outOfPlace.top.dataArray)
    #expect(inPlace.x.diffArray == outOfPlace.x.diffArray)
    #expect(inPlace.bias?.diffArray == outOfPlace.bias?.diffArray)
    #expect(inPlace.layer.blobs.map(\.diffArray) == outOfPlace.layer.blobs.map(\.diffArray))
  }

  // MARK: - Errors

  @Test(arguments: [
    ("num_axes: -2", "bias_param.num_axes"), ("axis: 3 num_axes: 2", "bias_param.num_axes"),
    ("axis: 4", "bias_param.axis"), ("filler { type: \"nonsense\" }", "bias_param.filler.type"),
  ])
  func badParametersNameTheField(_ body: String, _ field: String) throws {
    let layer = try makeBias(body)
    #expect { try layer.setUp(bottom: [try bottom()], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, layer: "bias", field: field)
    }
  }

  @Test func bottomOneMustMatchTheAxes() throws {
    let layer = try makeBias("axis: 2")
    let bias = try BlobBuilder.gaussian([5, 4])
    #expect { try layer.setUp(bottom: [try bottom(), bias], top: [Blob()]) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "bias", expected: [4, 5], actual: [5, 4])
    }
  }

  @Test func storedBlobsWithTwoBottomsAreRejected() throws {
    var param = try LayerFixture.param("name: \"bias\" type: \"Bias\"")
    param.blobs = [try BlobBuilder.gaussian([3]).toProto()]
    let layer = try LayerRegistry.makeLayer(param)
    let bias = try BlobBuilder.gaussian([3])
    #expect { try layer.setUp(bottom: [try bottom(), bias], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, layer: "bias", field: "blobs")
    }
  }

  @Test func storedBiasIsKept() throws {
    var param = try LayerFixture.param("name: \"bias\" type: \"Bias\"")
    param.blobs = [try BlobBuilder.values([3], [1, 2, 3]).toProto()]
    let layer = try LayerRegistry.makeLayer(param)
    try layer.setUp(bottom: [try bottom()], top: [Blob()])
    #expect(layer.blobs[0].dataArray == [1, 2, 3])
    #expect(layer.paramPropagateDown == [true])
  }
}
