// Blob: Caffe's N-D array of floats with a data and a diff buffer.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// An N-D array (up to 32 axes) holding values (`data`) and gradients (`diff`).
///
/// Shapes are listed outermost first; for images that is (N, C, H, W). Memory is allocated on
/// demand and zeroed; `diff` memory exists only once something asks for it. Blobs are shared by
/// reference between layers and the net, as in Caffe.
public final class Blob {
  /// Caffe's limit on the number of axes.
  public static let maxAxes = 32

  /// The dimensions, outermost first.
  public private(set) var shape: [Int] = []
  /// The number of elements: the product of `shape` (1 for a scalar blob with no axes).
  public private(set) var count: Int = 0

  private var dataStorage = BlobStorage()
  private var diffStorage = BlobStorage()

  /// Creates an empty blob (no axes, count 0 until reshaped).
  public init() {}

  /// Creates a zero-filled blob of the given shape.
  /// - Throws: `CaffeError.invalidNet` if the shape has a negative dimension or too many axes.
  public init(shape: [Int]) throws {
    try reshape(shape)
  }

  /// Changes the shape, keeping memory when it is large enough (new memory is zeroed).
  /// - Throws: `CaffeError.invalidNet` if a dimension is negative, there are more than 32 axes,
  ///   or the element count exceeds `Int32.max` (Caffe's limit).
  public func reshape(_ newShape: [Int]) throws {
    guard newShape.count <= Self.maxAxes else {
      throw CaffeError.invalidNet(
        reason: "blob shape has \(newShape.count) axes; at most \(Self.maxAxes) are allowed")
    }
    var total = 1
    for dim in newShape {
      guard dim >= 0 else {
        throw CaffeError.invalidNet(reason: "blob shape \(newShape) has a negative dimension")
      }
      let (product, overflow) = total.multipliedReportingOverflow(by: dim)
      guard !overflow, product <= Int(Int32.max) else {
        throw CaffeError.invalidNet(reason: "blob size of shape \(newShape) exceeds INT_MAX")
      }
      total = product
    }
    shape = newShape
    count = total
    dataStorage.reserve(total)
  }

  /// Reshapes to the shape of `other`.
  public func reshape(like other: Blob) throws { try reshape(other.shape) }

  /// The shape as Caffe logs it: each dimension followed by a space, then the count in
  /// parentheses (`64 20 24 24 (737280)`; a scalar blob prints `(1)`).
  public var shapeString: String {
    shape.map { "\($0) " }.joined() + "(\(count))"
  }

  // MARK: - Axes

  /// The number of axes.
  public var numAxes: Int { shape.count }

  /// Maps a possibly negative axis (-1 = last) to its index.
  /// - Throws: `CaffeError.invalidNet` if the axis is out of range.
  public func canonicalAxis(_ axis: Int) throws -> Int {
    guard axis >= -numAxes, axis < numAxes else {
      throw CaffeError.invalidNet(
        reason: "axis \(axis) out of range for a \(numAxes)-axis blob with shape \(shape)")
    }
    return axis < 0 ? axis + numAxes : axis
  }

  /// The size of one axis (negative axes count from the end).
  /// - Throws: `CaffeError.invalidNet` if the axis is out of range.
  public func shape(_ axis: Int) throws -> Int { shape[try canonicalAxis(axis)] }

  /// The product of the dimensions in `start..<end`.
  public func count(from start: Int, to end: Int) -> Int {
    guard start < end else { return 1 }
    return shape[start..<end].reduce(1, *)
  }

  /// The product of the dimensions from `start` to the last axis.
  public func count(from start: Int) -> Int { count(from: start, to: numAxes) }

  // MARK: - Legacy 4-D accessors (N, C, H, W)

  /// Axis 0 (N) of a blob with at most 4 axes; 1 where the axis is missing.
  public var num: Int { legacyShape(0) }
  /// Axis 1 (C).
  public var channels: Int { legacyShape(1) }
  /// Axis 2 (H).
  public var height: Int { legacyShape(2) }
  /// Axis 3 (W).
  public var width: Int { legacyShape(3) }

  private func legacyShape(_ index: Int) -> Int {
    index < numAxes ? shape[index] : 1
  }

  // MARK: - Memory

  /// The values, `count` floats in row-major order.
  public var data: UnsafeMutablePointer<Float> { dataStorage.pointer }

  /// The gradients, `count` floats in row-major order (allocated and zeroed on first use).
  public var diff: UnsafeMutablePointer<Float> {
    diffStorage.reserve(count)
    return diffStorage.pointer
  }

  /// The values as an array (a copy).
  public var dataArray: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
  /// The gradients as an array (a copy).
  public var diffArray: [Float] { Array(UnsafeBufferPointer(start: diff, count: count)) }

  /// Copies `values` into `data`.
  /// - Throws: `CaffeError.invalidNet` if the value count differs from `count`.
  public func setData(_ values: [Float]) throws {
    try checkCount(values.count)
    values.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { data.update(from: base, count: count) }
    }
  }

  /// Copies `values` into `diff`.
  /// - Throws: `CaffeError.invalidNet` if the value count differs from `count`.
  public func setDiff(_ values: [Float]) throws {
    try checkCount(values.count)
    values.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { diff.update(from: base, count: count) }
    }
  }

  private func checkCount(_ given: Int) throws {
    guard given == count else {
      throw CaffeError.invalidNet(
        reason: "\(given) values given for a blob of shape \(shape) (\(count) elements)")
    }
  }

  /// Makes this blob use `other`'s data memory (no copy); shapes must have equal counts.
  public func shareData(with other: Blob) {
    dataStorage = other.dataStorage
  }

  /// Makes this blob use `other`'s diff memory (no copy; allocated when either first asks).
  public func shareDiff(with other: Blob) {
    diffStorage = other.diffStorage
  }

  /// Whether this blob's data memory is the same as `other`'s.
  public func sharesData(with other: Blob) -> Bool { dataStorage === other.dataStorage }

  /// Copies `other`'s data (and optionally diff) into this blob, reshaping if asked.
  /// - Throws: `CaffeError.invalidNet` if shapes differ and `reshape` is false.
  public func copy(from other: Blob, diff copyDiff: Bool = false, reshape: Bool = false) throws {
    if other.count != count || other.shape != shape {
      guard reshape else {
        throw CaffeError.invalidNet(
          reason: "cannot copy a blob of shape \(other.shape) into one of shape \(shape)")
      }
      try self.reshape(other.shape)
    }
    if copyDiff {
      diff.update(from: other.diff, count: count)
    } else {
      data.update(from: other.data, count: count)
    }
  }

  // MARK: - Arithmetic used by the net and solvers

  /// Applies the gradient step: data ← data − diff.
  public func update() { BLAS.axpy(count: count, alpha: -1, x: diff, y: data) }

  /// The sum of absolute values of `data` (L1 norm).
  public var asumData: Float { BLAS.asum(count: count, x: data) }
  /// The sum of absolute values of `diff` (L1 norm).
  public var asumDiff: Float { BLAS.asum(count: count, x: diff) }
  /// The sum of squares of `data` (squared L2 norm).
  public var sumsqData: Float { BLAS.dot(count: count, x: data, y: data) }
  /// The sum of squares of `diff` (squared L2 norm).
  public var sumsqDiff: Float { BLAS.dot(count: count, x: diff, y: diff) }

  /// Multiplies every `data` value by `factor`.
  public func scaleData(_ factor: Float) { BLAS.scale(count: count, alpha: factor, x: data) }
  /// Multiplies every `diff` value by `factor`.
  public func scaleDiff(_ factor: Float) { BLAS.scale(count: count, alpha: factor, x: diff) }
}
