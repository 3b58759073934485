// LeNetKernels: every kernel of one LeNet training step (MNIST, batch 64), with its buffers.
import CaffeKernels

/// The buffers and passes of LeNet's layers, run through CaffeKernels alone.
///
/// Shapes (batch N = 64): data (N, 1, 28, 28) → conv1 5×5 (N, 20, 24, 24) → max pool 2×2/2
/// (N, 20, 12, 12) → conv2 5×5 (N, 50, 8, 8) → max pool 2×2/2 (N, 50, 4, 4) → ip1 800→500 →
/// ReLU → ip2 500→10 → softmax. Buffers are allocated once and filled from a seeded Gaussian.
final class LeNetKernels {
  let batch: Int
  let conv1: ConvolutionGeometry
  let conv2: ConvolutionGeometry
  let pool1: PoolingGeometry
  let pool2: PoolingGeometry
  private var buffers: [UnsafeMutablePointer<Float>] = []
  private var masks: [UnsafeMutablePointer<Int32>] = []

  let data, conv1Weight, conv1Bias, conv1Out, conv1Diff, conv1WeightDiff,
    conv1BiasDiff: UnsafeMutablePointer<Float>
  let pool1Out, pool1Diff: UnsafeMutablePointer<Float>
  let conv2Weight, conv2Bias, conv2Out, conv2Diff, conv2WeightDiff,
    conv2BiasDiff: UnsafeMutablePointer<Float>
  let pool2Out, pool2Diff: UnsafeMutablePointer<Float>
  let ip1Weight, ip1Bias, ip1Out, ip1Diff, ip1WeightDiff, ip1BiasDiff: UnsafeMutablePointer<Float>
  let ip2Weight, ip2Bias, ip2Out, ip2Diff, ip2WeightDiff, ip2BiasDiff: UnsafeMutablePointer<Float>
  let probabilities, ones, workspace: UnsafeMutablePointer<Float>
  let pool1Mask, pool2Mask: UnsafeMutablePointer<Int32>

  /// Allocates and fills every buffer for `batch` images.
  ///
  /// - Parameters:
  ///   - batch: images per step (LeNet's MNIST solver uses 64).
  ///   - columnBudget: the column matrix size the convolution plans aim for, in elements.
  ///   - imagesPerChunk: forces the convolutions' chunk size (1 = Caffe's image-at-a-time).
  init(batch: Int = 64, columnBudget: Int? = nil, imagesPerChunk: Int? = nil) {
    self.batch = batch
    var c1 = ConvolutionGeometry(
      batch: batch, inputChannels: 1, height: 28, width: 28, outputChannels: 20,
      kernelH: 5, kernelW: 5)
    var c2 = ConvolutionGeometry(
      batch: batch, inputChannels: 20, height: 12, width: 12, outputChannels: 50,
      kernelH: 5, kernelW: 5)
    if let columnBudget {
      c1.imagesPerChunk = c1.planChunk(columnBudget: columnBudget)
      c2.imagesPerChunk = c2.planChunk(columnBudget: columnBudget)
    }
    if let imagesPerChunk {
      c1.imagesPerChunk = imagesPerChunk
      c2.imagesPerChunk = imagesPerChunk
    }
    conv1 = c1
    conv2 = c2
    pool1 = PoolingGeometry(
      planes: batch * 20, height: 24, width: 24, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2,
      pooledHeight: 12, pooledWidth: 12)
    pool2 = PoolingGeometry(
      planes: batch * 50, height: 8, width: 8, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2,
      pooledHeight: 4, pooledWidth: 4)

    var generator = SeededGenerator(seed: 1701)
    var allocated: [UnsafeMutablePointer<Float>] = []
    func make(_ count: Int, std: Float = 0.1) -> UnsafeMutablePointer<Float> {
      let pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
      Random.gaussian(count: count, mean: 0, std: std, into: pointer, using: &generator)
      allocated.append(pointer)
      return pointer
    }
    data = make(batch * 784, std: 1)
    conv1Weight = make(500)
    conv1Bias = make(20)
    conv1Out = make(batch * 20 * 576)
    conv1Diff = make(batch * 20 * 576)
    conv1WeightDiff = make(500)
    conv1BiasDiff = make(20)
    pool1Out = make(batch * 20 * 144)
    pool1Diff = make(batch * 20 * 144)
    conv2Weight = make(25_000)
    conv2Bias = make(50)
    conv2Out = make(batch * 50 * 64)
    conv2Diff = make(batch * 50 * 64)
    conv2WeightDiff = make(25_000)
    conv2BiasDiff = make(50)
    pool2Out = make(batch * 800)
    pool2Diff = make(batch * 800)
    ip1Weight = make(400_000)
    ip1Bias = make(500)
    ip1Out = make(batch * 500)
    ip1Diff = make(batch * 500)
    ip1WeightDiff = make(400_000)
    ip1BiasDiff = make(500)
    ip2Weight = make(5000)
    ip2Bias = make(10)
    ip2Out = make(batch * 10)
    ip2Diff = make(batch * 10)
    ip2WeightDiff = make(5000)
    ip2BiasDiff = make(10)
    probabilities = make(batch * 10)
    ones = make(batch)
    ones.update(repeating: 1, count: batch)
    workspace = make(
      max(ConvolutionKernels.workspaceCount(c1), ConvolutionKernels.workspaceCount(c2)))
    pool1Mask = .allocate(capacity: batch * 20 * 144)
    pool2Mask = .allocate(capacity: batch * 800)
    buffers = allocated
    masks = [pool1Mask, pool2Mask]
  }

  deinit {
    for pointer in buffers { pointer.deallocate() }
    for pointer in masks { pointer.deallocate() }
  }

  // MARK: - Passes

  /// conv1 forward (data → conv1Out).
  func conv1Forward() {
    ConvolutionKernels.forward(
      conv1, input: data, weight: conv1Weight, bias: conv1Bias, into: conv1Out,
      workspace: workspace)
  }

  /// conv1 backward: parameters only (Caffe does not propagate into the data layer).
  func conv1Backward() {
    ConvolutionKernels.backwardWeight(
      conv1, input: data, outputDiff: conv1Diff, accumulatingInto: conv1WeightDiff,
      biasAccumulatingInto: conv1BiasDiff, workspace: workspace)
  }

  /// conv2 forward (pool1Out → conv2Out).
  func conv2Forward() {
    ConvolutionKernels.forward(
      conv2, input: pool1Out, weight: conv2Weight, bias: conv2Bias, into: conv2Out,
      workspace: workspace)
  }

  /// conv2 backward: parameters and input.
  func conv2Backward() {
    ConvolutionKernels.backwardWeight(
      conv2, input: pool1Out, outputDiff: conv2Diff, accumulatingInto: conv2WeightDiff,
      biasAccumulatingInto: conv2BiasDiff, workspace: workspace)
    ConvolutionKernels.backwardInput(
      conv2, outputDiff: conv2Diff, weight: conv2Weight, into: pool1Diff, workspace: workspace)
  }

  /// pool1 forward.
  func pool1Forward() {
    PoolingKernels.maxForward(pool1, bottom: conv1Out, into: pool1Out, mask: pool1Mask)
  }

  /// pool1 backward.
  func pool1Backward() {
    PoolingKernels.maxBackward(pool1, topDiff: pool1Diff, mask: pool1Mask, into: conv1Diff)
  }

  /// pool2 forward.
  func pool2Forward() {
    PoolingKernels.maxForward(pool2, bottom: conv2Out, into: pool2Out, mask: pool2Mask)
  }

  /// pool2 backward.
  func pool2Backward() {
    PoolingKernels.maxBackward(pool2, topDiff: pool2Diff, mask: pool2Mask, into: conv2Diff)
  }

  /// Inner-product forward as Caffe does it: `top = bottom · Wᵀ + 1 · biasᵀ`.
  func innerProductForward(
    bottom: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    top: UnsafeMutablePointer<Float>, inputs: Int, outputs: Int
  ) {
    BLAS.gemm(
      transA: false, transB: true, m: batch, n: outputs, k: inputs, alpha: 1, a: bottom,
      b: weight, beta: 0, c: top)
    BLAS.gemm(
      transA: false, transB: false, m: batch, n: outputs, k: 1, alpha: 1, a: ones, b: bias,
      beta: 1, c: top)
  }

  /// Inner-product backward: weight, bias and input gradients.
  func innerProductBackward(
    bottom: UnsafePointer<Float>, topDiff: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    weightDiff: UnsafeMutablePointer<Float>, biasDiff: UnsafeMutablePointer<Float>,
    bottomDiff: UnsafeMutablePointer<Float>, inputs: Int, outputs: Int
  ) {
    BLAS.gemm(
      transA: true, transB: false, m: outputs, n: inputs, k: batch, alpha: 1, a: topDiff,
      b: bottom, beta: 1, c: weightDiff)
    BLAS.gemv(
      transA: true, m: batch, n: outputs, alpha: 1, a: topDiff, x: ones, beta: 1, y: biasDiff)
    BLAS.gemm(
      transA: false, transB: false, m: batch, n: inputs, k: outputs, alpha: 1, a: topDiff,
      b: weight, beta: 0, c: bottomDiff)
  }

  /// ip1 forward.
  func ip1Forward() {
    innerProductForward(
      bottom: pool2Out, weight: ip1Weight, bias: ip1Bias, top: ip1Out, inputs: 800, outputs: 500)
  }

  /// ip1 backward.
  func ip1Backward() {
    innerProductBackward(
      bottom: pool2Out, topDiff: ip1Diff, weight: ip1Weight, weightDiff: ip1WeightDiff,
      biasDiff: ip1BiasDiff, bottomDiff: pool2Diff, inputs: 800, outputs: 500)
  }

  /// relu1 forward, in place on ip1Out.
  func reluForward() {
    Activation.reluForward(count: batch * 500, negativeSlope: 0, x: ip1Out, into: ip1Out)
  }

  /// relu1 backward, in place on ip1Diff.
  func reluBackward() {
    Activation.reluBackward(
      count: batch * 500, negativeSlope: 0, x: ip1Out, outputDiff: ip1Diff, into: ip1Diff)
  }

  /// ip2 forward.
  func ip2Forward() {
    innerProductForward(
      bottom: ip1Out, weight: ip2Weight, bias: ip2Bias, top: ip2Out, inputs: 500, outputs: 10)
  }

  /// ip2 backward.
  func ip2Backward() {
    innerProductBackward(
      bottom: ip1Out, topDiff: ip2Diff, weight: ip2Weight, weightDiff: ip2WeightDiff,
      biasDiff: ip2BiasDiff, bottomDiff: ip1Diff, inputs: 500, outputs: 10)
  }

  /// Softmax forward and backward of the loss.
  func softmax() {
    SoftmaxKernels.forward(outer: batch, channels: 10, inner: 1, input: ip2Out, into: probabilities)
    SoftmaxKernels.backward(
      outer: batch, channels: 10, inner: 1, output: probabilities, outputDiff: ip2Out,
      into: ip2Diff)
  }

  // MARK: - Measuring

  /// Times every pass and the whole step; returns the rows in network order, total last.
  ///
  /// - Parameter benchmark: where the rows are recorded.
  /// - Returns: one row per pass, then their sum and the measured whole step.
  func measureStep(_ benchmark: inout Benchmark) -> [Measurement] {
    let n = Double(batch)
    let ip1Flops = 2 * n * 800 * 500
    let ip2Flops = 2 * n * 500 * 10
    var rows: [Measurement] = []
    rows.append(
      benchmark.measure(name: "conv1 forward", flops: Double(conv1.forwardFlops), conv1Forward))
    rows.append(benchmark.measure(name: "pool1 forward", pool1Forward))
    rows.append(
      benchmark.measure(name: "conv2 forward", flops: Double(conv2.forwardFlops), conv2Forward))
    rows.append(benchmark.measure(name: "pool2 forward", pool2Forward))
    rows.append(benchmark.measure(name: "ip1 forward", flops: ip1Flops, ip1Forward))
    rows.append(benchmark.measure(name: "relu1 forward", reluForward))
    rows.append(benchmark.measure(name: "ip2 forward", flops: ip2Flops, ip2Forward))
    rows.append(benchmark.measure(name: "softmax fwd+bwd", softmax))
    rows.append(benchmark.measure(name: "ip2 backward", flops: 2 * ip2Flops, ip2Backward))
    rows.append(benchmark.measure(name: "relu1 backward", reluBackward))
    rows.append(benchmark.measure(name: "ip1 backward", flops: 2 * ip1Flops, ip1Backward))
    rows.append(benchmark.measure(name: "pool2 backward", pool2Backward))
    rows.append(
      benchmark.measure(
        name: "conv2 backward", flops: 2 * Double(conv2.forwardFlops), conv2Backward))
    rows.append(benchmark.measure(name: "pool1 backward", pool1Backward))
    rows.append(
      benchmark.measure(name: "conv1 backward", flops: Double(conv1.forwardFlops), conv1Backward))
    rows.append(benchmark.total(name: "sum of the rows", of: rows))
    rows.append(
      benchmark.measure(name: "whole step (measured)", flops: rows.last?.flops ?? 0) {
        conv1Forward()
        pool1Forward()
        conv2Forward()
        pool2Forward()
        ip1Forward()
        reluForward()
        ip2Forward()
        softmax()
        ip2Backward()
        reluBackward()
        ip1Backward()
        pool2Backward()
        conv2Backward()
        pool1Backward()
        conv1Backward()
      })
    return rows
  }
}
