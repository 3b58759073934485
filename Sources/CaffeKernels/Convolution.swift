// ConvolutionKernels: whole-mini-batch convolution forward and backward (im2col + GEMM).

/// Convolution over a whole mini-batch, as im2col + GEMM, parallel across images.
///
/// Caffe convolves one image at a time on one thread (plus whatever threads OpenBLAS brings).
/// These kernels split the batch into ``ConvolutionGeometry/parts`` runs of images that the
/// threads of ``Parallel`` take in turn, each with its own slice of the workspace, and inside a
/// run put the column matrices of ``ConvolutionGeometry/imagesPerChunk`` images side by side, so
/// that each GEMM is (O/group) × (chunk·outputSpatialCount) × (C/group·∏kernel). OpenBLAS itself
/// should then use one thread: see ``Parallel/configureDefaultThreading()``. Weight gradients of
/// the runs are summed in per-run scratch and added together at the end.
///
/// On LeNet (batch 64) `caffe-bench` measured one or two images per GEMM as fastest: OpenBLAS
/// already runs a 50 × 64 × 500 GEMM near its peak, and larger column matrices fall out of the
/// L2 cache between im2col and the GEMM. The speed-up over Caffe comes from the threads, the
/// im2col written for short rows and the fused bias.
///
/// Layouts, all row-major: input (N, C, inputShape…), weight (O, C/group, kernel…), bias (O),
/// output (N, O, outputShape…). The caller provides a scratch buffer of
/// ``workspaceCount(_:)`` elements; its contents on entry and exit are unspecified.
public enum ConvolutionKernels {
  /// The scratch size, in elements, that the other functions need for geometry `g`.
  ///
  /// - Parameter g: the convolution, including its plan (parts, images per chunk).
  /// - Returns: the number of `Float` elements of scratch.
  public static func workspaceCount(_ g: ConvolutionGeometry) -> Int {
    g.parts * Scratch.count(g)
  }

  /// Forward pass: `output = weight ⊛ input + bias`.
  ///
  /// - Parameters:
  ///   - g: the convolution's geometry and plan.
  ///   - input: (N, C, inputShape…).
  ///   - weight: (O, C/group, kernel…).
  ///   - bias: (O), added to every output position of its channel; `nil` for none.
  ///   - output: (N, O, outputShape…); overwritten.
  ///   - workspace: ``workspaceCount(_:)`` elements of scratch.
  public static func forward(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>,
    workspace: UnsafeMutablePointer<Float>
  ) {
    let spatial = g.outputSpatialCount
    forEachChunk(g, workspace: workspace) { chunk, scratch, _ in
      let width = chunk.count * spatial
      let columns = scratch.columns(of: input, images: chunk)
      // Result is (O, width); with one image it is that image's output block itself.
      let direct = chunk.count == 1
      let result = direct ? output + chunk.lowerBound * g.outputImageCount : scratch.stage
      for group in 0..<g.group {
        BLAS.serialGemm(
          transA: false, transB: false,
          m: g.outputChannels / g.group, n: width, k: g.columnRowsPerGroup, alpha: 1,
          a: weight + group * g.weightCount / g.group, lda: g.columnRowsPerGroup,
          b: columns + group * g.columnRowsPerGroup * width, ldb: width,
          beta: 0, c: result + group * g.outputChannels / g.group * width, ldc: width)
      }
      if direct {
        if let bias { addBias(bias, channels: g.outputChannels, spatial: spatial, to: result) }
      } else {
        scatter(g, stage: scratch.stage, images: chunk, bias: bias, into: output)
      }
    }
  }

  /// Backward pass to the input: `inputDiff = weightᵀ ⊛ outputDiff` (the adjoint of forward).
  ///
  /// - Parameters:
  ///   - g: the convolution's geometry and plan.
  ///   - outputDiff: (N, O, outputShape…), the gradient at the output.
  ///   - weight: (O, C/group, kernel…).
  ///   - inputDiff: (N, C, inputShape…); overwritten.
  ///   - workspace: ``workspaceCount(_:)`` elements of scratch.
  public static func backwardInput(
    _ g: ConvolutionGeometry, outputDiff: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    let spatial = g.outputSpatialCount
    forEachChunk(g, workspace: workspace) { chunk, scratch, _ in
      let width = chunk.count * spatial
      let diff = gather(g, outputDiff: outputDiff, images: chunk, stage: scratch.stage)
      // A pointwise convolution's column matrix is the image, so the GEMM can write there.
      let columns =
        g.usesImageAsColumns ? inputDiff + chunk.lowerBound * g.inputImageCount : scratch.col
      let rowsPerGroup = g.outputChannels / g.group
      for group in 0..<g.group {
        BLAS.serialGemm(
          transA: true, transB: false,
          m: g.columnRowsPerGroup, n: width, k: rowsPerGroup, alpha: 1,
          a: weight + group * g.weightCount / g.group, lda: g.columnRowsPerGroup,
          b: diff + group * rowsPerGroup * width, ldb: width,
          beta: 0, c: columns + group * g.columnRowsPerGroup * width, ldc: width)
      }
      if !g.usesImageAsColumns {
        scratch.fold(columns, images: chunk, into: inputDiff)
      }
    }
  }

  /// Backward pass to the parameters: `weightDiff += outputDiff ⋆ input`,
  /// `biasDiff += Σ outputDiff` over images and positions.
  ///
  /// - Parameters:
  ///   - g: the convolution's geometry and plan.
  ///   - input: (N, C, inputShape…), the forward input.
  ///   - outputDiff: (N, O, outputShape…), the gradient at the output.
  ///   - weightDiff: (O, C/group, kernel…); accumulated into.
  ///   - biasDiff: (O); accumulated into; `nil` to skip.
  ///   - workspace: ``workspaceCount(_:)`` elements of scratch.
  public static func backwardWeight(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    accumulatingInto weightDiff: UnsafeMutablePointer<Float>,
    biasAccumulatingInto biasDiff: UnsafeMutablePointer<Float>?,
    workspace: UnsafeMutablePointer<Float>
  ) {
    let spatial = g.outputSpatialCount
    let rowsPerGroup = g.outputChannels / g.group
    forEachChunk(g, workspace: workspace) { chunk, scratch, part in
      let width = chunk.count * spatial
      let columns = scratch.columns(of: input, images: chunk)
      let diff = gather(g, outputDiff: outputDiff, images: chunk, stage: scratch.stage)
      // Part 0 accumulates straight into the caller's buffers; the others into their own
      // partial sums, which start from zero and are added in after the parallel loop.
      let isFirstPartial = part > 0 && chunk.lowerBound == scratch.images.lowerBound
      let weightTarget = part == 0 ? weightDiff : scratch.weightPartial
      for group in 0..<g.group {
        BLAS.serialGemm(
          transA: false, transB: true,
          m: rowsPerGroup, n: g.columnRowsPerGroup, k: width, alpha: 1,
          a: diff + group * rowsPerGroup * width, lda: width,
          b: columns + group * g.columnRowsPerGroup * width, ldb: width,
          beta: isFirstPartial ? 0 : 1,
          c: weightTarget + group * g.weightCount / g.group, ldc: g.columnRowsPerGroup)
      }
      if let biasDiff {
        let biasTarget = part == 0 ? biasDiff : scratch.biasPartial
        for o in 0..<g.outputChannels {
          let sum = Elementwise.sum(count: width, x: diff + o * width)
          biasTarget[o] = isFirstPartial ? sum : biasTarget[o] + sum
        }
      }
    }
    for part in 1..<max(1, g.parts) {
      let scratch = Scratch(g, workspace: workspace, part: part)
      guard !scratch.images.isEmpty else { continue }
      BLAS.axpy(count: g.weightCount, alpha: 1, x: scratch.weightPartial, y: weightDiff)
      if let biasDiff {
        BLAS.axpy(count: g.outputChannels, alpha: 1, x: scratch.biasPartial, y: biasDiff)
      }
    }
  }

  // MARK: - Bias

  /// Adds a per-channel bias to a batch of feature maps.
  ///
  /// - Parameters:
  ///   - bias: (C).
  ///   - batch: N.
  ///   - channels: C.
  ///   - spatial: positions per channel (∏ spatial sizes).
  ///   - data: (N, C, spatial); accumulated into.
  public static func addBias(
    _ bias: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
    accumulatingInto data: UnsafeMutablePointer<Float>
  ) {
    let minimum = max(1, (1 << 15) / max(1, channels * spatial))
    Parallel.forEachRange(count: batch, minimumPerRange: minimum) { images in
      for n in images {
        addBias(bias, channels: channels, spatial: spatial, to: data + n * channels * spatial)
      }
    }
  }

  /// Accumulates the gradient of a per-channel bias: `biasDiff[c] += Σ_{n, p} diff[n, c, p]`.
  ///
  /// - Parameters:
  ///   - diff: (N, C, spatial), the gradient at the biased output.
  ///   - batch: N.
  ///   - channels: C.
  ///   - spatial: positions per channel.
  ///   - biasDiff: (C); accumulated into.
  public static func biasBackward(
    diff: UnsafePointer<Float>, batch: Int, channels: Int, spatial: Int,
    accumulatingInto biasDiff: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<batch {
      for c in 0..<channels {
        biasDiff[c] += Elementwise.sum(count: spatial, x: diff + (n * channels + c) * spatial)
      }
    }
  }

  // MARK: - Helpers

  /// Adds `bias[c]` to row `c` of one (C, spatial) image.
  private static func addBias(
    _ bias: UnsafePointer<Float>, channels: Int, spatial: Int, to image: UnsafeMutablePointer<Float>
  ) {
    for c in 0..<channels {
      let row = image + c * spatial
      let value = bias[c]
      for p in 0..<spatial { row[p] += value }
    }
  }

  /// Copies a chunk's (O, chunk·spatial) result into the (N, O, spatial) output, adding the bias.
  private static func scatter(
    _ g: ConvolutionGeometry, stage: UnsafePointer<Float>, images: Range<Int>,
    bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>
  ) {
    let spatial = g.outputSpatialCount
    let width = images.count * spatial
    for (slot, n) in images.enumerated() {
      for o in 0..<g.outputChannels {
        let source = stage + o * width + slot * spatial
        let target = output + n * g.outputImageCount + o * spatial
        if let bias {
          let value = bias[o]
          for p in 0..<spatial { target[p] = source[p] + value }
        } else {
          target.update(from: source, count: spatial)
        }
      }
    }
  }

  /// Lays a chunk of (N, O, spatial) gradients out as one (O, chunk·spatial) matrix.
  ///
  /// - Returns: the matrix: `stage`, or for a single image its block of `outputDiff` itself.
  private static func gather(
    _ g: ConvolutionGeometry, outputDiff: UnsafePointer<Float>, images: Range<Int>,
    stage: UnsafeMutablePointer<Float>
  ) -> UnsafePointer<Float> {
    if images.count == 1 { return outputDiff + images.lowerBound * g.outputImageCount }
    let spatial = g.outputSpatialCount
    let width = images.count * spatial
    for (slot, n) in images.enumerated() {
      for o in 0..<g.outputChannels {
        (stage + o * width + slot * spatial).update(
          from: outputDiff + n * g.outputImageCount + o * spatial, count: spatial)
      }
    }
    return UnsafePointer(stage)
  }

  /// Runs `body(chunk, scratch, part)` for every chunk of every part's run of images; the parts
  /// run concurrently, the chunks of one part in order.
  private static func forEachChunk(
    _ g: ConvolutionGeometry, workspace: UnsafeMutablePointer<Float>,
    _ body: (Range<Int>, Scratch, Int) -> Void
  ) {
    Parallel.forEach(count: g.parts) { part in
      let scratch = Scratch(g, workspace: workspace, part: part)
      var start = scratch.images.lowerBound
      while start < scratch.images.upperBound {
        let end = min(start + g.imagesPerChunk, scratch.images.upperBound)
        body(start..<end, scratch, part)
        start = end
      }
    }
  }
}

/// One part's images and its slice of the convolution workspace.
///
/// Layout of the slice: column matrix (columnRows, chunk·spatial) — absent for pointwise
/// convolutions —, staging matrix (O, chunk·spatial) — absent when chunks hold one image —,
/// weight partial sum (O, C/group, kernel…), bias partial sum (O).
private struct Scratch {
  let geometry: ConvolutionGeometry
  let images: Range<Int>
  let col: UnsafeMutablePointer<Float>
  let stage: UnsafeMutablePointer<Float>
  let weightPartial: UnsafeMutablePointer<Float>
  let biasPartial: UnsafeMutablePointer<Float>

  /// Elements of one part's slice.
  static func count(_ g: ConvolutionGeometry) -> Int {
    let width = g.imagesPerChunk * g.outputSpatialCount
    let col = g.usesImageAsColumns ? 0 : g.columnRows * width
    let stage = g.imagesPerChunk > 1 ? g.outputChannels * width : 0
    return col + stage + g.weightCount + g.outputChannels
  }

  init(_ g: ConvolutionGeometry, workspace: UnsafeMutablePointer<Float>, part: Int) {
    geometry = g
    images = Parallel.partition(count: g.batch, parts: g.parts, part: part)
    let width = g.imagesPerChunk * g.outputSpatialCount
    col = workspace + part * Scratch.count(g)
    stage = col + (g.usesImageAsColumns ? 0 : g.columnRows * width)
    weightPartial = stage + (g.imagesPerChunk > 1 ? g.outputChannels * width : 0)
    biasPartial = weightPartial + g.weightCount
  }

  /// The (columnRows, chunk·spatial) column matrix of `images`: built in `col` by im2col, or for
  /// a pointwise convolution (one image per chunk) the image itself.
  func columns(of input: UnsafePointer<Float>, images: Range<Int>) -> UnsafePointer<Float> {
    let g = geometry
    if g.usesImageAsColumns { return input + images.lowerBound * g.inputImageCount }
    let spatial = g.outputSpatialCount
    let width = images.count * spatial
    for (slot, n) in images.enumerated() {
      let image = input + n * g.inputImageCount
      if g.isTwoDimensional {
        Im2Col.im2col(
          image: image, channels: g.inputChannels, height: g.inputShape[0],
          width: g.inputShape[1], kernelH: g.kernel[0], kernelW: g.kernel[1],
          padH: g.pad[0], padW: g.pad[1], strideH: g.stride[0], strideW: g.stride[1],
          dilationH: g.dilation[0], dilationW: g.dilation[1],
          into: col + slot * spatial, columnStride: width)
      } else {
        Im2Col.im2colND(
          image: image, channels: g.inputChannels, inputShape: g.inputShape, kernel: g.kernel,
          pad: g.pad, stride: g.stride, dilation: g.dilation,
          into: col + slot * spatial, columnStride: width)
      }
    }
    return UnsafePointer(col)
  }

  /// Folds the (columnRows, chunk·spatial) matrix `columns` back into the images of the chunk.
  func fold(
    _ columns: UnsafeMutablePointer<Float>, images: Range<Int>,
    into inputDiff: UnsafeMutablePointer<Float>
  ) {
    let g = geometry
    let spatial = g.outputSpatialCount
    let width = images.count * spatial
    for (slot, n) in images.enumerated() {
      let image = inputDiff + n * g.inputImageCount
      if g.isTwoDimensional {
        Im2Col.col2im(
          col: columns + slot * spatial, channels: g.inputChannels, height: g.inputShape[0],
          width: g.inputShape[1], kernelH: g.kernel[0], kernelW: g.kernel[1],
          padH: g.pad[0], padW: g.pad[1], strideH: g.stride[0], strideW: g.stride[1],
          dilationH: g.dilation[0], dilationW: g.dilation[1],
          into: image, columnStride: width)
      } else {
        Im2Col.col2imND(
          col: columns + slot * spatial, channels: g.inputChannels, inputShape: g.inputShape,
          kernel: g.kernel, pad: g.pad, stride: g.stride, dilation: g.dilation,
          into: image, columnStride: width)
      }
    }
  }
}
