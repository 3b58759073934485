// SPP layer: Caffe's shapes, the per-level windows, forward against naive pooling, gradients and
// parameter errors.

import CaffeKernels
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct SPPTests {
  func makeSPP(_ param: String) throws -> SPPLayer {
    try LayerFixture.make(SPPLayer.self, "name: \"spp\" spp_param { \(param) }")
  }

  func run(_ layer: SPPLayer, _ bottom: Blob) throws -> Blob {
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    return top
  }

  // MARK: - Shapes

  // Caffe's test_spp_layer: C·(4ᴸ − 1)/3 values per image (it reads height and width as 1).
  @Test(arguments: [
    (3, [2, 3, 9, 8], [2, 63]),
    (5, [4, 3, 1024, 765], [4, 1023]),
    (3, [10, 3, 7, 7], [10, 63]),
    (1, [2, 3, 9, 8], [2, 3, 1, 1]),
  ])
  func topShapeFollowsCaffe(_ height: Int, _ bottomShape: [Int], _ topShape: [Int]) throws {
    let top = Blob()
    try makeSPP("pyramid_height: \(height)").setUp(
      bottom: [try Blob(shape: bottomShape)], top: [top])
    #expect(top.shape == topShape)
  }

  @Test(arguments: [(9, 1, 9, 0), (9, 2, 5, 1), (9, 4, 3, 2), (8, 4, 2, 0), (7, 4, 2, 1)])
  func levelWindowsCoverTheBottom(_ size: Int, _ bins: Int, _ kernel: Int, _ pad: Int) {
    #expect(SPPLayer.window(size: size, bins: bins) == (kernel, pad))
  }

  @Test func reshapeToANewSizeRebuildsTheLevels() throws {
    let layer = try makeSPP("pyramid_height: 2")
    let bottom = try BlobBuilder.gaussian([2, 3, 9, 8])
    let top = try run(layer, bottom)
    #expect(top.shape == [2, 15])
    try bottom.reshape([1, 3, 5, 5])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [1, 15])
    let expected = try Self.naiveSPP(bottom, levels: 2, method: "MAX")
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-6)
  }

  // MARK: - Forward

  /// The SPP output from naive pooling: per image, each level's (C, h, w) block in turn.
  static func naiveSPP(_ bottom: Blob, levels: Int, method: String) throws -> [Float] {
    let (num, channels) = (bottom.shape[0], bottom.shape[1])
    let (height, width) = (bottom.shape[2], bottom.shape[3])
    let values = bottom.dataArray
    var blocks: [[Float]] = []
    for level in 0..<levels {
      let (kernelH, padH) = SPPLayer.window(size: height, bins: 1 << level)
      let (kernelW, padW) = SPPLayer.window(size: width, bins: 1 << level)
      // The naive reference takes square windows; these tests use shapes that give them.
      try #require(kernelH == kernelW && padH == padW)
      let spec = NaiveKernels.Pooling(
        planes: num * channels, height: height, width: width, kernel: kernelH, pad: padH,
        stride: kernelH)
      blocks.append(
        method == "MAX"
          ? NaiveKernels.maxPool(spec, bottom: values).top
          : NaiveKernels.avePool(spec, bottom: values))
    }
    return (0..<num).flatMap { n in
      blocks.flatMap { block in
        let perImage = block.count / num
        return block[(n * perImage)..<((n + 1) * perImage)]
      }
    }
  }

  @Test(arguments: ["MAX", "AVE"])
  func forwardConcatenatesTheLevels(_ method: String) throws {
    let bottom = try BlobBuilder.gaussian([2, 3, 7, 7])
    let top = try run(try makeSPP("pyramid_height: 3 pool: \(method)"), bottom)
    #expect(top.shape == [2, 63])
    let expected = try Self.naiveSPP(bottom, levels: 3, method: method)
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-5)
  }

  @Test func singleLevelIsGlobalPooling() throws {
    let bottom = try BlobBuilder.gaussian([2, 3, 5, 4])
    let top = try run(try makeSPP("pyramid_height: 1 pool: AVE"), bottom)
    let values = bottom.dataArray
    let means = (0..<6).map { values[($0 * 20)..<(($0 + 1) * 20)].reduce(0, +) / 20 }
    #expect(LayerFixture.maxDifference(top.dataArray, means) < 1e-5)
  }

  @Test func stochasticSingleLevelSamplesAValueOfThePlane() throws {
    Runtime.setRandomSeed(1701)
    let bottom = try BlobBuilder.uniform([1, 2, 3, 3], min: 0.1, max: 1)
    let layer = try LayerFixture.make(
      SPPLayer.self, "name: \"spp\" phase: TRAIN spp_param { pyramid_height: 1 pool: STOCHASTIC }")
    let top = try run(layer, bottom)
    let values = bottom.dataArray
    #expect(values[0..<9].contains(top.dataArray[0]))
    #expect(values[9..<18].contains(top.dataArray[1]))
  }

  // MARK: - Backward

  @Test(arguments: ["MAX", "AVE"])
  func gradientIsExact(_ method: String) throws {
    let layer = try makeSPP("pyramid_height: 2 pool: \(method)")
    // Distinct values 0.05 apart, so a 1e-2 step never moves a maximum.
    let bottom = try PoolingTests.distinctBottom([1, 2, 5, 5])
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func gradientOfThreeLevelsIsExact() throws {
    // Level 2 of 7 × 6: 2×2 windows with padding 1 on both axes.
    let layer = try makeSPP("pyramid_height: 3")
    let bottom = try PoolingTests.distinctBottom([1, 1, 7, 6])
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // MARK: - Bad parameters

  @Test func pyramidHeightIsRequired() throws {
    #expect { try makeSPP("pool: MAX") } throws: {
      LayerFixture.isInvalid($0, layer: "spp", field: "pyramid_height")
    }
  }

  @Test func bottomTooSmallForThePyramidIsRejected() throws {
    // Level 2 of a 2×2 bottom: 4 bins of kernel 1 need padding 1, not smaller than the kernel.
    #expect {
      try run(try makeSPP("pyramid_height: 3"), try BlobBuilder.gaussian([1, 1, 2, 2]))
    } throws: {
      LayerFixture.isInvalid($0, layer: "spp", field: "pyramid_height")
    }
  }

  @Test func stochasticLevelsWithPaddingAreRejected() throws {
    #expect {
      try run(
        try makeSPP("pyramid_height: 2 pool: STOCHASTIC"), try BlobBuilder.gaussian([1, 1, 5, 5]))
    } throws: {
      LayerFixture.isInvalid($0, layer: "spp/pool1", field: "pad")
    }
  }

  @Test func bottomNeedsFourAxes() throws {
    #expect {
      try run(try makeSPP("pyramid_height: 2"), try BlobBuilder.gaussian([2, 3, 4]))
    } throws: { error in
      "\(error)".contains("spp") && "\(error)".contains("4 axes")
    }
  }
}
