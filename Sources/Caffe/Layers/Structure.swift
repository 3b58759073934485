// Structure layers: layers that route blobs rather than compute (Split, Silence).

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
    for (index, blob) in top.enumerated() {
      guard blob !== bottom[0] else {
        throw CaffeError.invalidNet(
          reason: "layer \"\(name)\" (Split): top \"\(topName(index))\" is its bottom; Split does "
            + "not allow in-place computation")
      }
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
