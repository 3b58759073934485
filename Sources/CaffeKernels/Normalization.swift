// NormalizationKernels: per-channel statistics, normalisation, broadcast affine maps and window
// sums (BatchNorm, MVN, Scale, Bias, LRN).

/// Kernels on a buffer viewed as (outer, channels, inner), row-major, with one statistic or
/// coefficient per channel.
///
/// BatchNorm uses (N, C, H·W); MVN uses (1, N·C, H·W), or (1, N, C·H·W) across channels; Scale and
/// Bias use (the axes before `axis`, the parameter's elements, the axes after it). Work is split
/// across threads by channel or by row with ``Parallel``.
public enum NormalizationKernels {
  /// A range of channels or rows handed to one thread should cover at least this many elements.
  static let minimumElementsPerRange = 1 << 15

  // MARK: - Per-channel reductions

  /// `sums[c] += Σ_{o, i} x[o, c, i]`.
  ///
  /// - Parameters:
  ///   - x: (outer, channels, inner).
  ///   - outer: the number of outer blocks.
  ///   - channels: the number of channels.
  ///   - inner: the elements per (block, channel) row.
  ///   - sums: (channels); accumulated into.
  public static func channelSums(
    _ x: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int,
    accumulatingInto sums: UnsafeMutablePointer<Float>
  ) {
    forEachChannelRange(outer: outer, channels: channels, inner: inner) { range in
      for c in range {
        var total: Float = 0
        for o in 0..<outer {
          total += Elementwise.sum(count: inner, x: x + (o * channels + c) * inner)
        }
        sums[c] += total
      }
    }
  }

  /// `sums[c] += Σ_{o, i} a[o, c, i] · b[o, c, i]`.
  ///
  /// - Parameters:
  ///   - a: (outer, channels, inner).
  ///   - b: (outer, channels, inner).
  ///   - outer: the number of outer blocks.
  ///   - channels: the number of channels.
  ///   - inner: the elements per (block, channel) row.
  ///   - sums: (channels); accumulated into.
  public static func channelDotSums(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, outer: Int, channels: Int, inner: Int,
    accumulatingInto sums: UnsafeMutablePointer<Float>
  ) {
    forEachChannelRange(outer: outer, channels: channels, inner: inner) { range in
      for c in range {
        var total: Float = 0
        for o in 0..<outer {
          let start = (o * channels + c) * inner
          for i in start..<(start + inner) { total += a[i] * b[i] }
        }
        sums[c] += total
      }
    }
  }

  /// `sums[c] += Σ_{o, i} (x[o, c, i] − mean[c])²`: the second pass of a two-pass variance.
  ///
  /// - Parameters:
  ///   - x: (outer, channels, inner).
  ///   - mean: (channels).
  ///   - outer: the number of outer blocks.
  ///   - channels: the number of channels.
  ///   - inner: the elements per (block, channel) row.
  ///   - sums: (channels); accumulated into.
  public static func channelSquaredDeviationSums(
    _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, outer: Int, channels: Int,
    inner: Int, accumulatingInto sums: UnsafeMutablePointer<Float>
  ) {
    forEachChannelRange(outer: outer, channels: channels, inner: inner) { range in
      for c in range {
        let m = mean[c]
        var total: Float = 0
        for o in 0..<outer {
          let start = (o * channels + c) * inner
          for i in start..<(start + inner) {
            let d = x[i] - m
            total += d * d
          }
        }
        sums[c] += total
      }
    }
  }

  // MARK: - Normalisation

  /// `y[o, c, i] = (x[o, c, i] − mean[c]) / std[c]`; a `nil` mean is 0 and a `nil` std is 1.
  ///
  /// - Parameters:
  ///   - x: (outer, channels, inner).
  ///   - mean: (channels), or nil.
  ///   - std: (channels), or nil.
  ///   - outer: the number of outer blocks.
  ///   - channels: the number of channels.
  ///   - inner: the elements per (block, channel) row.
  ///   - y: (outer, channels, inner); overwritten; may be `x` (in place).
  public static func normalize(
    _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>?, std: UnsafePointer<Float>?,
    outer: Int, channels: Int, inner: Int, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRowRange(rows: outer * channels, inner: inner) { rows in
      for row in rows {
        let c = row % channels
        let (m, s) = (mean?[c] ?? 0, std?[c] ?? 1)
        let start = row * inner
        for i in start..<(start + inner) { y[i] = (x[i] - m) / s }
      }
    }
  }

  /// The gradient of a normalisation: `dx = (dy − meanDy[c] − y · meanDyY[c]) / std[c]`, where
  /// `meanDy` is the mean of `dy` and `meanDyY` the mean of `dy · y` over each channel's
  /// elements; a `nil` mean term is 0 and a `nil` std is 1.
  ///
  /// - Parameters:
  ///   - y: (outer, channels, inner), the normalised values.
  ///   - dy: (outer, channels, inner), the gradient at `y`.
  ///   - meanDy: (channels), or nil.
  ///   - meanDyY: (channels), or nil.
  ///   - std: (channels), or nil.
  ///   - outer: the number of outer blocks.
  ///   - channels: the number of channels.
  ///   - inner: the elements per (block, channel) row.
  ///   - dx: (outer, channels, inner); overwritten; may be `dy` (in place).
  public static func normalizeBackward(
    y: UnsafePointer<Float>, dy: UnsafePointer<Float>, meanDy: UnsafePointer<Float>?,
    meanDyY: UnsafePointer<Float>?, std: UnsafePointer<Float>?, outer: Int, channels: Int,
    inner: Int, into dx: UnsafeMutablePointer<Float>
  ) {
    forEachRowRange(rows: outer * channels, inner: inner) { rows in
      for row in rows {
        let c = row % channels
        let (shift, slope, s) = (meanDy?[c] ?? 0, meanDyY?[c] ?? 0, std?[c] ?? 1)
        let start = row * inner
        for i in start..<(start + inner) { dx[i] = (dy[i] - shift - y[i] * slope) / s }
      }
    }
  }

  // MARK: - Broadcast affine map

  /// `y[o, c, i] = x[o, c, i] · scale[c] + shift[c]`; a `nil` scale is 1 and a `nil` shift is 0.
  ///
  /// - Parameters:
  ///   - x: (outer, channels, inner).
  ///   - scale: (channels), or nil.
  ///   - shift: (channels), or nil.
  ///   - outer: the number of outer blocks.
  ///   - channels: the number of channels.
  ///   - inner: the elements per (block, channel) row.
  ///   - y: (outer, channels, inner); overwritten; may be `x` (in place).
  public static func channelAffine(
    _ x: UnsafePointer<Float>, scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
    outer: Int, channels: Int, inner: Int, into y: UnsafeMutablePointer<Float>
  ) {
    forEachRowRange(rows: outer * channels, inner: inner) { rows in
      for row in rows {
        let c = row % channels
        let (a, b) = (scale?[c] ?? 1, shift?[c] ?? 0)
        let start = row * inner
        for i in start..<(start + inner) { y[i] = x[i] * a + b }
      }
    }
  }

  // MARK: - Window sums

  /// `y[o, l, i] = Σ x[o, l + d, i]` over `−radius ≤ d ≤ radius` with `0 ≤ l + d < length`: a
  /// box filter along the middle axis, with the window clipped at the ends (zero padding).
  ///
  /// - Parameters:
  ///   - x: (outer, length, inner).
  ///   - outer: the number of outer blocks.
  ///   - length: the size of the summed axis.
  ///   - inner: the elements after the summed axis.
  ///   - radius: the half-width of the window (window size 2·radius + 1).
  ///   - y: (outer, length, inner); overwritten; must not overlap `x`.
  public static func windowSum(
    _ x: UnsafePointer<Float>, outer: Int, length: Int, inner: Int, radius: Int,
    into y: UnsafeMutablePointer<Float>
  ) {
    let work = inner * (2 * radius + 1)
    forEachRowRange(rows: outer * length, inner: work) { rows in
      for row in rows {
        let (o, l) = (row / length, row % length)
        let target = y + row * inner
        target.update(repeating: 0, count: inner)
        for source in max(0, l - radius)...min(length - 1, l + radius) {
          let from = x + (o * length + source) * inner
          for i in 0..<inner { target[i] += from[i] }
        }
      }
    }
  }

  // MARK: - Helpers

  /// Splits the channels into ranges of at least ``minimumElementsPerRange`` elements.
  @inline(__always)
  private static func forEachChannelRange(
    outer: Int, channels: Int, inner: Int, _ body: (Range<Int>) -> Void
  ) {
    let perChannel = max(1, outer * inner)
    Parallel.forEachRange(
      count: channels, minimumPerRange: max(1, minimumElementsPerRange / perChannel), body)
  }

  /// Splits the rows into ranges of at least ``minimumElementsPerRange`` elements.
  @inline(__always)
  private static func forEachRowRange(rows: Int, inner: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEachRange(
      count: rows, minimumPerRange: max(1, minimumElementsPerRange / max(1, inner)), body)
  }
}
