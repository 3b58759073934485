// ConvolutionGeometry: the shapes of one convolution over a mini-batch, and how it is split up.

/// The shapes of a convolution over a mini-batch, and the work plan the kernels follow.
///
/// Input (N, C, inputShape…), weight (O, C/group, kernel…), bias (O), output
/// (N, O, outputShape…), where along each spatial axis
/// `output = (input + 2·pad − (dilation·(kernel − 1) + 1)) / stride + 1`.
///
/// The plan: the batch is split into ``parts`` contiguous runs of images, which the threads of
/// ``Parallel`` take in turn, each with its own slice of the workspace; each part is processed
/// ``imagesPerChunk`` images at a time, so that the column matrix of a chunk
/// (``columnRows`` × imagesPerChunk·outputSpatialCount) feeds one GEMM per group. Both are chosen
/// by the initialiser (from ``Parallel/workerCount`` and a cache-sized column budget) and may be
/// changed before ``ConvolutionKernels/workspaceCount(_:)`` is asked for the buffer size.
public struct ConvolutionGeometry: Sendable, Equatable {
  /// N: images in the mini-batch.
  public let batch: Int
  /// C: input channels.
  public let inputChannels: Int
  /// The input's spatial sizes: [H, W] for images.
  public let inputShape: [Int]
  /// O: output channels (`num_output`).
  public let outputChannels: Int
  /// Number of groups; input and output channels are split into this many independent blocks.
  public let group: Int
  /// Kernel size per spatial axis.
  public let kernel: [Int]
  /// Zero padding per spatial axis (on each side).
  public let pad: [Int]
  /// Step between output positions, per spatial axis.
  public let stride: [Int]
  /// Step between kernel taps, per spatial axis (1 = dense kernel).
  public let dilation: [Int]
  /// The output's spatial sizes, computed from the formula above.
  public let outputShape: [Int]
  /// Runs of images the batch is split into, each with its own scratch (≥ 1, ≤ batch).
  public var parts: Int
  /// Images per column matrix, hence per GEMM (≥ 1).
  public var imagesPerChunk: Int

  /// The column matrix size, in elements, that the default plan aims for per chunk: small enough
  /// to stay in a core's L2 cache between im2col and the GEMM that reads it.
  ///
  /// Measured with `caffe-bench` on LeNet (2-core EPYC, OpenBLAS 0.3.21): one or two images per
  /// GEMM ran at ~70 GFLOP/s per core, 16 images at 30–60, because OpenBLAS already runs GEMMs
  /// as small as 50 × 64 × 500 near its peak while larger column matrices fall out of cache.
  public static let defaultColumnBudget = 1 << 15

  /// Describes a convolution with any number of spatial axes.
  ///
  /// The caller has validated the parameters: every array has one entry per spatial axis,
  /// kernel, stride and dilation are positive, pad is non-negative, and `group` divides both
  /// channel counts.
  ///
  /// - Parameters:
  ///   - batch: N.
  ///   - inputChannels: C.
  ///   - inputShape: spatial input sizes.
  ///   - outputChannels: O.
  ///   - kernel: kernel size per axis.
  ///   - pad: padding per axis.
  ///   - stride: stride per axis.
  ///   - dilation: dilation per axis.
  ///   - group: channel groups (default 1).
  public init(
    batch: Int, inputChannels: Int, inputShape: [Int], outputChannels: Int,
    kernel: [Int], pad: [Int], stride: [Int], dilation: [Int], group: Int = 1
  ) {
    self.batch = batch
    self.inputChannels = inputChannels
    self.inputShape = inputShape
    self.outputChannels = outputChannels
    self.group = group
    self.kernel = kernel
    self.pad = pad
    self.stride = stride
    self.dilation = dilation
    outputShape = inputShape.indices.map {
      Im2Col.outputSize(inputShape[$0], kernel[$0], pad[$0], stride[$0], dilation[$0])
    }
    let threads = Parallel.workerCount
    parts = threads < 2 ? 1 : max(1, min(batch, threads * Parallel.piecesPerWorker))
    imagesPerChunk = 1
    imagesPerChunk = planChunk(columnBudget: Self.defaultColumnBudget)
  }

  /// Describes a 2-D convolution over (N, C, H, W).
  ///
  /// - Parameters:
  ///   - batch: N.
  ///   - inputChannels: C.
  ///   - height: H.
  ///   - width: W.
  ///   - outputChannels: O.
  ///   - kernelH: kernel height.
  ///   - kernelW: kernel width.
  ///   - padH: vertical padding (default 0).
  ///   - padW: horizontal padding (default 0).
  ///   - strideH: vertical stride (default 1).
  ///   - strideW: horizontal stride (default 1).
  ///   - dilationH: vertical dilation (default 1).
  ///   - dilationW: horizontal dilation (default 1).
  ///   - group: channel groups (default 1).
  public init(
    batch: Int, inputChannels: Int, height: Int, width: Int, outputChannels: Int,
    kernelH: Int, kernelW: Int, padH: Int = 0, padW: Int = 0, strideH: Int = 1, strideW: Int = 1,
    dilationH: Int = 1, dilationW: Int = 1, group: Int = 1
  ) {
    self.init(
      batch: batch, inputChannels: inputChannels, inputShape: [height, width],
      outputChannels: outputChannels, kernel: [kernelH, kernelW], pad: [padH, padW],
      stride: [strideH, strideW], dilation: [dilationH, dilationW], group: group)
  }

  /// The geometry of the convolution that a deconvolution (transposed convolution) mirrors.
  ///
  /// A deconvolution from (N, C, inputShape…) to (N, O, deconvShape…), with
  /// `deconvShape = stride·(input − 1) + dilation·(kernel − 1) + 1 − 2·pad`, is the transpose of a
  /// convolution from (N, O, deconvShape…) to (N, C, inputShape…). This returns that convolution;
  /// ``DeconvolutionKernels`` takes it. Its `inputChannels` and `inputShape` describe the
  /// deconvolution's output, its `outputChannels` and `outputShape` the deconvolution's input.
  ///
  /// - Parameters:
  ///   - batch: N.
  ///   - inputChannels: C, the deconvolution's input channels.
  ///   - inputShape: the deconvolution's spatial input sizes.
  ///   - outputChannels: O, the deconvolution's `num_output`.
  ///   - kernel: kernel size per axis.
  ///   - pad: padding per axis.
  ///   - stride: stride per axis.
  ///   - dilation: dilation per axis.
  ///   - group: channel groups (default 1).
  /// - Returns: the mirror convolution.
  public static func deconvolution(
    batch: Int, inputChannels: Int, inputShape: [Int], outputChannels: Int,
    kernel: [Int], pad: [Int], stride: [Int], dilation: [Int], group: Int = 1
  ) -> ConvolutionGeometry {
    let deconvShape = inputShape.indices.map {
      stride[$0] * (inputShape[$0] - 1) + dilation[$0] * (kernel[$0] - 1) + 1 - 2 * pad[$0]
    }
    return ConvolutionGeometry(
      batch: batch, inputChannels: outputChannels, inputShape: deconvShape,
      outputChannels: inputChannels, kernel: kernel, pad: pad, stride: stride,
      dilation: dilation, group: group)
  }

  // MARK: - Derived sizes

  /// Number of spatial axes.
  public var spatialAxes: Int { inputShape.count }
  /// ∏ inputShape: pixels per input channel.
  public var inputSpatialCount: Int { inputShape.reduce(1, *) }
  /// ∏ outputShape: pixels per output channel.
  public var outputSpatialCount: Int { outputShape.reduce(1, *) }
  /// ∏ kernel: taps per kernel channel.
  public var kernelSpatialCount: Int { kernel.reduce(1, *) }
  /// Rows of the column matrix of one image: C·∏kernel (all groups).
  public var columnRows: Int { inputChannels * kernelSpatialCount }
  /// Rows of the column matrix that one group reads: (C/group)·∏kernel, the GEMM's inner size.
  public var columnRowsPerGroup: Int { columnRows / group }
  /// Elements of one input image: C·∏inputShape.
  public var inputImageCount: Int { inputChannels * inputSpatialCount }
  /// Elements of one output image: O·∏outputShape.
  public var outputImageCount: Int { outputChannels * outputSpatialCount }
  /// Elements of the weight: O·(C/group)·∏kernel.
  public var weightCount: Int { outputChannels * columnRowsPerGroup }
  /// Floating-point operations of the forward pass (2 per multiply-add); backward-input and
  /// backward-weight cost the same each.
  public var forwardFlops: Int {
    2 * batch * outputChannels * columnRowsPerGroup * outputSpatialCount
  }

  /// Whether the fast 2-D im2col applies.
  var isTwoDimensional: Bool { spatialAxes == 2 }

  /// Whether the column matrix of an image is the image itself (1×1 kernel, stride 1, no pad),
  /// so im2col can be skipped by running one GEMM per image.
  var isPointwise: Bool {
    kernel.allSatisfy { $0 == 1 } && stride.allSatisfy { $0 == 1 } && pad.allSatisfy { $0 == 0 }
  }

  /// Whether each image's own buffer serves as its column matrix: pointwise, one image per chunk.
  var usesImageAsColumns: Bool { isPointwise && imagesPerChunk == 1 }

  /// Images per part (the first parts take one extra image when N does not divide).
  var imagesPerPart: Int { (batch + parts - 1) / max(1, parts) }

  /// The chunk size whose column matrix fits `columnBudget` elements, evened out so that a
  /// worker's run splits into chunks of near-equal size.
  ///
  /// - Parameter columnBudget: the largest column matrix wanted, in elements.
  /// - Returns: images per chunk (≥ 1).
  public func planChunk(columnBudget: Int) -> Int {
    if isPointwise { return 1 }
    let perImage = max(1, columnRows * outputSpatialCount)
    let largest = max(1, min(imagesPerPart, columnBudget / perImage))
    let chunks = (imagesPerPart + largest - 1) / largest
    return max(1, (imagesPerPart + chunks - 1) / max(1, chunks))
  }
}
