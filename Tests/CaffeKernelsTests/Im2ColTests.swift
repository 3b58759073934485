// Im2ColTests: im2col / col2im, 2-D and N-D, against the definition and each other.
import CaffeKernels
import CaffeTestSupport
import Testing

@Suite struct Im2ColTests {
  static let cases: [NaiveKernels.Convolution] = [
    .init(batch: 1, channels: 2, inputShape: [5, 6], outputChannels: 1, kernel: [3, 3]),
    .init(
      batch: 1, channels: 3, inputShape: [6, 5], outputChannels: 1, kernel: [3, 2], pad: [1, 2],
      stride: [2, 1]),
    .init(
      batch: 1, channels: 1, inputShape: [7, 7], outputChannels: 1, kernel: [3, 3], pad: [2, 1],
      stride: [2, 3], dilation: [2, 2]),
    .init(
      batch: 1, channels: 2, inputShape: [4, 9], outputChannels: 1, kernel: [2, 4], pad: [3, 3],
      stride: [3, 2], dilation: [1, 2]),
  ]

  @Test(arguments: cases)
  func im2colMatchesDefinition(spec: NaiveKernels.Convolution) {
    let image = gaussianValues(spec.inputCount, seed: 21)
    let expected = NaiveKernels.im2col(spec, image: image)
    withArena { arena in
      let col = arena.floats(count: expected.count)
      Im2Col.im2col(
        image: arena.floats(image), channels: spec.channels, height: spec.inputShape[0],
        width: spec.inputShape[1], kernelH: spec.kernel[0], kernelW: spec.kernel[1],
        padH: spec.pad[0], padW: spec.pad[1], strideH: spec.stride[0], strideW: spec.stride[1],
        dilationH: spec.dilation[0], dilationW: spec.dilation[1], into: col)
      #expect(array(col, expected.count) == expected)

      let colND = arena.floats(count: expected.count)
      Im2Col.im2colND(
        image: arena.floats(image), channels: spec.channels, inputShape: spec.inputShape,
        kernel: spec.kernel, pad: spec.pad, stride: spec.stride, dilation: spec.dilation,
        into: colND)
      #expect(array(colND, expected.count) == expected)
    }
  }

  @Test(arguments: cases)
  func col2imIsTheAdjointOfIm2col(spec: NaiveKernels.Convolution) {
    // <im2col(x), c> must equal <x, col2im(c)> for any x and c.
    let image = gaussianValues(spec.inputCount, seed: 22)
    let colCount = NaiveKernels.im2col(spec, image: image).count
    let col = gaussianValues(colCount, seed: 23)
    let forward = NaiveKernels.im2col(spec, image: image)
    let left = zip(forward, col).map { Double($0) * Double($1) }.reduce(0, +)
    withArena { arena in
      let folded = arena.floats(count: spec.inputCount)
      Im2Col.col2im(
        col: arena.floats(col), channels: spec.channels, height: spec.inputShape[0],
        width: spec.inputShape[1], kernelH: spec.kernel[0], kernelW: spec.kernel[1],
        padH: spec.pad[0], padW: spec.pad[1], strideH: spec.stride[0], strideW: spec.stride[1],
        dilationH: spec.dilation[0], dilationW: spec.dilation[1], into: folded)
      let right = zip(array(folded, spec.inputCount), image)
        .map { Double($0) * Double($1) }.reduce(0, +)
      expectClose([Float(left)], [Float(right)])

      let foldedND = arena.floats(count: spec.inputCount)
      Im2Col.col2imND(
        col: arena.floats(col), channels: spec.channels, inputShape: spec.inputShape,
        kernel: spec.kernel, pad: spec.pad, stride: spec.stride, dilation: spec.dilation,
        into: foldedND)
      expectClose(array(foldedND, spec.inputCount), array(folded, spec.inputCount))
    }
  }

  @Test func threeDimensionalIm2colMatchesDefinition() {
    let spec = NaiveKernels.Convolution(
      batch: 1, channels: 2, inputShape: [4, 5, 3], outputChannels: 1, kernel: [2, 3, 2],
      pad: [1, 0, 1], stride: [1, 2, 1], dilation: [2, 1, 1])
    let image = gaussianValues(spec.inputCount, seed: 24)
    let expected = NaiveKernels.im2col(spec, image: image)
    withArena { arena in
      let col = arena.floats(count: expected.count)
      Im2Col.im2colND(
        image: arena.floats(image), channels: spec.channels, inputShape: spec.inputShape,
        kernel: spec.kernel, pad: spec.pad, stride: spec.stride, dilation: spec.dilation,
        into: col)
      #expect(array(col, expected.count) == expected)
    }
  }

  @Test func columnStrideWritesABlockOfAWiderMatrix() {
    let image = gaussianValues(16, seed: 25)
    withArena { arena in
      // One 4×4 image, 3×3 kernel: a (9, 4) block; stored in a (9, 6) matrix at column 2.
      let wide = arena.floats(count: 54, value: 7)
      Im2Col.im2col(
        image: arena.floats(image), channels: 1, height: 4, width: 4, kernelH: 3, kernelW: 3,
        padH: 0, padW: 0, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1,
        into: wide + 2, columnStride: 6)
      let spec = NaiveKernels.Convolution(
        batch: 1, channels: 1, inputShape: [4, 4], outputChannels: 1, kernel: [3, 3])
      let expected = NaiveKernels.im2col(spec, image: image)
      let stored = array(wide, 54)
      for row in 0..<9 {
        #expect(Array(stored[(row * 6)..<(row * 6 + 2)]) == [7, 7])
        #expect(
          Array(stored[(row * 6 + 2)..<(row * 6 + 6)]) == Array(expected[(row * 4)..<(row * 4 + 4)])
        )
      }
    }
  }

  @Test func outputSizeFollowsPadStrideDilation() {
    #expect(Im2Col.outputSize(28, 5, 0, 1, 1) == 24)
    #expect(Im2Col.outputSize(7, 3, 1, 2, 1) == 4)
    #expect(Im2Col.outputSize(7, 3, 0, 1, 2) == 3)
    #expect(Im2Col.outputSize(2, 5, 0, 1, 1) == 0)
  }
}
