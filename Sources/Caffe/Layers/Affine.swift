// Affine layers: Scale (y = x · γ, optionally + β) and Bias (y = x + β), with γ and β broadcast
// along axes of the bottom.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// How a broadcast operand of shape `bottom.shape[axis ..< axis + k]` lines up with the bottom,
/// viewed as (outer, dim, inner): outer = ∏ axes before `axis`, dim = the operand's count, inner =
/// ∏ axes after the operand's.
private struct Broadcast: Equatable {
  var outer = 0
  var dim = 0
  var inner = 0
}

// MARK: - Scale

/// "Scale": `y = x · γ` (+ β with `bias_term`), where γ and β cover the bottom's axes from `axis`
/// on and repeat over the others (Caffe's `ScaleLayer`).
///
/// γ is a learnt parameter with one bottom, or bottom[1] with two. A zero-axis γ (a scalar)
/// multiplies everything, whatever `axis` says. Paired with BatchNorm it gives the learnt γ, β of
/// batch normalisation.
///
/// Parameters (`scale_param`):
/// - `axis` (default 1; negative counts from the end): the first bottom axis γ covers.
/// - `num_axes` (default 1; -1: every axis from `axis` on; 0: a scalar): the axes a learnt γ
///   covers; with two bottoms bottom[1]'s own axes decide.
/// - `filler` (default constant 1): for a learnt γ.
/// - `bias_term` (default false) and `bias_filler` (default constant 0): a learnt β, shaped like γ.
///
/// - bottom[0]: (d0, …, dk), any shape.
/// - bottom[1] (optional): γ, shaped `bottom[0].shape[axis ..< axis + n]`.
/// - top[0]: bottom[0]'s shape; may be bottom[0] (in place; x is then kept aside for backward).
/// - blobs: γ (when learnt), then β (with `bias_term`).
///
/// Backward accumulates `Σ dy · x` into a learnt γ's diff (bottom[1]'s diff is overwritten) and
/// `Σ dy` into β's, summed over the repeated axes, then overwrites `bottom[0].diff` with `dy · γ`.
/// Caffe overwrites rather than accumulates a learnt γ's diff when γ has as many elements as x;
/// the two agree whenever the diffs are cleared before each backward, as the solver does.
///
/// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis`, a `num_axes` below -1 or
///   reaching past the bottom's axes, a bad filler, or stored blobs in the wrong number;
///   `CaffeError.shapeMismatch` when γ or β does not match the bottom's axes.
public final class ScaleLayer: Layer {
  override public class var type: String { "Scale" }
  override public class var bottomCount: BlobCount { .range(1...2) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// The index of β in ``Layer/blobs``, with `bias_term`.
  private var biasIndex: Int?
  private var geometry = Broadcast()
  private var biasGeometry = Broadcast()
  /// x, kept for backward when the layer runs in place.
  private let savedInput = Blob()

  /// Creates γ (with one bottom and no stored blobs) and β (with `bias_term`, unless stored).
  /// - Throws: `CaffeError.invalidParameter` for a bad `axis`, `num_axes` or filler, or stored
  ///   blobs in the wrong number.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let scale = param.scaleParam
    let learnt = bottom.count == 1 ? 1 : 0
    try checkStoredBlobs(allowed: scale.biasTerm ? [learnt, learnt + 1] : [learnt])
    if learnt == 1 && blobs.isEmpty {
      let shape = try operandShape(
        bottom[0], axis: Int(scale.axis), numAxes: Int(scale.numAxes), prefix: "scale_param")
      var filler = scale.filler
      if !scale.hasFiller {
        filler.type = "constant"
        filler.value = 1
      }
      let blob = try Blob(shape: shape)
      try fill(blob, with: filler, field: "scale_param.filler")
      blobs = [blob]
    }
    biasIndex = nil
    if scale.biasTerm {
      if blobs.count + bottom.count < 3 {
        let numAxes = bottom.count > 1 ? bottom[1].numAxes : Int(scale.numAxes)
        let shape = try operandShape(
          bottom[0], axis: Int(scale.axis), numAxes: numAxes, prefix: "scale_param")
        let blob = try Blob(shape: shape)
        try fill(blob, with: scale.biasFiller, field: "scale_param.bias_filler")
        blobs.append(blob)
      }
      biasIndex = blobs.count - 1
    }
    resetParamPropagateDown()
  }

  /// Lines γ (and β) up with the bottom and shapes the top.
  /// - Throws: `CaffeError.invalidParameter` for a bad `axis`; `CaffeError.shapeMismatch` when γ
  ///   or β does not match the bottom's axes.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let axis = Int(param.scaleParam.axis)
    let (scale, scaleName) = bottom.count > 1 ? (bottom[1], bottomName(1)) : (blobs[0], "scale")
    geometry = try broadcast(scale, named: scaleName, over: bottom[0], axis: axis)
    if let biasIndex {
      biasGeometry = try broadcast(blobs[biasIndex], named: "bias", over: bottom[0], axis: axis)
    }
    if bottom[0] === top[0] {
      try savedInput.reshape(bottom[0].shape)
    } else {
      try top[0].reshape(bottom[0].shape)
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (x, y) = (bottom[0].data, top[0].data)
    if bottom[0] === top[0] {
      Elementwise.copy(count: savedInput.count, from: x, into: savedInput.data)
    }
    let scale = (bottom.count > 1 ? bottom[1] : blobs[0]).data
    let bias = biasIndex.map { blobs[$0].data }
    let fused = bias != nil && biasGeometry == geometry
    apply(x, scale: scale, shift: fused ? bias : nil, geometry, into: y)
    if let bias, !fused {
      apply(y, scale: nil, shift: bias, biasGeometry, into: y)
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let dy = top[0].diff
    if let biasIndex, propagatesToParameter(biasIndex) {
      NormalizationKernels.channelSums(
        dy, outer: biasGeometry.outer, channels: biasGeometry.dim, inner: biasGeometry.inner,
        accumulatingInto: blobs[biasIndex].diff)
    }
    let learnt = bottom.count == 1
    let scale = learnt ? blobs[0] : bottom[1]
    if learnt ? propagatesToParameter(0) : propagateDown[1] {
      let x = bottom[0] === top[0] ? savedInput.data : bottom[0].data
      if !learnt { Elementwise.set(count: scale.count, value: 0, into: scale.diff) }
      NormalizationKernels.channelDotSums(
        dy, x, outer: geometry.outer, channels: geometry.dim, inner: geometry.inner,
        accumulatingInto: scale.diff)
    }
    if propagateDown[0] {
      apply(dy, scale: scale.data, shift: nil, geometry, into: bottom[0].diff)
    }
  }

  private func apply(
    _ x: UnsafePointer<Float>, scale: UnsafePointer<Float>?, shift: UnsafePointer<Float>?,
    _ g: Broadcast, into y: UnsafeMutablePointer<Float>
  ) {
    NormalizationKernels.channelAffine(
      x, scale: scale, shift: shift, outer: g.outer, channels: g.dim, inner: g.inner, into: y)
  }
}

// MARK: - Bias

/// "Bias": `y = x + β`, where β covers the bottom's axes from `axis` on and repeats over the
/// others (Caffe's `BiasLayer`).
///
/// β is a learnt parameter with one bottom, or bottom[1] with two. A zero-axis β (a scalar) is
/// added everywhere, whatever `axis` says.
///
/// Parameters (`bias_param`):
/// - `axis` (default 1; negative counts from the end): the first bottom axis β covers.
/// - `num_axes` (default 1; -1: every axis from `axis` on; 0: a scalar): the axes a learnt β
///   covers; with two bottoms bottom[1]'s own axes decide.
/// - `filler` (default constant 0): for a learnt β.
///
/// - bottom[0]: (d0, …, dk), any shape.
/// - bottom[1] (optional): β, shaped `bottom[0].shape[axis ..< axis + n]`.
/// - top[0]: bottom[0]'s shape; may be bottom[0] (in place).
/// - blobs: β, when learnt.
///
/// Backward accumulates `Σ dy` over the repeated axes into a learnt β's diff (bottom[1]'s diff is
/// overwritten) and copies `dy` into `bottom[0].diff` (nothing to do in place).
///
/// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis`, a `num_axes` below -1 or
///   reaching past the bottom's axes, a bad filler, or stored blobs with two bottoms;
///   `CaffeError.shapeMismatch` when β does not match the bottom's axes.
public final class BiasLayer: Layer {
  override public class var type: String { "Bias" }
  override public class var bottomCount: BlobCount { .range(1...2) }
  override public class var topCount: BlobCount { .exactly(1) }

  private var geometry = Broadcast()

  /// Creates β with one bottom, unless the definition stores it.
  /// - Throws: `CaffeError.invalidParameter` for a bad `axis`, `num_axes` or filler, or stored
  ///   blobs in the wrong number.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let bias = param.biasParam
    let learnt = bottom.count == 1 ? 1 : 0
    try checkStoredBlobs(allowed: [learnt])
    if learnt == 1 && blobs.isEmpty {
      let shape = try operandShape(
        bottom[0], axis: Int(bias.axis), numAxes: Int(bias.numAxes), prefix: "bias_param")
      let blob = try Blob(shape: shape)
      try fill(blob, with: bias.filler, field: "bias_param.filler")
      blobs = [blob]
    }
    resetParamPropagateDown()
  }

  /// Lines β up with the bottom and shapes the top.
  /// - Throws: `CaffeError.invalidParameter` for a bad `axis`; `CaffeError.shapeMismatch` when β
  ///   does not match the bottom's axes.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let (bias, biasName) = bottom.count > 1 ? (bottom[1], bottomName(1)) : (blobs[0], "bias")
    geometry = try broadcast(
      bias, named: biasName, over: bottom[0], axis: Int(param.biasParam.axis),
      prefix: "bias_param")
    if bottom[0] !== top[0] { try top[0].reshape(bottom[0].shape) }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let bias = (bottom.count > 1 ? bottom[1] : blobs[0]).data
    NormalizationKernels.channelAffine(
      bottom[0].data, scale: nil, shift: bias, outer: geometry.outer, channels: geometry.dim,
      inner: geometry.inner, into: top[0].data)
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let dy = top[0].diff
    if propagateDown[0] && bottom[0] !== top[0] {
      Elementwise.copy(count: top[0].count, from: dy, into: bottom[0].diff)
    }
    let learnt = bottom.count == 1
    guard learnt ? propagatesToParameter(0) : propagateDown[1] else { return }
    let bias = learnt ? blobs[0] : bottom[1]
    if !learnt { Elementwise.set(count: bias.count, value: 0, into: bias.diff) }
    NormalizationKernels.channelSums(
      dy, outer: geometry.outer, channels: geometry.dim, inner: geometry.inner,
      accumulatingInto: bias.diff)
  }
}

// MARK: - Shared helpers

extension Layer {
  /// The shape of a new learnt operand: `bottom.shape[axis ..< axis + numAxes]` (to the last axis
  /// when `numAxes` is -1).
  /// - Throws: `CaffeError.invalidParameter` naming `<prefix>.axis` or `<prefix>.num_axes`.
  fileprivate func operandShape(_ bottom: Blob, axis: Int, numAxes: Int, prefix: String) throws
    -> [Int]
  {
    let first = try axisIndex(axis, of: bottom, field: "\(prefix).axis")
    guard numAxes >= -1 else {
      throw invalid(
        "\(prefix).num_axes",
        "must be 0 or more, or -1 for every axis from axis on; got \(numAxes)")
    }
    let end = numAxes == -1 ? bottom.numAxes : first + numAxes
    guard end <= bottom.numAxes else {
      throw invalid(
        "\(prefix).num_axes",
        "\(numAxes) axes from axis \(first) reach past bottom \"\(bottomName(0))\" with shape "
          + "\(bottom.shape)")
    }
    return Array(bottom.shape[first..<end])
  }

  /// How `operand` broadcasts over `bottom` from `axis` (axis 0 for a zero-axis operand).
  /// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis` or an operand with more
  ///   axes than the bottom has from there; `CaffeError.shapeMismatch` when the dimensions differ.
  fileprivate func broadcast(
    _ operand: Blob, named operandName: String, over bottom: Blob, axis: Int,
    prefix: String = "scale_param"
  ) throws -> Broadcast {
    let first =
      operand.numAxes == 0 ? 0 : try axisIndex(axis, of: bottom, field: "\(prefix).axis")
    let end = first + operand.numAxes
    guard end <= bottom.numAxes else {
      throw invalid(
        "\(prefix).axis",
        "\"\(operandName)\" with shape \(operand.shape) reaches past bottom "
          + "\"\(bottomName(0))\" with shape \(bottom.shape) when applied from axis \(first)")
    }
    let expected = Array(bottom.shape[first..<end])
    guard expected == operand.shape else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: operandName, expected: expected, actual: operand.shape)
    }
    return Broadcast(
      outer: bottom.count(from: 0, to: first), dim: operand.count, inner: bottom.count(from: end))
  }

  /// Checks that stored blobs, if any, are as many as one of `allowed`.
  /// - Throws: `CaffeError.invalidParameter` naming `blobs`.
  fileprivate func checkStoredBlobs(allowed: [Int]) throws {
    guard blobs.isEmpty || allowed.contains(blobs.count) else {
      let counts = allowed.map(String.init).joined(separator: " or ")
      throw invalid(
        "blobs",
        "the definition carries \(blobs.count) parameter blobs; with these bottoms and "
          + "bias_term the layer takes \(counts)")
    }
  }
}
