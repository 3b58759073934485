// Im2col layer: Caffe's shapes and corner checks, forward against the naive im2col (2-D and
// N-D), gradients and parameter errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct Im2colTests {
  func makeIm2col(_ param: String) throws -> Im2colLayer {
    try LayerFixture.make(Im2colLayer.self, "name: \"im2col\" convolution_param { \(param) }")
  }

  func run(_ layer: Im2colLayer, _ bottom: Blob) throws -> Blob {
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    return top
  }

  // MARK: - Shapes

  @Test(arguments: [
    // Caffe's TestSetup: (10 − 7) / 2 + 1 = 2 and (11 − 7) / 2 + 1 = 3 with dilation 3.
    ("kernel_size: 3 stride: 2 dilation: 3", [2, 3, 10, 11], [2, 27, 2, 3]),
    ("kernel_h: 5 kernel_w: 3 stride: 2", [2, 3, 6, 5], [2, 45, 1, 2]),
    ("kernel_size: 3 pad: 1", [1, 2, 4, 4], [1, 18, 4, 4]),
    ("kernel_size: 2", [1, 2, 4, 3, 3], [1, 16, 3, 2, 2]),
    ("kernel_size: 2 axis: 2", [2, 3, 2, 5, 5], [2, 3, 8, 4, 4]),
  ])
  func topShapeFollowsCaffe(_ param: String, _ bottomShape: [Int], _ topShape: [Int]) throws {
    let top = try run(try makeIm2col(param), try BlobBuilder.gaussian(bottomShape))
    #expect(top.shape == topShape)
  }

  // MARK: - Forward

  // Caffe's TestForward and TestRect check the top-left patch of the first image.
  @Test(arguments: [
    ("kernel_size: 3 stride: 2", 3, 3), ("kernel_h: 5 kernel_w: 3 stride: 2", 5, 3),
  ])
  func firstColumnIsTheTopLeftPatch(_ param: String, _ kernelH: Int, _ kernelW: Int) throws {
    let bottom = try BlobBuilder.gaussian([2, 3, 6, 5])
    let top = try run(try makeIm2col(param), bottom)
    let spatial = top.shape[2] * top.shape[3]
    for c in 0..<(3 * kernelH * kernelW) {
      let channel = c / (kernelH * kernelW)
      let (y, x) = ((c / kernelW) % kernelH, c % kernelW)
      #expect(top.dataArray[c * spatial] == bottom.dataArray[(channel * 6 + y) * 5 + x])
    }
  }

  static let references: [(String, [Int], NaiveKernels.Convolution)] = [
    (
      "kernel_size: 3 stride: 2 pad: 1 dilation: 2", [2, 3, 7, 6],
      .init(
        batch: 1, channels: 3, inputShape: [7, 6], outputChannels: 1, kernel: [3, 3],
        pad: [1, 1], stride: [2, 2], dilation: [2, 2])
    ),
    (
      "kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 0", [2, 2, 4, 5],
      .init(
        batch: 1, channels: 2, inputShape: [4, 5], outputChannels: 1, kernel: [2, 3],
        pad: [1, 0], stride: [1, 2])
    ),
    (
      "kernel_size: 2 kernel_size: 3 kernel_size: 2 pad: 1 stride: 2", [2, 2, 3, 4, 3],
      .init(
        batch: 1, channels: 2, inputShape: [3, 4, 3], outputChannels: 1, kernel: [2, 3, 2],
        pad: [1, 1, 1], stride: [2, 2, 2])
    ),
    (
      "kernel_size: 3 stride: 2 force_nd_im2col: true", [2, 3, 6, 5],
      .init(
        batch: 1, channels: 3, inputShape: [6, 5], outputChannels: 1, kernel: [3, 3],
        stride: [2, 2])
    ),
  ]

  @Test(arguments: references.indices)
  func forwardMatchesNaiveIm2col(_ index: Int) throws {
    let (param, shape, spec) = Self.references[index]
    let bottom = try BlobBuilder.gaussian(shape)
    let top = try run(try makeIm2col(param), bottom)
    let imageCount = bottom.count / shape[0]
    let values = bottom.dataArray
    let expected = (0..<shape[0]).flatMap { n in
      NaiveKernels.im2col(spec, image: Array(values[(n * imageCount)..<((n + 1) * imageCount)]))
    }
    #expect(top.shape == [shape[0], shape[1] * spec.kernel.reduce(1, *)] + spec.outputShape)
    #expect(top.dataArray == expected)
  }

  // MARK: - Backward

  // Caffe's test_im2col_layer uses GradientChecker(1e-2, 1e-2); the layer is linear, so the
  // house (1e-2, 1e-3) holds as well.
  @Test(arguments: [
    "kernel_size: 3 stride: 2", "kernel_size: 3 stride: 2 dilation: 2 pad: 1",
    "kernel_h: 3 kernel_w: 2 stride: 2", "kernel_size: 3 stride: 2 force_nd_im2col: true",
  ])
  func gradientIsExact(_ param: String) throws {
    let layer = try makeIm2col(param)
    let bottom = try BlobBuilder.gaussian([1, 2, 6, 5])
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func threeDimensionalGradientIsExact() throws {
    let layer = try makeIm2col("kernel_size: 2 stride: 2 pad: 1")
    let bottom = try BlobBuilder.gaussian([1, 2, 3, 3, 2])
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradient(layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // MARK: - Bad parameters

  @Test(arguments: [
    ("kernel_size: 0", [1, 1, 4, 4], "kernel_size"),
    ("stride: 1", [1, 1, 4, 4], "kernel_size"),
    ("kernel_size: 2 kernel_size: 2 kernel_size: 2", [1, 1, 4, 4], "kernel_size"),
    ("kernel_size: 2 kernel_h: 2 kernel_w: 2", [1, 1, 4, 4], "kernel_size"),
    ("kernel_h: 2 kernel_w: 2", [1, 1, 3, 4, 4], "kernel_h"),
    ("kernel_size: 2 stride: 0", [1, 1, 4, 4], "stride"),
    ("kernel_size: 2 pad: 1 pad: 1 pad: 1", [1, 1, 4, 4], "pad"),
    ("kernel_size: 2 dilation: 0", [1, 1, 4, 4], "dilation"),
    ("kernel_size: 5", [1, 1, 4, 4], "kernel_size"),
    ("kernel_size: 2 axis: 3", [1, 1, 4, 4], "axis"),
    ("kernel_size: 2 axis: 4", [1, 1, 4, 4], "axis"),
  ])
  func badParametersAreRejected(_ param: String, _ shape: [Int], _ field: String) throws {
    #expect {
      try run(try makeIm2col(param), try BlobBuilder.gaussian(shape))
    } throws: {
      LayerFixture.isInvalid($0, layer: "im2col", field: field)
    }
  }
}
