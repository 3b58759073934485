// Scale layer: broadcasting from bottom[1] or a learnt γ (with β), gradients, in place, defaults
// and errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct ScaleTests {
  /// Caffe's Scale test bottom: (2, 3, 4, 5), uniform in [1, 10).
  static let shape = [2, 3, 4, 5]

  /// (axis, bottom[1]'s shape), as in Caffe's Eltwise, BroadcastBegin/Middle/End, Scale and
  /// ScaleAxis2 tests, plus a negative axis.
  static let broadcasts: [(Int, [Int])] = [
    (0, [2, 3, 4, 5]), (0, [2, 3]), (1, [3, 4]), (2, [4, 5]), (1, []), (2, []), (-1, [5]),
  ]

  /// Learnt γ: the definition and γ's shape.
  static let learnt: [(String, [Int])] = [
    ("", [3]),
    ("axis: 0 num_axes: -1 filler { type: \"gaussian\" }", [2, 3, 4, 5]),
    ("axis: 1 num_axes: 2 filler { type: \"gaussian\" }", [3, 4]),
    ("num_axes: 0 filler { type: \"gaussian\" }", []),
    (
      "axis: 1 num_axes: 2 filler { type: \"gaussian\" } bias_term: true "
        + "bias_filler { type: \"gaussian\" }", [3, 4]
    ),
  ]

  func makeScale(_ body: String = "") throws -> ScaleLayer {
    try LayerFixture.make(ScaleLayer.self, "name: \"scale\" scale_param { \(body) }")
  }

  func bottom(seed: UInt64 = 1701) throws -> Blob {
    try BlobBuilder.uniform(Self.shape, min: 1, max: 10, seed: seed)
  }

  /// Overwrites the learnt blobs with seeded Gaussian values (fillers draw from the shared
  /// generator, which other tests may be using at the same time).
  static func randomizeBlobs(_ layer: Layer) throws {
    for (index, blob) in layer.blobs.enumerated() {
      try blob.setData(try BlobBuilder.gaussian(blob.shape, seed: 20 + UInt64(index)).dataArray)
    }
  }

  /// `x · γ (+ β)` with γ (and β) of `operandShape` broadcast from `axis` (a naive reference).
  static func reference(
    _ x: Blob, axis: Int, operandShape: [Int], scale: [Float], bias: [Float]? = nil
  ) -> [Float] {
    let first = operandShape.isEmpty ? 0 : (axis < 0 ? axis + x.numAxes : axis)
    let inner = x.count(from: first + operandShape.count)
    return x.dataArray.enumerated().map { i, value in
      let d = (i / inner) % scale.count
      return value * scale[d] + (bias?[d] ?? 0)
    }
  }

  // MARK: - Forward

  @Test(arguments: broadcasts)
  func forwardBroadcastsBottomOne(_ axis: Int, _ scaleShape: [Int]) throws {
    let layer = try makeScale("axis: \(axis)")
    let (x, scale) = (try bottom(), try BlobBuilder.uniform(scaleShape, min: 1, max: 10, seed: 3))
    let top = Blob()
    try layer.setUp(bottom: [x, scale], top: [top])
    try layer.forward(bottom: [x, scale], top: [top])
    #expect(layer.blobs.isEmpty)
    #expect(top.shape == Self.shape)
    let expected = Self.reference(x, axis: axis, operandShape: scaleShape, scale: scale.dataArray)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-5)
  }

  @Test(arguments: learnt)
  func forwardUsesTheLearntScaleAndBias(_ body: String, _ scaleShape: [Int]) throws {
    let layer = try makeScale(body)
    let x = try bottom()
    let top = Blob()
    try layer.setUp(bottom: [x], top: [top])
    try layer.forward(bottom: [x], top: [top])
    let scaleParam = layer.param.scaleParam
    #expect(layer.blobs.count == (scaleParam.biasTerm ? 2 : 1))
    #expect(layer.blobs.allSatisfy { $0.shape == scaleShape })
    let expected = Self.reference(
      x, axis: Int(scaleParam.axis), operandShape: scaleShape, scale: layer.blobs[0].dataArray,
      bias: scaleParam.biasTerm ? layer.blobs[1].dataArray : nil)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-5)
  }

  @Test func defaultFillersGiveTheIdentity() throws {
    let layer = try makeScale("bias_term: true")
    let x = try bottom()
    let top = Blob()
    try layer.setUp(bottom: [x], top: [top])
    try layer.forward(bottom: [x], top: [top])
    #expect(layer.blobs[0].dataArray == [1, 1, 1])
    #expect(layer.blobs[1].dataArray == [0, 0, 0])
    #expect(top.dataArray == x.dataArray)
  }

  @Test func biasWithTwoBottomsIsLearntAndShapedLikeBottomOne() throws {
    let layer = try makeScale("axis: 1 bias_term: true bias_filler { type: \"gaussian\" }")
    let (x, scale) = (try bottom(), try BlobBuilder.uniform([3, 4], seed: 3))
    let top = Blob()
    try layer.setUp(bottom: [x, scale], top: [top])
    try layer.forward(bottom: [x, scale], top: [top])
    #expect(layer.blobs.map(\.shape) == [[3, 4]])
    let expected = Self.reference(
      x, axis: 1, operandShape: [3, 4], scale: scale.dataArray, bias: layer.blobs[0].dataArray)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-5)
  }

  // MARK: - Gradient

  // Caffe's TestGradientEltwise, BroadcastBegin/Middle/End, Scale, ScaleAxis2: (1e-2, 1e-3).
  @Test(arguments: broadcasts)
  func gradientThroughBothBottomsIsExact(_ axis: Int, _ scaleShape: [Int]) throws {
    let layer = try makeScale("axis: \(axis)")
    let bottoms = [try bottom(), try BlobBuilder.uniform(scaleShape, min: 1, max: 10, seed: 3)]
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(layer, bottom: bottoms, top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // Caffe's TestGradientEltwiseWithParam, BroadcastMiddleWithParam, ScaleAndBias: (1e-2, 1e-3).
  @Test(arguments: learnt.map(\.0) + ["bias_term: true bias_filler { type: \"gaussian\" }"])
  func gradientThroughTheLearntBlobsIsExact(_ body: String) throws {
    let layer = try makeScale(body)
    let x = try bottom()
    try layer.setUp(bottom: [x], top: [Blob()])
    try Self.randomizeBlobs(layer)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(layer, bottom: [x], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func learntScaleDiffAccumulates() throws {
    let layer = try makeScale("num_axes: 0")
    let x = try BlobBuilder.values([1, 2], [1, 2])
    let top = Blob()
    try layer.setUp(bottom: [x], top: [top])
    try layer.forward(bottom: [x], top: [top])
    try top.setDiff([3, 4])
    try layer.blobs[0].setDiff([10])
    try layer.backward(top: [top], propagateDown: [true], bottom: [x])
    #expect(layer.blobs[0].diffArray == [10 + 3 + 8])
    #expect(x.diffArray == [3, 4])
  }

  // MARK: - In place

  @Test(arguments: [
    ("axis: 1", [3, 4]), ("axis: 0", [2, 3, 4, 5]), ("bias_term: true num_axes: 2", nil),
    ("axis: 0 num_axes: -1", nil),
  ])
  func inPlaceMatchesOutOfPlace(_ body: String, _ scaleShape: [Int]?) throws {
    let topDiff = try bottom(seed: 11).dataArray
    func run(inPlace: Bool) throws -> (x: Blob, top: Blob, scale: Blob?, layer: ScaleLayer) {
      let layer = try makeScale(body)
      let x = try bottom()
      let scale = try scaleShape.map { try BlobBuilder.uniform($0, min: 1, max: 10, seed: 3) }
      let bottoms = [x] + (scale.map { [$0] } ?? [])
      let top = inPlace ? x : Blob()
      try layer.setUp(bottom: bottoms, top: [top])
      try Self.randomizeBlobs(layer)
      try layer.forward(bottom: bottoms, top: [top])
      try top.setDiff(topDiff)
      try layer.backward(
        top: [top], propagateDown: Array(repeating: true, count: bottoms.count), bottom: bottoms)
      return (x, top, scale, layer)
    }
    let outOfPlace = try run(inPlace: false)
    let inPlace = try run(inPlace: true)
    #expect(inPlace.top.dataArray == outOfPlace.top.dataArray)
    #expect(inPlace.x.diffArray == outOfPlace.x.diffArray)
    #expect(inPlace.scale?.diffArray == outOfPlace.scale?.diffArray)
    #expect(inPlace.layer.blobs.map(\.diffArray) == outOfPlace.layer.blobs.map(\.diffArray))
  }

  // MARK: - Stored blobs

  @Test func storedScaleIsKeptAndABiasAdded() throws {
    var param = try LayerFixture.param(
      "name: \"scale\" type: \"Scale\" scale_param { bias_term: true }")
    param.blobs = [try BlobBuilder.values([3], [2, 3, 4]).toProto()]
    let layer = try LayerRegistry.makeLayer(param)
    try layer.setUp(bottom: [try bottom()], top: [Blob()])
    #expect(layer.blobs.map(\.dataArray) == [[2, 3, 4], [0, 0, 0]])
    #expect(layer.paramPropagateDown == [true, true])
  }

  @Test func storedBlobsInTheWrongNumberAreRejected() throws {
    var param = try LayerFixture.param("name: \"scale\" type: \"Scale\"")
    param.blobs = try [[3], [3]].map { try BlobBuilder.gaussian($0).toProto() }
    let layer = try LayerRegistry.makeLayer(param)
    #expect { try layer.setUp(bottom: [try bottom()], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, layer: "scale", field: "blobs")
    }
  }

  @Test func storedScaleOfTheWrongShapeIsRejected() throws {
    var param = try LayerFixture.param("name: \"scale\" type: \"Scale\"")
    param.blobs = [try BlobBuilder.gaussian([4]).toProto()]
    let layer = try LayerRegistry.makeLayer(param)
    #expect { try layer.setUp(bottom: [try bottom()], top: [Blob()]) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "scale", expected: [3], actual: [4])
    }
  }

  // MARK: - Errors

  @Test(arguments: [
    ("num_axes: -2", "scale_param.num_axes"), ("axis: 2 num_axes: 3", "scale_param.num_axes"),
    ("axis: 4", "scale_param.axis"), ("axis: -5", "scale_param.axis"),
    ("filler { type: \"nonsense\" }", "scale_param.filler.type"),
    ("bias_term: true bias_filler { type: \"nonsense\" }", "scale_param.bias_filler.type"),
  ])
  func badParametersNameTheField(_ body: String, _ field: String) throws {
    let layer = try makeScale(body)
    #expect { try layer.setUp(bottom: [try bottom()], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, layer: "scale", field: field)
    }
  }

  @Test func bottomOneMustMatchTheAxes() throws {
    let layer = try makeScale("axis: 1")
    let scale = try BlobBuilder.gaussian([3, 5])
    #expect { try layer.setUp(bottom: [try bottom(), scale], top: [Blob()]) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "scale", expected: [3, 4], actual: [3, 5])
    }
  }

  @Test func bottomOneMustNotReachPastTheBottom() throws {
    let layer = try makeScale("axis: 2")
    let scale = try BlobBuilder.gaussian([4, 5, 1])
    #expect { try layer.setUp(bottom: [try bottom(), scale], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, layer: "scale", field: "scale_param.axis")
        && "\($0)".contains("[4, 5, 1]") && "\($0)".contains("[2, 3, 4, 5]")
    }
  }
}
