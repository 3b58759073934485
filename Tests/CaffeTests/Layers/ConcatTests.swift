// Concat layer: shapes along any axis, block order, gradients, shape and parameter errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct ConcatTests {
  func run(_ text: String, _ bottoms: [Blob]) throws -> Blob {
    let layer = try LayerFixture.make(ConcatLayer.self, text)
    let top = Blob()
    try layer.setUp(bottom: bottoms, top: [top])
    try layer.forward(bottom: bottoms, top: [top])
    return top
  }

  @Test(arguments: [
    ("concat_param { axis: 0 }", [[2, 3, 6, 5], [5, 3, 6, 5]], [7, 3, 6, 5]),
    ("", [[2, 3, 6, 5], [2, 5, 6, 5]], [2, 8, 6, 5]),
    ("concat_param { axis: -3 }", [[2, 3, 6, 5], [2, 5, 6, 5]], [2, 8, 6, 5]),
    ("concat_param { axis: -1 }", [[2, 3], [2, 4], [2, 1]], [2, 8]),
    ("concat_param { concat_dim: 0 }", [[2, 3, 6, 5], [5, 3, 6, 5]], [7, 3, 6, 5]),
  ])
  func setUpAddsTheAxisSizes(_ text: String, _ shapes: [[Int]], _ shape: [Int]) throws {
    let layer = try LayerFixture.make(ConcatLayer.self, text)
    let top = Blob()
    try layer.setUp(bottom: try shapes.map { try BlobBuilder.gaussian($0) }, top: [top])
    #expect(top.shape == shape)
  }

  @Test func singleBottomIsShared() throws {
    let bottom = try BlobBuilder.gaussian([2, 3, 6, 5])
    let top = try run("", [bottom])
    #expect(top.sharesData(with: bottom))
    #expect(top.dataArray == bottom.dataArray)
  }

  @Test func channelsFollowEachOther() throws {
    let a = try BlobBuilder.gaussian([2, 3, 2, 2], seed: 1)
    let b = try BlobBuilder.gaussian([2, 5, 2, 2], seed: 2)
    let top = try run("", [a, b])
    // Item n holds a's 3·4 values, then b's 5·4.
    for n in 0..<2 {
      let row = Array(top.dataArray[(n * 32)..<((n + 1) * 32)])
      #expect(Array(row[..<12]) == Array(a.dataArray[(n * 12)..<((n + 1) * 12)]))
      #expect(Array(row[12...]) == Array(b.dataArray[(n * 20)..<((n + 1) * 20)]))
    }
  }

  @Test func itemsFollowEachOther() throws {
    let a = try BlobBuilder.gaussian([2, 3, 2, 2], seed: 1)
    let b = try BlobBuilder.gaussian([1, 3, 2, 2], seed: 2)
    let top = try run("concat_param { axis: 0 }", [a, b])
    #expect(top.dataArray == a.dataArray + b.dataArray)
  }

  @Test func backwardHandsEachBottomItsBlock() throws {
    let layer = try LayerFixture.make(ConcatLayer.self, "concat_param { axis: -1 }")
    let bottoms = [try Blob(shape: [2, 1]), try Blob(shape: [2, 2])]
    let top = Blob()
    try layer.setUp(bottom: bottoms, top: [top])
    try top.setDiff([1, 2, 3, 4, 5, 6])
    try layer.backward(top: [top], propagateDown: [true, true], bottom: bottoms)
    #expect(bottoms[0].diffArray == [1, 4])
    #expect(bottoms[1].diffArray == [2, 3, 5, 6])
  }

  // Caffe's test_concat_layer: GradientChecker(1e-2, 1e-2), CheckGradient.
  @Test(arguments: [
    ("concat_param { axis: 0 }", [[2, 3, 2, 3], [1, 3, 2, 3]], -1),
    ("", [[2, 3, 2, 3], [2, 2, 2, 3]], -1),
    ("", [[2, 3, 2, 3], [2, 2, 2, 3]], 1),
    ("", [[2, 3, 2, 3]], -1),
  ])
  func gradientIsExact(_ text: String, _ shapes: [[Int]], _ checkBottom: Int) throws {
    let layer = try LayerFixture.make(ConcatLayer.self, text)
    let bottoms = try shapes.enumerated().map {
      try BlobBuilder.gaussian($0.element, seed: UInt64($0.offset + 1))
    }
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradient(
      layer, bottom: bottoms, top: [Blob()], checkBottom: checkBottom)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func axisAndConcatDimTogetherThrow() throws {
    #expect {
      try LayerFixture.make(ConcatLayer.self, "concat_param { axis: 1 concat_dim: 1 }")
    } throws: { LayerFixture.isInvalid($0, field: "concat_dim") }
  }

  @Test(arguments: [
    ("concat_param { axis: 4 }", "axis"),
    ("concat_param { axis: -5 }", "axis"),
    ("concat_param { concat_dim: 4 }", "concat_dim"),
  ])
  func outOfRangeAxesThrow(_ text: String, _ field: String) throws {
    let layer = try LayerFixture.make(ConcatLayer.self, text)
    let bottoms = [try BlobBuilder.gaussian(), try BlobBuilder.gaussian()]
    #expect { try layer.setUp(bottom: bottoms, top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, field: field)
    }
  }

  @Test(arguments: [
    ([3, 5, 6, 5], [2, 5, 6, 5]),
    ([2, 5, 6], [2, 3, 6, 5]),
  ])
  func bottomsDifferingOffTheAxisThrow(_ shape: [Int], _ expected: [Int]) throws {
    let layer = try LayerFixture.make(ConcatLayer.self)
    let bottoms = [try BlobBuilder.gaussian([2, 3, 6, 5]), try BlobBuilder.gaussian(shape)]
    #expect { try layer.setUp(bottom: bottoms, top: [Blob()]) } throws: {
      LayerFixture.isShapeMismatch($0, expected: expected, actual: shape)
    }
  }
}
