// Slice layer: equal and explicit cuts along any axis, gradients, parameter errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct SliceTests {
  @Test(arguments: [
    ("slice_param { axis: 0 }", 3, [[2, 12, 2, 3], [2, 12, 2, 3], [2, 12, 2, 3]]),
    ("", 2, [[6, 6, 2, 3], [6, 6, 2, 3]]),
    (
      "slice_param { axis: -3 slice_point: 1 slice_point: 4 }", 3,
      [[6, 1, 2, 3], [6, 3, 2, 3], [6, 8, 2, 3]]
    ),
    ("slice_param { slice_dim: 0 slice_point: 5 }", 2, [[5, 12, 2, 3], [1, 12, 2, 3]]),
    ("slice_param { axis: -1 }", 3, [[6, 12, 2, 1], [6, 12, 2, 1], [6, 12, 2, 1]]),
  ])
  func setUpCutsTheAxis(_ text: String, _ tops: Int, _ shapes: [[Int]]) throws {
    let layer = try LayerFixture.make(SliceLayer.self, text)
    let top = LayerFixture.tops(tops)
    try layer.setUp(bottom: [try BlobBuilder.gaussian([6, 12, 2, 3])], top: top)
    #expect(top.map(\.shape) == shapes)
  }

  @Test func singleTopIsShared() throws {
    let layer = try LayerFixture.make(SliceLayer.self)
    let bottom = try BlobBuilder.gaussian([6, 12, 2, 3])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.sharesData(with: bottom))
    #expect(top.shape == bottom.shape)
  }

  @Test func channelsAreCutAtTheSlicePoints() throws {
    let layer = try LayerFixture.make(
      SliceLayer.self, "slice_param { slice_point: 1 slice_point: 3 }")
    let bottom = try BlobBuilder.values([2, 4], [0, 1, 2, 3, 10, 11, 12, 13])
    let tops = LayerFixture.tops(3)
    try layer.setUp(bottom: [bottom], top: tops)
    try layer.forward(bottom: [bottom], top: tops)
    #expect(tops.map(\.dataArray) == [[0, 10], [1, 2, 11, 12], [3, 13]])
    try tops[0].setDiff([1, 2])
    try tops[1].setDiff([3, 4, 5, 6])
    try tops[2].setDiff([7, 8])
    try layer.backward(top: tops, propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray == [1, 3, 4, 7, 2, 5, 6, 8])
  }

  @Test func itemsAreCutEqually() throws {
    let layer = try LayerFixture.make(SliceLayer.self, "slice_param { axis: 0 }")
    let bottom = try BlobBuilder.gaussian([6, 2, 2, 3])
    let tops = LayerFixture.tops(3)
    try layer.setUp(bottom: [bottom], top: tops)
    try layer.forward(bottom: [bottom], top: tops)
    #expect(tops.flatMap(\.dataArray) == bottom.dataArray)
  }

  // Caffe's test_slice_layer: GradientChecker(1e-2, 1e-3), exhaustive, on a (4, 5, 2, 2) bottom.
  @Test(arguments: [
    ("slice_param { axis: 0 }", 2),
    ("slice_param { slice_point: 1 slice_point: 4 }", 3),
    ("", 1),
  ])
  func gradientIsExact(_ text: String, _ tops: Int) throws {
    let layer = try LayerFixture.make(SliceLayer.self, text)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [try BlobBuilder.gaussian([4, 5, 2, 2])], top: LayerFixture.tops(tops))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func axisAndSliceDimTogetherThrow() throws {
    #expect {
      try LayerFixture.make(SliceLayer.self, "slice_param { axis: 1 slice_dim: 1 }")
    } throws: { LayerFixture.isInvalid($0, field: "slice_dim") }
  }

  @Test(arguments: [
    ("slice_param { axis: 4 }", 2, "axis"),
    ("slice_param { slice_dim: 4 }", 2, "slice_dim"),
    ("", 5, "slice_point"),
    ("slice_param { slice_point: 2 }", 3, "slice_point"),
    ("slice_param { slice_point: 3 slice_point: 2 }", 3, "slice_point"),
    ("slice_param { slice_point: 0 }", 2, "slice_point"),
    ("slice_param { slice_point: 13 }", 2, "slice_point"),
    ("slice_param { axis: 2 slice_point: 1 }", 2, "slice_point"),
  ])
  func badSlicesThrow(_ text: String, _ tops: Int, _ field: String) throws {
    let layer = try LayerFixture.make(SliceLayer.self, text)
    let bottom = try BlobBuilder.gaussian([2, 12, 1, 1])
    #expect { try layer.setUp(bottom: [bottom], top: LayerFixture.tops(tops)) } throws: {
      LayerFixture.isInvalid($0, field: field)
    }
  }
}
