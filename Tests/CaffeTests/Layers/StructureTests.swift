// Split and Silence layers: shared data, summed and zeroed gradients.

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
