// InnerProduct layer: shapes, forward against a naive product, transpose, gradients, errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct InnerProductTests {
  static let fillers = """
    weight_filler { type: "uniform" min: -1 max: 1 } bias_filler { type: "uniform" min: -1 max: 1 }
    """

  func makeInnerProduct(_ param: String) throws -> InnerProductLayer {
    try LayerFixture.make(
      InnerProductLayer.self, "name: \"ip\" inner_product_param { \(param) \(Self.fillers) }")
  }

  /// y[m, o] = Σ_k x[m, k] · W[o, k] + b[o], with W stored (O, K) or, transposed, (K, O).
  func naive(_ x: [Float], _ w: [Float], _ b: [Float]?, m: Int, k: Int, o: Int, transpose: Bool)
    -> [Float]
  {
    var y = [Float](repeating: 0, count: m * o)
    for row in 0..<m {
      for out in 0..<o {
        var sum = Double(b?[out] ?? 0)
        for i in 0..<k {
          sum += Double(x[row * k + i]) * Double(transpose ? w[i * o + out] : w[out * k + i])
        }
        y[row * o + out] = Float(sum)
      }
    }
    return y
  }

  @Test(arguments: [
    ("num_output: 10", [2, 3, 6, 4], [2, 10], [10, 72]),
    ("num_output: 10 transpose: true", [2, 3, 6, 4], [2, 10], [72, 10]),
    ("num_output: 5 axis: 2", [2, 3, 6, 4], [2, 3, 5], [5, 24]),
    ("num_output: 5 axis: -1", [2, 3, 6, 4], [2, 3, 6, 5], [5, 4]),
  ])
  func setUpShapesTopAndWeights(
    _ param: String, _ bottomShape: [Int], _ topShape: [Int], _ weightShape: [Int]
  ) throws {
    let layer = try makeInnerProduct(param)
    let top = Blob()
    try layer.setUp(bottom: [try BlobBuilder.gaussian(bottomShape)], top: [top])
    #expect(top.shape == topShape)
    #expect(layer.blobs.map(\.shape) == [weightShape, [topShape.last ?? 0]])
  }

  @Test(arguments: [false, true])
  func forwardMatchesNaiveProduct(_ transpose: Bool) throws {
    let layer = try makeInnerProduct("num_output: 7 transpose: \(transpose)")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let expected = naive(
      bottom.dataArray, layer.blobs[0].dataArray, layer.blobs[1].dataArray, m: 2, k: 72, o: 7,
      transpose: transpose)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-4)
  }

  @Test func transposedWeightGivesTheSameResult() throws {
    let bottom = try BlobBuilder.gaussian([3, 5])
    let plain = try makeInnerProduct("num_output: 4")
    let transposed = try makeInnerProduct("num_output: 4 transpose: true")
    let tops = [Blob(), Blob()]
    try plain.setUp(bottom: [bottom], top: [tops[0]])
    try transposed.setUp(bottom: [bottom], top: [tops[1]])
    let w = plain.blobs[0].dataArray
    try transposed.blobs[0].setData((0..<20).map { w[($0 % 4) * 5 + $0 / 4] })
    try transposed.blobs[1].setData(plain.blobs[1].dataArray)
    try plain.forward(bottom: [bottom], top: [tops[0]])
    try transposed.forward(bottom: [bottom], top: [tops[1]])
    #expect(LayerFixture.maxDifference(tops[0].dataArray, tops[1].dataArray) < 1e-5)
  }

  @Test func withoutBiasHasOneBlob() throws {
    let layer = try makeInnerProduct("num_output: 3 bias_term: false")
    let bottom = try BlobBuilder.gaussian([2, 4])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(layer.blobs.count == 1)
    let expected = naive(
      bottom.dataArray, layer.blobs[0].dataArray, nil, m: 2, k: 4, o: 3, transpose: false)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-5)
  }

  @Test func reshapeKeepsKAndFollowsTheBatch() throws {
    let layer = try makeInnerProduct("num_output: 3")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try bottom.reshape([5, 3, 4, 6])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [5, 3])
    try bottom.reshape([5, 3, 4, 5])
    #expect { try layer.forward(bottom: [bottom], top: [top]) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "ip", expected: [5, 72], actual: [5, 3, 4, 5])
    }
  }

  // Caffe's test_inner_product_layer: GradientChecker(1e-2, 1e-3).
  @Test(arguments: ["num_output: 4", "num_output: 4 transpose: true", "num_output: 3 axis: 2"])
  func gradientIsExact(_ param: String) throws {
    let layer = try makeInnerProduct(param)
    let bottom = try BlobBuilder.gaussian([2, 3, 2, 2])
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func missingNumOutputIsRejected() throws {
    #expect { try makeInnerProduct("axis: 1") } throws: {
      LayerFixture.isInvalid($0, layer: "ip", field: "num_output")
    }
  }

  @Test func outOfRangeAxisIsRejected() throws {
    let layer = try makeInnerProduct("num_output: 2 axis: 4")
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isInvalid($0, layer: "ip", field: "axis")
    }
  }

  @Test func storedWeightOfTheWrongSizeIsRejected() throws {
    var definition = try LayerFixture.param(
      "name: \"ip\" type: \"InnerProduct\" inner_product_param { num_output: 2 bias_term: false }")
    definition.blobs = [try Blob(shape: [2, 5]).toProto()]
    let layer = try InnerProductLayer(definition)
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian([3, 4])], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isShapeMismatch($0, layer: "ip", expected: [2, 4], actual: [2, 5])
    }
  }
}
