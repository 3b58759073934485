// Crop layer: shapes from the reference bottom, offsets, N-D crops, gradients and errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct CropTests {
  func setUp(_ text: String, _ shapes: ([Int], [Int])) throws -> (CropLayer, [Blob], Blob) {
    let layer = try LayerFixture.make(CropLayer.self, text)
    let bottoms = [try BlobBuilder.gaussian(shapes.0), try BlobBuilder.gaussian(shapes.1)]
    let top = Blob()
    try layer.setUp(bottom: bottoms, top: [top])
    return (layer, bottoms, top)
  }

  /// The row-major position of `index` in a blob of `shape`.
  func position(_ index: [Int], _ shape: [Int]) -> Int {
    zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
  }

  /// Every index of `shape`, in row-major order.
  func indices(_ shape: [Int]) -> [[Int]] {
    shape.reduce([[]]) { partial, size in partial.flatMap { i in (0..<size).map { i + [$0] } } }
  }

  @Test(arguments: [
    ("crop_param { axis: 0 }", [2, 3, 4, 2]),
    ("", [2, 4, 4, 2]),
    ("crop_param { axis: -1 }", [2, 4, 5, 2]),
    ("crop_param { axis: 1 offset: 1 }", [2, 3, 4, 2]),
  ])
  func setUpTakesTheReferenceSizeFromTheAxis(_ text: String, _ shape: [Int]) throws {
    let (_, _, top) = try setUp(text, ([2, 4, 5, 4], [2, 3, 4, 2]))
    #expect(top.shape == shape)
  }

  @Test(arguments: [
    ("crop_param { axis: 0 }", [0, 0, 0, 0], [2, 4, 5, 4], [2, 3, 4, 2]),
    (
      "crop_param { axis: 0 offset: 0 offset: 1 offset: 1 offset: 2 }", [0, 1, 1, 2],
      [2, 4, 5, 4], [2, 3, 4, 2]
    ),
    ("crop_param { offset: 1 }", [0, 0, 1, 1], [2, 4, 5, 4], [2, 3, 4, 2]),
    ("crop_param { offset: 1 offset: 2 }", [0, 0, 1, 2], [2, 4, 5, 4], [2, 3, 4, 2]),
    (
      "crop_param { axis: 2 offset: 1 offset: 2 offset: 0 }", [0, 0, 1, 2, 0], [2, 3, 4, 5, 2],
      [2, 3, 3, 2, 2]
    ),
  ])
  func forwardCopiesTheBoxAtTheOffsets(
    _ text: String, _ offsets: [Int], _ inputShape: [Int], _ referenceShape: [Int]
  ) throws {
    let (layer, bottoms, top) = try setUp(text, (inputShape, referenceShape))
    try layer.forward(bottom: bottoms, top: [top])
    let input = bottoms[0].dataArray
    let expected = indices(top.shape).map {
      input[position(zip($0, offsets).map { $0 + $1 }, inputShape)]
    }
    #expect(top.dataArray == expected)
  }

  @Test func backwardZeroesOutsideTheCrop() throws {
    let (layer, bottoms, top) = try setUp(
      "crop_param { axis: 1 offset: 1 }", ([1, 3, 3], [1, 1, 2]))
    try layer.forward(bottom: bottoms, top: [top])
    try top.setDiff([5, 6])
    try bottoms[0].setDiff(Array(repeating: 9, count: 9))
    try layer.backward(top: [top], propagateDown: [true, false], bottom: bottoms)
    #expect(bottoms[0].diffArray == [0, 0, 0, 0, 5, 6, 0, 0, 0])
  }

  // Caffe's test_crop_layer: GradientChecker(1e-2, 1e-3), exhaustive, bottom 0 only.
  @Test(arguments: [
    ("crop_param { axis: 0 }", [2, 3, 4, 3], [1, 2, 2, 2]),
    ("crop_param { offset: 1 offset: 0 }", [2, 3, 4, 3], [2, 1, 2, 2]),
    (
      "crop_param { axis: 1 offset: 1 offset: 0 offset: 1 offset: 0 }", [1, 3, 3, 2, 2],
      [1, 2, 2, 1, 2]
    ),
  ])
  func gradientIsExact(_ text: String, _ inputShape: [Int], _ referenceShape: [Int]) throws {
    let layer = try LayerFixture.make(CropLayer.self, text)
    let bottoms = [
      try BlobBuilder.gaussian(inputShape), try BlobBuilder.gaussian(referenceShape, seed: 2),
    ]
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: bottoms, top: [Blob()], checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: [
    ("crop_param { axis: 4 }", [2, 3, 4, 2], "axis"),
    ("crop_param { offset: 1 offset: 1 offset: 1 }", [2, 3, 4, 2], "offset"),
    ("crop_param { axis: 1 }", [2, 5, 4, 2], "offset"),
    ("crop_param { offset: 2 }", [2, 3, 4, 2], "offset"),
    ("", [2, 3, 4], "axis"),
  ])
  func badCropsThrow(_ text: String, _ referenceShape: [Int], _ field: String) throws {
    let layer = try LayerFixture.make(CropLayer.self, text)
    let bottoms = [
      try BlobBuilder.gaussian([2, 4, 5, 4]), try BlobBuilder.gaussian(referenceShape),
    ]
    #expect { try layer.setUp(bottom: bottoms, top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, field: field)
    }
  }
}
