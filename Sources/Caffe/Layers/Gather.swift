// Gather layers: rows picked by index (BatchReindex, Filter) and table look-ups (Embed).

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "BatchReindex": picks items of bottom 0 along N by index: `y[i] = x[index[i]]`.
///
/// - bottom[0]: (N, …), the items.
/// - bottom[1]: (M), the indices, each in [0, N); may repeat.
/// - top[0]: (M, …).
///
/// Backward overwrites `bottom[0].diff` with the top's diff summed back onto the items it came
/// from (0 for items nobody picked). The indices get no gradient.
///
/// - Throws: `CaffeError.shapeMismatch` if the indices are not 1-D or the items have no axis;
///   `CaffeError.invalidData` for an index out of range; `CaffeError.invalidNet` when asked for
///   the indices' gradient.
public final class BatchReindexLayer: Layer {
  override public class var type: String { "BatchReindex" }
  override public class var bottomCount: BlobCount { .exactly(2) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// The item index of each top row, from the last forward.
  private var indices: [Int] = []

  /// Shapes the top (M, …).
  /// - Throws: `CaffeError.shapeMismatch` for indices that are not 1-D or items with no axis.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let (items, index) = (bottom[0], bottom[1])
    guard index.numAxes == 1 else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(1), expected: [index.count], actual: index.shape)
    }
    guard items.numAxes >= 1 else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(0), expected: [index.count], actual: items.shape)
    }
    try top[0].reshape([index.count] + items.shape.dropFirst())
  }

  /// Gathers the picked items.
  /// - Throws: `CaffeError.invalidData` for an index out of range.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let items = bottom[0]
    let itemCount = items.shape[0]
    let values = bottom[1].data
    indices.removeAll(keepingCapacity: true)
    for position in 0..<bottom[1].count {
      let value = values[position]
      // Caffe compares the float with the bounds, then truncates it.
      guard value >= 0, value < Float(itemCount) else {
        throw CaffeError.invalidData(
          layer: name,
          reason: "index \(value) at position \(position) of bottom \"\(bottomName(1))\" is out "
            + "of range: bottom \"\(bottomName(0))\" (shape \(items.shape)) has items 0 to "
            + "\(itemCount - 1)")
      }
      indices.append(Int(value))
    }
    Copy.gatherRows(
      indices, length: items.count(from: 1), from: items.data, into: top[0].data)
  }

  /// Sums the top's diff back onto the picked items.
  /// - Throws: `CaffeError.invalidNet` when `propagateDown[1]` asks for the indices' gradient.
  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard !propagateDown[1] else { throw noGradient(toBottom: 1, "its indices") }
    guard propagateDown[0] else { return }
    let items = bottom[0]
    Elementwise.set(count: items.count, value: 0, into: items.diff)
    Copy.scatterRows(
      indices, length: items.count(from: 1), from: top[0].diff, accumulatingInto: items.diff)
  }

  /// The indices never take a gradient.
  override public func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex == 0 }
}

// MARK: - Filter

/// "Filter": keeps the items (along N) whose selector is non-zero, in every bottom but the last.
///
/// - bottom[i], i < K: (N, …), the blobs to filter.
/// - bottom[K]: (N, 1, …, 1), the selector.
/// - top[i]: (S, …) for S selected items. At setup S is N (the selector is not known yet, as in
///   Caffe); each forward sets the real S.
///
/// Backward overwrites `bottom[i].diff` (i < K, where `propagateDown[i]`): the top's diff for the
/// selected items, 0 for the others. The selector gets no gradient.
///
/// - Throws: `CaffeError.blobCount` unless there is one top per filtered bottom;
///   `CaffeError.shapeMismatch` for a selector with non-singleton trailing axes or a bottom whose
///   N differs from the selector's; `CaffeError.invalidNet` when asked for the selector's
///   gradient.
public final class FilterLayer: Layer {
  override public class var type: String { "Filter" }
  override public class var bottomCount: BlobCount { .atLeast(2) }
  override public class var topCount: BlobCount { .atLeast(1) }

  /// The selected items, from the last reshape.
  private var selected: [Int] = []
  /// Whether the next reshape is the one during setup.
  private var firstReshape = true

  /// Checks that there is one top per filtered bottom.
  /// - Throws: `CaffeError.blobCount` otherwise.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    guard top.count == bottom.count - 1 else {
      throw CaffeError.blobCount(
        layer: name, type: typeName, side: "top",
        expected: "exactly \(bottom.count - 1) (one per bottom except the selector)",
        actual: top.count)
    }
    firstReshape = true
  }

  /// Reads the selector and shapes the tops.
  /// - Throws: `CaffeError.shapeMismatch` for a bad selector or bottom shape.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let selectorIndex = bottom.count - 1
    let selector = bottom[selectorIndex]
    let items = selector.numAxes >= 1 ? selector.shape[0] : selector.count
    let singleton = [items] + Array(repeating: 1, count: max(selector.numAxes - 1, 0))
    guard selector.shape == singleton else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(selectorIndex), expected: singleton, actual: selector.shape)
    }
    for (index, blob) in bottom.dropLast().enumerated()
    where blob.numAxes == 0 || blob.shape[0] != items {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(index), expected: [items] + blob.shape.dropFirst(),
        actual: blob.shape)
    }
    selected = (0..<items).filter { selector.data[$0] != 0 }
    let rows = firstReshape ? items : selected.count
    firstReshape = false
    for (blob, source) in zip(top, bottom) {
      try blob.reshape([rows] + source.shape.dropFirst())
    }
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    for (blob, source) in zip(top, bottom) {
      Copy.gatherRows(
        selected, length: source.count(from: 1), from: source.data, into: blob.data)
    }
  }

  /// Copies the selected items' diffs back and zeroes the rest.
  /// - Throws: `CaffeError.invalidNet` when asked for the selector's gradient.
  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let selectorIndex = bottom.count - 1
    guard !propagateDown[selectorIndex] else {
      throw noGradient(toBottom: selectorIndex, "its selector")
    }
    for (index, blob) in top.enumerated() where propagateDown[index] {
      let source = bottom[index]
      Elementwise.set(count: source.count, value: 0, into: source.diff)
      Copy.scatterRows(
        selected, length: source.count(from: 1), from: blob.diff, accumulatingInto: source.diff)
    }
  }

  /// The selector never takes a gradient.
  override public func allowForceBackward(bottomIndex: Int) -> Bool {
    bottomIndex < param.bottom.count - 1
  }
}

// MARK: - Embed

/// "Embed": looks up a learned row per integer index, `y[i] = W[x[i]] + b` — an inner product
/// with one-hot inputs, without building them.
///
/// Parameters (`embed_param`): `num_output` (required, > 0): D, the row length; `input_dim`
/// (required, > 0): K, the table's rows; `bias_term` (default true); `weight_filler`,
/// `bias_filler` (default constant 0).
///
/// - bottom[0]: any shape (…), holding integer indices in [0, K).
/// - top[0]: (…, D).
/// - blobs: weight (K, D) — transposed from InnerProduct's layout, so a row is contiguous —, bias
///   (D).
///
/// Backward accumulates into the weight rows that were looked up and into the bias diff. The
/// indices get no gradient.
///
/// - Throws: `CaffeError.invalidParameter` for a zero `num_output` or `input_dim`, a bad filler or
///   stored blobs in the wrong number; `CaffeError.shapeMismatch` for stored blobs of the wrong
///   shape; `CaffeError.invalidData` for an index that is not an integer in [0, K);
///   `CaffeError.invalidNet` when asked for the indices' gradient.
public final class EmbedLayer: Layer {
  override public class var type: String { "Embed" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// D: floats per output row.
  private let numOutput: Int
  /// K: rows of the table.
  private let inputDim: Int
  private let biasTerm: Bool
  /// The table row of each input, from the last forward.
  private var indices: [Int] = []

  /// Reads `embed_param`.
  /// - Throws: `CaffeError.invalidParameter` if `num_output` or `input_dim` is 0.
  public required init(_ param: LayerParameter) throws {
    let embed = param.embedParam
    numOutput = Int(embed.numOutput)
    inputDim = Int(embed.inputDim)
    biasTerm = embed.biasTerm
    try super.init(param)
    guard numOutput > 0 else { throw invalid("num_output", "must be positive, got 0") }
    guard inputDim > 0 else { throw invalid("input_dim", "must be positive, got 0") }
  }

  /// Creates (or checks) the weight (K, D) and bias (D).
  /// - Throws: `CaffeError.invalidParameter` or `CaffeError.shapeMismatch` for bad blobs.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let embed = param.embedParam
    try setUpParameterBlobs(
      weightShape: [inputDim, numOutput], biasShape: biasTerm ? [numOutput] : nil,
      weightFiller: embed.weightFiller, biasFiller: embed.biasFiller)
  }

  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try top[0].reshape(bottom[0].shape + [numOutput])
  }

  /// Looks the rows up and adds the bias.
  /// - Throws: `CaffeError.invalidData` for an index that is not an integer in [0, K).
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let values = bottom[0].data
    indices.removeAll(keepingCapacity: true)
    for position in 0..<bottom[0].count {
      let value = values[position]
      guard value >= 0, value < Float(inputDim), value == value.rounded(.towardZero) else {
        throw CaffeError.invalidData(
          layer: name,
          reason: "bottom \"\(bottomName(0))\" holds \(value) at position \(position); Embed "
            + "needs integer indices from 0 to input_dim − 1 = \(inputDim - 1)")
      }
      indices.append(Int(value))
    }
    let output = top[0].data
    Copy.gatherRows(indices, length: numOutput, from: blobs[0].data, into: output)
    if biasTerm {
      for row in indices.indices {
        BLAS.axpy(count: numOutput, alpha: 1, x: blobs[1].data, y: output + row * numOutput)
      }
    }
  }

  /// Accumulates the weight and bias diffs.
  /// - Throws: `CaffeError.invalidNet` when `propagateDown[0]` asks for the indices' gradient.
  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard !propagateDown[0] else { throw noGradient(toBottom: 0, "its input indices") }
    let outputDiff = top[0].diff
    if propagatesToParameter(0) {
      Copy.scatterRows(
        indices, length: numOutput, from: outputDiff, accumulatingInto: blobs[0].diff)
    }
    if biasTerm && propagatesToParameter(1) {
      for row in indices.indices {
        BLAS.axpy(count: numOutput, alpha: 1, x: outputDiff + row * numOutput, y: blobs[1].diff)
      }
    }
  }

  /// The indices never take a gradient.
  override public func allowForceBackward(bottomIndex: Int) -> Bool { false }
}

// MARK: - Helpers

extension Layer {
  /// The error for a backward asked to propagate to a bottom that has no gradient.
  func noGradient(toBottom index: Int, _ what: String) -> CaffeError {
    .invalidNet(
      reason: "layer \"\(name)\" (\(typeName)) cannot backpropagate to \(what) (bottom "
        + "\"\(bottomName(index))\"); set propagate_down: false for it")
  }
}
