// ConvolutionKernelTests: batched convolution and deconvolution against the naive definitions.
import CaffeKernels
import CaffeTestSupport
import Testing

@Suite struct ConvolutionKernelTests {
  static let cases: [NaiveKernels.Convolution] = [
    .init(batch: 3, channels: 2, inputShape: [6, 5], outputChannels: 4, kernel: [3, 3]),
    .init(
      batch: 4, channels: 3, inputShape: [7, 6], outputChannels: 2, kernel: [3, 2], pad: [1, 2],
      stride: [2, 1]),
    .init(
      batch: 2, channels: 4, inputShape: [7, 7], outputChannels: 6, kernel: [3, 3], pad: [2, 1],
      stride: [1, 2], dilation: [2, 2], group: 2),
    .init(
      batch: 5, channels: 6, inputShape: [4, 3], outputChannels: 3, kernel: [1, 1], group: 3),
    .init(
      batch: 3, channels: 2, inputShape: [4, 5, 3], outputChannels: 3, kernel: [2, 3, 2],
      pad: [1, 0, 1], stride: [1, 2, 1], dilation: [2, 1, 1]),
  ]

  /// Plans to try for each case: (parts, images per chunk).
  static let plans = [(1, 1), (1, 2), (2, 1), (3, 2), (5, 1)]

  static func geometry(
    _ spec: NaiveKernels.Convolution, parts: Int, chunk: Int
  ) -> ConvolutionGeometry {
    var g = ConvolutionGeometry(
      batch: spec.batch, inputChannels: spec.channels, inputShape: spec.inputShape,
      outputChannels: spec.outputChannels, kernel: spec.kernel, pad: spec.pad,
      stride: spec.stride, dilation: spec.dilation, group: spec.group)
    g.parts = parts
    g.imagesPerChunk = chunk
    return g
  }

  @Test(arguments: cases)
  func outputShapeMatchesDefinition(spec: NaiveKernels.Convolution) {
    #expect(Self.geometry(spec, parts: 1, chunk: 1).outputShape == spec.outputShape)
  }

  @Test(arguments: cases)
  func forwardMatchesNaive(spec: NaiveKernels.Convolution) {
    let input = gaussianValues(spec.inputCount, seed: 31)
    let weight = gaussianValues(spec.weightCount, seed: 32)
    let bias = gaussianValues(spec.outputChannels, seed: 33)
    let expected = NaiveKernels.convolution(spec, input: input, weight: weight, bias: bias)
    let expectedNoBias = NaiveKernels.convolution(spec, input: input, weight: weight, bias: nil)
    for (parts, chunk) in Self.plans {
      let g = Self.geometry(spec, parts: parts, chunk: chunk)
      withArena { arena in
        let output = arena.floats(count: spec.outputCount)
        let workspace = arena.floats(count: ConvolutionKernels.workspaceCount(g))
        ConvolutionKernels.forward(
          g, input: arena.floats(input), weight: arena.floats(weight), bias: arena.floats(bias),
          into: output, workspace: workspace)
        expectClose(array(output, spec.outputCount), expected)
        ConvolutionKernels.forward(
          g, input: arena.floats(input), weight: arena.floats(weight), bias: nil,
          into: output, workspace: workspace)
        expectClose(array(output, spec.outputCount), expectedNoBias)
      }
    }
  }

  @Test(arguments: cases)
  func backwardInputMatchesNaive(spec: NaiveKernels.Convolution) {
    let outputDiff = gaussianValues(spec.outputCount, seed: 34)
    let weight = gaussianValues(spec.weightCount, seed: 35)
    let expected = NaiveKernels.convolutionBackwardInput(
      spec, outputDiff: outputDiff, weight: weight)
    for (parts, chunk) in Self.plans {
      let g = Self.geometry(spec, parts: parts, chunk: chunk)
      withArena { arena in
        let inputDiff = arena.floats(count: spec.inputCount)
        ConvolutionKernels.backwardInput(
          g, outputDiff: arena.floats(outputDiff), weight: arena.floats(weight), into: inputDiff,
          workspace: arena.floats(count: ConvolutionKernels.workspaceCount(g)))
        expectClose(array(inputDiff, spec.inputCount), expected)
      }
    }
  }

  @Test(arguments: cases)
  func backwardWeightAccumulatesNaiveGradient(spec: NaiveKernels.Convolution) {
    let input = gaussianValues(spec.inputCount, seed: 36)
    let outputDiff = gaussianValues(spec.outputCount, seed: 37)
    let start = gaussianValues(spec.weightCount, seed: 38)
    let biasStart = gaussianValues(spec.outputChannels, seed: 39)
    let (weightGradient, biasGradient) = NaiveKernels.convolutionBackwardWeight(
      spec, input: input, outputDiff: outputDiff)
    for (parts, chunk) in Self.plans {
      let g = Self.geometry(spec, parts: parts, chunk: chunk)
      withArena { arena in
        let weightDiff = arena.floats(start)
        let biasDiff = arena.floats(biasStart)
        ConvolutionKernels.backwardWeight(
          g, input: arena.floats(input), outputDiff: arena.floats(outputDiff),
          accumulatingInto: weightDiff, biasAccumulatingInto: biasDiff,
          workspace: arena.floats(count: ConvolutionKernels.workspaceCount(g)))
        expectClose(array(weightDiff, spec.weightCount), zip(start, weightGradient).map(+))
        expectClose(array(biasDiff, spec.outputChannels), zip(biasStart, biasGradient).map(+))
      }
    }
  }

  @Test func defaultPlanCoversTheBatch() {
    let g = ConvolutionGeometry(
      batch: 64, inputChannels: 20, height: 12, width: 12, outputChannels: 50,
      kernelH: 5, kernelW: 5)
    #expect(g.outputShape == [8, 8])
    #expect(g.imagesPerChunk >= 1)
    #expect(g.parts >= 1 && g.parts <= 64)
    #expect(g.forwardFlops == 2 * 64 * 50 * 500 * 64)
  }

  @Test func deconvolutionIsTheTransposedConvolution() {
    // Deconvolution from (2, 3, 3, 4) with kernel 3, stride 2, pad 1 to (2, 4, 5, 7).
    let g = ConvolutionGeometry.deconvolution(
      batch: 2, inputChannels: 3, inputShape: [3, 4], outputChannels: 4, kernel: [3, 3],
      pad: [1, 1], stride: [2, 2], dilation: [1, 1])
    #expect(g.inputShape == [5, 7])
    #expect(g.outputShape == [3, 4])
    let mirror = NaiveKernels.Convolution(
      batch: 2, channels: 4, inputShape: [5, 7], outputChannels: 3, kernel: [3, 3], pad: [1, 1],
      stride: [2, 2])
    let bottom = gaussianValues(mirror.outputCount, seed: 40)
    let weight = gaussianValues(mirror.weightCount, seed: 41)
    let bias = gaussianValues(4, seed: 42)
    let topDiff = gaussianValues(mirror.inputCount, seed: 43)
    let spatial = 35
    let expectedTop = zip(
      NaiveKernels.convolutionBackwardInput(mirror, outputDiff: bottom, weight: weight),
      (0..<mirror.inputCount).map { bias[($0 / spatial) % 4] }
    ).map(+)
    let expectedBottomDiff = NaiveKernels.convolution(
      mirror, input: topDiff, weight: weight, bias: nil)
    let expectedWeightDiff = NaiveKernels.convolutionBackwardWeight(
      mirror, input: topDiff, outputDiff: bottom
    ).weight
    var expectedBiasDiff = [Float](repeating: 0, count: 4)
    for (index, value) in topDiff.enumerated() { expectedBiasDiff[(index / spatial) % 4] += value }
    withArena { arena in
      let workspace = arena.floats(count: ConvolutionKernels.workspaceCount(g))
      let top = arena.floats(count: mirror.inputCount)
      DeconvolutionKernels.forward(
        g, input: arena.floats(bottom), weight: arena.floats(weight), bias: arena.floats(bias),
        into: top, workspace: workspace)
      expectClose(array(top, mirror.inputCount), expectedTop)

      let bottomDiff = arena.floats(count: mirror.outputCount)
      DeconvolutionKernels.backwardInput(
        g, outputDiff: arena.floats(topDiff), weight: arena.floats(weight), into: bottomDiff,
        workspace: workspace)
      expectClose(array(bottomDiff, mirror.outputCount), expectedBottomDiff)

      let weightDiff = arena.floats(count: mirror.weightCount, value: 0)
      let biasDiff = arena.floats(count: 4, value: 0)
      DeconvolutionKernels.backwardWeight(
        g, input: arena.floats(bottom), outputDiff: arena.floats(topDiff),
        accumulatingInto: weightDiff, biasAccumulatingInto: biasDiff, workspace: workspace)
      expectClose(array(weightDiff, mirror.weightCount), expectedWeightDiff)
      expectClose(array(biasDiff, 4), expectedBiasDiff)
    }
  }
}
