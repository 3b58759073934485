// SoftmaxKernelTests: softmax forward and backward against the naive definitions.
import CaffeKernels
import CaffeTestSupport
import Testing

@Suite struct SoftmaxKernelTests {
  @Test(arguments: [(4, 10, 1), (2, 3, 5), (1, 7, 4), (3, 1, 2)])
  func forwardAndBackwardMatchNaive(outer: Int, channels: Int, inner: Int) {
    let count = outer * channels * inner
    let input = gaussianValues(count, seed: 61).map { $0 * 5 }
    let outputDiff = gaussianValues(count, seed: 62)
    let expected = NaiveKernels.softmax(input, outer: outer, channels: channels, inner: inner)
    let expectedDiff = NaiveKernels.softmaxBackward(
      output: expected, outputDiff: outputDiff, outer: outer, channels: channels, inner: inner)
    withArena { arena in
      let output = arena.floats(count: count)
      SoftmaxKernels.forward(
        outer: outer, channels: channels, inner: inner, input: arena.floats(input), into: output)
      expectClose(array(output, count), expected)

      let inputDiff = arena.floats(count: count)
      SoftmaxKernels.backward(
        outer: outer, channels: channels, inner: inner, output: output,
        outputDiff: arena.floats(outputDiff), into: inputDiff)
      expectClose(array(inputDiff, count), expectedDiff)
    }
  }

  @Test func forwardIsStableForLargeInputsAndWorksInPlace() {
    withArena { arena in
      let data = arena.floats([1000, 1001, 1002, -1000])
      SoftmaxKernels.forward(outer: 1, channels: 4, inner: 1, input: data, into: data)
      let expected = NaiveKernels.softmax(
        [1000, 1001, 1002, -1000], outer: 1, channels: 4, inner: 1)
      expectClose(array(data, 4), expected)
      #expect(array(data, 4).allSatisfy { $0.isFinite })
    }
  }
}
