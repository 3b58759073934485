// DeconvolutionKernels: transposed convolution, expressed through the convolution kernels.

/// Deconvolution (transposed convolution) over a whole mini-batch.
///
/// A deconvolution is the adjoint of a convolution, so each pass is a convolution pass with the
/// roles of input and output swapped. `g` is always the *mirror convolution* built by
/// ``ConvolutionGeometry/deconvolution(batch:inputChannels:inputShape:outputChannels:kernel:pad:stride:dilation:group:)``:
/// its input (N, g.inputChannels, g.inputShape…) is the deconvolution's output, and its output
/// (N, g.outputChannels, g.outputShape…) is the deconvolution's input.
///
/// | deconvolution pass | convolution pass on `g` |
/// | --- | --- |
/// | forward | ``ConvolutionKernels/backwardInput(_:outputDiff:weight:into:workspace:)``, then bias |
/// | backward to the input | ``ConvolutionKernels/forward(_:input:weight:bias:into:workspace:)`` without bias |
/// | backward to the weight | ``ConvolutionKernels/backwardWeight(_:input:outputDiff:accumulatingInto:biasAccumulatingInto:workspace:)`` with input and output swapped |
///
/// The weight is (g.outputChannels, g.inputChannels/group, kernel…), which is Caffe's
/// deconvolution weight (bottom channels, num_output/group, kernel…); the bias is
/// (g.inputChannels), one per deconvolution output channel. The workspace is
/// ``ConvolutionKernels/workspaceCount(_:)`` of `g`.
public enum DeconvolutionKernels {
  /// Forward pass of the deconvolution.
  ///
  /// - Parameters:
  ///   - g: the mirror convolution.
  ///   - input: (N, g.outputChannels, g.outputShape…), the deconvolution's bottom.
  ///   - weight: (g.outputChannels, g.inputChannels/group, kernel…).
  ///   - bias: (g.inputChannels); `nil` for none.
  ///   - output: (N, g.inputChannels, g.inputShape…), the deconvolution's top; overwritten.
  ///   - workspace: `ConvolutionKernels.workspaceCount(g)` elements of scratch.
  public static func forward(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>,
    workspace: UnsafeMutablePointer<Float>
  ) {
    ConvolutionKernels.backwardInput(
      g, outputDiff: input, weight: weight, into: output, workspace: workspace)
    if let bias {
      ConvolutionKernels.addBias(
        bias, batch: g.batch, channels: g.inputChannels, spatial: g.inputSpatialCount,
        accumulatingInto: output)
    }
  }

  /// Backward pass of the deconvolution to its input.
  ///
  /// - Parameters:
  ///   - g: the mirror convolution.
  ///   - outputDiff: (N, g.inputChannels, g.inputShape…), the gradient at the deconvolution's top.
  ///   - weight: (g.outputChannels, g.inputChannels/group, kernel…).
  ///   - inputDiff: (N, g.outputChannels, g.outputShape…); overwritten.
  ///   - workspace: `ConvolutionKernels.workspaceCount(g)` elements of scratch.
  public static func backwardInput(
    _ g: ConvolutionGeometry, outputDiff: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    ConvolutionKernels.forward(
      g, input: outputDiff, weight: weight, bias: nil, into: inputDiff, workspace: workspace)
  }

  /// Backward pass of the deconvolution to its parameters.
  ///
  /// - Parameters:
  ///   - g: the mirror convolution.
  ///   - input: (N, g.outputChannels, g.outputShape…), the deconvolution's bottom.
  ///   - outputDiff: (N, g.inputChannels, g.inputShape…), the gradient at the deconvolution's top.
  ///   - weightDiff: (g.outputChannels, g.inputChannels/group, kernel…); accumulated into.
  ///   - biasDiff: (g.inputChannels); accumulated into; `nil` to skip.
  ///   - workspace: `ConvolutionKernels.workspaceCount(g)` elements of scratch.
  public static func backwardWeight(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    accumulatingInto weightDiff: UnsafeMutablePointer<Float>,
    biasAccumulatingInto biasDiff: UnsafeMutablePointer<Float>?,
    workspace: UnsafeMutablePointer<Float>
  ) {
    ConvolutionKernels.backwardWeight(
      g, input: outputDiff, outputDiff: input, accumulatingInto: weightDiff,
      biasAccumulatingInto: nil, workspace: workspace)
    if let biasDiff {
      ConvolutionKernels.biasBackward(
        diff: outputDiff, batch: g.batch, channels: g.inputChannels,
        spatial: g.inputSpatialCount, accumulatingInto: biasDiff)
    }
  }
}
