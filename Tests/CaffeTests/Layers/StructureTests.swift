// Split, Silence, Flatten, Reshape and Parameter layers: shared memory, shapes, gradients.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct SplitTests {
  @Test func topsShareTheBottomData() throws {
    let layer = try LayerFixture.make(SplitLayer.self)
    let bottom = try BlobBuilder.gaussian()
    let tops = LayerFixture.tops(3)
    try layer.setUp(bottom: [bottom], top: tops)
    try layer.forward(bottom: [bottom], top: tops)
    for top in tops {
      #expect(top.shape == bottom.shape)
      #expect(top.sharesData(with: bottom))
      #expect(top.dataArray == bottom.dataArray)
    }
  }

  @Test(arguments: [1, 2, 3])
  func backwardSumsTheTopDiffs(_ count: Int) throws {
    let layer = try LayerFixture.make(SplitLayer.self)
    let bottom = try BlobBuilder.gaussian([2, 3])
    let tops = LayerFixture.tops(count)
    try layer.setUp(bottom: [bottom], top: tops)
    try layer.forward(bottom: [bottom], top: tops)
    for (index, top) in tops.enumerated() {
      try top.setDiff((0..<6).map { Float($0 * (index + 1)) })
    }
    try layer.backward(top: tops, propagateDown: [true], bottom: [bottom])
    let factor = Float(count * (count + 1) / 2)
    #expect(bottom.diffArray == (0..<6).map { Float($0) * factor })
  }

  // Caffe's test_split_layer: GradientChecker(1e-2, 1e-2).
  @Test func gradientIsExact() throws {
    let layer = try LayerFixture.make(SplitLayer.self)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientEltwise(
      layer, bottom: [try BlobBuilder.gaussian([2, 3, 2])], top: LayerFixture.tops(2))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func inPlaceIsRefused() throws {
    let layer = try LayerFixture.make(SplitLayer.self, "name: \"split\" top: \"x\"")
    let blob = try BlobBuilder.gaussian()
    #expect { try layer.setUp(bottom: [blob], top: [Blob(), blob]) } throws: { error in
      "\(error)".contains("split") && "\(error)".contains("in-place")
    }
  }
}

@Suite struct SilenceTests {
  @Test func consumesBottomsAndZeroesTheirDiffs() throws {
    let layer = try LayerFixture.make(SilenceLayer.self)
    let bottoms = [try BlobBuilder.gaussian(), try BlobBuilder.gaussian([3])]
    try layer.setUp(bottom: bottoms, top: [])
    try layer.forward(bottom: bottoms, top: [])
    for blob in bottoms { try blob.setDiff(Array(repeating: 5, count: blob.count)) }
    try layer.backward(top: [], propagateDown: [true, false], bottom: bottoms)
    #expect(bottoms[0].diffArray.allSatisfy { $0 == 0 })
    #expect(bottoms[1].diffArray == [5, 5, 5])
  }

  @Test func takesNoTops() throws {
    let layer = try LayerFixture.make(SilenceLayer.self)
    #expect { try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: [Blob()]) } throws: {
      guard case CaffeError.blobCount(_, _, let side, _, _) = $0 else { return false }
      return side == "top"
    }
  }
}

@Suite struct FlattenTests {
  @Test(arguments: [
    ("", [2, 90]),
    ("flatten_param { axis: 2 }", [2, 3, 30]),
    ("flatten_param { end_axis: 2 }", [2, 18, 5]),
    ("flatten_param { axis: -3 end_axis: -2 }", [2, 18, 5]),
    ("flatten_param { axis: 0 end_axis: 0 }", [2, 3, 6, 5]),
  ])
  func setUpMergesTheAxisRange(_ text: String, _ shape: [Int]) throws {
    let layer = try LayerFixture.make(FlattenLayer.self, text)
    let top = Blob()
    try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 3, 6, 5])], top: [top])
    #expect(top.shape == shape)
  }

  @Test func topSharesTheBottomDataAndDiff() throws {
    let layer = try LayerFixture.make(FlattenLayer.self)
    let bottom = try BlobBuilder.gaussian([2, 3, 6, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.sharesData(with: bottom))
    #expect(top.dataArray == bottom.dataArray)
    try top.setDiff((0..<top.count).map { Float($0) })
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray == top.diffArray)
  }

  @Test func followsABottomReshapedBetweenForwards() throws {
    let layer = try LayerFixture.make(FlattenLayer.self)
    let bottom = try BlobBuilder.gaussian([2, 3, 6, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try bottom.reshape([4, 5, 6])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [4, 30])
  }

  // Caffe's test_flatten_layer: GradientChecker(1e-2, 1e-2), element-wise.
  @Test func gradientPassesThrough() throws {
    let layer = try LayerFixture.make(FlattenLayer.self)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientEltwise(
      layer, bottom: [try BlobBuilder.gaussian([2, 3, 2, 2])], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: [
    ("flatten_param { axis: 4 }", "axis"),
    ("flatten_param { end_axis: -5 }", "end_axis"),
    ("flatten_param { axis: 2 end_axis: 1 }", "end_axis"),
  ])
  func badAxesThrow(_ text: String, _ field: String) throws {
    let layer = try LayerFixture.make(FlattenLayer.self, text)
    #expect { try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, field: field)
    }
  }

  @Test func inPlaceIsRefused() throws {
    let layer = try LayerFixture.make(FlattenLayer.self)
    let blob = try BlobBuilder.gaussian()
    #expect { try layer.setUp(bottom: [blob], top: [blob]) } throws: {
      "\($0)".contains("layer") && "\($0)".contains("in-place")
    }
  }
}

@Suite struct ReshapeTests {
  // The bottom is (2, 3, 6, 5), as in Caffe's test_reshape_layer.
  @Test(arguments: [
    ("shape { dim: 0 dim: -1 dim: 1 dim: 1 }", [2, 90, 1, 1]),
    ("shape { dim: 0 dim: 0 dim: 0 dim: 0 }", [2, 3, 6, 5]),
    ("shape { dim: 0 dim: 3 dim: 10 dim: -1 }", [2, 3, 10, 3]),
    ("axis: 1 shape { dim: 3 dim: 10 dim: -1 }", [2, 3, 10, 3]),
    ("axis: 0 num_axes: 0 shape { dim: 1 dim: 1 dim: 1 }", [1, 1, 1, 2, 3, 6, 5]),
    ("axis: 2 num_axes: 0 shape { dim: 1 dim: 1 dim: 1 }", [2, 3, 1, 1, 1, 6, 5]),
    ("axis: -1 num_axes: 0 shape { dim: 1 dim: 1 dim: 1 }", [2, 3, 6, 5, 1, 1, 1]),
    ("axis: 1 num_axes: 2 shape { dim: -1 }", [2, 18, 5]),
    ("axis: -2 shape { dim: -1 }", [2, 3, 6, 5]),
    ("shape { dim: 6 dim: 2 dim: 3 dim: 5 }", [6, 2, 3, 5]),
  ])
  func setUpFollowsCopyInferAndAxes(_ text: String, _ shape: [Int]) throws {
    let layer = try LayerFixture.make(ReshapeLayer.self, "reshape_param { \(text) }")
    let top = Blob()
    try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 3, 6, 5])], top: [top])
    #expect(top.shape == shape)
  }

  @Test func flattenKeepsTheValueOrder() throws {
    let layer = try LayerFixture.make(
      ReshapeLayer.self, "reshape_param { shape { dim: 0 dim: -1 dim: 1 dim: 1 } }")
    let bottom = try BlobBuilder.gaussian([2, 3, 6, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.sharesData(with: bottom))
    #expect(top.dataArray == bottom.dataArray)
  }

  @Test func forwardAfterTheBottomChangesShape() throws {
    let layer = try LayerFixture.make(
      ReshapeLayer.self, "reshape_param { shape { dim: 6 dim: -1 } }")
    let bottom = try BlobBuilder.gaussian([2, 3, 6, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    #expect(top.shape == [6, 30])
    try bottom.reshape([2 * 3 * 6 * 5 * 2])
    let values = (0..<bottom.count).map { Float($0) }
    try bottom.setData(values)
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [6, 60])
    #expect(top.dataArray == values)
  }

  // Caffe's test_reshape_layer: GradientChecker(1e-2, 1e-2), element-wise.
  @Test func gradientPassesThrough() throws {
    let layer = try LayerFixture.make(
      ReshapeLayer.self, "reshape_param { shape { dim: 0 dim: -1 dim: 1 dim: 1 } }")
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientEltwise(
      layer, bottom: [try BlobBuilder.gaussian([2, 3, 2, 2])], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: [
    ("shape { dim: -1 dim: -1 }", "shape"),
    ("shape { dim: -2 }", "shape"),
    ("num_axes: -2 shape { dim: -1 }", "num_axes"),
  ])
  func badDefinitionsThrowAtCreation(_ text: String, _ field: String) throws {
    #expect { try LayerFixture.make(ReshapeLayer.self, "reshape_param { \(text) }") } throws: {
      LayerFixture.isInvalid($0, field: field)
    }
  }

  @Test(arguments: [
    ("axis: 5 shape { dim: 1 }", "axis"),
    ("axis: -6 shape { dim: 1 }", "axis"),
    ("axis: 2 num_axes: 3 shape { dim: -1 }", "num_axes"),
    ("shape { dim: 0 dim: 0 dim: 0 dim: 0 dim: 0 }", "shape"),
    ("shape { dim: 0 dim: 7 dim: -1 }", "shape"),
    ("shape { dim: 5 dim: 5 }", "shape"),
  ])
  func shapesThatDoNotFitTheBottomThrow(_ text: String, _ field: String) throws {
    let layer = try LayerFixture.make(ReshapeLayer.self, "reshape_param { \(text) }")
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 3, 6, 5])], top: [Blob()])
    } throws: { LayerFixture.isInvalid($0, field: field) }
  }

  @Test func indivisibleCountNamesBothCounts() throws {
    let layer = try LayerFixture.make(
      ReshapeLayer.self, "reshape_param { shape { dim: 0 dim: 7 dim: -1 } }")
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 3, 6, 5])], top: [Blob()])
    } throws: {
      "\($0)".contains(
        "bottom count (180) must be divisible by the product of the specified "
          + "dimensions (14)")
    }
  }

  @Test func inPlaceIsRefused() throws {
    let layer = try LayerFixture.make(ReshapeLayer.self, "reshape_param { shape { dim: -1 } }")
    let blob = try BlobBuilder.gaussian()
    #expect { try layer.setUp(bottom: [blob], top: [blob]) } throws: {
      "\($0)".contains("in-place")
    }
  }
}

@Suite struct ParameterTests {
  func makeParameter() throws -> ParameterLayer {
    try LayerFixture.make(
      ParameterLayer.self, "parameter_param { shape { dim: 2 dim: 3 } }")
  }

  @Test func topIsTheLearnableBlob() throws {
    let layer = try makeParameter()
    let top = Blob()
    try layer.setUp(bottom: [], top: [top])
    #expect(layer.blobs.map(\.shape) == [[2, 3]])
    #expect(top.shape == [2, 3])
    try layer.blobs[0].setData([1, 2, 3, 4, 5, 6])
    try layer.forward(bottom: [], top: [top])
    #expect(top.dataArray == [1, 2, 3, 4, 5, 6])
    try top.setDiff([6, 5, 4, 3, 2, 1])
    try layer.backward(top: [top], propagateDown: [], bottom: [])
    #expect(layer.blobs[0].diffArray == [6, 5, 4, 3, 2, 1])
  }

  @Test func gradientReachesTheParameter() throws {
    let layer = try makeParameter()
    try layer.setUp(bottom: [], top: [Blob()])
    try layer.blobs[0].setData(try BlobBuilder.gaussian([2, 3]).dataArray)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(layer, bottom: [], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func storedBlobOfAnotherShapeThrows() throws {
    var definition = try LayerFixture.param("parameter_param { shape { dim: 2 dim: 3 } }")
    definition.type = ParameterLayer.type
    var stored = BlobProto()
    stored.shape.dim = [3, 2]
    stored.data = Array(repeating: 0, count: 6)
    definition.blobs = [stored]
    let layer = try ParameterLayer(definition)
    #expect { try layer.setUp(bottom: [], top: [Blob()]) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [2, 3], actual: [3, 2])
    }
  }
}

@Suite struct StructureRegistryTests {
  @Test(arguments: [
    "ArgMax", "BatchReindex", "Concat", "Crop", "Eltwise", "Embed", "Filter", "Flatten",
    "Parameter", "Reduction", "Reshape", "Slice", "Split", "Silence", "Tile",
  ])
  func typeIsRegistered(_ type: String) throws {
    let layerClass = try #require(LayerRegistry.layerClass(for: type))
    #expect(layerClass.type == type)
  }
}

@Suite struct StructureNetTests {
  /// data → Slice → Concat (halves swapped) → Flatten → Reshape → Eltwise SUM of the blob with
  /// itself (the net inserts a Split) → Reduction SUMSQ as the loss: 4·Σ x², gradient 8·x.
  static let net = """
    force_backward: true
    layer { name: "input" type: "Input" top: "data"
            input_param { shape { dim: 2 dim: 6 dim: 2 dim: 2 } } }
    layer { name: "slice" type: "Slice" bottom: "data" top: "a" top: "b"
            slice_param { slice_point: 2 } }
    layer { name: "concat" type: "Concat" bottom: "b" bottom: "a" top: "ba" }
    layer { name: "flat" type: "Flatten" bottom: "ba" top: "flat" }
    layer { name: "reshape" type: "Reshape" bottom: "flat" top: "r"
            reshape_param { shape { dim: -1 } } }
    layer { name: "twice" type: "Eltwise" bottom: "r" bottom: "r" top: "twice" }
    layer { name: "loss" type: "Reduction" bottom: "twice" top: "loss" loss_weight: 1
            reduction_param { operation: SUMSQ } }
    """

  @Test func gradientFlowsThroughSharedAndCopiedBlobs() throws {
    var definition = try Prototxt.decode(NetParameter.self, text: Self.net, file: "structure")
    definition.state.phase = .train
    let net = try Net(definition)
    let data = try #require(net.blob(named: "data"))
    let values = (0..<data.count).map { Float($0 % 7) - 3 }
    try data.setData(values)
    let loss = try net.forwardBackward()
    #expect(net.blob(named: "r")?.shape == [48])
    #expect(abs(loss - 4 * values.map { $0 * $0 }.reduce(0, +)) < 1e-3)
    #expect(LayerFixture.maxDifference(data.diffArray, values.map { 8 * $0 }) < 1e-4)
  }
}
