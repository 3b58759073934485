// Input layers: blobs the caller fills (Input) or fillers fill (DummyData).

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Input": declares the net's input blobs; the caller writes their data before each forward.
///
/// Parameters: `input_param.shape`, given once (for every top), once per top, or not at all
/// (the tops stay unshaped until the caller reshapes them).
///
/// - top[i]: the shape `input_param.shape` gives.
///
/// Forward and backward do nothing; forward keeps whatever shape the caller set.
///
/// - Throws: `CaffeError.invalidParameter` if `shape` is given neither once nor once per top, or
///   has a negative dimension.
public final class InputLayer: Layer {
  override public class var type: String { "Input" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .atLeast(1) }

  /// Shapes the tops.
  /// - Throws: `CaffeError.invalidParameter` for a wrong number of shapes or a negative dimension.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let shapes = param.inputParam.shape
    guard shapes.isEmpty || shapes.count == 1 || shapes.count == top.count else {
      throw invalid(
        "input_param.shape",
        "given \(shapes.count) times for \(top.count) tops; give it once, "
          + "once per top, or not at all")
    }
    guard !shapes.isEmpty else { return }
    for (index, blob) in top.enumerated() {
      try blob.reshape(try dimensions(shapes[shapes.count == 1 ? 0 : index], "input_param.shape"))
    }
  }

  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {}
}

// MARK: - DummyData

/// "DummyData": tops filled by fillers, for testing and benchmarking nets without a database.
///
/// Parameters (`dummy_data_param`):
/// - `shape` (once or once per top), or the legacy `num`, `channels`, `height`, `width` (each once
///   or once per top) for 4-D tops; not both.
/// - `data_filler` (none: constant 0; once for every top; or once per top).
///
/// As in Caffe, tops with a constant filler are filled once at setup; the others are refilled on
/// every forward from ``Runtime``'s generator.
///
/// - top[i]: the shape given.
///
/// - Throws: `CaffeError.invalidParameter` for the counting rules above, a negative dimension or a
///   bad filler.
public final class DummyDataLayer: Layer {
  override public class var type: String { "DummyData" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .atLeast(1) }

  private var fillers: [FillerParameter] = []

  /// Shapes the tops and fills them once.
  /// - Throws: `CaffeError.invalidParameter` for wrong field counts, a negative dimension or a
  ///   bad filler.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let dummy = param.dummyDataParam
    let fillerCount = dummy.dataFiller.count
    guard fillerCount <= 1 || fillerCount == top.count else {
      throw invalid(
        "data_filler",
        "given \(fillerCount) times for \(top.count) tops; give it once, once per "
          + "top, or not at all")
    }
    var constant = FillerParameter()
    constant.type = "constant"
    constant.value = 0
    fillers = dummy.dataFiller.isEmpty ? [constant] : dummy.dataFiller
    let shapes = try topShapes(dummy, tops: top.count)
    for (index, blob) in top.enumerated() {
      try blob.reshape(shapes[index])
      try fill(blob, with: filler(index), field: "data_filler")
    }
  }

  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Refills the tops whose filler is not constant.
  /// - Throws: `CaffeError.invalidParameter` for a bad filler.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    for (index, blob) in top.enumerated() where filler(index).type != "constant" {
      try fill(blob, with: filler(index), field: "data_filler")
    }
  }

  private func filler(_ top: Int) -> FillerParameter {
    fillers[fillers.count == 1 ? 0 : top]
  }

  /// The shape of every top, from `shape` or the legacy 4-D fields.
  private func topShapes(_ dummy: DummyDataParameter, tops: Int) throws -> [[Int]] {
    let legacy = [
      ("num", dummy.num), ("channels", dummy.channels), ("height", dummy.height),
      ("width", dummy.width),
    ]
    guard legacy.allSatisfy({ $0.1.isEmpty }) else {
      guard dummy.shape.isEmpty else {
        throw invalid("shape", "give shape or num/channels/height/width, not both")
      }
      for (field, values) in legacy where values.count != 1 && values.count != tops {
        throw invalid(
          field, "given \(values.count) times for \(tops) tops; give it once or once per top")
      }
      return (0..<tops).map { top in
        legacy.map { Int($0.1[$0.1.count == 1 ? 0 : top]) }
      }
    }
    guard dummy.shape.count == 1 || dummy.shape.count == tops else {
      throw invalid(
        "shape", "given \(dummy.shape.count) times for \(tops) tops; give it once or once per top")
    }
    return try (0..<tops).map {
      try dimensions(dummy.shape[dummy.shape.count == 1 ? 0 : $0], "shape")
    }
  }
}
