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
        y[i] = (v > 0 ? v : 0) + negativeSlope * (v < 0 ? v : 0)
      }
    }
  }

  /// Leaky ReLU backward: `dx = dy · (x > 0 ? 1 : negativeSlope)`.
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
        inputDiff[i] = outputDiff[i] * (x[i] > 0 ? 1 : negativeSlope)
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
