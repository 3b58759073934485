// Dropout layer: TRAIN scaling and drop rate, TEST identity, gradients through the mask, in
// place, bad ratios.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct DropoutTests {
  func makeDropout(_ body: String = "", phase: Phase = .train) throws -> DropoutLayer {
    let layer = try LayerFixture.make(DropoutLayer.self, "name: \"drop\" " + body)
    layer.phase = phase
    return layer
  }

  /// Caffe's TestDropoutForward: kept values are exactly x / (1 − p), and the share dropped is
  /// within 1.96 standard errors of p.
  ///
  /// The bottom is Caffe's (2, 3, 4, 5).
  @Test(arguments: [(Float(0.5), ""), (Float(0.75), "dropout_param { dropout_ratio: 0.75 }")])
  func trainingDropsAndScales(_ ratio: Float, _ body: String) throws {
    let layer = try makeDropout(body)
    let bottom = try BlobBuilder.gaussian([2, 3, 4, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    Runtime.setRandomSeed(1701)
    try layer.forward(bottom: [bottom], top: [top])
    let scale = Float(1 / (1 - Double(ratio)))
    var kept = 0
    for (x, y) in zip(bottom.dataArray, top.dataArray) where y != 0 {
      kept += 1
      #expect(y == x * scale)
    }
    let count = Float(bottom.count)
    let standardError = (ratio * (1 - ratio) / count).squareRoot()
    #expect(abs(1 - Float(kept) / count - ratio) <= 1.96 * standardError)
  }

  @Test func eachForwardDrawsANewMask() throws {
    let layer = try makeDropout()
    let bottom = try BlobBuilder.gaussian([2, 3, 4, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let first = top.dataArray
    try layer.forward(bottom: [bottom], top: [top])
    #expect(first != top.dataArray)
  }

  @Test func sameSeedGivesTheSameMask() throws {
    let layer = try makeDropout()
    let bottom = try BlobBuilder.gaussian([2, 3, 4, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    Runtime.setRandomSeed(42)
    try layer.forward(bottom: [bottom], top: [top])
    let first = top.dataArray
    Runtime.setRandomSeed(42)
    try layer.forward(bottom: [bottom], top: [top])
    #expect(first == top.dataArray)
  }

  @Test func testPhaseIsTheIdentity() throws {
    let layer = try makeDropout(phase: .test)
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.dataArray == bottom.dataArray)
    let topDiff = try BlobBuilder.gaussian(seed: 5).dataArray
    try top.setDiff(topDiff)
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray == topDiff)
  }

  @Test func backwardReusesTheForwardMask() throws {
    let layer = try makeDropout("dropout_param { dropout_ratio: 0.2 }")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    try top.setDiff(Array(repeating: 1, count: top.count))
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    for (y, dx) in zip(top.dataArray, bottom.diffArray) {
      #expect(dx == (y == 0 ? 0 : 1.25))
    }
  }

  // Caffe's TestDropoutGradient / TestDropoutGradientTest: (1e-2, 1e-3), element-wise.
  @Test(arguments: [Phase.train, Phase.test])
  func gradientIsExact(_ phase: Phase) throws {
    let layer = try makeDropout(phase: phase)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientEltwise(
      layer, bottom: [try BlobBuilder.gaussian([2, 3, 2, 2])], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func inPlaceMatchesOutOfPlace() throws {
    let outOfPlace = try makeDropout()
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try outOfPlace.setUp(bottom: [bottom], top: [top])
    Runtime.setRandomSeed(9)
    try outOfPlace.forward(bottom: [bottom], top: [top])
    let topDiff = try BlobBuilder.gaussian(seed: 11).dataArray
    try top.setDiff(topDiff)
    try outOfPlace.backward(top: [top], propagateDown: [true], bottom: [bottom])

    let inPlace = try makeDropout()
    let shared = try BlobBuilder.gaussian()
    try inPlace.setUp(bottom: [shared], top: [shared])
    Runtime.setRandomSeed(9)
    try inPlace.forward(bottom: [shared], top: [shared])
    #expect(shared.dataArray == top.dataArray)
    try shared.setDiff(topDiff)
    try inPlace.backward(top: [shared], propagateDown: [true], bottom: [shared])
    #expect(shared.diffArray == bottom.diffArray)
  }

  @Test func reshapeResizesTheMask() throws {
    let layer = try makeDropout()
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try bottom.reshape([5, 7])
    try layer.forward(bottom: [bottom], top: [top])
    try top.setDiff(Array(repeating: 1, count: 35))
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    #expect(top.shape == [5, 7])
  }

  @Test(arguments: [Float(1), Float(-0.1), Float(1.5)])
  func ratioMustBeBelowOne(_ ratio: Float) throws {
    #expect { try makeDropout("dropout_param { dropout_ratio: \(ratio) }") } throws: {
      LayerFixture.isInvalid($0, layer: "drop", field: "dropout_ratio")
    }
  }

  @Test func ratioZeroKeepsEverything() throws {
    let layer = try makeDropout("dropout_param { dropout_ratio: 0 }")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.dataArray == bottom.dataArray)
  }
}
