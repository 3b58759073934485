// Pooling layer: Caffe's output size rule, hand-computed and reference outputs, gradients,
// parameter errors.

import CaffeKernels
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct PoolingTests {
  func makePooling(_ param: String) throws -> PoolingLayer {
    try LayerFixture.make(PoolingLayer.self, "name: \"pool\" pooling_param { \(param) }")
  }

  func run(_ layer: PoolingLayer, _ bottom: Blob, tops count: Int = 1) throws -> [Blob] {
    let tops = LayerFixture.tops(count)
    try layer.setUp(bottom: [bottom], top: tops)
    try layer.forward(bottom: [bottom], top: tops)
    return tops
  }

  // MARK: - Output size

  @Test(arguments: [
    ("kernel_size: 3 stride: 2", [2, 3, 6, 4], [2, 3, 3, 2]),
    ("kernel_size: 3 stride: 2 round_mode: FLOOR", [2, 3, 6, 4], [2, 3, 2, 1]),
    ("kernel_size: 2 stride: 2 pad: 1", [1, 1, 4, 4], [1, 1, 3, 3]),
    // ⌈(3 + 2 − 2) / 2⌉ + 1 = 3, but the third window would start at 3 = H + pad: dropped.
    ("kernel_size: 2 stride: 2 pad: 1", [1, 1, 3, 3], [1, 1, 2, 2]),
    (
      "kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0", [2, 3, 6, 4],
      [2, 3, 4, 3]
    ),
    ("global_pooling: true", [2, 3, 6, 4], [2, 3, 1, 1]),
    // Windows larger than the bottom: ⌈(1 − 2) / 2⌉ + 1 = 1 (OpenPose's 1×1 placeholder input).
    ("kernel_size: 2 stride: 2", [1, 2, 1, 1], [1, 2, 1, 1]),
    ("kernel_size: 3 stride: 2", [1, 1, 2, 5], [1, 1, 1, 2]),
    // The last window runs past the bottom: ⌈3 / 2⌉ + 1 = 3 windows over 5 pixels.
    ("kernel_size: 2 stride: 2", [1, 1, 5, 5], [1, 1, 3, 3]),
    ("kernel_size: 2 stride: 2 round_mode: FLOOR", [1, 1, 5, 5], [1, 1, 2, 2]),
  ])
  func outputSizeFollowsCaffe(_ param: String, _ bottomShape: [Int], _ topShape: [Int]) throws {
    let tops = try run(try makePooling(param), try BlobBuilder.gaussian(bottomShape))
    #expect(tops[0].shape == topShape)
  }

  @Test func reshapeBetweenForwardsFollowsTheBottom() throws {
    let layer = try makePooling("kernel_size: 2 stride: 2")
    let bottom = try BlobBuilder.gaussian()
    let tops = try run(layer, bottom)
    #expect(tops[0].shape == [2, 3, 3, 2])
    try bottom.reshape([1, 2, 8, 8])
    try layer.forward(bottom: [bottom], top: tops)
    #expect(tops[0].shape == [1, 2, 4, 4])
  }

  // MARK: - Forward

  /// One 3×5 plane, 2×2 windows, stride 1 (the layout of Caffe's own hand-computed test).
  static let plane: [Float] = [
    1, 2, 5, 2, 3,
    9, 4, 1, 4, 8,
    1, 2, 5, 2, 3,
  ]

  @Test func maxForwardByHandWithMask() throws {
    let bottom = try BlobBuilder.values([1, 1, 3, 5], Self.plane)
    let tops = try run(try makePooling("kernel_size: 2 stride: 1"), bottom, tops: 2)
    #expect(tops[0].dataArray == [9, 5, 5, 8, 9, 5, 5, 8])
    #expect(tops[1].dataArray == [5, 2, 2, 9, 5, 12, 12, 9])
  }

  @Test func aveForwardByHand() throws {
    let bottom = try BlobBuilder.values([1, 1, 3, 5], Self.plane)
    let tops = try run(try makePooling("pool: AVE kernel_size: 2 stride: 1"), bottom)
    #expect(tops[0].dataArray == [4, 3, 3, 4.25, 4, 3, 3, 4.25])
  }

  @Test func avePaddingCountsAsZeros() throws {
    // 3×3 window with pad 1 over a 3×3 plane of ones: the corner window holds 4 ones of 9.
    let bottom = try BlobBuilder.values([1, 1, 3, 3], Array(repeating: 1, count: 9))
    let tops = try run(try makePooling("pool: AVE kernel_size: 3 stride: 1 pad: 1"), bottom)
    let expected: [Float] = [4, 6, 4, 6, 9, 6, 4, 6, 4].map { $0 / 9 }
    #expect(LayerFixture.maxDifference(tops[0].dataArray, expected) < 1e-6)
  }

  // MARK: - Windows past the bottom

  @Test func windowLargerThanTheBottomPoolsWhatThereIs() throws {
    let bottom = try BlobBuilder.values([1, 2, 1, 1], [7, -3])
    let maxTops = try run(try makePooling("kernel_size: 2 stride: 2"), bottom, tops: 2)
    #expect(maxTops[0].dataArray == [7, -3])
    #expect(maxTops[1].dataArray == [0, 0])
    // AVE divides by the window clipped to the (unpadded) bottom: 1 pixel.
    let aveTops = try run(try makePooling("pool: AVE kernel_size: 2 stride: 2"), bottom)
    #expect(aveTops[0].dataArray == [7, -3])
  }

  @Test func lastWindowPastTheBottomIsClipped() throws {
    // 3×3 plane 1…9, 2×2 windows at stride 2: rows {0, 1}, {2} and the same columns.
    let bottom = try BlobBuilder.values([1, 1, 3, 3], (1...9).map(Float.init))
    let maxTops = try run(try makePooling("kernel_size: 2 stride: 2"), bottom, tops: 2)
    #expect(maxTops[0].dataArray == [5, 6, 8, 9])
    #expect(maxTops[1].dataArray == [4, 5, 7, 8])
    let aveTops = try run(try makePooling("pool: AVE kernel_size: 2 stride: 2"), bottom)
    // (1 + 2 + 4 + 5) / 4, (3 + 6) / 2, (7 + 8) / 2, 9 / 1.
    #expect(aveTops[0].dataArray == [3, 4.5, 7.5, 9])
  }

  @Test func lastWindowPastThePaddingCountsOnlyThePadding() throws {
    // 4×4 plane 1…16, 3×3 windows, stride 2, pad 1: windows start at −1, 1, 3; the last covers
    // row 3, one padding row and one row beyond the padding, so it counts 2 rows (Caffe's
    // `min(start + kernel, size + pad) − start`).
    let bottom = try BlobBuilder.values([1, 1, 4, 4], (1...16).map(Float.init))
    let window = "kernel_size: 3 stride: 2 pad: 1"
    let maxTops = try run(try makePooling(window), bottom)
    #expect(maxTops[0].dataArray == [6, 8, 8, 14, 16, 16, 14, 16, 16])
    let aveTops = try run(try makePooling("pool: AVE " + window), bottom)
    let expected: [Float] = [14 / 9, 30 / 9, 12 / 6, 57 / 9, 99 / 9, 36 / 6, 27 / 6, 45 / 6, 4]
    #expect(LayerFixture.maxDifference(aveTops[0].dataArray, expected) < 1e-6)
  }

  @Test(arguments: [(2, 0, 2, 1, 3), (3, 0, 2, 2, 5), (3, 1, 2, 4, 4), (4, 1, 3, 2, 6)])
  func windowsPastTheBottomMatchNaivePooling(
    _ kernel: Int, _ pad: Int, _ stride: Int, _ height: Int, _ width: Int
  ) throws {
    let bottom = try BlobBuilder.gaussian([2, 2, height, width])
    let spec = NaiveKernels.Pooling(
      planes: 4, height: height, width: width, kernel: kernel, pad: pad, stride: stride)
    let window = "kernel_size: \(kernel) pad: \(pad) stride: \(stride)"
    let maxTops = try run(try makePooling(window), bottom, tops: 2)
    let naiveMax = NaiveKernels.maxPool(spec, bottom: bottom.dataArray)
    #expect(maxTops[0].shape == [2, 2, spec.pooledHeight, spec.pooledWidth])
    #expect(maxTops[0].dataArray == naiveMax.top)
    #expect(maxTops[1].dataArray == naiveMax.mask.map(Float.init))
    let aveTops = try run(try makePooling("pool: AVE " + window), bottom)
    let naiveAve = NaiveKernels.avePool(spec, bottom: bottom.dataArray)
    #expect(LayerFixture.maxDifference(aveTops[0].dataArray, naiveAve) < 1e-5)
  }

  /// Distinct values at least 0.05 apart, so a 1e-2 step never changes a window's maximum.
  static func distinctBottom(_ shape: [Int]) throws -> Blob {
    let count = shape.reduce(1, *)
    var generator = SeededGenerator(seed: 1701)
    let values = (0..<count).map { Float($0) * 0.05 - 1 }.shuffled(using: &generator)
    return try BlobBuilder.values(shape, values)
  }

  @Test(arguments: [
    "kernel_size: 2 stride: 2", "kernel_size: 3 stride: 2 pad: 1", "kernel_size: 4 stride: 3",
    "pool: AVE kernel_size: 2 stride: 2", "pool: AVE kernel_size: 3 stride: 2 pad: 1",
    "pool: AVE kernel_size: 4 stride: 3",
  ])
  func gradientWithWindowsPastTheBottom(_ param: String) throws {
    let layer = try makePooling(param)
    let bottom = try Self.distinctBottom([1, 2, 5, 3])
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func globalPoolingAveragesThePlane() throws {
    let bottom = try BlobBuilder.gaussian()
    let tops = try run(try makePooling("pool: AVE global_pooling: true"), bottom)
    let values = bottom.dataArray
    for plane in 0..<6 {
      let mean = values[(plane * 24)..<((plane + 1) * 24)].reduce(0, +) / 24
      #expect(abs(tops[0].dataArray[plane] - mean) < 1e-5)
    }
  }

  @Test(arguments: [(2, 0, 2), (3, 1, 2), (3, 2, 1), (2, 1, 3)])
  func forwardMatchesNaivePooling(_ kernel: Int, _ pad: Int, _ stride: Int) throws {
    let bottom = try BlobBuilder.gaussian([2, 2, 7, 6])
    let spec = NaiveKernels.Pooling(
      planes: 4, height: 7, width: 6, kernel: kernel, pad: pad, stride: stride)
    let window = "kernel_size: \(kernel) pad: \(pad) stride: \(stride)"
    let maxTops = try run(try makePooling(window), bottom, tops: 2)
    let naiveMax = NaiveKernels.maxPool(spec, bottom: bottom.dataArray)
    #expect(maxTops[0].shape == [2, 2, spec.pooledHeight, spec.pooledWidth])
    #expect(maxTops[0].dataArray == naiveMax.top)
    #expect(maxTops[1].dataArray == naiveMax.mask.map(Float.init))
    let aveTops = try run(try makePooling("pool: AVE " + window), bottom)
    let naiveAve = NaiveKernels.avePool(spec, bottom: bottom.dataArray)
    #expect(LayerFixture.maxDifference(aveTops[0].dataArray, naiveAve) < 1e-5)
  }

  // MARK: - Backward

  @Test func maxBackwardRoutesToTheMaximum() throws {
    let layer = try makePooling("kernel_size: 2 stride: 1")
    let bottom = try BlobBuilder.values([1, 1, 3, 5], Self.plane)
    let tops = try run(layer, bottom)
    try tops[0].setDiff([1, 2, 3, 4, 5, 6, 7, 8])
    try layer.backward(top: tops, propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray == [0, 0, 5, 0, 0, 6, 0, 0, 0, 12, 0, 0, 13, 0, 0])
  }

  @Test(arguments: [(2, 0, 2), (3, 1, 2)])
  func backwardMatchesNaivePooling(_ kernel: Int, _ pad: Int, _ stride: Int) throws {
    let spec = NaiveKernels.Pooling(
      planes: 4, height: 7, width: 6, kernel: kernel, pad: pad, stride: stride)
    for method in ["MAX", "AVE"] {
      let layer = try makePooling(
        "pool: \(method) kernel_size: \(kernel) pad: \(pad) stride: \(stride)")
      let bottom = try BlobBuilder.gaussian([2, 2, 7, 6])
      let tops = try run(layer, bottom)
      let topDiff = try BlobBuilder.gaussian(tops[0].shape, seed: 9).dataArray
      try tops[0].setDiff(topDiff)
      try layer.backward(top: tops, propagateDown: [true], bottom: [bottom])
      let expected =
        method == "MAX"
        ? NaiveKernels.maxPoolBackward(
          spec, topDiff: topDiff, mask: NaiveKernels.maxPool(spec, bottom: bottom.dataArray).mask)
        : NaiveKernels.avePoolBackward(spec, topDiff: topDiff)
      #expect(LayerFixture.maxDifference(bottom.diffArray, expected) < 1e-5, "\(method)")
    }
  }

  // Caffe's test_pooling_layer: MAX with GradientChecker(1e-4, 1e-2), AVE with (1e-2, 1e-2).
  @Test(arguments: [
    ("kernel_h: 3 kernel_w: 2 stride: 2 pad: 1", Float(1e-4)),
    ("kernel_size: 2 stride: 1 pad: 1 pool: MAX", Float(1e-4)),
    ("kernel_h: 3 kernel_w: 2 stride: 2 pad: 1 pool: AVE", Float(1e-2)),
    ("kernel_size: 3 stride: 2 pool: AVE", Float(1e-2)),
  ])
  func gradientIsExact(_ param: String, _ step: Float) throws {
    let layer = try makePooling(param)
    let bottom = try BlobBuilder.gaussian([1, 2, 6, 5])
    let checker = GradientChecker(stepSize: step, threshold: 1e-2)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // MARK: - Stochastic

  /// Caffe's stochastic pooling bottom: (2, 3, 6, 5) uniform in [0.1, 1).
  static func positiveBottom() throws -> Blob {
    try BlobBuilder.uniform([2, 3, 6, 5], min: 0.1, max: 1)
  }

  func makeStochastic(_ phase: String, _ window: String = "kernel_size: 3 stride: 2") throws
    -> PoolingLayer
  {
    try LayerFixture.make(
      PoolingLayer.self,
      "name: \"pool\" phase: \(phase) pooling_param { pool: STOCHASTIC \(window) }")
  }

  /// The (y, x) ranges of window (py, px) of a 6×5 plane with 3×3 windows at stride 2.
  static func windowCells(_ py: Int, _ px: Int) -> [Int] {
    (2 * py..<min(2 * py + 3, 6)).flatMap { y in (2 * px..<min(2 * px + 3, 5)).map { y * 5 + $0 } }
  }

  @Test func stochasticTrainSamplesAValueOfEachWindow() throws {
    Runtime.setRandomSeed(1701)
    let bottom = try Self.positiveBottom()
    let tops = try run(try makeStochastic("TRAIN"), bottom)
    #expect(tops[0].shape == [2, 3, 3, 2])
    let values = bottom.dataArray
    let pooled = tops[0].dataArray
    for plane in 0..<6 {
      for py in 0..<3 {
        for px in 0..<2 {
          let cells = Self.windowCells(py, px).map { values[plane * 30 + $0] }
          #expect(cells.contains(pooled[(plane * 3 + py) * 2 + px]))
        }
      }
    }
    // Sampling favours large values: the mean lies above the data's (about 0.55), as in Caffe.
    #expect(pooled.reduce(0, +) / Float(pooled.count) >= 0.55)
  }

  @Test func stochasticTrainFollowsTheProbabilities() throws {
    // 500 copies of the window (0, 1, 0, 3) per seed, 8 seeds: 4000 draws. Zeros are never
    // picked; 1 and 3 are picked a quarter and three quarters of the time.
    let planes = 500
    let bottom = try BlobBuilder.values(
      [1, planes, 2, 2], Array(repeating: [0, 1, 0, 3] as [Float], count: planes).flatMap { $0 })
    let layer = try makeStochastic("TRAIN", "kernel_size: 2")
    var counts: [Float: Int] = [:]
    for seed in 0..<8 {
      Runtime.setRandomSeed(UInt64(seed))
      let tops = try run(layer, bottom)
      for value in tops[0].dataArray { counts[value, default: 0] += 1 }
    }
    #expect(counts[0] == nil)
    let ones = Float(counts[1] ?? 0) / 4000
    // The standard deviation of the frequency is about 0.007.
    #expect(abs(ones - 0.25) < 0.035, "frequency of 1: \(ones)")
    #expect((counts[1] ?? 0) + (counts[3] ?? 0) == 4000)
  }

  @Test func stochasticTrainIsReproducibleFromTheSeed() throws {
    let bottom = try Self.positiveBottom()
    Runtime.setRandomSeed(42)
    let first = try run(try makeStochastic("TRAIN"), bottom)[0].dataArray
    Runtime.setRandomSeed(42)
    let second = try run(try makeStochastic("TRAIN"), bottom)[0].dataArray
    #expect(first == second)
  }

  @Test func stochasticTestWeightsTheWindowByItself() throws {
    let bottom = try Self.positiveBottom()
    let tops = try run(try makeStochastic("TEST"), bottom)
    let values = bottom.dataArray
    var expected: [Float] = []
    for plane in 0..<6 {
      for py in 0..<3 {
        for px in 0..<2 {
          let cells = Self.windowCells(py, px).map { Double(values[plane * 30 + $0]) }
          let sum = cells.reduce(0, +)
          expected.append(Float(cells.map { $0 * $0 }.reduce(0, +) / sum))
        }
      }
    }
    #expect(LayerFixture.maxDifference(tops[0].dataArray, expected) < 1e-5)
  }

  @Test func stochasticTestGivesZeroForAZeroWindow() throws {
    let bottom = try BlobBuilder.values([1, 1, 2, 4], [0, 0, 1, 2, 0, 0, 3, 4])
    let tops = try run(try makeStochastic("TEST", "kernel_size: 2 stride: 2"), bottom)
    #expect(tops[0].dataArray == [0, 3])
  }

  @Test func stochasticBackwardRoutesToTheSampledPixel() throws {
    Runtime.setRandomSeed(7)
    let layer = try makeStochastic("TRAIN")
    let bottom = try Self.positiveBottom()
    let tops = try run(layer, bottom)
    let topDiff = (0..<tops[0].count).map { Float($0 + 1) }
    try tops[0].setDiff(topDiff)
    try layer.backward(top: tops, propagateDown: [true], bottom: [bottom])
    // Uniform values are distinct, so the sampled pixel is the one holding the pooled value.
    let values = bottom.dataArray
    var expected = [Float](repeating: 0, count: bottom.count)
    for plane in 0..<6 {
      for py in 0..<3 {
        for px in 0..<2 {
          let index = (plane * 3 + py) * 2 + px
          let cell = try #require(
            Self.windowCells(py, px).first { values[plane * 30 + $0] == tops[0].dataArray[index] })
          expected[plane * 30 + cell] += topDiff[index]
        }
      }
    }
    #expect(bottom.diffArray == expected)
  }

  @Test func stochasticBackwardInTestIsZero() throws {
    let layer = try makeStochastic("TEST")
    let bottom = try Self.positiveBottom()
    let tops = try run(layer, bottom)
    try tops[0].setDiff(Array(repeating: 1, count: tops[0].count))
    try layer.backward(top: tops, propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray.allSatisfy { $0 == 0 })
  }

  // Caffe's test_stochastic_pooling: GradientChecker(1e-4, 1e-2), one objective (not exhaustive),
  // since a larger step can move a window's sample to another pixel.
  @Test func stochasticGradientIsExact() throws {
    let checker = GradientChecker(stepSize: 1e-4, threshold: 1e-2)
    let failures = try checker.checkGradient(
      try makeStochastic("TRAIN"), bottom: [try Self.positiveBottom()],
      top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // MARK: - Bad parameters

  @Test(arguments: [
    ("pool: STOCHASTIC kernel_size: 3 pad: 1", "pad"),
    ("stride: 2", "kernel_size"),
    ("kernel_h: 2", "kernel_size"),
    ("kernel_size: 2 kernel_h: 2 kernel_w: 2", "kernel_size"),
    ("kernel_size: 0", "kernel_size"),
    ("kernel_size: 2 pad: 1 pad_h: 1", "pad"),
    ("kernel_size: 2 pad_w: 1", "pad"),
    ("kernel_size: 2 stride: 1 stride_h: 1 stride_w: 1", "stride"),
    ("kernel_size: 2 stride: 0", "stride"),
    ("kernel_size: 2 pad: 2", "pad"),
    ("global_pooling: true kernel_size: 2", "kernel_size"),
    ("global_pooling: true pad: 1", "global_pooling"),
    ("global_pooling: true stride: 2", "global_pooling"),
  ])
  func badParametersAreRejected(_ param: String, _ field: String) throws {
    #expect { try makePooling(param) } throws: {
      LayerFixture.isInvalid($0, layer: "pool", field: field)
    }
  }

  @Test(arguments: ["kernel_size: 7", "kernel_size: 8 stride: 2 round_mode: FLOOR"])
  func kernelLeavingNoWindowIsRejected(_ param: String) throws {
    // Height 6: ⌈(6 − 7) / 1⌉ + 1 = 0 and ⌊(6 − 8) / 2⌋ + 1 = 0 windows.
    #expect {
      try run(try makePooling(param), try BlobBuilder.gaussian())
    } throws: {
      LayerFixture.isInvalid($0, layer: "pool", field: "kernel_size")
    }
  }

  @Test func windowsPastTheBottomAreRejected() throws {
    // H = 5, kernel 1, stride 3: ceil mode asks for a window starting at row 6.
    #expect {
      try run(try makePooling("kernel_size: 1 stride: 3"), try BlobBuilder.gaussian([1, 1, 5, 5]))
    } throws: {
      LayerFixture.isInvalid($0, layer: "pool", field: "stride")
    }
  }

  @Test func maskTopNeedsMaxPooling() throws {
    #expect {
      try run(try makePooling("pool: AVE kernel_size: 2"), try BlobBuilder.gaussian(), tops: 2)
    } throws: { error in
      guard case CaffeError.blobCount(let layer, _, _, _, let actual) = error else { return false }
      return layer == "pool" && actual == 2
    }
  }

  @Test func bottomNeedsFourAxes() throws {
    #expect {
      try run(try makePooling("kernel_size: 2"), try BlobBuilder.gaussian([2, 3, 4]))
    } throws: { error in
      "\(error)".contains("pool") && "\(error)".contains("4 axes")
    }
  }
}
