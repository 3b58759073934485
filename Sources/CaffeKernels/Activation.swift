// Activation: element-wise neuron nonlinearities (ReLU, sigmoid, tanh), forward and backward.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Element-wise nonlinearities and their gradients, with Caffe's formulas.
///
/// Every buffer is (count), contiguous. Outputs are overwritten and may alias the input of the
/// same call (Caffe runs these layers in place).
public enum Activation {
  // MARK: - ReLU

  /// Leaky ReLU forward: `y = max(x, 0) + negativeSlope · min(x, 0)`.
  ///
  /// `max` and `min` are C++'s `std::max`/`std::min`, as in Caffe: a NaN input stays NaN, and
  /// so does −∞ when `negativeSlope` is 0 (0 · −∞).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - negativeSlope: the slope for negative inputs (`relu_param.negative_slope`, 0 for ReLU).
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func reluForward(
    count: Int, negativeSlope: Float, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        let v = x[i]
        y[i] = (v < 0 ? 0 : v) + negativeSlope * (v > 0 ? 0 : v)
      }
    }
  }

  /// Leaky ReLU backward: `dx = dy · ((x > 0 ? 1 : 0) + negativeSlope · (x ≤ 0 ? 1 : 0))`,
  /// as in Caffe (a NaN input passes no gradient).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - negativeSlope: the slope for negative inputs.
  ///   - x: (count), the forward input (for an in-place layer the output serves: its sign is the
  ///     same).
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func reluBackward(
    count: Int, negativeSlope: Float, x: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        inputDiff[i] = outputDiff[i] * (x[i] > 0 ? 1 : (x[i] <= 0 ? negativeSlope : 0))
      }
    }
  }

  // MARK: - Sigmoid

  /// Sigmoid forward: `y = 1 / (1 + e^−x)`, computed as `0.5 · tanh(0.5 · x) + 0.5` as Caffe
  /// does (no overflow for large |x|).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func sigmoidForward(
    count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = 0.5 * tanhf(0.5 * x[i]) + 0.5 } }
  }

  /// Sigmoid backward: `dx = dy · y · (1 − y)`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - y: (count), the forward output.
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func sigmoidBackward(
    count: Int, y: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 { inputDiff[i] = outputDiff[i] * y[i] * (1 - y[i]) }
    }
  }

  // MARK: - TanH

  /// Hyperbolic tangent forward: `y = tanh(x)`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func tanhForward(
    count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = tanhf(x[i]) } }
  }

  /// Hyperbolic tangent backward: `dx = dy · (1 − y²)`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - y: (count), the forward output.
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func tanhBackward(
    count: Int, y: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 { inputDiff[i] = outputDiff[i] * (1 - y[i] * y[i]) }
    }
  }

  /// Runs `body` over `0..<count`, split across threads when `count` is large.
  @inline(__always)
  private static func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEachRange(count: count, minimumPerRange: Elementwise.parallelThreshold, body)
  }
}

// MARK: - BNLL, ELU, Swish, Clip, Threshold, AbsVal

extension Activation {
  /// The input above which BNLL's backward treats `e^x` as saturated (Caffe's `kBNLL_THRESHOLD`).
  public static let bnllThreshold: Float = 50

  /// BNLL (binomial normal log likelihood, softplus) forward: `y = log(1 + e^x)`, evaluated as
  /// `x + log(1 + e^−x)` for positive x so nothing overflows.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten; may equal `x`.
  public static func bnllForward(
    count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        let v = x[i]
        y[i] = v > 0 ? v + logf(1 + expf(-v)) : logf(1 + expf(v))
      }
    }
  }

  /// BNLL backward: `dx = dy · e / (e + 1)` with `e = exp(min(x, 50))`, that is `dy · σ(x)`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count), the forward input.
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func bnllBackward(
    count: Int, x: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        let e = expf(Swift.min(x[i], bnllThreshold))
        inputDiff[i] = outputDiff[i] * e / (e + 1)
      }
    }
  }

  /// ELU forward: `y = max(x, 0) + alpha · (e^min(x, 0) − 1)`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - alpha: the saturation value for negative inputs (`elu_param.alpha`).
  ///   - x: (count).
  ///   - y: (count); overwritten; may equal `x`.
  public static func eluForward(
    count: Int, alpha: Float, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        let v = x[i]
        y[i] = Swift.max(v, 0) + alpha * (expf(Swift.min(v, 0)) - 1)
      }
    }
  }

  /// ELU backward: `dx = dy` where `x > 0`, else `dy · (y + alpha)`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - alpha: the forward's alpha.
  ///   - x: (count), the forward input (for alpha ≥ 0 the output serves: its sign is the same).
  ///   - y: (count), the forward output.
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func eluBackward(
    count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
    outputDiff: UnsafePointer<Float>, into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        inputDiff[i] = x[i] > 0 ? outputDiff[i] : outputDiff[i] * (y[i] + alpha)
      }
    }
  }

  /// Swish forward: `s = σ(beta · x)` (as ``sigmoidForward(count:x:into:)`` computes it) and
  /// `y = x · s`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - beta: the sigmoid's input scale (`swish_param.beta`).
  ///   - x: (count).
  ///   - sigmoid: (count); overwritten with s, which backward needs.
  ///   - y: (count); overwritten; may equal `x`.
  public static func swishForward(
    count: Int, beta: Float, x: UnsafePointer<Float>, sigmoid: UnsafeMutablePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        let v = x[i]
        let s = 0.5 * tanhf(0.5 * (beta * v)) + 0.5
        sigmoid[i] = s
        y[i] = v * s
      }
    }
  }

  /// Swish backward: `dx = dy · (beta · y + s · (1 − beta · y))`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - beta: the forward's beta.
  ///   - y: (count), the forward output.
  ///   - sigmoid: (count), s from the forward.
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func swishBackward(
    count: Int, beta: Float, y: UnsafePointer<Float>, sigmoid: UnsafePointer<Float>,
    outputDiff: UnsafePointer<Float>, into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        let by = beta * y[i]
        inputDiff[i] = outputDiff[i] * (by + sigmoid[i] * (1 - by))
      }
    }
  }

  /// Clip forward: `y = max(min, min(x, max))`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - min: the lower bound.
  ///   - max: the upper bound.
  ///   - x: (count).
  ///   - y: (count); overwritten; may equal `x`.
  public static func clipForward(
    count: Int, min: Float, max: Float, x: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 { y[i] = Swift.max(min, Swift.min(x[i], max)) }
    }
  }

  /// Clip backward: `dx = dy` where `min ≤ x ≤ max`, else 0.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - min: the lower bound.
  ///   - max: the upper bound.
  ///   - x: (count), the forward input.
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func clipBackward(
    count: Int, min: Float, max: Float, x: UnsafePointer<Float>,
    outputDiff: UnsafePointer<Float>, into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 { inputDiff[i] = x[i] >= min && x[i] <= max ? outputDiff[i] : 0 }
    }
  }

  /// Threshold forward: `y = x > threshold ? 1 : 0`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - threshold: the threshold (`threshold_param.threshold`).
  ///   - x: (count).
  ///   - y: (count); overwritten; may equal `x`.
  public static func thresholdForward(
    count: Int, threshold: Float, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 { y[i] = x[i] > threshold ? 1 : 0 }
    }
  }

  /// Absolute value backward: `dx = dy · sign(x)`, with sign(0) = 0.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count), the forward input.
  ///   - outputDiff: (count), the gradient at y.
  ///   - inputDiff: (count); overwritten; may equal `outputDiff`.
  public static func absBackward(
    count: Int, x: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 {
        let v = x[i]
        inputDiff[i] = v > 0 ? outputDiff[i] : (v < 0 ? -outputDiff[i] : 0)
      }
    }
  }

  // MARK: - Dropout

  /// Dropout with a stored mask: `y = x · mask · scale`, used for both the forward (x the input)
  /// and the backward (x the output gradient).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - scale: the factor for kept elements, 1 / (1 − dropout ratio).
  ///   - mask: (count), 1 for kept elements and 0 for dropped ones.
  ///   - x: (count).
  ///   - y: (count); overwritten; may equal `x`.
  public static func dropout(
    count: Int, scale: Float, mask: UnsafePointer<UInt32>, x: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) {
      for i in $0 { y[i] = x[i] * Float(mask[i]) * scale }
    }
  }

  // MARK: - PReLU

  /// PReLU forward: `y = max(x, 0) + a[c] · min(x, 0)`, one slope per channel.
  ///
  /// - Parameters:
  ///   - num: N, the size of the axes before the channel axis.
  ///   - channels: C.
  ///   - inner: the size of the axes after the channel axis (H·W).
  ///   - slope: (C), or (1) when `channelShared`.
  ///   - channelShared: whether every channel uses `slope[0]`.
  ///   - x: (N, C, inner), row-major.
  ///   - y: (N, C, inner); overwritten; may equal `x`.
  public static func preluForward(
    num: Int, channels: Int, inner: Int, slope: UnsafePointer<Float>, channelShared: Bool,
    x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(num * channels) {
      for row in $0 {
        let a = slope[channelShared ? 0 : row % channels]
        // row = n·C + c; its elements are [row·inner, (row + 1)·inner).
        for i in row * inner..<(row + 1) * inner {
          let v = x[i]
          y[i] = Swift.max(v, 0) + a * Swift.min(v, 0)
        }
      }
    }
  }

  /// PReLU input backward: `dx = dy · (x > 0 ? 1 : a[c])`.
  ///
  /// - Parameters:
  ///   - num: N.
  ///   - channels: C.
  ///   - inner: H·W.
  ///   - slope: (C), or (1) when `channelShared`.
  ///   - channelShared: whether every channel uses `slope[0]`.
  ///   - x: (N, C, inner), the forward input.
  ///   - outputDiff: (N, C, inner), the gradient at y.
  ///   - inputDiff: (N, C, inner); overwritten; may equal `outputDiff`.
  public static func preluBackward(
    num: Int, channels: Int, inner: Int, slope: UnsafePointer<Float>, channelShared: Bool,
    x: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>
  ) {
    forEachRange(num * channels) {
      for row in $0 {
        let a = slope[channelShared ? 0 : row % channels]
        for i in row * inner..<(row + 1) * inner {
          inputDiff[i] = outputDiff[i] * (x[i] > 0 ? 1 : a)
        }
      }
    }
  }

  /// PReLU slope backward: `da[c] += Σ_{n, i} dy · x · (x ≤ 0)` (summed over every channel into
  /// `slopeDiff[0]` when `channelShared`).
  ///
  /// Serial, in Caffe's order (n, then c, then i), so sums round as Caffe's do.
  ///
  /// - Parameters:
  ///   - num: N.
  ///   - channels: C.
  ///   - inner: H·W.
  ///   - channelShared: whether one slope serves every channel.
  ///   - x: (N, C, inner), the forward input.
  ///   - outputDiff: (N, C, inner), the gradient at y.
  ///   - slopeDiff: (C), or (1) when `channelShared`; accumulated.
  public static func preluSlopeBackward(
    num: Int, channels: Int, inner: Int, channelShared: Bool, x: UnsafePointer<Float>,
    outputDiff: UnsafePointer<Float>, accumulatingInto slopeDiff: UnsafeMutablePointer<Float>
  ) {
    for row in 0..<num * channels {
      let c = channelShared ? 0 : row % channels
      for i in row * inner..<(row + 1) * inner where x[i] <= 0 {
        slopeDiff[c] += outputDiff[i] * x[i]
      }
    }
  }
}
