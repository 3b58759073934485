// PoolingKernels: max, average and stochastic pooling over 2-D planes, forward and backward.

/// The shapes of a 2-D pooling over a stack of planes.
///
/// Bottom (planes, height, width), top (planes, pooledHeight, pooledWidth), where planes = N·C.
/// The pooled size is given by the caller: Caffe rounds it up (`ceil`) and then drops a last
/// window that would start in the padding; that rule belongs to the layer. Windows may run past
/// the padded image (the last one often does with `ceil`); the kernels clip them.
public struct PoolingGeometry: Sendable, Equatable {
  /// N·C: independent planes.
  public var planes: Int
  /// H: bottom height.
  public var height: Int
  /// W: bottom width.
  public var width: Int
  /// Window height.
  public var kernelH: Int
  /// Window width.
  public var kernelW: Int
  /// Padding above and below.
  public var padH: Int
  /// Padding left and right.
  public var padW: Int
  /// Vertical step between windows.
  public var strideH: Int
  /// Horizontal step between windows.
  public var strideW: Int
  /// Top height.
  public var pooledHeight: Int
  /// Top width.
  public var pooledWidth: Int

  /// Describes a pooling; the caller has validated the sizes (kernel and stride positive, pad
  /// smaller than the kernel, every window starting inside the image).
  ///
  /// - Parameters:
  ///   - planes: N·C.
  ///   - height: H.
  ///   - width: W.
  ///   - kernelH: window height.
  ///   - kernelW: window width.
  ///   - padH: vertical padding (default 0).
  ///   - padW: horizontal padding (default 0).
  ///   - strideH: vertical stride.
  ///   - strideW: horizontal stride.
  ///   - pooledHeight: top height.
  ///   - pooledWidth: top width.
  public init(
    planes: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, padH: Int = 0,
    padW: Int = 0, strideH: Int, strideW: Int, pooledHeight: Int, pooledWidth: Int
  ) {
    self.planes = planes
    self.height = height
    self.width = width
    self.kernelH = kernelH
    self.kernelW = kernelW
    self.padH = padH
    self.padW = padW
    self.strideH = strideH
    self.strideW = strideW
    self.pooledHeight = pooledHeight
    self.pooledWidth = pooledWidth
  }

  /// Whether every window is a 2×2 block at stride 2 inside the image (the common fast case).
  var isTwoByTwo: Bool {
    kernelH == 2 && kernelW == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0
      && 2 * pooledHeight <= height && 2 * pooledWidth <= width
  }

  /// Elements of one bottom plane.
  public var planeCount: Int { height * width }
  /// Elements of one top plane.
  public var pooledPlaneCount: Int { pooledHeight * pooledWidth }
}

/// Max, average and stochastic pooling, with Caffe's exact window rules, parallel over planes.
///
/// Window `(py, px)` covers rows `py·strideH − padH ..< +kernelH` and the matching columns.
/// - MAX ignores the padding: it takes the largest pixel of the window clipped to the image; the
///   first one wins a tie. The mask records its flat index `y·W + x` within the plane.
/// - AVE divides the sum of the clipped window by the size of the window clipped to the *padded*
///   image (`min(start + kernel, size + pad) − start` per axis, before clipping to the image), so
///   windows that reach into the padding count the padding as zeros, but the part of a window
///   beyond the padding (the last window with `ceil` rounding) does not count.
/// - STOCHASTIC samples a pixel of the clipped window (TRAIN) or weights the window by its own
///   values (TEST); Caffe has it on the GPU only, without padding.
public enum PoolingKernels {
  // MARK: - Max

  /// Max pooling forward, recording the arg-max of each window.
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - bottom: (planes, H, W).
  ///   - top: (planes, pooledH, pooledW); overwritten.
  ///   - mask: (planes, pooledH, pooledW); overwritten with the flat index `y·W + x` in its plane
  ///     of each window's maximum (−1 for a window that misses the image).
  public static func maxForward(
    _ g: PoolingGeometry, bottom: UnsafePointer<Float>, into top: UnsafeMutablePointer<Float>,
    mask: UnsafeMutablePointer<Int32>
  ) {
    maxForward(g, bottom: bottom, top: top, mask: mask)
  }

  /// Max pooling forward with the mask stored as `Float`, as Caffe's optional second top blob.
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - bottom: (planes, H, W).
  ///   - top: (planes, pooledH, pooledW); overwritten.
  ///   - mask: (planes, pooledH, pooledW); overwritten with each maximum's flat index `y·W + x`,
  ///     as a `Float` (−1 for a window that misses the image).
  public static func maxForward(
    _ g: PoolingGeometry, bottom: UnsafePointer<Float>, into top: UnsafeMutablePointer<Float>,
    mask: UnsafeMutablePointer<Float>
  ) {
    maxForward(g, bottom: bottom, top: top, mask: mask)
  }

  /// Max pooling backward: routes each top gradient to its window's maximum (or, for stochastic
  /// pooling, to its sampled pixel).
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - topDiff: (planes, pooledH, pooledW).
  ///   - mask: (planes, pooledH, pooledW), as written by the forward pass.
  ///   - bottomDiff: (planes, H, W); overwritten (zeroed, then the gradients are added in, so
  ///     overlapping windows sum).
  public static func maxBackward(
    _ g: PoolingGeometry, topDiff: UnsafePointer<Float>, mask: UnsafePointer<Int32>,
    into bottomDiff: UnsafeMutablePointer<Float>
  ) {
    maxBackward(g, topDiff: topDiff, mask: mask, bottomDiff: bottomDiff)
  }

  /// Max pooling backward with a `Float` mask (Caffe's second top blob).
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - topDiff: (planes, pooledH, pooledW).
  ///   - mask: (planes, pooledH, pooledW), flat indices stored as `Float`.
  ///   - bottomDiff: (planes, H, W); overwritten (zeroed, then accumulated).
  public static func maxBackward(
    _ g: PoolingGeometry, topDiff: UnsafePointer<Float>, mask: UnsafePointer<Float>,
    into bottomDiff: UnsafeMutablePointer<Float>
  ) {
    maxBackward(g, topDiff: topDiff, mask: mask, bottomDiff: bottomDiff)
  }

  // MARK: - Average

  /// Average pooling forward.
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - bottom: (planes, H, W).
  ///   - top: (planes, pooledH, pooledW); overwritten with each window's sum divided by its size
  ///     clipped to the padded image.
  public static func aveForward(
    _ g: PoolingGeometry, bottom: UnsafePointer<Float>, into top: UnsafeMutablePointer<Float>
  ) {
    let pairs = g.isTwoByTwo
    forEachPlane(g) { plane in
      let input = bottom + plane * g.planeCount
      var output = top + plane * g.pooledPlaneCount
      if pairs {
        for py in 0..<g.pooledHeight {
          let upper = input + 2 * py * g.width
          let lower = upper + g.width
          for px in 0..<g.pooledWidth {
            let x = 2 * px
            output[px] = (upper[x] + upper[x + 1] + lower[x] + lower[x + 1]) / 4
          }
          output += g.pooledWidth
        }
        return
      }
      for py in 0..<g.pooledHeight {
        let (y0, y1, rows) = window(py, g.strideH, g.padH, g.kernelH, g.height)
        for px in 0..<g.pooledWidth {
          let (x0, x1, columns) = window(px, g.strideW, g.padW, g.kernelW, g.width)
          var sum: Float = 0
          for y in y0..<y1 {
            let row = input + y * g.width
            for x in x0..<x1 { sum += row[x] }
          }
          output[px] = sum / Float(rows * columns)
        }
        output += g.pooledWidth
      }
    }
  }

  /// Average pooling backward: spreads each top gradient evenly over its window.
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - topDiff: (planes, pooledH, pooledW).
  ///   - bottomDiff: (planes, H, W); overwritten (zeroed, then each pixel receives
  ///     `topDiff / window size` from every window that covers it).
  public static func aveBackward(
    _ g: PoolingGeometry, topDiff: UnsafePointer<Float>,
    into bottomDiff: UnsafeMutablePointer<Float>
  ) {
    forEachPlane(g) { plane in
      let output = bottomDiff + plane * g.planeCount
      var diff = topDiff + plane * g.pooledPlaneCount
      output.update(repeating: 0, count: g.planeCount)
      for py in 0..<g.pooledHeight {
        let (y0, y1, rows) = window(py, g.strideH, g.padH, g.kernelH, g.height)
        for px in 0..<g.pooledWidth {
          let (x0, x1, columns) = window(px, g.strideW, g.padW, g.kernelW, g.width)
          let share = diff[px] / Float(rows * columns)
          for y in y0..<y1 {
            let row = output + y * g.width
            for x in x0..<x1 { row[x] += share }
          }
        }
        diff += g.pooledWidth
      }
    }
  }

  // MARK: - Stochastic

  /// Stochastic pooling forward in TRAIN: samples one pixel per window with probability
  /// proportional to its value (Zeiler & Fergus, 2013), as Caffe's GPU kernel does.
  ///
  /// Window `i` draws the threshold `(1 − uniforms[i]) · S`, where `S` is the window's sum
  /// (clipped to the image), and takes the first pixel in scan order (rows, then columns) at
  /// which the running sum reaches it; `1 − u` lies in (0, 1] like Caffe's curand draw. The
  /// values should be non-negative (ReLU outputs): a window whose running sum never reaches the
  /// threshold (possible only with negative values) takes its last pixel.
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - bottom: (planes, H, W).
  ///   - uniforms: (planes, pooledH, pooledW), values in [0, 1).
  ///   - top: (planes, pooledH, pooledW); overwritten with the sampled values.
  ///   - mask: (planes, pooledH, pooledW); overwritten with the flat index `y·W + x` in its plane
  ///     of each sampled pixel (backward routes through it as ``maxBackward(_:topDiff:mask:into:)``
  ///     does).
  public static func stochasticForwardTrain(
    _ g: PoolingGeometry, bottom: UnsafePointer<Float>, uniforms: UnsafePointer<Float>,
    into top: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Int32>
  ) {
    forEachWindow(g) { plane, index, y0, y1, x0, x1 in
      let input = bottom + plane * g.planeCount
      var sum: Float = 0
      for y in y0..<y1 {
        for x in x0..<x1 { sum += input[y * g.width + x] }
      }
      // The same summation order as above, so the last running sum equals `sum` exactly.
      let threshold = (1 - uniforms[index]) * sum
      var running: Float = 0
      var chosen = (y1 - 1) * g.width + x1 - 1
      search: for y in y0..<y1 {
        for x in x0..<x1 {
          running += input[y * g.width + x]
          if running >= threshold {
            chosen = y * g.width + x
            break search
          }
        }
      }
      top[index] = input[chosen]
      mask[index] = Int32(truncatingIfNeeded: chosen)
    }
  }

  /// Stochastic pooling forward in TEST: each window's values weighted by themselves,
  /// `Σx² / Σx`, or 0 where `Σx ≤ 0` (Caffe's GPU kernel).
  ///
  /// - Parameters:
  ///   - g: the pooling geometry.
  ///   - bottom: (planes, H, W).
  ///   - top: (planes, pooledH, pooledW); overwritten.
  public static func stochasticForwardTest(
    _ g: PoolingGeometry, bottom: UnsafePointer<Float>, into top: UnsafeMutablePointer<Float>
  ) {
    forEachWindow(g) { plane, index, y0, y1, x0, x1 in
      let input = bottom + plane * g.planeCount
      var sum: Float = 0
      var squares: Float = 0
      for y in y0..<y1 {
        for x in x0..<x1 {
          let value = input[y * g.width + x]
          sum += value
          squares += value * value
        }
      }
      top[index] = sum > 0 ? squares / sum : 0
    }
  }

  // MARK: - Helpers

  /// Runs `body(plane, index, y0, y1, x0, x1)` for every window, with `index` its flat index
  /// in the top and `[y0, y1) × [x0, x1)` its part inside the image; parallel over planes.
  @inline(__always)
  private static func forEachWindow(
    _ g: PoolingGeometry, _ body: (Int, Int, Int, Int, Int, Int) -> Void
  ) {
    forEachPlane(g) { plane in
      var index = plane * g.pooledPlaneCount
      for py in 0..<g.pooledHeight {
        let (y0, y1, _) = window(py, g.strideH, g.padH, g.kernelH, g.height)
        for px in 0..<g.pooledWidth {
          let (x0, x1, _) = window(px, g.strideW, g.padW, g.kernelW, g.width)
          body(plane, index, y0, y1, x0, x1)
          index += 1
        }
      }
    }
  }

  /// The image range `[start, end)` of window `index` along one axis, and its size clipped to the
  /// padded image (AVE's divisor factor).
  @inline(__always)
  private static func window(
    _ index: Int, _ stride: Int, _ pad: Int, _ kernel: Int, _ size: Int
  ) -> (Int, Int, Int) {
    let start = index * stride - pad
    let paddedEnd = min(start + kernel, size + pad)
    return (max(start, 0), min(paddedEnd, size), paddedEnd - start)
  }

  /// Runs `body(plane)` for every plane, in parallel runs of planes.
  @inline(__always)
  private static func forEachPlane(_ g: PoolingGeometry, _ body: (Int) -> Void) {
    // Aim for at least ~16 K bottom elements per thread; smaller jobs stay serial.
    let minimum = max(1, (1 << 14) / max(1, g.planeCount))
    Parallel.forEachRange(count: g.planes, minimumPerRange: minimum) { planes in
      for plane in planes { body(plane) }
    }
  }

  /// Max forward for any mask element type.
  @inline(__always)
  private static func maxForward<Mask: PoolingMaskElement>(
    _ g: PoolingGeometry, bottom: UnsafePointer<Float>, top: UnsafeMutablePointer<Float>,
    mask: UnsafeMutablePointer<Mask>
  ) {
    let pairs = g.isTwoByTwo
    forEachPlane(g) { plane in
      let input = bottom + plane * g.planeCount
      let offset = plane * g.pooledPlaneCount
      var output = top + offset
      var indices = mask + offset
      if pairs {
        maxTwoByTwo(g, input: input, output: output, indices: indices)
        return
      }
      for py in 0..<g.pooledHeight {
        let (y0, y1, _) = window(py, g.strideH, g.padH, g.kernelH, g.height)
        for px in 0..<g.pooledWidth {
          let (x0, x1, _) = window(px, g.strideW, g.padW, g.kernelW, g.width)
          var best = -Float.greatestFiniteMagnitude
          var bestIndex = -1
          for y in y0..<y1 {
            let row = input + y * g.width
            for x in x0..<x1 where row[x] > best {
              best = row[x]
              bestIndex = y * g.width + x
            }
          }
          output[px] = best
          indices[px] = Mask(poolingIndex: bestIndex)
        }
        output += g.pooledWidth
        indices += g.pooledWidth
      }
    }
  }

  /// Max forward of one plane for 2×2 windows at stride 2 that all lie inside the image.
  @inline(__always)
  private static func maxTwoByTwo<Mask: PoolingMaskElement>(
    _ g: PoolingGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    indices: UnsafeMutablePointer<Mask>
  ) {
    let width = g.width
    for py in 0..<g.pooledHeight {
      let upper = input + 2 * py * width
      let lower = upper + width
      let out = output + py * g.pooledWidth
      let marks = indices + py * g.pooledWidth
      let base = 2 * py * width
      for px in 0..<g.pooledWidth {
        let x = 2 * px
        // Scan order (top-left, top-right, bottom-left, bottom-right); a later pixel wins only
        // when strictly larger, as in Caffe.
        var best = upper[x]
        var at = base + x
        if upper[x + 1] > best {
          best = upper[x + 1]
          at = base + x + 1
        }
        if lower[x] > best {
          best = lower[x]
          at = base + width + x
        }
        if lower[x + 1] > best {
          best = lower[x + 1]
          at = base + width + x + 1
        }
        out[px] = best
        marks[px] = Mask(poolingIndex: at)
      }
    }
  }

  /// Max backward for any mask element type.
  @inline(__always)
  private static func maxBackward<Mask: PoolingMaskElement>(
    _ g: PoolingGeometry, topDiff: UnsafePointer<Float>, mask: UnsafePointer<Mask>,
    bottomDiff: UnsafeMutablePointer<Float>
  ) {
    forEachPlane(g) { plane in
      let output = bottomDiff + plane * g.planeCount
      let offset = plane * g.pooledPlaneCount
      output.update(repeating: 0, count: g.planeCount)
      for i in 0..<g.pooledPlaneCount {
        let index = mask[offset + i].poolingIndex
        if index >= 0 { output[index] += topDiff[offset + i] }
      }
    }
  }
}

/// A type that can hold a max-pooling arg-max index: `Int32` for the layer's own mask, `Float`
/// for Caffe's optional mask top blob.
///
/// A protocol rather than a conversion closure, so the per-window store is inlined in every
/// specialisation (a closure called per window costs more than the window itself).
@usableFromInline
protocol PoolingMaskElement {
  /// Stores a flat index `y·W + x` (or −1).
  init(poolingIndex: Int)
  /// The stored flat index.
  var poolingIndex: Int { get }
}

extension Int32: PoolingMaskElement {
  @usableFromInline init(poolingIndex: Int) { self.init(truncatingIfNeeded: poolingIndex) }
  @usableFromInline var poolingIndex: Int { Int(self) }
}

extension Float: PoolingMaskElement {
  @usableFromInline init(poolingIndex: Int) { self.init(poolingIndex) }
  @usableFromInline var poolingIndex: Int { Int(self) }
}
