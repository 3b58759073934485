// BatchNorm layer: batch statistics, moving sums, global statistics, gradients, in place, the
// statistics' lr_mult, errors, and a BatchNorm + Scale net.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct BatchNormTests {
  /// Caffe's BatchNorm test bottom: (N, C, H, W) = (5, 2, 3, 4).
  static let shape = [5, 2, 3, 4]

  func makeBatchNorm(_ body: String = "", phase: Phase = .train) throws -> BatchNormLayer {
    let layer = try LayerFixture.make(BatchNormLayer.self, "name: \"bn\" " + body)
    layer.phase = phase
    return layer
  }

  func run(_ layer: BatchNormLayer, _ bottom: Blob) throws -> Blob {
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    return top
  }

  /// The values of channel `c` of a (N, C, spatial…) array.
  func channel(_ values: [Float], _ c: Int, shape: [Int]) -> [Float] {
    let (channels, inner) = (shape[1], shape[2...].reduce(1, *))
    return values.enumerated().filter { ($0.offset / inner) % channels == c }.map(\.element)
  }

  func meanAndVariance(_ values: [Float]) -> (Float, Float) {
    let mean = values.reduce(0, +) / Float(values.count)
    return (mean, values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count))
  }

  // MARK: - Forward

  // Caffe's TestForward and TestForwardInplace: kErrorBound 1e-3.
  @Test(arguments: [false, true])
  func channelsHaveZeroMeanAndUnitVariance(_ inPlace: Bool) throws {
    let layer = try makeBatchNorm()
    let bottom = try BlobBuilder.gaussian(Self.shape, mean: 1, std: 2)
    let top = inPlace ? bottom : Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == Self.shape)
    for c in 0..<2 {
      let (mean, variance) = meanAndVariance(channel(top.dataArray, c, shape: Self.shape))
      #expect(abs(mean) <= 1e-3)
      #expect(abs(variance - 1) <= 1e-3)
    }
  }

  @Test func movingSumsFollowCaffesRule() throws {
    let layer = try makeBatchNorm("batch_norm_param { moving_average_fraction: 0.5 }")
    let bottom = try BlobBuilder.values([4, 1], [1, 2, 3, 6])
    let top = try run(layer, bottom)
    // μ = 3, biased σ² = 3.5, m = 4: the variance sum gets 3.5 · 4/3.
    #expect(layer.blobs[0].dataArray == [3])
    #expect(abs(layer.blobs[1].data[0] - 3.5 * 4 / 3) <= 1e-6)
    #expect(layer.blobs[2].dataArray == [1])
    try bottom.setData([0, 0, 0, 4])
    try layer.forward(bottom: [bottom], top: [top])
    // μ = 1, σ² = 3, then sums ← 0.5 · sums + stats and s ← 0.5 · 1 + 1.
    #expect(layer.blobs[0].dataArray == [0.5 * 3 + 1])
    #expect(abs(layer.blobs[1].data[0] - (0.5 * 3.5 * 4 / 3 + 3 * 4 / 3)) <= 1e-5)
    #expect(layer.blobs[2].dataArray == [1.5])
  }

  @Test func globalStatisticsDivideBySumsScaleFactor() throws {
    let layer = try makeBatchNorm("batch_norm_param { eps: 0.5 }", phase: .test)
    let bottom = try BlobBuilder.values([2, 2, 1], [1, 2, 3, 4])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.blobs[0].setData([4, 8])
    try layer.blobs[1].setData([7, 3])
    try layer.blobs[2].setData([2])
    try layer.forward(bottom: [bottom], top: [top])
    // μ = (2, 4), σ² = (3.5, 1.5): y = (x − μ) / √(σ² + 0.5).
    let expected: [Float] = [-1 / 2, -2 / Float(2).squareRoot(), 1 / 2, 0]
    #expect(LayerFixture.maxDifference(top.dataArray, expected) <= 1e-6)
    #expect(layer.blobs[0].dataArray == [4, 8])
  }

  @Test func zeroScaleFactorMeansZeroStatistics() throws {
    let layer = try makeBatchNorm("batch_norm_param { use_global_stats: true eps: 0.25 }")
    let top = try run(layer, try BlobBuilder.values([2, 1], [1, -3]))
    #expect(top.dataArray == [2, -6])
  }

  @Test(arguments: [
    ("", Phase.train, false), ("", .test, true),
    ("batch_norm_param { use_global_stats: false }", .test, false),
    ("batch_norm_param { use_global_stats: true }", .train, true),
  ])
  func globalStatisticsDefaultToTheTestPhase(_ body: String, _ phase: Phase, _ global: Bool)
    throws
  {
    let layer = try makeBatchNorm(body, phase: phase)
    _ = try run(layer, try BlobBuilder.gaussian(Self.shape))
    #expect(layer.useGlobalStats == global)
  }

  @Test func defaultsAreCaffes() throws {
    let bn = try makeBatchNorm().param.batchNormParam
    #expect(bn.movingAverageFraction == Float(0.999) && bn.eps == Float(1e-5))
    #expect(!bn.hasUseGlobalStats)
  }

  // MARK: - Blobs

  @Test(arguments: [([5, 2, 3, 4], 2), ([6, 3], 3), ([4], 1)])
  func statisticsBlobsStartAtZero(_ shape: [Int], _ channels: Int) throws {
    let layer = try makeBatchNorm()
    let top = Blob()
    try layer.setUp(bottom: [try BlobBuilder.gaussian(shape)], top: [top])
    #expect(layer.blobs.map(\.shape) == [[channels], [channels], [1]])
    #expect(layer.blobs.allSatisfy { $0.dataArray.allSatisfy { $0 == 0 } })
    #expect(top.shape == shape)
  }

  @Test func statisticsGetZeroLearningRate() throws {
    let layer = try makeBatchNorm()
    #expect(layer.param.param.map(\.lrMult) == [0, 0, 0])
    let given = try makeBatchNorm("param { lr_mult: 0 decay_mult: 0 }")
    #expect(given.param.param.map(\.lrMult) == [0, 0, 0])
    #expect(given.param.param[0].decayMult == 0)
  }

  @Test func learnableStatisticsAreRejected() throws {
    #expect { try makeBatchNorm("param { lr_mult: 0 } param { lr_mult: 1 }") } throws: {
      LayerFixture.isInvalid($0, layer: "bn", field: "param") && "\($0)".contains("spec 1")
    }
  }

  @Test func storedBlobsMustBeThree() throws {
    var param = try LayerFixture.param("name: \"bn\" type: \"BatchNorm\"")
    param.blobs = [
      try BlobBuilder.gaussian([2]).toProto(), try BlobBuilder.gaussian([2]).toProto(),
    ]
    let layer = try LayerRegistry.makeLayer(param)
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian(Self.shape)], top: [Blob()])
    } throws: { LayerFixture.isInvalid($0, layer: "bn", field: "blobs") }
  }

  @Test func storedBlobsMustMatchTheChannels() throws {
    var param = try LayerFixture.param("name: \"bn\" type: \"BatchNorm\"")
    param.blobs = try [[3], [3], [1]].map { try BlobBuilder.gaussian($0).toProto() }
    let layer = try LayerRegistry.makeLayer(param)
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian(Self.shape)], top: [Blob()])
    } throws: { LayerFixture.isShapeMismatch($0, layer: "bn", expected: [2], actual: [3]) }
  }

  @Test func channelCountMustNotChange() throws {
    let layer = try makeBatchNorm()
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let top = try run(layer, bottom)
    try bottom.reshape([5, 3, 3, 4])
    #expect { try layer.forward(bottom: [bottom], top: [top]) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "bn", expected: [5, 2, 3, 4], actual: [5, 3, 3, 4])
    }
  }

  // MARK: - Gradient

  // Caffe's TestGradient: (1e-2, 1e-4), exhaustive, TRAIN phase.
  @Test func gradientIsExact() throws {
    let layer = try makeBatchNorm()
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-4)
    let failures = try checker.checkGradientExhaustive(layer, bottom: [bottom], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func globalStatisticsGradientDividesByTheStandardDeviation() throws {
    let layer = try makeBatchNorm("batch_norm_param { eps: 0 }", phase: .test)
    let bottom = try BlobBuilder.values([1, 2, 2], [1, 2, 3, 4])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.blobs[1].setData([4, 16])
    try layer.blobs[2].setData([1])
    try layer.forward(bottom: [bottom], top: [top])
    try top.setDiff([1, 2, 3, 4])
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray == [0.5, 1, 0.75, 1])
  }

  @Test(arguments: [Phase.train, .test])
  func inPlaceMatchesOutOfPlace(_ phase: Phase) throws {
    let layer = try makeBatchNorm(phase: phase)
    let bottom = try BlobBuilder.gaussian(Self.shape)
    let top = try run(layer, bottom)
    let topDiff = try BlobBuilder.gaussian(Self.shape, seed: 9).dataArray
    try top.setDiff(topDiff)
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])

    let inPlace = try makeBatchNorm(phase: phase)
    let shared = try BlobBuilder.gaussian(Self.shape)
    try inPlace.setUp(bottom: [shared], top: [shared])
    try inPlace.forward(bottom: [shared], top: [shared])
    #expect(shared.dataArray == top.dataArray)
    try shared.setDiff(topDiff)
    try inPlace.backward(top: [shared], propagateDown: [true], bottom: [shared])
    #expect(shared.diffArray == bottom.diffArray)
  }

  // MARK: - In a net

  @Test func resNetStyleBatchNormAndScaleInPlace() throws {
    var net = try Prototxt.decode(
      NetParameter.self,
      text: """
        layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 4 dim: 3 } } }
        layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" }
        layer { name: "scale" type: "Scale" bottom: "data" top: "data"
                scale_param { bias_term: true } }
        """, file: "bn.prototxt")
    net.state.phase = .train
    let built = try Net(net)
    #expect(built.paramsLr == [0, 0, 0, 1, 1])
    let data = try #require(built.blob(named: "data"))
    try data.setData(try BlobBuilder.gaussian([4, 3]).dataArray)
    _ = try built.forward()
    for c in 0..<3 {
      let values = (0..<4).map { data.data[$0 * 3 + c] }
      #expect(abs(meanAndVariance(values).0) <= 1e-5)
    }
  }
}
