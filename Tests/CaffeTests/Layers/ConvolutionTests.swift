// Convolution and Deconvolution layers: shapes, forward and backward against the naive
// reference, gradient checks, parameter errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

/// One convolution configuration: the `convolution_param` body, the bottom shape and the same
/// convolution for the naive reference.
struct ConvolutionCase: Sendable, CustomTestStringConvertible {
  var name: String
  var param: String
  var bottomShape: [Int]
  var reference: NaiveKernels.Convolution

  var testDescription: String { name }

  static let all: [ConvolutionCase] = [
    ConvolutionCase(
      name: "kernel 3 stride 2", param: "num_output: 4 kernel_size: 3 stride: 2",
      bottomShape: [2, 3, 6, 4],
      reference: .init(
        batch: 2, channels: 3, inputShape: [6, 4], outputChannels: 4, kernel: [3, 3],
        stride: [2, 2])),
    ConvolutionCase(
      name: "pad and dilation", param: "num_output: 3 kernel_size: 3 pad: 2 dilation: 2",
      bottomShape: [2, 3, 6, 4],
      reference: .init(
        batch: 2, channels: 3, inputShape: [6, 4], outputChannels: 3, kernel: [3, 3],
        pad: [2, 2], dilation: [2, 2])),
    ConvolutionCase(
      name: "groups", param: "num_output: 6 kernel_size: 3 group: 3",
      bottomShape: [2, 3, 6, 4],
      reference: .init(
        batch: 2, channels: 3, inputShape: [6, 4], outputChannels: 6, kernel: [3, 3], group: 3)),
    ConvolutionCase(
      name: "rectangular h/w",
      param: """
        num_output: 2 kernel_h: 3 kernel_w: 1 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0
        """,
      bottomShape: [2, 3, 6, 4],
      reference: .init(
        batch: 2, channels: 3, inputShape: [6, 4], outputChannels: 2, kernel: [3, 1],
        pad: [1, 0], stride: [2, 1])),
    ConvolutionCase(
      name: "per-axis repeated fields",
      param: """
        num_output: 2 kernel_size: 2 kernel_size: 3 stride: 1 stride: 2 pad: 0 pad: 1
        """,
      bottomShape: [1, 2, 5, 5],
      reference: .init(
        batch: 1, channels: 2, inputShape: [5, 5], outputChannels: 2, kernel: [2, 3],
        pad: [0, 1], stride: [1, 2])),
    ConvolutionCase(
      name: "1x1", param: "num_output: 4 kernel_size: 1",
      bottomShape: [2, 3, 3, 2],
      reference: .init(
        batch: 2, channels: 3, inputShape: [3, 2], outputChannels: 4, kernel: [1, 1])),
    ConvolutionCase(
      name: "3-D", param: "num_output: 2 kernel_size: 3 kernel_size: 2 kernel_size: 2 pad: 1",
      bottomShape: [2, 3, 3, 4, 3],
      reference: .init(
        batch: 2, channels: 3, inputShape: [3, 4, 3], outputChannels: 2, kernel: [3, 2, 2],
        pad: [1, 1, 1])),
    ConvolutionCase(
      name: "forced N-D im2col", param: "num_output: 2 kernel_size: 3 force_nd_im2col: true",
      bottomShape: [2, 3, 5, 4],
      reference: .init(
        batch: 2, channels: 3, inputShape: [5, 4], outputChannels: 2, kernel: [3, 3])),
  ]
}

@Suite struct ConvolutionTests {
  static let fillers = """
    weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" std: 0.5 }
    """

  func makeConvolution(_ param: String) throws -> ConvolutionLayer {
    try LayerFixture.make(
      ConvolutionLayer.self, "name: \"conv\" convolution_param { \(param) \(Self.fillers) }")
  }

  // MARK: - Setup

  @Test func setUpShapesTopsAndWeights() throws {
    let layer = try makeConvolution("num_output: 4 kernel_size: 3 stride: 2")
    let bottoms = [try BlobBuilder.gaussian(), try BlobBuilder.gaussian(seed: 2)]
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: bottoms, top: tops)
    #expect(tops.map(\.shape) == [[2, 4, 2, 1], [2, 4, 2, 1]])
    #expect(layer.blobs.map(\.shape) == [[4, 3, 3, 3], [4]])
  }

  @Test func groupsShrinkTheWeight() throws {
    let layer = try makeConvolution("num_output: 3 kernel_size: 3 stride: 2 group: 3")
    let tops = LayerFixture.tops(1)
    try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: tops)
    #expect(tops[0].shape == [2, 3, 2, 1])
    #expect(layer.blobs[0].shape == [3, 1, 3, 3])
  }

  @Test func biasTermFalseHasOneBlob() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 3 bias_term: false")
    try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    #expect(layer.blobs.count == 1)
  }

  @Test func channelAxisMayMove() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 2 axis: 2")
    let tops = LayerFixture.tops(1)
    try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 2, 3, 4, 4])], top: tops)
    #expect(tops[0].shape == [2, 2, 2, 3, 3])
    #expect(layer.blobs[0].shape == [2, 3, 2, 2])
  }

  @Test func reshapeBetweenForwardsFollowsTheBottom() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 3 pad: 1")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [2, 2, 6, 4])
    try bottom.reshape([1, 3, 5, 7])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [1, 2, 5, 7])
  }

  @Test func storedBlobsSkipTheFillers() throws {
    var definition = try LayerFixture.param(
      "name: \"conv\" type: \"Convolution\" convolution_param { num_output: 1 kernel_size: 1 }")
    let weight = try BlobBuilder.values([1, 3, 1, 1], [1, 2, 3])
    let bias = try BlobBuilder.values([1], [0.5])
    definition.blobs = [weight.toProto(), bias.toProto()]
    let layer = try ConvolutionLayer(definition)
    let bottom = try BlobBuilder.values([1, 3, 1, 1], [1, 1, 1])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.dataArray == [6.5])
  }

  // MARK: - Forward and backward against the reference

  @Test(arguments: ConvolutionCase.all)
  func forwardMatchesNaiveConvolution(_ c: ConvolutionCase) throws {
    let layer = try makeConvolution(c.param)
    let bottoms = [
      try BlobBuilder.gaussian(c.bottomShape), try BlobBuilder.gaussian(c.bottomShape, seed: 7),
    ]
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: bottoms, top: tops)
    try layer.forward(bottom: bottoms, top: tops)
    for (bottom, top) in zip(bottoms, tops) {
      let expected = NaiveKernels.convolution(
        c.reference, input: bottom.dataArray, weight: layer.blobs[0].dataArray,
        bias: layer.blobs[1].dataArray)
      #expect(
        top.shape == [c.reference.batch, c.reference.outputChannels] + c.reference.outputShape)
      #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-4)
    }
  }

  @Test(arguments: ConvolutionCase.all)
  func backwardMatchesNaiveConvolution(_ c: ConvolutionCase) throws {
    let layer = try makeConvolution(c.param)
    let bottom = try BlobBuilder.gaussian(c.bottomShape)
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    let topDiff = try BlobBuilder.gaussian(top.shape, seed: 3).dataArray
    try top.setDiff(topDiff)
    // Parameter diffs accumulate: start them at 1 and expect 1 + gradient.
    for blob in layer.blobs { blob.diff.update(repeating: 1, count: blob.count) }
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    let input = NaiveKernels.convolutionBackwardInput(
      c.reference, outputDiff: topDiff, weight: layer.blobs[0].dataArray)
    let params = NaiveKernels.convolutionBackwardWeight(
      c.reference, input: bottom.dataArray, outputDiff: topDiff)
    #expect(LayerFixture.maxDifference(bottom.diffArray, input) < 1e-4)
    #expect(
      LayerFixture.maxDifference(layer.blobs[0].diffArray, params.weight.map { $0 + 1 }) < 1e-4)
    #expect(LayerFixture.maxDifference(layer.blobs[1].diffArray, params.bias.map { $0 + 1 }) < 1e-4)
  }

  @Test func frozenParametersKeepTheirDiffs() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 3")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    layer.paramPropagateDown = [false, true]
    try layer.forward(bottom: [bottom], top: [top])
    try top.setDiff(Array(repeating: 1, count: top.count))
    try layer.backward(top: [top], propagateDown: [false], bottom: [bottom])
    #expect(layer.blobs[0].diffArray.allSatisfy { $0 == 0 })
    #expect(layer.blobs[1].diffArray == [Float](repeating: Float(top.count / 2), count: 2))
  }

  // MARK: - Gradients (Caffe: GradientChecker(1e-2, 1e-3))

  @Test(arguments: [
    "num_output: 2 kernel_size: 3 stride: 2",
    "num_output: 3 kernel_size: 3 group: 3 stride: 2",
    "num_output: 2 kernel_size: 2 dilation: 2 pad: 1 stride: 2",
  ])
  func gradientIsExact(_ param: String) throws {
    let layer = try makeConvolution(param)
    let bottoms = [try BlobBuilder.gaussian(), try BlobBuilder.gaussian(seed: 5)]
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: bottoms, top: LayerFixture.tops(2))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func gradientIsExactIn3D() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 2 stride: 2")
    let bottom = try BlobBuilder.gaussian([1, 2, 3, 4, 4])
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [bottom], top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  // MARK: - Bad parameters and shapes

  @Test(arguments: [
    ("kernel_size: 3", "num_output"),
    ("num_output: 4 kernel_size: 3 group: 0", "group"),
    ("num_output: 4 kernel_size: 3 group: 3", "group"),
  ])
  func badParametersAreRejectedAtCreation(_ param: String, _ field: String) throws {
    #expect { try makeConvolution(param) } throws: {
      LayerFixture.isInvalid($0, layer: "conv", field: field)
    }
  }

  @Test(arguments: [
    ("num_output: 2", "kernel_size"),
    ("num_output: 2 kernel_size: 3 kernel_size: 3 kernel_size: 3", "kernel_size"),
    ("num_output: 2 kernel_size: 3 kernel_h: 3 kernel_w: 3", "kernel_size"),
    ("num_output: 2 kernel_h: 3", "kernel_size"),
    ("num_output: 2 kernel_size: 0", "kernel_size"),
    ("num_output: 2 kernel_size: 3 stride: 0", "stride"),
    ("num_output: 2 kernel_size: 3 stride: 1 stride: 1 stride: 1", "stride"),
    ("num_output: 2 kernel_size: 3 stride: 1 stride_h: 2 stride_w: 2", "stride"),
    ("num_output: 2 kernel_size: 3 pad: 1 pad: 1 pad: 1", "pad"),
    ("num_output: 2 kernel_size: 3 pad: 1 pad_h: 1", "pad"),
    ("num_output: 2 kernel_size: 3 dilation: 1 dilation: 1 dilation: 1", "dilation"),
    ("num_output: 2 kernel_size: 3 dilation: 0", "dilation"),
    ("num_output: 2 kernel_size: 3 group: 2", "group"),
    ("num_output: 2 kernel_size: 3 axis: 4", "axis"),
    ("num_output: 2 kernel_size: 7", "kernel_size"),
  ])
  func badParametersAreRejectedAtSetup(_ param: String, _ field: String) throws {
    let layer = try makeConvolution(param)
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isInvalid($0, layer: "conv", field: field)
    }
  }

  @Test func twoDimensionalFieldsNeedTwoSpatialAxes() throws {
    let layer = try makeConvolution("num_output: 2 kernel_h: 1 kernel_w: 1")
    #expect {
      try layer.setUp(
        bottom: [try BlobBuilder.gaussian([1, 2, 3, 3, 3])], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isInvalid($0, layer: "conv", field: "kernel_h")
    }
  }

  @Test func changedChannelsAreAShapeError() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 3")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try bottom.reshape([2, 4, 6, 4])
    #expect { try layer.forward(bottom: [bottom], top: [top]) } throws: { error in
      LayerFixture.isShapeMismatch(
        error, layer: "conv", expected: [2, 3, 6, 4], actual: [2, 4, 6, 4])
        && "\(error)".contains("bottom[0]")
    }
  }

  @Test func bottomsOfDifferentShapesAreAShapeError() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 3")
    let bottoms = [try BlobBuilder.gaussian(), try BlobBuilder.gaussian([2, 3, 7, 4])]
    #expect { try layer.setUp(bottom: bottoms, top: LayerFixture.tops(2)) } throws: {
      LayerFixture.isShapeMismatch(
        $0, layer: "conv", expected: [2, 3, 6, 4], actual: [2, 3, 7, 4])
    }
  }

  @Test func eachBottomNeedsATop() throws {
    let layer = try makeConvolution("num_output: 2 kernel_size: 3")
    let bottoms = [try BlobBuilder.gaussian(), try BlobBuilder.gaussian()]
    #expect { try layer.setUp(bottom: bottoms, top: LayerFixture.tops(1)) } throws: { error in
      guard case CaffeError.blobCount(let layer, _, let side, _, let actual) = error else {
        return false
      }
      return layer == "conv" && side == "top" && actual == 1
    }
  }

  @Test func storedBlobsOfTheWrongShapeAreRejected() throws {
    var definition = try LayerFixture.param(
      "name: \"conv\" type: \"Convolution\" convolution_param { num_output: 2 kernel_size: 3 }")
    definition.blobs = [
      try Blob(shape: [2, 3, 3, 2]).toProto(), try Blob(shape: [2]).toProto(),
    ]
    let layer = try ConvolutionLayer(definition)
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isShapeMismatch(
        $0, layer: "conv", expected: [2, 3, 3, 3], actual: [2, 3, 3, 2])
    }
    definition.blobs.removeLast()
    let missingBias = try ConvolutionLayer(definition)
    #expect {
      try missingBias.setUp(bottom: [try BlobBuilder.gaussian()], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isInvalid($0, layer: "conv", field: "blobs")
    }
  }
}

// MARK: - Deconvolution

@Suite struct DeconvolutionTests {
  func makeDeconvolution(_ param: String) throws -> DeconvolutionLayer {
    try LayerFixture.make(
      DeconvolutionLayer.self,
      "name: \"deconv\" convolution_param { \(param) \(ConvolutionTests.fillers) }")
  }

  @Test func setUpShapesTopsAndWeights() throws {
    let layer = try makeDeconvolution("num_output: 4 kernel_size: 3 stride: 2")
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: [try BlobBuilder.gaussian(), try BlobBuilder.gaussian()], top: tops)
    #expect(tops.map(\.shape) == [[2, 4, 13, 9], [2, 4, 13, 9]])
    #expect(layer.blobs.map(\.shape) == [[3, 4, 3, 3], [4]])
  }

  /// A deconvolution is the adjoint of the convolution with the same weight: its forward is the
  /// convolution's backward to the input, plus the bias.
  @Test func forwardIsTheAdjointOfConvolution() throws {
    let layer = try makeDeconvolution("num_output: 4 kernel_size: 3 stride: 2 pad: 1 group: 2")
    let bottom = try BlobBuilder.gaussian([2, 2, 3, 3])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == [2, 4, 5, 5])
    let mirror = NaiveKernels.Convolution(
      batch: 2, channels: 4, inputShape: [5, 5], outputChannels: 2, kernel: [3, 3], pad: [1, 1],
      stride: [2, 2], group: 2)
    var expected = NaiveKernels.convolutionBackwardInput(
      mirror, outputDiff: bottom.dataArray, weight: layer.blobs[0].dataArray)
    let bias = layer.blobs[1].dataArray
    for i in expected.indices { expected[i] += bias[(i / 25) % 4] }
    #expect(LayerFixture.maxDifference(top.dataArray, expected) < 1e-4)
  }

  // Caffe's test_deconvolution_layer: GradientChecker(1e-2, 1e-3).
  @Test func gradientIsExact() throws {
    let layer = try makeDeconvolution("num_output: 2 kernel_size: 2 stride: 2")
    let bottoms = [
      try BlobBuilder.gaussian([1, 3, 3, 2]), try BlobBuilder.gaussian([1, 3, 3, 2], seed: 4),
    ]
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: bottoms, top: LayerFixture.tops(2))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func emptyOutputIsRejected() throws {
    let layer = try makeDeconvolution("num_output: 2 kernel_size: 1 pad: 1")
    #expect {
      try layer.setUp(bottom: [try BlobBuilder.gaussian([1, 1, 1, 1])], top: LayerFixture.tops(1))
    } throws: {
      LayerFixture.isInvalid($0, layer: "deconv", field: "pad")
    }
  }
}
