// Reduction layer: SUM, ASUM, SUMSQ and MEAN over trailing axes, with coefficients.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct ReductionTests {
  static let operations = ["SUM", "ASUM", "SUMSQ", "MEAN"]

  func makeReduction(_ operation: String, axis: Int, coeff: Float) throws -> ReductionLayer {
    try LayerFixture.make(
      ReductionLayer.self,
      "reduction_param { operation: \(operation) axis: \(axis) coeff: \(coeff) }")
  }

  /// The reduction of each of `rows` rows of `x`, in Double.
  func naive(_ operation: String, _ x: [Float], rows: Int, coeff: Float) -> [Float] {
    let length = x.count / rows
    return (0..<rows).map { row in
      let values = x[(row * length)..<((row + 1) * length)].map(Double.init)
      let total: Double
      switch operation {
      case "ASUM": total = values.map(abs).reduce(0, +)
      case "SUMSQ": total = values.map { $0 * $0 }.reduce(0, +)
      case "MEAN": total = values.reduce(0, +) / Double(length)
      default: total = values.reduce(0, +)
      }
      return Float(Double(coeff) * total)
    }
  }

  @Test(arguments: [(0, [Int]()), (1, [2]), (2, [2, 3]), (-1, [2, 3, 4])])
  func setUpKeepsTheAxesBeforeAxis(_ axis: Int, _ shape: [Int]) throws {
    let layer = try makeReduction("SUM", axis: axis, coeff: 1)
    let top = Blob()
    try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 3, 4, 5])], top: [top])
    #expect(top.shape == shape)
    #expect(top.count == shape.reduce(1, *))
  }

  @Test(arguments: operations, [(0, Float(1)), (0, 2.3), (1, 2.3), (2, -0.5)])
  func forwardMatchesNaiveReduction(_ operation: String, _ setting: (Int, Float)) throws {
    let (axis, coeff) = setting
    let layer = try makeReduction(operation, axis: axis, coeff: coeff)
    let bottom = try BlobBuilder.gaussian([2, 3, 4, 5])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let expected = naive(operation, bottom.dataArray, rows: top.count, coeff: coeff)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-4)
  }

  // Caffe's test_reduction_layer: GradientChecker(1e-2, 2e-3), exhaustive.
  @Test(arguments: operations, [(0, Float(1)), (0, 2.3), (1, 2.3)])
  func gradientMatchesFiniteDifferences(_ operation: String, _ setting: (Int, Float)) throws {
    let layer = try makeReduction(operation, axis: setting.0, coeff: setting.1)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 2e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [try BlobBuilder.gaussian([2, 3, 2, 2])], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: [4, -5])
  func outOfRangeAxisThrows(_ axis: Int) throws {
    let layer = try makeReduction("SUM", axis: axis, coeff: 1)
    #expect { try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, field: "axis")
    }
  }
}
