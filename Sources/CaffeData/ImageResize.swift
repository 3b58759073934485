// Bilinear resizing of 8-bit images with OpenCV's fixed-point arithmetic (cv::resize, INTER_LINEAR).

import CaffeSupport

extension Image {
  /// The image resized to `height` × `width` as OpenCV 4's `cv::resize` with `INTER_LINEAR` does
  /// for 8-bit images (Caffe's `--resize_height/--resize_width`, `new_height/new_width`).
  ///
  /// - Same size: the image itself.
  /// - Exactly half the size in both directions: each output pixel is the mean of its 2 × 2
  ///   block, `(a + b + c + d + 2) >> 2` (OpenCV switches to its fast area mode there).
  /// - Otherwise bilinear with half-pixel centres. For output column `dx` the source position is
  ///   `fx = Float((dx + 0.5)·sw/dw − 0.5)` (computed in double, then rounded to float), split
  ///   into `sx = ⌊fx⌋` and the fraction, clamped at the borders (the edge pixel with weight 1);
  ///   likewise rows, whose indices are clamped but whose weights are kept. The weights
  ///   `1 − f` and `f` become 11-bit integers `round(w · 2048)` (ties to even). Each row is first
  ///   interpolated horizontally into integers `r = S[sx]·a0 + S[sx+1]·a1`; two such rows are
  ///   then blended vertically. For the first elements of a row (C·W' of them, in steps of 16
  ///   then 8, as OpenCV's 128-bit SIMD code takes them) that blend is
  ///   `((r0 >> 4)·b0 >> 16) + ((r1 >> 4)·b1 >> 16)`, then `(v + 2) >> 2`; the remaining tail
  ///   uses OpenCV's scalar formula `(r0·b0 + r1·b1 + 2²¹) >> 22`. Results saturate to 0...255.
  ///   OpenCV builds with other SIMD widths split the row elsewhere and may differ by 1 there.
  ///
  /// - Parameters:
  ///   - newHeight: H', the new number of rows (positive).
  ///   - newWidth: W', the new number of columns (positive).
  /// - Returns: the (H', W', C) image.
  /// - Throws: `CaffeError.invalidData` for a size below 1.
  public func resized(height newHeight: Int, width newWidth: Int) throws -> Image {
    guard newHeight > 0, newWidth > 0 else {
      throw CaffeError.invalidData(
        layer: "",
        reason: "cannot resize an image to \(newHeight) × \(newWidth) (H × W); "
          + "both sizes must be positive")
    }
    if newHeight == height && newWidth == width { return self }
    if height == 2 * newHeight && width == 2 * newWidth { return halved() }
    let columns = BilinearTaps(source: width, target: newWidth, clampWeights: true)
    let rows = BilinearTaps(source: height, target: newHeight, clampWeights: false)
    let rowLength = newWidth * channels
    let vectorEnd = Self.simdPrefix(rowLength)
    var output = [UInt8](repeating: 0, count: newHeight * rowLength)
    var upper = [Int32](repeating: 0, count: rowLength)
    var lower = [Int32](repeating: 0, count: rowLength)
    for y in 0..<newHeight {
      let top = min(max(rows.index[y], 0), height - 1)
      let bottom = min(max(rows.index[y] + 1, 0), height - 1)
      interpolateRow(top, columns, into: &upper)
      interpolateRow(bottom, columns, into: &lower)
      let b0 = Int32(rows.weights[2 * y])
      let b1 = Int32(rows.weights[2 * y + 1])
      for x in 0..<rowLength {
        let value: Int32
        if x < vectorEnd {
          // OpenCV's SIMD blend: 16-bit high products of the rows scaled down by 16.
          let sum = (((upper[x] >> 4) * b0) >> 16) + (((lower[x] >> 4) * b1) >> 16)
          value = (sum + 2) >> 2
        } else {
          value = (upper[x] * b0 + lower[x] * b1 + (1 << 21)) >> 22
        }
        output[y * rowLength + x] = UInt8(min(max(value, 0), 255))
      }
    }
    return Image(unchecked: newHeight, newWidth, channels, output)
  }

  /// Source row `row` interpolated horizontally: C·W' integers scaled by 2048.
  private func interpolateRow(_ row: Int, _ columns: BilinearTaps, into output: inout [Int32]) {
    let base = row * width * channels
    for x in 0..<columns.index.count {
      let a0 = Int32(columns.weights[2 * x])
      let a1 = Int32(columns.weights[2 * x + 1])
      let first = base + columns.index[x] * channels
      for c in 0..<channels {
        var value = Int32(pixels[first + c]) * a0
        // a1 is 0 at the right border, where the next pixel does not exist.
        if a1 != 0 { value += Int32(pixels[first + channels + c]) * a1 }
        output[x * channels + c] = value
      }
    }
  }

  /// The image at half size in both directions: each pixel the rounded mean of a 2 × 2 block.
  private func halved() -> Image {
    let newHeight = height / 2
    let newWidth = width / 2
    var output = [UInt8](repeating: 0, count: newHeight * newWidth * channels)
    for y in 0..<newHeight {
      for x in 0..<newWidth {
        for c in 0..<channels {
          let topLeft = ((2 * y) * width + 2 * x) * channels + c
          let bottomLeft = topLeft + width * channels
          let sum =
            Int(pixels[topLeft]) + Int(pixels[topLeft + channels]) + Int(pixels[bottomLeft])
            + Int(pixels[bottomLeft + channels])
          output[(y * newWidth + x) * channels + c] = UInt8((sum + 2) >> 2)
        }
      }
    }
    return Image(unchecked: newHeight, newWidth, channels, output)
  }

  /// How many leading elements of a row of `length` OpenCV's 128-bit SIMD blend covers: blocks
  /// of 16 while 16 remain, then blocks of 8 while more than 8 remain.
  private static func simdPrefix(_ length: Int) -> Int {
    var x = 0
    while x <= length - 16 { x += 16 }
    while x < length - 8 { x += 8 }
    return x
  }
}

/// The source index and the two 11-bit weights of each output position along one axis.
private struct BilinearTaps {
  /// ⌊f⌋ for each output position (clamped to the image for columns).
  var index: [Int] = []
  /// `round((1 − f)·2048)`, `round(f·2048)` for each output position, interleaved.
  var weights: [Int16] = []

  /// - Parameters:
  ///   - source: the input size along the axis.
  ///   - target: the output size along the axis.
  ///   - clampWeights: whether positions outside the image take the edge pixel with weight 1
  ///     (OpenCV does this for columns; for rows it clamps only the row indices).
  init(source: Int, target: Int, clampWeights: Bool) {
    // OpenCV computes the inverse scale first and the scale from it, in double.
    let scale = 1 / (Double(target) / Double(source))
    for position in 0..<target {
      var fraction = Float((Double(position) + 0.5) * scale - 0.5)
      var start = Int(fraction.rounded(.down))
      fraction -= Float(start)
      if clampWeights && start < 0 {
        start = 0
        fraction = 0
      }
      if clampWeights && start >= source - 1 {
        start = source - 1
        fraction = 0
      }
      index.append(start)
      weights.append(Self.fixedPoint(1 - fraction))
      weights.append(Self.fixedPoint(fraction))
    }
  }

  /// `weight · 2048` rounded to the nearest integer, ties to even (OpenCV's `cvRound`).
  private static func fixedPoint(_ weight: Float) -> Int16 {
    Int16((weight * 2048).rounded(.toNearestOrEven))
  }
}
