// BatchReindex, Filter and Embed layers: rows picked by index, gradients and range errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct BatchReindexTests {
  func setUp(_ indices: [Float], items: [Int] = [3, 2, 2]) throws -> (Layer, [Blob], Blob) {
    let layer = try LayerFixture.make(BatchReindexLayer.self)
    let bottoms = [
      try BlobBuilder.gaussian(items), try BlobBuilder.values([indices.count], indices),
    ]
    let top = Blob()
    try layer.setUp(bottom: bottoms, top: [top])
    return (layer, bottoms, top)
  }

  @Test func forwardPicksTheItems() throws {
    let (layer, bottoms, top) = try setUp([2, 0, 2, 1, 0])
    try layer.forward(bottom: bottoms, top: [top])
    #expect(top.shape == [5, 2, 2])
    let items = bottoms[0].dataArray
    let expected = [2, 0, 2, 1, 0].flatMap { items[($0 * 4)..<(($0 + 1) * 4)] }
    #expect(top.dataArray == expected)
  }

  @Test func backwardSumsRepeatedItems() throws {
    let (layer, bottoms, top) = try setUp([2, 2, 0], items: [3, 1])
    try layer.forward(bottom: bottoms, top: [top])
    try top.setDiff([1, 2, 4])
    try layer.backward(top: [top], propagateDown: [true, false], bottom: bottoms)
    #expect(bottoms[0].diffArray == [4, 0, 3])
  }

  // Caffe's test_batch_reindex_layer: GradientChecker(1e-4, 1e-2), exhaustive, bottom 0.
  @Test func gradientIsExact() throws {
    let layer = try LayerFixture.make(BatchReindexLayer.self)
    let bottoms = [
      try BlobBuilder.gaussian([3, 2, 2]), try BlobBuilder.values([4], [2, 0, 2, 1]),
    ]
    let checker = GradientChecker(stepSize: 1e-4, threshold: 1e-2)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: bottoms, top: [Blob()], checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: [Float(3), -1])
  func outOfRangeIndexThrows(_ index: Float) throws {
    let (layer, bottoms, top) = try setUp([0, index])
    #expect { try layer.forward(bottom: bottoms, top: [top]) } throws: {
      guard case CaffeError.invalidData(let layer, _) = $0 else { return false }
      return layer == "layer" && "\($0)".contains("\(index)")
    }
  }

  @Test func indicesMustBeOneDimensional() throws {
    let layer = try LayerFixture.make(BatchReindexLayer.self)
    let bottoms = [try BlobBuilder.gaussian([3, 2]), try Blob(shape: [2, 1])]
    #expect { try layer.setUp(bottom: bottoms, top: [Blob()]) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [2], actual: [2, 1])
    }
  }

  @Test func indicesTakeNoGradient() throws {
    let (layer, bottoms, top) = try setUp([0, 1])
    try layer.forward(bottom: bottoms, top: [top])
    #expect(!layer.allowForceBackward(bottomIndex: 1))
    #expect {
      try layer.backward(top: [top], propagateDown: [true, true], bottom: bottoms)
    } throws: {
      "\($0)".contains("cannot backpropagate")
    }
  }
}

@Suite struct FilterTests {
  /// Data (4, 3, 2, 2), labels (4, 1, 1, 1) and the selector 0 1 1 0, as in Caffe's test.
  func bottoms(selector: [Float] = [0, 1, 1, 0]) throws -> [Blob] {
    [
      try BlobBuilder.gaussian([4, 3, 2, 2]), try BlobBuilder.values([4, 1, 1, 1], [3, 1, 4, 1]),
      try BlobBuilder.values([4, 1, 1, 1], selector),
    ]
  }

  @Test func setUpKeepsEveryItemAndForwardOnlyTheSelected() throws {
    let layer = try LayerFixture.make(FilterLayer.self)
    let inputs = try bottoms()
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: inputs, top: tops)
    #expect(tops.map(\.shape) == [[4, 3, 2, 2], [4, 1, 1, 1]])
    try layer.forward(bottom: inputs, top: tops)
    #expect(tops.map(\.shape) == [[2, 3, 2, 2], [2, 1, 1, 1]])
    #expect(tops[0].dataArray == Array(inputs[0].dataArray[12..<36]))
    #expect(tops[1].dataArray == [1, 4])
  }

  @Test func backwardZeroesTheDroppedItems() throws {
    let layer = try LayerFixture.make(FilterLayer.self)
    let inputs = try bottoms(selector: [0, 0, 1, 0])
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: inputs, top: tops)
    try layer.forward(bottom: inputs, top: tops)
    try tops[0].setDiff((0..<12).map { Float($0 + 1) })
    try inputs[0].setDiff(Array(repeating: 9, count: 48))
    try layer.backward(top: tops, propagateDown: [true, false, false], bottom: inputs)
    let zeros = [Float](repeating: 0, count: 12)
    #expect(inputs[0].diffArray == zeros + zeros + (0..<12).map { Float($0 + 1) } + zeros)
  }

  @Test func nothingSelectedGivesEmptyTops() throws {
    let layer = try LayerFixture.make(FilterLayer.self)
    let inputs = try bottoms(selector: [0, 0, 0, 0])
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: inputs, top: tops)
    try layer.forward(bottom: inputs, top: tops)
    #expect(tops.map(\.shape) == [[0, 3, 2, 2], [0, 1, 1, 1]])
  }

  // Caffe's test_filter_layer: GradientChecker(1e-2, 1e-3), exhaustive, bottom 0 only. The
  // elements are enumerated after a forward, since the tops shrink from setup's N to the
  // selected items.
  @Test func gradientIsExact() throws {
    let layer = try LayerFixture.make(FilterLayer.self)
    let inputs = try bottoms()
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: inputs, top: tops)
    try layer.forward(bottom: inputs, top: tops)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    var failures: [GradientChecker.Failure] = []
    for (topID, top) in tops.enumerated() {
      for element in 0..<top.count {
        failures += try checker.checkGradientSingle(
          layer, bottom: inputs, top: tops, checkBottom: 0, topID: topID, topDataID: element)
      }
    }
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func needsOneTopPerFilteredBottom() throws {
    let layer = try LayerFixture.make(FilterLayer.self)
    #expect { try layer.setUp(bottom: try bottoms(), top: LayerFixture.tops(1)) } throws: {
      guard case CaffeError.blobCount(_, _, let side, _, let actual) = $0 else { return false }
      return side == "top" && actual == 1
    }
  }

  @Test func selectorMustBeSingletonPastTheFirstAxis() throws {
    let layer = try LayerFixture.make(FilterLayer.self)
    let inputs = [try BlobBuilder.gaussian([4, 3]), try Blob(shape: [4, 2])]
    #expect { try layer.setUp(bottom: inputs, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [4, 1], actual: [4, 2])
    }
  }

  @Test func bottomsMustMatchTheSelectorItems() throws {
    let layer = try LayerFixture.make(FilterLayer.self)
    let inputs = [try BlobBuilder.gaussian([3, 2]), try Blob(shape: [4])]
    #expect { try layer.setUp(bottom: inputs, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [4, 2], actual: [3, 2])
    }
  }

  @Test func selectorTakesNoGradient() throws {
    let layer = try LayerFixture.make(FilterLayer.self, "bottom: \"x\" bottom: \"s\"")
    let inputs = [try BlobBuilder.gaussian([2, 2]), try BlobBuilder.values([2], [1, 0])]
    let tops = LayerFixture.tops(1)
    try layer.setUp(bottom: inputs, top: tops)
    try layer.forward(bottom: inputs, top: tops)
    #expect(layer.allowForceBackward(bottomIndex: 0))
    #expect(!layer.allowForceBackward(bottomIndex: 1))
    #expect {
      try layer.backward(top: tops, propagateDown: [true, true], bottom: inputs)
    } throws: {
      "\($0)".contains("selector") && "\($0)".contains("\"s\"")
    }
  }
}

@Suite struct EmbedTests {
  static let uniform = "{ type: \"uniform\" min: -10 max: 10 }"

  func makeEmbed(bias: Bool) throws -> EmbedLayer {
    try LayerFixture.make(
      EmbedLayer.self,
      "embed_param { num_output: 10 input_dim: 5 bias_term: \(bias) weight_filler "
        + "\(Self.uniform) bias_filler \(Self.uniform) }")
  }

  /// The indices of Caffe's test: 4, 2, 2, 3, shaped (4, 1, 1, 1).
  func indices() throws -> Blob { try BlobBuilder.values([4, 1, 1, 1], [4, 2, 2, 3]) }

  @Test(arguments: [false, true])
  func setUpShapesTopAndTable(_ bias: Bool) throws {
    let layer = try makeEmbed(bias: bias)
    let top = Blob()
    try layer.setUp(bottom: [try indices()], top: [top])
    #expect(top.shape == [4, 1, 1, 1, 10])
    #expect(layer.blobs.map(\.shape) == (bias ? [[5, 10], [10]] : [[5, 10]]))
  }

  @Test(arguments: [false, true])
  func forwardLooksUpTheRows(_ bias: Bool) throws {
    let layer = try makeEmbed(bias: bias)
    let bottom = try indices()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let weight = layer.blobs[0].dataArray
    let offset = bias ? layer.blobs[1].dataArray : Array(repeating: 0, count: 10)
    let expected = [4, 2, 2, 3].flatMap { row in (0..<10).map { weight[row * 10 + $0] + offset[$0] }
    }
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-5)
  }

  @Test func backwardAccumulatesRepeatedRows() throws {
    let layer = try makeEmbed(bias: true)
    let bottom = try indices()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    try top.setDiff((0..<40).map { Float($0 / 10 + 1) })
    try layer.backward(top: [top], propagateDown: [false], bottom: [bottom])
    let rows = (0..<5).map { Array(layer.blobs[0].diffArray[($0 * 10)..<(($0 + 1) * 10)]) }
    #expect(rows.map { $0[0] } == [0, 0, 5, 4, 1])
    #expect(layer.blobs[1].diffArray == Array(repeating: 10, count: 10))
  }

  // Caffe's test_embed_layer: GradientChecker(1e-2, 1e-3), exhaustive, parameters only.
  @Test(arguments: [false, true])
  func gradientReachesTheTable(_ bias: Bool) throws {
    let layer = try makeEmbed(bias: bias)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [try indices()], top: [Blob()], checkBottom: -2)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: [
    ("num_output: 0 input_dim: 5", "num_output"),
    ("num_output: 10", "input_dim"),
  ])
  func zeroSizesThrow(_ text: String, _ field: String) throws {
    #expect { try LayerFixture.make(EmbedLayer.self, "embed_param { \(text) }") } throws: {
      LayerFixture.isInvalid($0, field: field)
    }
  }

  @Test(arguments: [Float(5), -1, 1.5])
  func indicesOutsideTheTableThrow(_ index: Float) throws {
    let layer = try makeEmbed(bias: false)
    let bottom = try BlobBuilder.values([2], [0, index])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    #expect { try layer.forward(bottom: [bottom], top: [top]) } throws: {
      guard case CaffeError.invalidData = $0 else { return false }
      return "\($0)".contains("\(index)") && "\($0)".contains("input_dim")
    }
  }

  @Test func indicesTakeNoGradient() throws {
    let layer = try makeEmbed(bias: false)
    let bottom = try indices()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(!layer.allowForceBackward(bottomIndex: 0))
    #expect { try layer.backward(top: [top], propagateDown: [true], bottom: [bottom]) } throws: {
      "\($0)".contains("cannot backpropagate")
    }
  }
}
