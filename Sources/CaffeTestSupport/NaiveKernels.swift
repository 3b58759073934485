// NaiveKernels: plain nested-loop reference kernels that the fast CaffeKernels are tested against.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reference implementations written straight from the definitions, in `Double`, on arrays.
///
/// Slow and obviously correct: tests compare every fast kernel in `CaffeKernels` with these.
/// They do not share code with the fast kernels (not even the output-size formula), so a bug in
/// one does not hide in the other. All arrays are row-major.
public enum NaiveKernels {
  // MARK: - GEMM

  /// `alpha · op(A) · op(B) + beta · C`, with A (m, k) or (k, m) when `transA`, B (k, n) or
  /// (n, k) when `transB`, and C (m, n).
  ///
  /// - Parameters:
  ///   - transA: whether A is stored transposed.
  ///   - transB: whether B is stored transposed.
  ///   - m: rows of the result.
  ///   - n: columns of the result.
  ///   - k: the inner size.
  ///   - alpha: scale of the product.
  ///   - a: A as stored.
  ///   - b: B as stored.
  ///   - beta: scale of `c`.
  ///   - c: C (m, n).
  /// - Returns: the new C (m, n).
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], b: [Float],
    beta: Float, c: [Float]
  ) -> [Float] {
    var result = c
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<k {
          let left = transA ? a[p * m + i] : a[i * k + p]
          let right = transB ? b[j * k + p] : b[p * n + j]
          sum += Double(left) * Double(right)
        }
        result[i * n + j] = Float(Double(alpha) * sum + Double(beta) * Double(c[i * n + j]))
      }
    }
    return result
  }

  // MARK: - Convolution

  /// A convolution's parameters, for the naive kernels: input (batch, channels, inputShape…),
  /// weight (outputChannels, channels/group, kernel…), output (batch, outputChannels,
  /// outputShape…).
  public struct Convolution: Sendable, CustomStringConvertible {
    /// N.
    public var batch: Int
    /// C.
    public var channels: Int
    /// Spatial input sizes.
    public var inputShape: [Int]
    /// O.
    public var outputChannels: Int
    /// Kernel size per axis.
    public var kernel: [Int]
    /// Padding per axis.
    public var pad: [Int]
    /// Stride per axis.
    public var stride: [Int]
    /// Dilation per axis.
    public var dilation: [Int]
    /// Channel groups.
    public var group: Int

    /// Creates the description; arrays have one entry per spatial axis.
    ///
    /// - Parameters:
    ///   - batch: N.
    ///   - channels: C.
    ///   - inputShape: spatial input sizes.
    ///   - outputChannels: O.
    ///   - kernel: kernel per axis.
    ///   - pad: padding per axis (default 0).
    ///   - stride: stride per axis (default 1).
    ///   - dilation: dilation per axis (default 1).
    ///   - group: groups (default 1).
    public init(
      batch: Int, channels: Int, inputShape: [Int], outputChannels: Int, kernel: [Int],
      pad: [Int]? = nil, stride: [Int]? = nil, dilation: [Int]? = nil, group: Int = 1
    ) {
      self.batch = batch
      self.channels = channels
      self.inputShape = inputShape
      self.outputChannels = outputChannels
      self.kernel = kernel
      self.pad = pad ?? kernel.map { _ in 0 }
      self.stride = stride ?? kernel.map { _ in 1 }
      self.dilation = dilation ?? kernel.map { _ in 1 }
      self.group = group
    }

    /// Output size per axis, by counting the window positions that fit in the padded input.
    public var outputShape: [Int] {
      inputShape.indices.map { axis in
        let padded = inputShape[axis] + 2 * pad[axis]
        let extent = dilation[axis] * (kernel[axis] - 1) + 1
        var count = 0
        var start = 0
        while start + extent <= padded {
          count += 1
          start += stride[axis]
        }
        return count
      }
    }

    /// Elements of the input.
    public var inputCount: Int { batch * channels * inputShape.reduce(1, *) }
    /// Elements of the weight.
    public var weightCount: Int { outputChannels * channels / group * kernel.reduce(1, *) }
    /// Elements of the output.
    public var outputCount: Int { batch * outputChannels * outputShape.reduce(1, *) }

    /// A short summary for test names.
    public var description: String {
      "N\(batch) C\(channels) in\(inputShape) O\(outputChannels) k\(kernel) p\(pad) s\(stride) "
        + "d\(dilation) g\(group)"
    }

    /// Calls `body(n, o, c, outputIndex, weightIndex, inputIndex)` for every multiply-add of the
    /// convolution whose input position lies inside the image (flat row-major indices).
    func forEachTap(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
      let outShape = outputShape
      let inSpatial = inputShape.reduce(1, *)
      let outSpatial = outShape.reduce(1, *)
      let taps = kernel.reduce(1, *)
      let perGroupIn = channels / group
      let perGroupOut = outputChannels / group
      for n in 0..<batch {
        for o in 0..<outputChannels {
          for q in 0..<outSpatial {
            let position = unflatten(q, outShape)
            for cl in 0..<perGroupIn {
              let c = (o / perGroupOut) * perGroupIn + cl
              for t in 0..<taps {
                let tap = unflatten(t, kernel)
                var inside = true
                var flat = 0
                for axis in inputShape.indices {
                  let at = position[axis] * stride[axis] - pad[axis] + tap[axis] * dilation[axis]
                  if at < 0 || at >= inputShape[axis] { inside = false }
                  flat = flat * inputShape[axis] + at
                }
                guard inside else { continue }
                body(
                  n, o, c, (n * outputChannels + o) * outSpatial + q,
                  (o * perGroupIn + cl) * taps + t, (n * channels + c) * inSpatial + flat)
              }
            }
          }
        }
      }
    }
  }

  /// Convolution forward: `y[n, o, q] = bias[o] + Σ w[o, c', t] · x[n, c, q·s − p + t·d]`.
  ///
  /// - Parameters:
  ///   - spec: the convolution.
  ///   - input: (N, C, inputShape…).
  ///   - weight: (O, C/group, kernel…).
  ///   - bias: (O), or `nil`.
  /// - Returns: the output (N, O, outputShape…).
  public static func convolution(
    _ spec: Convolution, input: [Float], weight: [Float], bias: [Float]?
  ) -> [Float] {
    var sums = [Double](repeating: 0, count: spec.outputCount)
    spec.forEachTap { _, _, _, out, w, x in sums[out] += Double(weight[w]) * Double(input[x]) }
    if let bias {
      let spatial = spec.outputShape.reduce(1, *)
      for i in sums.indices { sums[i] += Double(bias[(i / spatial) % spec.outputChannels]) }
    }
    return sums.map { Float($0) }
  }

  /// Convolution backward to the input: the gradient of `Σ y·outputDiff` with respect to x.
  ///
  /// - Parameters:
  ///   - spec: the convolution.
  ///   - outputDiff: (N, O, outputShape…).
  ///   - weight: (O, C/group, kernel…).
  /// - Returns: the input gradient (N, C, inputShape…).
  public static func convolutionBackwardInput(
    _ spec: Convolution, outputDiff: [Float], weight: [Float]
  ) -> [Float] {
    var sums = [Double](repeating: 0, count: spec.inputCount)
    spec.forEachTap { _, _, _, out, w, x in sums[x] += Double(weight[w]) * Double(outputDiff[out]) }
    return sums.map { Float($0) }
  }

  /// Convolution backward to the parameters.
  ///
  /// - Parameters:
  ///   - spec: the convolution.
  ///   - input: (N, C, inputShape…).
  ///   - outputDiff: (N, O, outputShape…).
  /// - Returns: the weight gradient (O, C/group, kernel…) and bias gradient (O).
  public static func convolutionBackwardWeight(
    _ spec: Convolution, input: [Float], outputDiff: [Float]
  ) -> (weight: [Float], bias: [Float]) {
    var weightSums = [Double](repeating: 0, count: spec.weightCount)
    spec.forEachTap { _, _, _, out, w, x in
      weightSums[w] += Double(input[x]) * Double(outputDiff[out])
    }
    var biasSums = [Double](repeating: 0, count: spec.outputChannels)
    let spatial = spec.outputShape.reduce(1, *)
    for i in outputDiff.indices {
      biasSums[(i / spatial) % spec.outputChannels] += Double(outputDiff[i])
    }
    return (weightSums.map { Float($0) }, biasSums.map { Float($0) })
  }

  /// im2col from the definition: (C·kH·kW, outH·outW) for one (C, H, W) image.
  ///
  /// - Parameters:
  ///   - spec: the convolution (batch 1, two spatial axes; O and group are ignored).
  ///   - image: (C, H, W).
  /// - Returns: the column matrix.
  public static func im2col(_ spec: Convolution, image: [Float]) -> [Float] {
    let outShape = spec.outputShape
    let outSpatial = outShape.reduce(1, *)
    let taps = spec.kernel.reduce(1, *)
    var col = [Float](repeating: 0, count: spec.channels * taps * outSpatial)
    for c in 0..<spec.channels {
      for t in 0..<taps {
        let tap = unflatten(t, spec.kernel)
        for q in 0..<outSpatial {
          let position = unflatten(q, outShape)
          var flat = 0
          var inside = true
          for axis in spec.inputShape.indices {
            let at =
              position[axis] * spec.stride[axis] - spec.pad[axis] + tap[axis] * spec.dilation[axis]
            if at < 0 || at >= spec.inputShape[axis] { inside = false }
            flat = flat * spec.inputShape[axis] + at
          }
          if inside {
            let inSpatial = spec.inputShape.reduce(1, *)
            col[(c * taps + t) * outSpatial + q] = image[c * inSpatial + flat]
          }
        }
      }
    }
    return col
  }

  // MARK: - Pooling

  /// A 2-D pooling's parameters: bottom (planes, height, width), top (planes, pooledHeight,
  /// pooledWidth), with Caffe's output size (ceil, then drop a window starting in the padding).
  public struct Pooling: Sendable, CustomStringConvertible {
    /// N·C.
    public var planes: Int
    /// H.
    public var height: Int
    /// W.
    public var width: Int
    /// Square window size.
    public var kernel: Int
    /// Padding on each side.
    public var pad: Int
    /// Step between windows.
    public var stride: Int

    /// Creates the description.
    ///
    /// - Parameters:
    ///   - planes: N·C.
    ///   - height: H.
    ///   - width: W.
    ///   - kernel: window size.
    ///   - pad: padding (default 0).
    ///   - stride: stride.
    public init(planes: Int, height: Int, width: Int, kernel: Int, pad: Int = 0, stride: Int) {
      self.planes = planes
      self.height = height
      self.width = width
      self.kernel = kernel
      self.pad = pad
      self.stride = stride
    }

    /// Caffe's pooled size along an axis of `size`.
    public func pooled(_ size: Int) -> Int {
      var count = Int((Double(size + 2 * pad - kernel) / Double(stride)).rounded(.up)) + 1
      if pad > 0 && (count - 1) * stride >= size + pad { count -= 1 }
      return count
    }

    /// Top height.
    public var pooledHeight: Int { pooled(height) }
    /// Top width.
    public var pooledWidth: Int { pooled(width) }

    /// A short summary for test names.
    public var description: String { "\(planes)×\(height)×\(width) k\(kernel) p\(pad) s\(stride)" }
  }

  /// Max pooling forward: each window's maximum over the pixels inside the image.
  ///
  /// - Parameters:
  ///   - spec: the pooling.
  ///   - bottom: (planes, H, W).
  /// - Returns: top (planes, pooledH, pooledW) and the flat index `y·W + x` of each maximum.
  public static func maxPool(_ spec: Pooling, bottom: [Float]) -> (top: [Float], mask: [Int]) {
    var top: [Float] = []
    var mask: [Int] = []
    for plane in 0..<spec.planes {
      for py in 0..<spec.pooledHeight {
        for px in 0..<spec.pooledWidth {
          var best = -Float.greatestFiniteMagnitude
          var index = -1
          for y in (py * spec.stride - spec.pad)..<(py * spec.stride - spec.pad + spec.kernel) {
            for x in (px * spec.stride - spec.pad)..<(px * spec.stride - spec.pad + spec.kernel) {
              guard y >= 0, y < spec.height, x >= 0, x < spec.width else { continue }
              let value = bottom[(plane * spec.height + y) * spec.width + x]
              if value > best {
                best = value
                index = y * spec.width + x
              }
            }
          }
          top.append(best)
          mask.append(index)
        }
      }
    }
    return (top, mask)
  }

  /// Max pooling backward: the gradient of `Σ top·topDiff`, routed through `mask`.
  ///
  /// - Parameters:
  ///   - spec: the pooling.
  ///   - topDiff: (planes, pooledH, pooledW).
  ///   - mask: the indices from ``maxPool(_:bottom:)``.
  /// - Returns: bottomDiff (planes, H, W).
  public static func maxPoolBackward(_ spec: Pooling, topDiff: [Float], mask: [Int]) -> [Float] {
    var bottomDiff = [Float](repeating: 0, count: spec.planes * spec.height * spec.width)
    let pooled = spec.pooledHeight * spec.pooledWidth
    for i in topDiff.indices where mask[i] >= 0 {
      bottomDiff[(i / pooled) * spec.height * spec.width + mask[i]] += topDiff[i]
    }
    return bottomDiff
  }

  /// Average pooling forward: each window's sum over the image, divided by the number of window
  /// cells inside the padded image.
  ///
  /// - Parameters:
  ///   - spec: the pooling.
  ///   - bottom: (planes, H, W).
  /// - Returns: top (planes, pooledH, pooledW).
  public static func avePool(_ spec: Pooling, bottom: [Float]) -> [Float] {
    var top: [Float] = []
    forEachAveWindow(spec) { plane, _, cells, divisor in
      var sum = 0.0
      for (y, x) in cells { sum += Double(bottom[(plane * spec.height + y) * spec.width + x]) }
      top.append(Float(sum / Double(divisor)))
    }
    return top
  }

  /// Average pooling backward: the gradient of `Σ top·topDiff` with respect to bottom.
  ///
  /// - Parameters:
  ///   - spec: the pooling.
  ///   - topDiff: (planes, pooledH, pooledW).
  /// - Returns: bottomDiff (planes, H, W).
  public static func avePoolBackward(_ spec: Pooling, topDiff: [Float]) -> [Float] {
    var bottomDiff = [Double](repeating: 0, count: spec.planes * spec.height * spec.width)
    forEachAveWindow(spec) { plane, topIndex, cells, divisor in
      for (y, x) in cells {
        bottomDiff[(plane * spec.height + y) * spec.width + x] +=
          Double(topDiff[topIndex]) / Double(divisor)
      }
    }
    return bottomDiff.map { Float($0) }
  }

  /// Calls `body(plane, topIndex, cellsInsideImage, cellsInsidePaddedImage)` for every window.
  private static func forEachAveWindow(
    _ spec: Pooling, _ body: (Int, Int, [(Int, Int)], Int) -> Void
  ) {
    var topIndex = 0
    for plane in 0..<spec.planes {
      for py in 0..<spec.pooledHeight {
        for px in 0..<spec.pooledWidth {
          var cells: [(Int, Int)] = []
          var padded = 0
          for y in (py * spec.stride - spec.pad)..<(py * spec.stride - spec.pad + spec.kernel) {
            for x in (px * spec.stride - spec.pad)..<(px * spec.stride - spec.pad + spec.kernel) {
              let inPaddedY = y < spec.height + spec.pad
              let inPaddedX = x < spec.width + spec.pad
              if inPaddedY && inPaddedX { padded += 1 }
              if y >= 0 && y < spec.height && x >= 0 && x < spec.width { cells.append((y, x)) }
            }
          }
          body(plane, topIndex, cells, padded)
          topIndex += 1
        }
      }
    }
  }

  // MARK: - Softmax

  /// Softmax along the middle axis of (outer, channels, inner), in `Double`.
  ///
  /// - Parameters:
  ///   - input: (outer, channels, inner).
  ///   - outer: product of the leading sizes.
  ///   - channels: the softmax axis.
  ///   - inner: product of the trailing sizes.
  /// - Returns: (outer, channels, inner).
  public static func softmax(_ input: [Float], outer: Int, channels: Int, inner: Int) -> [Float] {
    var output = input
    for o in 0..<outer {
      for i in 0..<inner {
        let indices = (0..<channels).map { (o * channels + $0) * inner + i }
        let largest = indices.map { Double(input[$0]) }.max() ?? 0
        let exps = indices.map { exp(Double(input[$0]) - largest) }
        let total = exps.reduce(0, +)
        for (index, e) in zip(indices, exps) { output[index] = Float(e / total) }
      }
    }
    return output
  }

  /// Softmax backward from the Jacobian: `dx_c = Σ_c' y_c' (δ_cc' − y_c) dy_c'`, written out.
  ///
  /// - Parameters:
  ///   - output: the softmax result y (outer, channels, inner).
  ///   - outputDiff: dy (outer, channels, inner).
  ///   - outer: product of the leading sizes.
  ///   - channels: the softmax axis.
  ///   - inner: product of the trailing sizes.
  /// - Returns: dx (outer, channels, inner).
  public static func softmaxBackward(
    output: [Float], outputDiff: [Float], outer: Int, channels: Int, inner: Int
  ) -> [Float] {
    var inputDiff = output
    for o in 0..<outer {
      for i in 0..<inner {
        for c in 0..<channels {
          var sum = 0.0
          let yc = Double(output[(o * channels + c) * inner + i])
          for d in 0..<channels {
            let at = (o * channels + d) * inner + i
            let jacobian = (c == d ? yc : 0) - yc * Double(output[at])
            sum += jacobian * Double(outputDiff[at])
          }
          inputDiff[(o * channels + c) * inner + i] = Float(sum)
        }
      }
    }
    return inputDiff
  }

  // MARK: - Helpers

  /// The row-major multi-index of flat position `flat` in `shape`.
  static func unflatten(_ flat: Int, _ shape: [Int]) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() {
      index[axis] = rest % shape[axis]
      rest /= shape[axis]
    }
    return index
  }
}
