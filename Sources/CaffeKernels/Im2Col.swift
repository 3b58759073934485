// Im2Col: unrolling image patches into the columns of a matrix (and back), 2-D and N-D.

/// Converts between an image and its patch matrix, in Caffe's layout.
///
/// For a (C, H, W) image and a kH × kW kernel, the column matrix is (C·kH·kW, outH·outW),
/// row-major: row `(c·kH + i)·kW + j` holds, for every output position `(y, x)`, the pixel
/// `image[c][y·strideH − padH + i·dilationH][x·strideW − padW + j·dilationW]`, or 0 where that
/// falls in the padding. The output size along each axis is
/// `(in + 2·pad − (dilation·(kernel − 1) + 1)) / stride + 1`.
///
/// The `columnStride` variants let several images share one wider column matrix (the row stride
/// is then larger than outH·outW), which is how ``ConvolutionKernels`` batches a mini-batch into
/// one GEMM.
public enum Im2Col {
  // MARK: - 2-D

  /// Unrolls a (C, H, W) image into its (C·kH·kW, outH·outW) column matrix.
  ///
  /// - Parameters:
  ///   - image: (channels, height, width), row-major.
  ///   - channels: C.
  ///   - height: H.
  ///   - width: W.
  ///   - kernelH: kernel height kH.
  ///   - kernelW: kernel width kW.
  ///   - padH: zero rows added above and below.
  ///   - padW: zero columns added left and right.
  ///   - strideH: vertical step between output positions.
  ///   - strideW: horizontal step between output positions.
  ///   - dilationH: vertical step between kernel taps.
  ///   - dilationW: horizontal step between kernel taps.
  ///   - col: (C·kH·kW, outH·outW), row-major; overwritten.
  @inlinable
  public static func im2col(
    image: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
    kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
    dilationH: Int, dilationW: Int, into col: UnsafeMutablePointer<Float>
  ) {
    let outW = outputSize(width, kernelW, padW, strideW, dilationW)
    let outH = outputSize(height, kernelH, padH, strideH, dilationH)
    im2col(
      image: image, channels: channels, height: height, width: width,
      kernelH: kernelH, kernelW: kernelW, padH: padH, padW: padW,
      strideH: strideH, strideW: strideW, dilationH: dilationH, dilationW: dilationW,
      into: col, columnStride: outH * outW)
  }

  /// Unrolls a (C, H, W) image into a (C·kH·kW, outH·outW) block of a wider column matrix.
  ///
  /// Same as ``im2col(image:channels:height:width:kernelH:kernelW:padH:padW:strideH:strideW:dilationH:dilationW:into:)``
  /// except that row `r` of the block starts at `col + r·columnStride`.
  ///
  /// - Parameters:
  ///   - image: (channels, height, width), row-major.
  ///   - channels: C.
  ///   - height: H.
  ///   - width: W.
  ///   - kernelH: kernel height kH.
  ///   - kernelW: kernel width kW.
  ///   - padH: zero rows added above and below.
  ///   - padW: zero columns added left and right.
  ///   - strideH: vertical step between output positions.
  ///   - strideW: horizontal step between output positions.
  ///   - dilationH: vertical step between kernel taps.
  ///   - dilationW: horizontal step between kernel taps.
  ///   - col: the block's first element; (C·kH·kW) rows of outH·outW values, consecutive rows
  ///     `columnStride` apart; overwritten.
  ///   - columnStride: row stride of the column matrix, ≥ outH·outW.
  public static func im2col(
    image: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
    kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
    dilationH: Int, dilationW: Int, into col: UnsafeMutablePointer<Float>, columnStride: Int
  ) {
    let outH = outputSize(height, kernelH, padH, strideH, dilationH)
    let outW = outputSize(width, kernelW, padW, strideW, dilationW)
    if isDense(padH, padW, strideH, strideW, dilationH, dilationW) {
      denseIm2col(
        image: image, channels: channels, height: height, width: width, kernelH: kernelH,
        kernelW: kernelW, outH: outH, outW: outW, into: col, columnStride: columnStride)
      return
    }
    var row = col
    for c in 0..<channels {
      let plane = image + c * height * width
      for i in 0..<kernelH {
        for j in 0..<kernelW {
          let (xBegin, xEnd, offset) = inside(outW, width, j, padW, strideW, dilationW)
          let (yBegin, yEnd, _) = inside(outH, height, i, padH, strideH, dilationH)
          // The row's (outH, outW) block is contiguous: zero the rows above and below the image
          // in one go each, then fill the rows in between.
          row.update(repeating: 0, count: yBegin * outW)
          (row + yEnd * outW).update(repeating: 0, count: (outH - yEnd) * outW)
          var out = row + yBegin * outW
          var source = plane + (yBegin * strideH - padH + i * dilationH) * width + offset
          let sourceStep = strideH * width
          if strideW == 1 && xBegin == 0 && xEnd == outW {
            for _ in yBegin..<yEnd {
              Short.copy(from: source, to: out, count: outW)
              out += outW
              source += sourceStep
            }
          } else {
            for _ in yBegin..<yEnd {
              for x in 0..<xBegin { out[x] = 0 }
              for x in xBegin..<xEnd { out[x] = source[x * strideW] }
              for x in xEnd..<outW { out[x] = 0 }
              out += outW
              source += sourceStep
            }
          }
          row += columnStride
        }
      }
    }
  }

  /// Folds a (C·kH·kW, outH·outW) column matrix back into a (C, H, W) image.
  ///
  /// The adjoint of ``im2col(image:channels:height:width:kernelH:kernelW:padH:padW:strideH:strideW:dilationH:dilationW:into:)``:
  /// `image` is zeroed, then every column entry is added to the pixel it was read from (entries
  /// from the padding are dropped), so overlapping patches sum.
  ///
  /// - Parameters:
  ///   - col: (C·kH·kW, outH·outW), row-major.
  ///   - channels: C.
  ///   - height: H.
  ///   - width: W.
  ///   - kernelH: kernel height kH.
  ///   - kernelW: kernel width kW.
  ///   - padH: zero rows added above and below.
  ///   - padW: zero columns added left and right.
  ///   - strideH: vertical step between output positions.
  ///   - strideW: horizontal step between output positions.
  ///   - dilationH: vertical step between kernel taps.
  ///   - dilationW: horizontal step between kernel taps.
  ///   - image: (channels, height, width), row-major; overwritten.
  @inlinable
  public static func col2im(
    col: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
    kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
    dilationH: Int, dilationW: Int, into image: UnsafeMutablePointer<Float>
  ) {
    let outW = outputSize(width, kernelW, padW, strideW, dilationW)
    let outH = outputSize(height, kernelH, padH, strideH, dilationH)
    col2im(
      col: col, channels: channels, height: height, width: width,
      kernelH: kernelH, kernelW: kernelW, padH: padH, padW: padW,
      strideH: strideH, strideW: strideW, dilationH: dilationH, dilationW: dilationW,
      into: image, columnStride: outH * outW)
  }

  /// Folds a (C·kH·kW, outH·outW) block of a wider column matrix back into a (C, H, W) image.
  ///
  /// - Parameters:
  ///   - col: the block's first element; rows `columnStride` apart.
  ///   - channels: C.
  ///   - height: H.
  ///   - width: W.
  ///   - kernelH: kernel height kH.
  ///   - kernelW: kernel width kW.
  ///   - padH: zero rows added above and below.
  ///   - padW: zero columns added left and right.
  ///   - strideH: vertical step between output positions.
  ///   - strideW: horizontal step between output positions.
  ///   - dilationH: vertical step between kernel taps.
  ///   - dilationW: horizontal step between kernel taps.
  ///   - image: (channels, height, width), row-major; overwritten (zeroed, then accumulated).
  ///   - columnStride: row stride of the column matrix, ≥ outH·outW.
  public static func col2im(
    col: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
    kernelH: Int, kernelW: Int, padH: Int, padW: Int, strideH: Int, strideW: Int,
    dilationH: Int, dilationW: Int, into image: UnsafeMutablePointer<Float>, columnStride: Int
  ) {
    let outH = outputSize(height, kernelH, padH, strideH, dilationH)
    let outW = outputSize(width, kernelW, padW, strideW, dilationW)
    image.update(repeating: 0, count: channels * height * width)
    if isDense(padH, padW, strideH, strideW, dilationH, dilationW) {
      denseCol2im(
        col: col, channels: channels, height: height, width: width, kernelH: kernelH,
        kernelW: kernelW, outH: outH, outW: outW, into: image, columnStride: columnStride)
      return
    }
    var row = col
    for c in 0..<channels {
      let plane = image + c * height * width
      for i in 0..<kernelH {
        for j in 0..<kernelW {
          let (xBegin, xEnd, offset) = inside(outW, width, j, padW, strideW, dilationW)
          let (yBegin, yEnd, _) = inside(outH, height, i, padH, strideH, dilationH)
          var source = row + yBegin * outW
          var target = plane + (yBegin * strideH - padH + i * dilationH) * width + offset
          let targetStep = strideH * width
          for _ in yBegin..<yEnd {
            if strideW == 1 {
              Short.add(source + xBegin, to: target + xBegin, count: xEnd - xBegin)
            } else {
              for x in xBegin..<xEnd { target[x * strideW] += source[x] }
            }
            source += outW
            target += targetStep
          }
          row += columnStride
        }
      }
    }
  }

  // MARK: - N-D

  /// Unrolls a (C, d₁, …, d_k) image into its (C·∏kernel, ∏out) column matrix, for any number of
  /// spatial axes.
  ///
  /// Row `c·∏kernel + (flat kernel offset)` holds, at each flat output position, the input element
  /// at `out·stride − pad + offset·dilation` on every axis, or 0 in the padding. With two spatial
  /// axes this equals the 2-D ``im2col(image:channels:height:width:kernelH:kernelW:padH:padW:strideH:strideW:dilationH:dilationW:into:)``.
  ///
  /// - Parameters:
  ///   - image: (channels, inputShape…), row-major.
  ///   - channels: C.
  ///   - inputShape: the spatial input sizes, one per axis.
  ///   - kernel: kernel size per spatial axis.
  ///   - pad: zero padding per spatial axis (each side).
  ///   - stride: step between output positions, per spatial axis.
  ///   - dilation: step between kernel taps, per spatial axis.
  ///   - col: (C·∏kernel, ∏outputShape), rows `columnStride` apart; overwritten.
  ///   - columnStride: row stride of `col`; `nil` means ∏outputShape.
  public static func im2colND(
    image: UnsafePointer<Float>, channels: Int, inputShape: [Int],
    kernel: [Int], pad: [Int], stride: [Int], dilation: [Int],
    into col: UnsafeMutablePointer<Float>, columnStride: Int? = nil
  ) {
    forEachTap(
      channels: channels, inputShape: inputShape, kernel: kernel, pad: pad, stride: stride,
      dilation: dilation, columnStride: columnStride
    ) { colIndex, imageIndex in
      col[colIndex] = imageIndex < 0 ? 0 : image[imageIndex]
    }
  }

  /// Folds an N-D column matrix back into a (C, d₁, …, d_k) image; the adjoint of
  /// ``im2colND(image:channels:inputShape:kernel:pad:stride:dilation:into:columnStride:)``.
  ///
  /// - Parameters:
  ///   - col: (C·∏kernel, ∏outputShape), rows `columnStride` apart.
  ///   - channels: C.
  ///   - inputShape: the spatial input sizes, one per axis.
  ///   - kernel: kernel size per spatial axis.
  ///   - pad: zero padding per spatial axis (each side).
  ///   - stride: step between output positions, per spatial axis.
  ///   - dilation: step between kernel taps, per spatial axis.
  ///   - image: (channels, inputShape…), row-major; overwritten (zeroed, then accumulated).
  ///   - columnStride: row stride of `col`; `nil` means ∏outputShape.
  public static func col2imND(
    col: UnsafePointer<Float>, channels: Int, inputShape: [Int],
    kernel: [Int], pad: [Int], stride: [Int], dilation: [Int],
    into image: UnsafeMutablePointer<Float>, columnStride: Int? = nil
  ) {
    image.update(repeating: 0, count: channels * inputShape.reduce(1, *))
    forEachTap(
      channels: channels, inputShape: inputShape, kernel: kernel, pad: pad, stride: stride,
      dilation: dilation, columnStride: columnStride
    ) { colIndex, imageIndex in
      if imageIndex >= 0 { image[imageIndex] += col[colIndex] }
    }
  }

  // MARK: - Dense 2-D (no padding, stride 1, dilation 1)

  /// Whether a 2-D convolution is dense: no padding, stride 1 and dilation 1, so that every tap
  /// of every output position reads inside the image (LeNet's convolutions are).
  @inline(__always)
  static func isDense(
    _ padH: Int, _ padW: Int, _ strideH: Int, _ strideW: Int, _ dilationH: Int, _ dilationW: Int
  ) -> Bool {
    padH == 0 && padW == 0 && strideH == 1 && strideW == 1 && dilationH == 1 && dilationW == 1
  }

  /// im2col for a dense convolution: row `(c·kH + i)·kW + j` of the column block is the
  /// (outH, outW) window of plane `c` whose corner is `(i, j)`, copied row by row.
  ///
  /// Same result as the general loop, without its per-row bounds arithmetic and zero fills, which
  /// cost more than the copies themselves for small outputs (conv2 of LeNet: 8 × 8).
  private static func denseIm2col(
    image: UnsafePointer<Float>, channels: Int, height: Int, width: Int, kernelH: Int,
    kernelW: Int, outH: Int, outW: Int, into col: UnsafeMutablePointer<Float>, columnStride: Int
  ) {
    var row = col
    for c in 0..<channels {
      let plane = image + c * height * width
      for i in 0..<kernelH {
        for j in 0..<kernelW {
          // out[y][x] = plane[y + i][x + j].
          var source = plane + i * width + j
          var out = row
          for _ in 0..<outH {
            Short.copy(from: source, to: out, count: outW)
            out += outW
            source += width
          }
          row += columnStride
        }
      }
    }
  }

  /// col2im for a dense convolution: adds each row of the column block onto the (outH, outW)
  /// window of its plane at corner `(i, j)`; `image` must be zeroed already.
  private static func denseCol2im(
    col: UnsafePointer<Float>, channels: Int, height: Int, width: Int, kernelH: Int,
    kernelW: Int, outH: Int, outW: Int, into image: UnsafeMutablePointer<Float>,
    columnStride: Int
  ) {
    var row = col
    for c in 0..<channels {
      let plane = image + c * height * width
      for i in 0..<kernelH {
        for j in 0..<kernelW {
          // plane[y + i][x + j] += col[row][y][x].
          var source = row
          var target = plane + i * width + j
          for _ in 0..<outH {
            Short.add(source, to: target, count: outW)
            source += outW
            target += width
          }
          row += columnStride
        }
      }
    }
  }

  // MARK: - Helpers

  /// The convolution output size along one axis: `(in + 2·pad − (dilation·(kernel − 1) + 1)) /
  /// stride + 1`, or 0 when the kernel does not fit.
  ///
  /// - Parameters:
  ///   - input: input size along the axis.
  ///   - kernel: kernel size.
  ///   - pad: padding on each side.
  ///   - stride: step between outputs.
  ///   - dilation: step between kernel taps.
  /// - Returns: the number of output positions.
  @inlinable
  public static func outputSize(
    _ input: Int, _ kernel: Int, _ pad: Int, _ stride: Int, _ dilation: Int
  ) -> Int {
    let extent = dilation * (kernel - 1) + 1
    let span = input + 2 * pad - extent
    return span < 0 ? 0 : span / stride + 1
  }

  /// The output positions `[begin, end)` along one axis whose kernel tap `tap` reads inside the
  /// image, and the tap's input offset `tap·dilation − pad` (input = position·stride + offset).
  @usableFromInline @inline(__always)
  static func inside(
    _ outputs: Int, _ size: Int, _ tap: Int, _ pad: Int, _ stride: Int, _ dilation: Int
  ) -> (begin: Int, end: Int, offset: Int) {
    let offset = tap * dilation - pad
    let begin = max(0, min(outputs, ceilDivide(-offset, stride)))
    let end = max(begin, min(outputs, ceilDivide(size - offset, stride)))
    return (begin, end, offset)
  }

  /// ⌈a / b⌉ for b > 0 and any sign of a.
  @usableFromInline
  @inline(__always)
  static func ceilDivide(_ a: Int, _ b: Int) -> Int {
    // Stride 1 is the common case, and an integer division costs dozens of cycles.
    if b == 1 { return a }
    return a >= 0 ? (a + b - 1) / b : -((-a) / b)
  }

  /// Calls `body(colIndex, imageIndex)` for every entry of the N-D column matrix, with
  /// `imageIndex == -1` where the tap falls in the padding.
  private static func forEachTap(
    channels: Int, inputShape: [Int], kernel: [Int], pad: [Int], stride: [Int], dilation: [Int],
    columnStride: Int?, _ body: (Int, Int) -> Void
  ) {
    let axes = inputShape.count
    let outputShape = (0..<axes).map {
      outputSize(inputShape[$0], kernel[$0], pad[$0], stride[$0], dilation[$0])
    }
    let outputCount = outputShape.reduce(1, *)
    let kernelCount = kernel.reduce(1, *)
    let inputCount = inputShape.reduce(1, *)
    let rowStride = columnStride ?? outputCount
    var tap = [Int](repeating: 0, count: axes)
    var position = [Int](repeating: 0, count: axes)
    for c in 0..<channels {
      for k in 0..<kernelCount {
        // Decompose the flat kernel offset k into one tap index per axis, last axis fastest.
        var rest = k
        for axis in stride.indices.reversed() {
          tap[axis] = rest % kernel[axis]
          rest /= kernel[axis]
        }
        let row = (c * kernelCount + k) * rowStride
        for p in 0..<outputCount {
          var rest = p
          for axis in stride.indices.reversed() {
            position[axis] = rest % outputShape[axis]
            rest /= outputShape[axis]
          }
          var imageIndex = 0
          for axis in 0..<axes {
            let coordinate =
              position[axis] * stride[axis] - pad[axis] + tap[axis] * dilation[axis]
            if coordinate < 0 || coordinate >= inputShape[axis] {
              imageIndex = -1
              break
            }
            imageIndex = imageIndex * inputShape[axis] + coordinate
          }
          body(row + p, imageIndex < 0 ? -1 : c * inputCount + imageIndex)
        }
      }
    }
  }
}

/// Copies and sums of short rows (a few to a few dozen floats), inlined as SIMD operations.
///
/// im2col and col2im move rows as short as the output width (8 floats for LeNet's conv2), and a
/// `memmove` call per row costs more than the row itself.
@usableFromInline
enum Short {
  /// `target[i] = source[i]` for `i < count`.
  @inline(__always) @usableFromInline
  static func copy(
    from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int
  ) {
    let from = UnsafeRawPointer(source)
    let to = UnsafeMutableRawPointer(target)
    var i = 0
    while i + 8 <= count {
      to.storeBytes(
        of: from.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
        toByteOffset: i * 4, as: SIMD8<Float>.self)
      i += 8
    }
    if i + 4 <= count {
      to.storeBytes(
        of: from.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self),
        toByteOffset: i * 4, as: SIMD4<Float>.self)
      i += 4
    }
    while i < count {
      target[i] = source[i]
      i += 1
    }
  }

  /// `target[i] += source[i]` for `i < count`.
  @inline(__always) @usableFromInline
  static func add(
    _ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int
  ) {
    let from = UnsafeRawPointer(source)
    let to = UnsafeMutableRawPointer(target)
    var i = 0
    while i + 8 <= count {
      let sum =
        from.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        + UnsafeRawPointer(to).loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      to.storeBytes(of: sum, toByteOffset: i * 4, as: SIMD8<Float>.self)
      i += 8
    }
    while i < count {
      target[i] += source[i]
      i += 1
    }
  }
}
