// The gradient checker itself: it must pass a right backward and catch a wrong one.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

/// y = 2x, with a backward that claims a chosen slope (2 is right).
final class ScaleByTwoLayer: NeuronLayer {
  override class var type: String { "ScaleByTwoForTests" }
  var claimedSlope: Float = 2

  override func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    for i in 0..<bottom[0].count { top[0].data[i] = 2 * bottom[0].data[i] }
  }

  override func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    for i in 0..<bottom[0].count { bottom[0].diff[i] = claimedSlope * top[0].diff[i] }
  }
}

@Suite struct GradientCheckerTests {
  let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)

  @Test func rightBackwardPasses() throws {
    let layer = try ScaleByTwoLayer(LayerParameter())
    let bottom = try BlobBuilder.gaussian([2, 3])
    #expect(try checker.checkGradientExhaustive(layer, bottom: [bottom], top: [Blob()]).isEmpty)
    #expect(try checker.checkGradientEltwise(layer, bottom: [bottom], top: [Blob()]).isEmpty)
    #expect(try checker.checkGradient(layer, bottom: [bottom], top: [Blob()]).isEmpty)
  }

  @Test func wrongBackwardIsCaught() throws {
    let layer = try ScaleByTwoLayer(LayerParameter())
    layer.claimedSlope = 2.1
    let bottom = try BlobBuilder.gaussian([2, 3])
    let failures = try checker.checkGradientExhaustive(layer, bottom: [bottom], top: [Blob()])
    // One failure per (top element, matching bottom element) pair: 6 of them.
    #expect(failures.count == 6)
    #expect(failures.allSatisfy { abs($0.estimated - 4) < 1e-2 && abs($0.computed - 4.2) < 1e-4 })
  }

  @Test func kinkRegionIsSkipped() throws {
    let layer = try ScaleByTwoLayer(LayerParameter())
    layer.claimedSlope = 3
    let wide = GradientChecker(stepSize: 1e-2, threshold: 1e-3, kink: 0, kinkRange: 100)
    let bottom = try BlobBuilder.gaussian([2, 3])
    #expect(try wide.checkGradientEltwise(layer, bottom: [bottom], top: [Blob()]).isEmpty)
  }
}
