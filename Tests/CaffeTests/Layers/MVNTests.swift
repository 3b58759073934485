// MVN layer: normalised statistics, eps placement, 4-D top, gradients, in place, errors, and
// Caffe's own outputs.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct MVNTests {
  /// Caffe's MVN test bottom: (N, C, H, W) = (2, 3, 4, 5).
  static let shape = [2, 3, 4, 5]

  static let configurations = [
    "", "mvn_param { normalize_variance: false }", "mvn_param { across_channels: true }",
    "mvn_param { across_channels: true normalize_variance: false }",
  ]

  func makeMVN(_ body: String = "") throws -> MVNLayer {
    try LayerFixture.make(MVNLayer.self, "name: \"mvn\" " + body)
  }

  func run(_ layer: MVNLayer, _ bottom: Blob) throws -> Blob {
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    return top
  }

  /// The mean and population variance of each group of `size` consecutive values.
  func moments(_ values: [Float], groupSize size: Int) -> [(mean: Float, variance: Float)] {
    stride(from: 0, to: values.count, by: size).map { start in
      let group = values[start..<(start + size)]
      let mean = group.reduce(0, +) / Float(size)
      let variance = group.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(size)
      return (mean, variance)
    }
  }

  // MARK: - Forward

  // Caffe's TestForward, TestForwardMeanOnly, TestForwardAcrossChannels: kErrorBound 1e-3.
  @Test(arguments: configurations)
  func groupsHaveZeroMeanAndUnitVariance(_ body: String) throws {
    let layer = try makeMVN(body)
    let bottom = try BlobBuilder.gaussian(Self.shape, mean: 2, std: 3)
    let top = try run(layer, bottom)
    #expect(top.shape == Self.shape)
    let mvn = layer.param.mvnParam
    let group = mvn.acrossChannels ? 3 * 4 * 5 : 4 * 5
    let before = moments(bottom.dataArray, groupSize: group)
    for (index, (mean, variance)) in moments(top.dataArray, groupSize: group).enumerated() {
      #expect(abs(mean) <= 1e-3)
      let expected = mvn.normalizeVariance ? 1 : before[index].variance
      #expect(abs(variance - expected) <= 1e-3 * max(1, expected))
    }
  }

  @Test func epsIsAddedToTheStandardDeviation() throws {
    // μ = 2.5, σ = √1.25; y = (x − μ) / (σ + 0.1).
    let layer = try makeMVN("mvn_param { eps: 0.1 }")
    let top = try run(layer, try BlobBuilder.values([1, 1, 2, 2], [1, 2, 3, 4]))
    let denominator = Float(1.25).squareRoot() + 0.1
    let expected = [-1.5, -0.5, 0.5, 1.5].map { Float($0) / denominator }
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-6)
  }

  @Test func defaultsAreCaffes() throws {
    let mvn = try makeMVN().param.mvnParam
    #expect(mvn.normalizeVariance && !mvn.acrossChannels && mvn.eps == Float(1e-9))
  }

  // MARK: - Shapes

  @Test(arguments: [([2, 3], [2, 3, 1, 1]), ([2, 3, 4], [2, 3, 4, 1]), ([6], [6, 1, 1, 1])])
  func topAlwaysHasFourAxes(_ bottomShape: [Int], _ topShape: [Int]) throws {
    let top = try run(try makeMVN(), try BlobBuilder.gaussian(bottomShape))
    #expect(top.shape == topShape)
  }

  @Test func reshapeBetweenForwardsFollowsTheBottom() throws {
    let layer = try makeMVN()
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let top = try run(layer, bottom)
    try bottom.reshape([1, 2, 3, 3])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [1, 2, 3, 3])
  }

  @Test func moreThanFourAxesAreRejected() throws {
    let layer = try makeMVN()
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian([1, 2, 2, 2, 2])], top: [Blob()])
    } throws: { "\($0)".contains("mvn") && "\($0)".contains("[1, 2, 2, 2, 2]") }
  }

  // MARK: - Gradient

  // Caffe's TestGradient, TestGradientMeanOnly, TestGradientAcrossChannels: (1e-2, 1e-3).
  @Test(arguments: configurations)
  func gradientIsExact(_ body: String) throws {
    let layer = try makeMVN(body)
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(layer, bottom: [bottom], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // MARK: - In place

  @Test(arguments: configurations)
  func inPlaceMatchesOutOfPlace(_ body: String) throws {
    let layer = try makeMVN(body)
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let top = try run(layer, bottom)
    let topDiff = try BlobBuilder.gaussian(Self.shape, seed: 5).dataArray
    try top.setDiff(topDiff)
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])

    let inPlace = try makeMVN(body)
    let shared = try BlobBuilder.gaussian(Self.shape)
    try inPlace.setUp(bottom: [shared], top: [shared])
    try inPlace.forward(bottom: [shared], top: [shared])
    #expect(shared.dataArray == top.dataArray)
    try shared.setDiff(topDiff)
    try inPlace.backward(top: [shared], propagateDown: [true], bottom: [shared])
    #expect(shared.diffArray == bottom.diffArray)
  }

  // MARK: - Caffe's outputs

  @Test(.enabled(if: Golden.isAvailable)) func matchesCaffe() throws {
    try LayerGoldenTests().check("mvn")
  }
}
