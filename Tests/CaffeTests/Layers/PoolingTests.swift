// Pooling layer: Caffe's output size rule, hand-computed and reference outputs, gradients,
// parameter errors.

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

  // MARK: - Bad parameters

  @Test(arguments: [
    ("pool: STOCHASTIC kernel_size: 2", "pool"),
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

  @Test func kernelLargerThanTheBottomIsRejected() throws {
    #expect {
      try run(try makePooling("kernel_size: 7"), try BlobBuilder.gaussian())
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
