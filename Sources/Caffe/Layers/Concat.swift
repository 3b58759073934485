// Concat and Slice: joining blobs along an axis, and splitting one along an axis.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Concat": joins the bottoms along one axis (GoogLeNet's inception outputs, for example).
///
/// Parameters (`concat_param`): `axis` (default 1, the channels; negative counts from the end),
/// or the legacy `concat_dim` (default 1, non-negative); not both.
///
/// - bottom[i]: (d₀, …, kᵢ, …, dₙ₋₁): every bottom has the same shape except along the axis.
/// - top[0]: (d₀, …, Σᵢ kᵢ, …, dₙ₋₁); bottom `i`'s block follows bottom `i − 1`'s.
///
/// Backward overwrites each `bottom[i].diff` (where `propagateDown[i]`) with its block of the
/// top's diff. With a single bottom the top shares its data and diff, and there is nothing to do.
///
/// - Throws: `CaffeError.invalidParameter` for both `axis` and `concat_dim`, or an out-of-range
///   axis; `CaffeError.shapeMismatch` for a bottom whose shape differs off the axis.
public final class ConcatLayer: Layer {
  override public class var type: String { "Concat" }
  override public class var bottomCount: BlobCount { .atLeast(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// The canonical concatenation axis.
  private var axis = 0

  /// Reads `concat_param`.
  /// - Throws: `CaffeError.invalidParameter` if both `axis` and `concat_dim` are given.
  public required init(_ param: LayerParameter) throws {
    try super.init(param)
    let concat = param.concatParam
    try checkAxisOrLegacy(hasAxis: concat.hasAxis, hasLegacy: concat.hasConcatDim, "concat_dim")
  }

  /// Checks the bottom shapes and shapes the top.
  /// - Throws: `CaffeError.invalidParameter` for a bad axis, `CaffeError.shapeMismatch` for a
  ///   bottom that does not fit the first.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let first = bottom[0]
    let concat = param.concatParam
    axis = try legacyAxis(
      concat.hasConcatDim ? Int(concat.concatDim) : nil, field: "concat_dim",
      axis: Int(concat.axis), of: first)
    var shape = first.shape
    for (index, blob) in bottom.enumerated().dropFirst() {
      var expected = first.shape
      if blob.numAxes == first.numAxes { expected[axis] = blob.shape[axis] }
      guard blob.shape == expected else {
        throw CaffeError.shapeMismatch(
          layer: name, blob: bottomName(index), expected: expected, actual: blob.shape)
      }
      shape[axis] += blob.shape[axis]
    }
    if bottom.count == 1 {
      try share(first, as: shape, into: top[0])
    } else {
      try top[0].reshape(shape)
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    guard bottom.count > 1 else { return }
    copyBlocks(along: axis, of: top[0], top[0].data, pieces: bottom, intoWhole: true) {
      bottom[$0].data
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard bottom.count > 1 else { return }
    copyBlocks(along: axis, of: top[0], top[0].diff, pieces: bottom, intoWhole: false) {
      propagateDown[$0] ? bottom[$0].diff : nil
    }
  }
}

// MARK: - Slice

/// "Slice": cuts the bottom into consecutive pieces along one axis, one per top.
///
/// Parameters (`slice_param`):
/// - `axis` (default 1; negative counts from the end), or the legacy `slice_dim` (default 1,
///   non-negative); not both.
/// - `slice_point`: the cut positions along the axis, strictly increasing, one fewer than the
///   tops. None: the axis is cut into equal pieces, one per top.
///
/// - bottom[0]: (d₀, …, k, …, dₙ₋₁).
/// - top[i]: (d₀, …, kᵢ, …, dₙ₋₁) with Σᵢ kᵢ = k.
///
/// Backward overwrites `bottom[0].diff` from the tops' diffs. With a single top the top shares
/// the bottom's data and diff, and there is nothing to do.
///
/// - Throws: `CaffeError.invalidParameter` for both `axis` and `slice_dim`, an out-of-range axis,
///   or slice points that do not fit the tops or the axis.
public final class SliceLayer: Layer {
  override public class var type: String { "Slice" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .atLeast(1) }

  /// The canonical slicing axis.
  private var axis = 0

  /// Reads `slice_param`.
  /// - Throws: `CaffeError.invalidParameter` if both `axis` and `slice_dim` are given.
  public required init(_ param: LayerParameter) throws {
    try super.init(param)
    let slice = param.sliceParam
    try checkAxisOrLegacy(hasAxis: slice.hasAxis, hasLegacy: slice.hasSliceDim, "slice_dim")
  }

  /// Shapes the tops from the slice points.
  /// - Throws: `CaffeError.invalidParameter` for a bad axis or slice points.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let slice = param.sliceParam
    axis = try legacyAxis(
      slice.hasSliceDim ? Int(slice.sliceDim) : nil, field: "slice_dim", axis: Int(slice.axis),
      of: input)
    let sizes = try pieceSizes(of: input, tops: top.count)
    if top.count == 1 {
      try share(input, as: input.shape, into: top[0])
      return
    }
    var shape = input.shape
    for (blob, size) in zip(top, sizes) {
      shape[axis] = size
      try blob.reshape(shape)
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    guard top.count > 1 else { return }
    copyBlocks(along: axis, of: bottom[0], bottom[0].data, pieces: top, intoWhole: false) {
      top[$0].data
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0], top.count > 1 else { return }
    copyBlocks(along: axis, of: bottom[0], bottom[0].diff, pieces: top, intoWhole: true) {
      top[$0].diff
    }
  }

  /// The size of each top along the axis.
  private func pieceSizes(of input: Blob, tops: Int) throws -> [Int] {
    let size = input.shape[axis]
    let points = param.sliceParam.slicePoint.map { Int($0) }
    let place = "axis \(axis) of bottom \"\(bottomName(0))\" (shape \(input.shape))"
    guard !points.isEmpty else {
      guard size % tops == 0 else {
        throw invalid(
          "slice_point",
          "none given, so the \(tops) tops cut \(place) into equal pieces, but its size "
            + "\(size) is not divisible by \(tops); give slice_point")
      }
      return Array(repeating: size / tops, count: tops)
    }
    guard points.count == tops - 1 else {
      throw invalid(
        "slice_point",
        "given \(points.count) times for \(tops) tops; give one fewer than the tops "
          + "(\(tops - 1)), or none for equal pieces")
    }
    guard tops <= size else {
      throw invalid("slice_point", "\(tops) tops cannot cut \(place), which has size \(size)")
    }
    var sizes: [Int] = []
    var previous = 0
    for point in points {
      guard point > previous else {
        throw invalid("slice_point", "\(points) must be positive and strictly increasing")
      }
      sizes.append(point - previous)
      previous = point
    }
    guard previous <= size else {
      throw invalid("slice_point", "point \(previous) lies beyond \(place), of size \(size)")
    }
    return sizes + [size - previous]
  }
}

// MARK: - Helpers

extension Layer {
  /// Checks that at most one of `axis` and its legacy field (`concat_dim`, `slice_dim`) is given.
  /// - Throws: `CaffeError.invalidParameter` naming `legacyField` if both are.
  func checkAxisOrLegacy(hasAxis: Bool, hasLegacy: Bool, _ legacyField: String) throws {
    guard !(hasAxis && hasLegacy) else {
      throw invalid(legacyField, "give either axis or \(legacyField), not both")
    }
  }

  /// The canonical axis from a legacy non-negative field (`concat_dim`, `slice_dim`) when it is
  /// set, else from `axis`.
  /// - Throws: `CaffeError.invalidParameter` naming the field that is out of range.
  func legacyAxis(_ legacy: Int?, field: String, axis: Int, of blob: Blob) throws -> Int {
    guard let legacy else { return try axisIndex(axis, of: blob, field: "axis") }
    guard legacy < blob.numAxes else {
      throw invalid(
        field,
        "\(legacy) is out of range for bottom \"\(bottomName(0))\" with \(blob.numAxes) axes "
          + "(shape \(blob.shape)); it must lie in [0, \(blob.numAxes))")
    }
    return legacy
  }

  /// Copies between `whole`, seen as (outer, Σᵢ kᵢ, inner) around `axis`, and `pieces`, piece i
  /// (outer, kᵢ, inner) filling the i-th consecutive block along the axis (Concat and Slice).
  ///
  /// - Parameters:
  ///   - axis: the canonical axis the pieces follow each other along.
  ///   - whole: the joined blob, for its shape.
  ///   - wholeBuffer: its data or diff.
  ///   - pieces: the pieces, in order along the axis.
  ///   - intoWhole: whether the pieces are copied into the whole (else the whole into them).
  ///   - pieceBuffer: piece i's data or diff, or `nil` to leave piece i alone.
  func copyBlocks(
    along axis: Int, of whole: Blob, _ wholeBuffer: UnsafeMutablePointer<Float>, pieces: [Blob],
    intoWhole: Bool, pieceBuffer: (Int) -> UnsafeMutablePointer<Float>?
  ) {
    let outer = whole.count(from: 0, to: axis)
    let inner = whole.count(from: axis + 1)
    let wholeRow = whole.shape[axis] * inner
    var offset = 0
    for (index, piece) in pieces.enumerated() {
      // Piece row n (of `length` floats) is whole row n from column `offset`.
      let length = piece.shape[axis] * inner
      if let buffer = pieceBuffer(index) {
        if intoWhole {
          Copy.blocks(
            count: outer, length: length, from: buffer, stride: length,
            into: wholeBuffer + offset, stride: wholeRow)
        } else {
          Copy.blocks(
            count: outer, length: length, from: wholeBuffer + offset, stride: wholeRow,
            into: buffer, stride: length)
        }
      }
      offset += length
    }
  }
}
