// Elementwise: vectorised per-element arithmetic on Float buffers.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Per-element arithmetic on `Float` buffers of `count` elements.
///
/// Every buffer is (count), contiguous. Outputs labelled `into:` are overwritten and may alias an
/// input (in-place use is fine). Large buffers are split across threads with ``Parallel``; small
/// ones run serially, since a thread wake-up costs more than a short loop.
public enum Elementwise {
  /// Buffers shorter than twice this run on one thread.
  public static let parallelThreshold = 1 << 16

  // MARK: - Fill and copy

  /// `y[i] = value`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - value: the value to store.
  ///   - y: (count); overwritten.
  public static func set(count: Int, value: Float, into y: UnsafeMutablePointer<Float>) {
    y.update(repeating: value, count: count)
  }

  /// `y[i] = x[i]`; the buffers must not overlap unless they are equal.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func copy(
    count: Int, from x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    guard UnsafePointer(y) != x else { return }
    y.update(from: x, count: count)
  }

  // MARK: - Binary

  /// `y[i] = a[i] + b[i]`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - a: (count).
  ///   - b: (count).
  ///   - y: (count); overwritten.
  public static func add(
    count: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = a[i] + b[i] } }
  }

  /// `y[i] = a[i] − b[i]`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - a: (count).
  ///   - b: (count).
  ///   - y: (count); overwritten.
  public static func sub(
    count: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = a[i] - b[i] } }
  }

  /// `y[i] = a[i] · b[i]`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - a: (count).
  ///   - b: (count).
  ///   - y: (count); overwritten.
  public static func mul(
    count: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = a[i] * b[i] } }
  }

  /// `y[i] = a[i] / b[i]`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - a: (count).
  ///   - b: (count).
  ///   - y: (count); overwritten.
  public static func div(
    count: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = a[i] / b[i] } }
  }

  // MARK: - Scalar

  /// `y[i] += value`, in place (Caffe's `caffe_add_scalar`).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - value: the value to add.
  ///   - y: (count); updated in place.
  public static func addScalar(count: Int, value: Float, into y: UnsafeMutablePointer<Float>) {
    forEachRange(count) { for i in $0 { y[i] += value } }
  }

  /// `y[i] = alpha · x[i]` (Caffe's `caffe_cpu_scale`).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - alpha: the factor.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func scale(
    count: Int, alpha: Float, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = alpha * x[i] } }
  }

  // MARK: - Unary

  /// `y[i] = exp(x[i])`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func exp(count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    forEachRange(count) { for i in $0 { y[i] = expf(x[i]) } }
  }

  /// `y[i] = log(x[i])` (natural logarithm).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func log(count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    forEachRange(count) { for i in $0 { y[i] = logf(x[i]) } }
  }

  /// `y[i] = |x[i]|`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func abs(count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    forEachRange(count) { for i in $0 { y[i] = Swift.abs(x[i]) } }
  }

  /// `y[i] = x[i]²`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func sqr(count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
    forEachRange(count) { for i in $0 { y[i] = x[i] * x[i] } }
  }

  /// `y[i] = √x[i]`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func sqrt(count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>)
  {
    forEachRange(count) { for i in $0 { y[i] = x[i].squareRoot() } }
  }

  /// `y[i] = sign(x[i])`: 1, −1, or 0 for zero (Caffe's `caffe_cpu_sign`).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count); overwritten.
  public static func sign(count: Int, x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>)
  {
    forEachRange(count) {
      for i in $0 { y[i] = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0) }
    }
  }

  /// `y[i] = x[i] ^ power`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - power: the exponent.
  ///   - y: (count); overwritten.
  public static func powx(
    count: Int, x: UnsafePointer<Float>, power: Float, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRange(count) { for i in $0 { y[i] = powf(x[i], power) } }
  }

  // MARK: - Reductions

  /// `Σ x[i]`, summed in 16 interleaved partial sums (so the result may differ from a sequential
  /// sum in the last bits).
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  /// - Returns: the sum.
  @inlinable
  public static func sum(count: Int, x: UnsafePointer<Float>) -> Float {
    let raw = UnsafeRawPointer(x)
    var lanes = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
      lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
      i += 16
    }
    var total = lanes.sum()
    while i < count {
      total += x[i]
      i += 1
    }
    return total
  }

  /// Runs `body` over `0..<count`, split across threads when `count` is large.
  @inline(__always)
  private static func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEachRange(count: count, minimumPerRange: parallelThreshold, body)
  }
}
