// Copy: strided block copies, row gathers and row scatters for the layers that move data.

/// Copies between `Float` buffers laid out as row-major N-D arrays, with explicit strides.
///
/// These are the loops behind Concat, Slice, Crop, Tile, BatchReindex, Filter and Embed. Outputs
/// labelled `into:` are overwritten; `accumulatingInto:` adds. Source and destination must not
/// overlap.
public enum Copy {
  /// Copies `count` blocks of `length` contiguous floats: block `b` goes from `x + b·xStride` to
  /// `y + b·yStride`.
  ///
  /// Concatenation along an axis is this with `count` = the product of the axes before it.
  ///
  /// - Parameters:
  ///   - count: the number of blocks.
  ///   - length: floats per block.
  ///   - x: the first source block; block `b` starts `b·xStride` floats after it.
  ///   - xStride: the distance between source blocks, in floats.
  ///   - y: the first destination block; overwritten.
  ///   - yStride: the distance between destination blocks, in floats.
  public static func blocks(
    count: Int, length: Int, from x: UnsafePointer<Float>, stride xStride: Int,
    into y: UnsafeMutablePointer<Float>, stride yStride: Int
  ) {
    guard length > 0 else { return }
    for block in 0..<count {
      (y + block * yStride).update(from: x + block * xStride, count: length)
    }
  }

  /// Copies an N-D box: `y[i₀, …, iₖ] = x[i₀, …, iₖ]` for every index inside `extent`, where
  /// element `(i₀, …, iₖ)` lies at `Σ iⱼ·xStrides[j]` in `x` and `Σ iⱼ·yStrides[j]` in `y`.
  ///
  /// Cropping is this with `x` pointing at the crop's first element and `extent` = the cropped
  /// shape; a stride of 0 repeats a source (tiling).
  ///
  /// - Parameters:
  ///   - extent: the box's size along each axis, outermost first (empty: one element).
  ///   - x: the source box's first element.
  ///   - xStrides: (extent.count) source strides in floats.
  ///   - y: the destination box's first element; overwritten.
  ///   - yStrides: (extent.count) destination strides in floats.
  public static func box(
    extent: [Int], from x: UnsafePointer<Float>, strides xStrides: [Int],
    into y: UnsafeMutablePointer<Float>, strides yStrides: [Int]
  ) {
    guard let last = extent.last else {
      y.pointee = x.pointee
      return
    }
    guard extent.allSatisfy({ $0 > 0 }) else { return }
    let axes = extent.count
    let rowContiguous = xStrides[axes - 1] == 1 && yStrides[axes - 1] == 1
    // Walk every index of the leading axes like an odometer; each position is one row of `last`.
    var index = Array(repeating: 0, count: axes - 1)
    var xOffset = 0
    var yOffset = 0
    while true {
      if rowContiguous {
        (y + yOffset).update(from: x + xOffset, count: last)
      } else {
        for i in 0..<last {
          y[yOffset + i * yStrides[axes - 1]] = x[xOffset + i * xStrides[axes - 1]]
        }
      }
      var axis = axes - 2
      while axis >= 0 {
        index[axis] += 1
        xOffset += xStrides[axis]
        yOffset += yStrides[axis]
        if index[axis] < extent[axis] { break }
        xOffset -= extent[axis] * xStrides[axis]
        yOffset -= extent[axis] * yStrides[axis]
        index[axis] = 0
        axis -= 1
      }
      if axis < 0 { return }
    }
  }

  /// Gathers rows: `y[r] = x[indices[r]]` for every `r`.
  ///
  /// - Parameters:
  ///   - indices: the source row of each destination row, each in `0..<` the rows of `x`.
  ///   - length: floats per row.
  ///   - x: (rows, length) source rows.
  ///   - y: (indices.count, length); overwritten.
  public static func gatherRows(
    _ indices: [Int], length: Int, from x: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>
  ) {
    guard length > 0 else { return }
    for (row, source) in indices.enumerated() {
      (y + row * length).update(from: x + source * length, count: length)
    }
  }

  /// Scatters rows, adding: `y[indices[r]] += x[r]` for every `r` (repeated indices add up).
  ///
  /// - Parameters:
  ///   - indices: the destination row of each source row, each in `0..<` the rows of `y`.
  ///   - length: floats per row.
  ///   - x: (indices.count, length) source rows.
  ///   - y: (rows, length); accumulated into.
  public static func scatterRows(
    _ indices: [Int], length: Int, from x: UnsafePointer<Float>,
    accumulatingInto y: UnsafeMutablePointer<Float>
  ) {
    for (row, destination) in indices.enumerated() {
      let source = x + row * length
      let target = y + destination * length
      for i in 0..<length { target[i] += source[i] }
    }
  }
}
