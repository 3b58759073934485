// PReLU layer: default slopes, forward per channel and shared, gradients to bottom and slopes,
// agreement with ReLU, in place, stored-blob and shape errors.

import CaffeKernels
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct PReLUTests {
  func makePReLU(_ body: String = "") throws -> PReLULayer {
    try LayerFixture.make(PReLULayer.self, "name: \"prelu\" " + body)
  }

  /// Fills the slopes from N(0, 1) with a fixed seed, as Caffe's tests do.
  func randomizeSlopes(_ layer: PReLULayer) {
    var generator = SeededGenerator(seed: 7)
    let slopes = layer.blobs[0]
    Random.gaussian(count: slopes.count, mean: 0, std: 1, into: slopes.data, using: &generator)
  }

  /// `max(x, 0) + a[c] · min(x, 0)` for a (N, C, H, W) blob.
  func expected(_ bottom: Blob, slopes: [Float]) -> [Float] {
    let (channels, inner) = (bottom.shape[1], bottom.count(from: 2))
    return bottom.dataArray.enumerated().map { i, x in
      let a = slopes.count == 1 ? slopes[0] : slopes[(i / inner) % channels]
      return max(x, 0) + a * min(x, 0)
    }
  }

  @Test(arguments: [("", [3]), ("prelu_param { channel_shared: true }", [])])
  func slopesDefaultToAQuarter(_ body: String, _ shape: [Int]) throws {
    let layer = try makePReLU(body)
    try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    #expect(layer.blobs.count == 1)
    #expect(layer.blobs[0].shape == shape)
    #expect(layer.blobs[0].dataArray.allSatisfy { $0 == 0.25 })
  }

  @Test func fillerSetsTheSlopes() throws {
    let layer = try makePReLU("prelu_param { filler { type: \"constant\" value: 0.7 } }")
    try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    #expect(layer.blobs[0].dataArray == [0.7, 0.7, 0.7])
  }

  @Test(arguments: ["", "prelu_param { channel_shared: true }"])
  func forwardUsesEachChannelsSlope(_ body: String) throws {
    let layer = try makePReLU(body)
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    randomizeSlopes(layer)
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == bottom.shape)
    #expect(top.dataArray == expected(bottom, slopes: layer.blobs[0].dataArray))
  }

  @Test func forwardAcceptsTwoAxes() throws {
    let layer = try makePReLU()
    let bottom = try BlobBuilder.values([2, 2], [-1, -2, 3, -4])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.blobs[0].setData([0.5, 2])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.dataArray == [-0.5, -4, 3, -8])
  }

  // Caffe's TestPReLUGradient(ChannelShared): (1e-2, 1e-3, 1701, 0, 0.01), exhaustive.
  @Test(arguments: ["", "prelu_param { channel_shared: true }"])
  func gradientIsExact(_ body: String) throws {
    let layer = try makePReLU(body)
    let bottom = try BlobBuilder.gaussian([2, 3, 2, 2])
    let tops = LayerFixture.tops(1)
    try layer.setUp(bottom: [bottom], top: tops)
    randomizeSlopes(layer)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3, kink: 0, kinkRange: 0.01)
    let failures = try checker.checkGradientExhaustive(layer, bottom: [bottom], top: tops)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func slopeGradientAccumulates() throws {
    let layer = try makePReLU("prelu_param { channel_shared: true }")
    let bottom = try BlobBuilder.values([1, 2, 2], [-1, 2, -3, 4])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    try top.setDiff([1, 1, 2, 2])
    try layer.blobs[0].setDiff([10])
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    #expect(layer.blobs[0].diffArray == [10 - 1 - 6])
    #expect(bottom.diffArray == [0.25, 1, 0.5, 2])
  }

  @Test func matchesReLUWithTheSameSlope() throws {
    let prelu = try makePReLU()
    let relu = try LayerFixture.make(ReLULayer.self, "relu_param { negative_slope: 0.25 }")
    let (bottom, reluBottom) = (try BlobBuilder.gaussian(), try BlobBuilder.gaussian())
    let (top, reluTop) = (Blob(), Blob())
    try prelu.setUp(bottom: [bottom], top: [top])
    try relu.setUp(bottom: [reluBottom], top: [reluTop])
    try prelu.forward(bottom: [bottom], top: [top])
    try relu.forward(bottom: [reluBottom], top: [reluTop])
    #expect(top.dataArray == reluTop.dataArray)
    let topDiff = try BlobBuilder.gaussian(seed: 3).dataArray
    try top.setDiff(topDiff)
    try reluTop.setDiff(topDiff)
    try prelu.backward(top: [top], propagateDown: [true], bottom: [bottom])
    try relu.backward(top: [reluTop], propagateDown: [true], bottom: [reluBottom])
    #expect(bottom.diffArray == reluBottom.diffArray)
  }

  @Test func inPlaceMatchesOutOfPlace() throws {
    let outOfPlace = try makePReLU()
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try outOfPlace.setUp(bottom: [bottom], top: [top])
    randomizeSlopes(outOfPlace)
    try outOfPlace.forward(bottom: [bottom], top: [top])
    let topDiff = try BlobBuilder.gaussian(seed: 11).dataArray
    try top.setDiff(topDiff)
    try outOfPlace.backward(top: [top], propagateDown: [true], bottom: [bottom])

    let inPlace = try makePReLU()
    let shared = try BlobBuilder.gaussian()
    try inPlace.setUp(bottom: [shared], top: [shared])
    randomizeSlopes(inPlace)
    try inPlace.forward(bottom: [shared], top: [shared])
    #expect(shared.dataArray == top.dataArray)
    try shared.setDiff(topDiff)
    try inPlace.backward(top: [shared], propagateDown: [true], bottom: [shared])
    #expect(shared.diffArray == bottom.diffArray)
    #expect(inPlace.blobs[0].diffArray == outOfPlace.blobs[0].diffArray)
  }

  @Test func bottomNeedsTwoAxes() throws {
    let layer = try makePReLU()
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian([4])], top: LayerFixture.tops(1))
    } throws: { "\($0)".contains("Number of axes of bottom blob must be >=2") }
  }

  @Test func channelCountMustMatchTheSlopesLater() throws {
    let layer = try makePReLU()
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try bottom.reshape([2, 4, 6, 4])
    #expect { try layer.forward(bottom: [bottom], top: [top]) } throws: {
      "\($0)".contains("4 channels") && "\($0)".contains("3 slopes")
    }
  }

  @Test(arguments: [("", 2), ("prelu_param { channel_shared: true }", 3)])
  func storedSlopesMustHaveTheRightSize(_ body: String, _ count: Int) throws {
    var param = try LayerFixture.param("name: \"prelu\" type: \"PReLU\" " + body)
    param.blobs = [try BlobBuilder.gaussian([count]).toProto()]
    let layer = try LayerRegistry.makeLayer(param)
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    } throws: { LayerFixture.isInvalid($0, layer: "prelu", field: "prelu_param.channel_shared") }
  }

  @Test func storedSlopesAreKept() throws {
    var param = try LayerFixture.param("name: \"prelu\" type: \"PReLU\"")
    param.blobs = [try BlobBuilder.values([3], [0.1, 0.2, 0.3]).toProto()]
    let layer = try LayerRegistry.makeLayer(param)
    try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    #expect(layer.blobs[0].dataArray == [0.1, 0.2, 0.3])
    #expect(layer.paramPropagateDown == [true])
  }

  @Test func badFillerNamesTheField() throws {
    let layer = try makePReLU("prelu_param { filler { type: \"nonsense\" } }")
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    } throws: { LayerFixture.isInvalid($0, layer: "prelu", field: "prelu_param.filler.type") }
  }
}
