// SoftmaxKernels: softmax along one axis, forward and backward.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Softmax along the middle axis of an (outer, channels, inner) tensor.
///
/// For each `(o, i)`: `y[o, c, i] = exp(x[o, c, i] − m) / Σ_c' exp(x[o, c', i] − m)`, where
/// `m = max_c x[o, c, i]` keeps the exponentials from overflowing. All buffers are row-major
/// (outer, channels, inner); `outer` is the product of the axes before the softmax axis, `inner`
/// of those after it.
public enum SoftmaxKernels {
  /// Softmax forward.
  ///
  /// - Parameters:
  ///   - outer: product of the sizes before the softmax axis.
  ///   - channels: size of the softmax axis.
  ///   - inner: product of the sizes after the softmax axis.
  ///   - input: (outer, channels, inner).
  ///   - output: (outer, channels, inner); overwritten; may equal `input`.
  public static func forward(
    outer: Int, channels: Int, inner: Int, input: UnsafePointer<Float>,
    into output: UnsafeMutablePointer<Float>
  ) {
    let slab = channels * inner
    Parallel.forEachRange(count: outer, minimumPerRange: max(1, (1 << 15) / max(1, slab))) {
      range in
      for o in range {
        let x = input + o * slab
        let y = output + o * slab
        if inner == 1 {
          forwardRow(channels: channels, x: x, y: y)
        } else {
          forwardSlab(channels: channels, inner: inner, x: x, y: y)
        }
      }
    }
  }

  /// Softmax backward: `inputDiff = y ⊙ (outputDiff − Σ_c outputDiff·y)`, the sum running along
  /// the channel axis.
  ///
  /// - Parameters:
  ///   - outer: product of the sizes before the softmax axis.
  ///   - channels: size of the softmax axis.
  ///   - inner: product of the sizes after the softmax axis.
  ///   - output: (outer, channels, inner), the forward result y.
  ///   - outputDiff: (outer, channels, inner), the gradient at y.
  ///   - inputDiff: (outer, channels, inner); overwritten; may equal `outputDiff`.
  public static func backward(
    outer: Int, channels: Int, inner: Int, output: UnsafePointer<Float>,
    outputDiff: UnsafePointer<Float>, into inputDiff: UnsafeMutablePointer<Float>
  ) {
    let slab = channels * inner
    Parallel.forEachRange(count: outer, minimumPerRange: max(1, (1 << 15) / max(1, slab))) {
      range in
      for o in range {
        let y = output + o * slab
        let dy = outputDiff + o * slab
        let dx = inputDiff + o * slab
        for i in 0..<inner {
          var dot: Float = 0
          for c in 0..<channels { dot += dy[c * inner + i] * y[c * inner + i] }
          for c in 0..<channels {
            let at = c * inner + i
            dx[at] = (dy[at] - dot) * y[at]
          }
        }
      }
    }
  }

  /// Softmax of one contiguous row of `channels` values.
  @inline(__always)
  private static func forwardRow(
    channels: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    var largest = -Float.infinity
    for c in 0..<channels { largest = max(largest, x[c]) }
    var total: Float = 0
    for c in 0..<channels {
      let e = expf(x[c] - largest)
      y[c] = e
      total += e
    }
    let inverse = 1 / total
    for c in 0..<channels { y[c] *= inverse }
  }

  /// Softmax of one (channels, inner) slab along its first axis, vectorised along `inner`.
  private static func forwardSlab(
    channels: Int, inner: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * inner) { scratch in
      guard let base = scratch.baseAddress else { return }
      let largest = base
      let total = base + inner
      largest.update(from: x, count: inner)
      for c in 1..<max(1, channels) {
        let row = x + c * inner
        for i in 0..<inner { largest[i] = max(largest[i], row[i]) }
      }
      total.update(repeating: 0, count: inner)
      for c in 0..<channels {
        let row = x + c * inner
        let out = y + c * inner
        for i in 0..<inner {
          let e = expf(row[i] - largest[i])
          out[i] = e
          total[i] += e
        }
      }
      for i in 0..<inner { total[i] = 1 / total[i] }
      for c in 0..<channels {
        let out = y + c * inner
        for i in 0..<inner { out[i] *= total[i] }
      }
    }
  }
}
