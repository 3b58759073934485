// Structure layers: layers that route or re-view blobs without computing (Split, Silence,
// Flatten, Reshape, Parameter).

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Split": hands one bottom to several consumers, as the net inserts it where a blob feeds more
/// than one layer.
///
/// The tops share the bottom's data (no copy); each keeps its own diff, and backward sums them.
///
/// - bottom[0]: any shape.
/// - top[i]: the bottom's shape and data.
///
/// Backward overwrites `bottom[0].diff` with `Σ_i top[i].diff`.
///
/// - Throws: `CaffeError.invalidNet` if a top is the bottom itself (in place).
public final class SplitLayer: Layer {
  override public class var type: String { "Split" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .atLeast(1) }

  /// Shapes the tops like the bottom and points them at its data.
  /// - Throws: `CaffeError.invalidNet` if a top is the bottom.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try refuseInPlace(bottom: bottom, top: top)
    for blob in top {
      try blob.reshape(like: bottom[0])
      blob.shareData(with: bottom[0])
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    for blob in top { blob.shareData(with: bottom[0]) }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let count = bottom[0].count
    let diff = bottom[0].diff
    if top.count == 1 {
      Elementwise.copy(count: count, from: top[0].diff, into: diff)
      return
    }
    Elementwise.add(count: count, a: top[0].diff, b: top[1].diff, into: diff)
    for blob in top.dropFirst(2) { BLAS.axpy(count: count, alpha: 1, x: blob.diff, y: diff) }
  }
}

// MARK: - Silence

/// "Silence": consumes its bottoms and produces nothing, so that unused blobs are not reported as
/// net outputs.
///
/// - bottom[i]: any shape.
///
/// Backward zeroes `bottom[i].diff` where `propagateDown[i]`.
public final class SilenceLayer: Layer {
  override public class var type: String { "Silence" }
  override public class var bottomCount: BlobCount { .atLeast(1) }
  override public class var topCount: BlobCount { .exactly(0) }

  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {}

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    for (blob, propagates) in zip(bottom, propagateDown) where propagates {
      Elementwise.set(count: blob.count, value: 0, into: blob.diff)
    }
  }
}

// MARK: - Flatten

/// "Flatten": merges the axes `axis...end_axis` of the bottom into one, without copying.
///
/// Parameters (`flatten_param`): `axis` (default 1) and `end_axis` (default -1, the last axis);
/// negative values count from the end, and `end_axis` may not come before `axis`.
///
/// - bottom[0]: (d₀, …, dₙ₋₁), e.g. (N, C, H, W).
/// - top[0]: (d₀, …, d_axis·…·d_end_axis, …); with the defaults (N, C·H·W).
///
/// The top shares the bottom's data and diff, so backward has nothing to do: the gradient written
/// into the top's diff is the bottom's.
///
/// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis` or `end_axis`, or
///   `end_axis` before `axis`; `CaffeError.invalidNet` for in-place use.
public final class FlattenLayer: Layer {
  override public class var type: String { "Flatten" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// Shapes the top and points it at the bottom's data and diff.
  /// - Throws: `CaffeError.invalidParameter` for bad axes; `CaffeError.invalidNet` in place.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try refuseInPlace(bottom: bottom, top: top)
    let input = bottom[0]
    let flatten = param.flattenParam
    let start = try axisIndex(Int(flatten.axis), of: input, field: "axis")
    let end = try axisIndex(Int(flatten.endAxis), of: input, field: "end_axis")
    guard end >= start else {
      throw invalid(
        "end_axis",
        "end_axis \(flatten.endAxis) (axis \(end)) comes before axis \(flatten.axis) (axis "
          + "\(start)) in bottom \"\(bottomName(0))\" with shape \(input.shape)")
    }
    let shape =
      Array(input.shape[..<start]) + [input.count(from: start, to: end + 1)]
      + Array(input.shape[(end + 1)...])
    try share(input, as: shape, into: top[0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {}

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}

// MARK: - Reshape

/// "Reshape": gives the bottom a new shape with the same count, without copying.
///
/// Parameters (`reshape_param`):
/// - `shape`: the new dimensions of the replaced axes. 0 copies the bottom's dimension at the same
///   position; -1 (at most once) is inferred so that the counts match.
/// - `axis` (default 0) and `num_axes` (default -1, all the rest): the range of bottom axes that
///   `shape` replaces. Negative `axis` counts from the end, with -1 meaning "after the last axis";
///   `num_axes: 0` inserts axes.
///
/// - bottom[0]: any shape, e.g. (N, C, H, W).
/// - top[0]: the bottom's axes before `axis`, then `shape`, then the axes after the replaced ones.
///
/// The top shares the bottom's data and diff, so backward has nothing to do.
///
/// - Throws: `CaffeError.invalidParameter` for a dimension below -1, more than one -1, a bad
///   `axis` or `num_axes`, a 0 with no bottom axis to copy, a bottom count the explicit dimensions
///   do not divide, or a shape whose count differs from the bottom's; `CaffeError.invalidNet` for
///   in-place use.
public final class ReshapeLayer: Layer {
  override public class var type: String { "Reshape" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// The dimensions of `shape`.
  private let newDims: [Int]
  /// The positions in `shape` holding 0 (copied from the bottom).
  private let copyAxes: [Int]
  /// The position in `shape` holding -1, if any.
  private let inferredAxis: Int?
  /// The product of the positive dimensions in `shape`.
  private let constantCount: Int

  /// Reads `reshape_param`.
  /// - Throws: `CaffeError.invalidParameter` for a dimension below -1, more than one -1, or
  ///   `num_axes` below -1.
  public required init(_ param: LayerParameter) throws {
    let reshape = param.reshapeParam
    let dims = reshape.shape.dim.map { Int($0) }
    let inferred = dims.indices.filter { dims[$0] == -1 }
    newDims = dims
    copyAxes = dims.indices.filter { dims[$0] == 0 }
    inferredAxis = inferred.first
    constantCount = dims.filter { $0 > 0 }.reduce(1, *)
    try super.init(param)
    if let bad = newDims.first(where: { $0 < -1 }) {
      throw invalid(
        "shape",
        "dimension \(bad) in \(newDims) is invalid; give a positive size, 0 to copy the "
          + "bottom's dimension, or -1 to infer it")
    }
    guard inferred.count <= 1 else {
      throw invalid(
        "shape", "\(newDims) contains -1 \(inferred.count) times; at most one dimension may be -1")
    }
    guard reshape.numAxes >= -1 else {
      throw invalid("num_axes", "must be >= 0, or -1 for all axes; got \(reshape.numAxes)")
    }
  }

  /// Computes the top shape and points the top at the bottom's data and diff.
  /// - Throws: `CaffeError.invalidParameter` when the shape does not fit the bottom;
  ///   `CaffeError.invalidNet` in place.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try refuseInPlace(bottom: bottom, top: top)
    let input = bottom[0]
    let (start, end) = try replacedAxes(of: input)
    var shape = Array(input.shape[..<start]) + newDims + Array(input.shape[end...])
    for index in copyAxes {
      guard start + index < input.numAxes else {
        throw invalid(
          "shape",
          "dimension \(index) of \(newDims) is 0 (copy), but bottom \"\(bottomName(0))\" with "
            + "shape \(input.shape) has no axis \(start + index) to copy")
      }
      shape[start + index] = input.shape[start + index]
    }
    if let inferredAxis {
      let explicit =
        constantCount * input.count(from: 0, to: start) * input.count(from: end)
        * copyAxes.map { shape[start + $0] }.reduce(1, *)
      guard explicit > 0, input.count % explicit == 0 else {
        throw invalid(
          "shape",
          "bottom count (\(input.count)) must be divisible by the product of the specified "
            + "dimensions (\(explicit)); bottom \"\(bottomName(0))\" has shape \(input.shape)")
      }
      shape[start + inferredAxis] = input.count / explicit
    }
    let count = shape.reduce(1, *)
    guard count == input.count else {
      throw invalid(
        "shape",
        "the top would have shape \(shape) (\(count) elements), but bottom "
          + "\"\(bottomName(0))\" has shape \(input.shape) (\(input.count) elements)")
    }
    try share(input, as: shape, into: top[0])
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {}

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}

  /// The bottom axes `start..<end` that `shape` replaces.
  private func replacedAxes(of input: Blob) throws -> (Int, Int) {
    let reshape = param.reshapeParam
    let axis = Int(reshape.axis)
    let start = axis >= 0 ? axis : input.numAxes + axis + 1
    guard start >= 0, start <= input.numAxes else {
      throw invalid(
        "axis",
        "axis \(axis) is out of range for bottom \"\(bottomName(0))\" with \(input.numAxes) "
          + "axes (shape \(input.shape)); it must lie in [\(-input.numAxes - 1), "
          + "\(input.numAxes)]")
    }
    let numAxes = Int(reshape.numAxes)
    let end = numAxes == -1 ? input.numAxes : start + numAxes
    guard end <= input.numAxes else {
      throw invalid(
        "num_axes",
        "axis \(start) + num_axes \(numAxes) = \(end) is beyond the \(input.numAxes) axes of "
          + "bottom \"\(bottomName(0))\" (shape \(input.shape))")
    }
    return (start, end)
  }
}

// MARK: - Parameter

/// "Parameter": exposes a learnable blob as its top, so that other layers can take it as a bottom.
///
/// Parameters: `parameter_param.shape`, the blob's shape. The blob starts at zero (Caffe runs no
/// filler here); trained weights come from a caffemodel.
///
/// - top[0]: (`parameter_param.shape`), sharing the parameter's data and diff.
/// - blobs: the parameter, (`parameter_param.shape`).
///
/// Backward has nothing to do: the consumers' gradients land in the parameter's diff directly.
///
/// - Throws: `CaffeError.invalidParameter` for a bad `shape` or a wrong number of stored blobs;
///   `CaffeError.shapeMismatch` for a stored blob of another shape.
public final class ParameterLayer: Layer {
  override public class var type: String { "Parameter" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// Creates (or checks) the parameter blob and points the top at it.
  /// - Throws: `CaffeError.invalidParameter` or `CaffeError.shapeMismatch` as the class says.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let shape = try dimensions(param.parameterParam.shape, "shape")
    if blobs.isEmpty {
      blobs = [try Blob(shape: shape)]
    } else {
      guard blobs.count == 1 else {
        throw invalid(
          "blobs", "the definition carries \(blobs.count) parameter blobs; the layer needs 1")
      }
      guard blobs[0].shape == shape else {
        throw CaffeError.shapeMismatch(
          layer: name, blob: "parameter", expected: shape, actual: blobs[0].shape)
      }
    }
    resetParamPropagateDown()
    try share(blobs[0], as: shape, into: top[0])
  }

  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Points the top at the parameter again: the net may have made it share another layer's blob.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    try share(blobs[0], as: blobs[0].shape, into: top[0])
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}

// MARK: - Helpers shared by the structure layers

extension Layer {
  /// Refuses a top that is also a bottom, for layers that cannot run in place.
  /// - Throws: `CaffeError.invalidNet` naming the layer and the top.
  func refuseInPlace(bottom: [Blob], top: [Blob]) throws {
    for (index, blob) in top.enumerated() where bottom.contains(where: { $0 === blob }) {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)): top \"\(topName(index))\" is also a bottom; "
          + "\(typeName) does not allow in-place computation")
    }
  }

  /// Makes `view` a view of `source` with `shape` (same count): it shares the data and the diff.
  /// - Throws: `CaffeError.invalidNet` for a bad shape.
  func share(_ source: Blob, as shape: [Int], into view: Blob) throws {
    view.shareData(with: source)
    view.shareDiff(with: source)
    try view.reshape(shape)
  }
}
