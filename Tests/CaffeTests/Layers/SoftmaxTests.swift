// Softmax layer: forward and backward against the naive reference, along any axis.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct SoftmaxTests {
  func makeSoftmax(_ param: String = "") throws -> SoftmaxLayer {
    try LayerFixture.make(SoftmaxLayer.self, "name: \"prob\" softmax_param { \(param) }")
  }

  /// (axis, outer, channels, inner) for the standard 2×3×6×4 bottom.
  @Test(arguments: [(1, 2, 3, 24), (0, 1, 2, 72), (2, 6, 6, 4), (-1, 36, 4, 1)])
  func forwardAndBackwardMatchTheReference(
    _ axis: Int, _ outer: Int, _ channels: Int, _ inner: Int
  ) throws {
    let layer = try makeSoftmax("axis: \(axis)")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == bottom.shape)
    let expected = NaiveKernels.softmax(
      bottom.dataArray, outer: outer, channels: channels, inner: inner)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-6)

    let topDiff = try BlobBuilder.gaussian(seed: 5).dataArray
    try top.setDiff(topDiff)
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    let expectedDiff = NaiveKernels.softmaxBackward(
      output: top.dataArray, outputDiff: topDiff, outer: outer, channels: channels, inner: inner)
    #expect(LayerFixture.maxDifference(bottom.diffArray, expectedDiff) < 1e-6)
  }

  @Test func largeScoresDoNotOverflow() throws {
    let layer = try makeSoftmax()
    let bottom = try BlobBuilder.values([1, 3], [1000, 1000, -1000])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.dataArray == [0.5, 0.5, 0])
  }

  // Caffe's test_softmax_layer: GradientChecker(1e-2, 1e-3).
  @Test func gradientIsExact() throws {
    let layer = try makeSoftmax()
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [try BlobBuilder.gaussian([2, 3, 2, 2])], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func inPlaceMatchesOutOfPlace() throws {
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    let layer = try makeSoftmax()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let shared = try BlobBuilder.gaussian()
    let inPlace = try makeSoftmax()
    try inPlace.setUp(bottom: [shared], top: [shared])
    try inPlace.forward(bottom: [shared], top: [shared])
    #expect(LayerFixture.maxDifference(shared.dataArray, top.dataArray) < 1e-7)
  }

  @Test func outOfRangeAxisIsRejected() throws {
    let layer = try makeSoftmax("axis: 4")
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isInvalid($0, layer: "prob", field: "axis")
    }
  }
}
