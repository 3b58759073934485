// Reduction and ArgMax: collapsing the trailing axes of a blob to a sum, or to its top indices.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Reduction": reduces all axes from `axis` on to one number per leading index, times `coeff`.
///
/// - SUM: `y = c·Σ x`; ASUM: `y = c·Σ |x|`; SUMSQ: `y = c·Σ x²`; MEAN: `y = (c / m)·Σ x`, for the
///   m reduced elements.
///
/// Parameters (`reduction_param`): `operation` (default SUM); `axis` (default 0: everything, to a
/// scalar; negative counts from the end); `coeff` (default 1). As in Caffe, only trailing axes
/// can be reduced.
///
/// - bottom[0]: (d₀, …, dₙ₋₁).
/// - top[0]: (d₀, …, d_axis−1); with axis 0 a scalar (no axes, one element).
///
/// Backward overwrites `bottom[0].diff`: SUM `c·∂y`, ASUM `c·sign(x)·∂y`, SUMSQ `2c·x·∂y`, MEAN
/// `(c / m)·∂y`.
///
/// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis`.
public final class ReductionLayer: Layer {
  override public class var type: String { "Reduction" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private typealias Operation = ReductionParameter.ReductionOp

  private let operation: Operation
  /// The product of the kept axes: one output each.
  private var rows = 0
  /// m: the elements reduced into each output.
  private var length = 0
  /// `coeff`, divided by m for MEAN.
  private var scale: Float = 1

  /// Reads `reduction_param`.
  /// - Throws: nothing today; the signature matches the other layers.
  public required init(_ param: LayerParameter) throws {
    operation = param.reductionParam.operation
    try super.init(param)
  }

  /// Shapes the top from the kept axes.
  /// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis`.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let reduction = param.reductionParam
    let axis = try axisIndex(Int(reduction.axis), of: input, field: "axis")
    try top[0].reshape(Array(input.shape[..<axis]))
    rows = input.count(from: 0, to: axis)
    length = input.count(from: axis)
    scale = reduction.coeff
    if operation == .mean { scale /= Float(length) }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (input, output) = (bottom[0].data, top[0].data)
    for row in 0..<rows {
      let x = input + row * length
      let total: Float
      switch operation {
      case .sum, .mean: total = Elementwise.sum(count: length, x: x)
      case .asum: total = BLAS.asum(count: length, x: x)
      case .sumsq: total = BLAS.dot(count: length, x: x, y: x)
      }
      output[row] = scale * total
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let (input, diff, outputDiff) = (bottom[0].data, bottom[0].diff, top[0].diff)
    for row in 0..<rows {
      let x = input + row * length
      let dx = diff + row * length
      let factor = outputDiff[row] * scale
      switch operation {
      case .sum, .mean:
        Elementwise.set(count: length, value: factor, into: dx)
      case .asum:
        Elementwise.sign(count: length, x: x, into: dx)
        BLAS.scale(count: length, alpha: factor, x: dx)
      case .sumsq:
        Elementwise.scale(count: length, alpha: 2 * factor, x: x, into: dx)
      }
    }
  }
}

// MARK: - ArgMax

/// "ArgMax": the indices (and optionally the values) of the `top_k` largest entries.
///
/// Parameters (`argmax_param`): `out_max_val` (default false); `top_k` (default 1); `axis`
/// (optional; negative counts from the end). Ties go to the larger index, as in Caffe.
///
/// - bottom[0]: (N, …).
/// - top[0] without `axis`: the maxima over each item's flattened C·H·W entries, shaped
///   (N, 1, top_k) — or (N, 2, top_k) with `out_max_val`: indices, then values — padded with
///   1s to the bottom's number of axes (at least 3).
/// - top[0] with `axis`: the bottom's shape with that axis replaced by `top_k`, holding the
///   indices along it — or, with `out_max_val`, the values instead.
///
/// It has no backward: asking for one throws.
///
/// - Throws: `CaffeError.invalidParameter` for a `top_k` below 1 or above the entries it ranks,
///   or an out-of-range `axis`; `CaffeError.invalidNet` from backward.
public final class ArgMaxLayer: Layer {
  override public class var type: String { "ArgMax" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private let topK: Int
  private let outMaxVal: Bool
  /// The canonical axis, or nil to rank each item's flattened entries.
  private var axis: Int?

  /// Reads `argmax_param`.
  /// - Throws: `CaffeError.invalidParameter` for a `top_k` below 1.
  public required init(_ param: LayerParameter) throws {
    let argmax = param.argmaxParam
    topK = Int(argmax.topK)
    outMaxVal = argmax.outMaxVal
    try super.init(param)
    guard topK >= 1 else { throw invalid("top_k", "must be at least 1, got \(topK)") }
  }

  /// Shapes the top.
  /// - Throws: `CaffeError.invalidParameter` for a bad `axis` or a `top_k` above the entries.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let argmax = param.argmaxParam
    if argmax.hasAxis {
      let axis = try axisIndex(Int(argmax.axis), of: input, field: "axis")
      try checkTopK(entries: input.shape[axis], "axis \(axis)", of: input)
      var shape = input.shape
      shape[axis] = topK
      try top[0].reshape(shape)
      self.axis = axis
    } else {
      guard input.numAxes >= 1 else {
        throw invalid("axis", "bottom \"\(bottomName(0))\" has no axes; ArgMax needs (N, …)")
      }
      try checkTopK(entries: input.count(from: 1), "each item", of: input)
      var shape = Array(repeating: 1, count: max(input.numAxes, 3))
      shape[0] = input.shape[0]
      shape[1] = outMaxVal ? 2 : 1
      shape[2] = topK
      try top[0].reshape(shape)
      axis = nil
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let (x, y) = (input.data, top[0].data)
    // The bottom is viewed as (outer, entries, inner); each (outer, inner) pair ranks `entries`
    // values that lie `inner` floats apart.
    let entries = axis.map { input.shape[$0] } ?? input.count(from: 1)
    let inner = axis.map { input.count(from: $0 + 1) } ?? 1
    let outer = entries * inner == 0 ? 0 : input.count / (entries * inner)
    var ranked = Array(repeating: (value: Float(0), index: 0), count: entries)
    for o in 0..<outer {
      for i in 0..<inner {
        for j in 0..<entries { ranked[j] = (x[(o * entries + j) * inner + i], j) }
        Self.rank(&ranked, topK)
        for k in 0..<topK {
          if axis == nil {
            // Each item's row holds the indices, then (with out_max_val) the values.
            let row = o * (outMaxVal ? 2 : 1) * topK
            y[row + k] = Float(ranked[k].index)
            if outMaxVal { y[row + topK + k] = ranked[k].value }
          } else {
            y[(o * topK + k) * inner + i] = outMaxVal ? ranked[k].value : Float(ranked[k].index)
          }
        }
      }
    }
  }

  /// Moves the `k` largest entries to the front, largest first; ties go to the larger index.
  private static func rank(_ entries: inout [(value: Float, index: Int)], _ k: Int) {
    guard k == 1 else {
      entries.sort { $0.value > $1.value || ($0.value == $1.value && $0.index > $1.index) }
      return
    }
    // One linear scan suffices for the common top_k 1 (per-pixel labels in segmentation nets).
    var best = 0
    for j in entries.indices.dropFirst() where entries[j].value >= entries[best].value {
      best = j
    }
    entries.swapAt(0, best)
  }

  /// ArgMax is not differentiable.
  /// - Throws: `CaffeError.invalidNet` when any `propagateDown` is true.
  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard !propagateDown.contains(true) else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (ArgMax) has no backward: its output is not differentiable; "
          + "set propagate_down: false or keep it off the path to a loss")
    }
  }

  private func checkTopK(entries: Int, _ what: String, of input: Blob) throws {
    guard topK <= entries else {
      throw invalid(
        "top_k",
        "\(topK) is more than the \(entries) entries of \(what) in bottom "
          + "\"\(bottomName(0))\" (shape \(input.shape))")
    }
  }
}
