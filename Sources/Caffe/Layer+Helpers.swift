// Helpers every layer family uses: names, axis checks, weight creation and filling, label checks.

import CaffeKernels
import CaffeProto
import CaffeSupport

extension Layer {
  /// The name of bottom `index` as the prototxt gives it (`bottom[i]` when built without a net).
  func bottomName(_ index: Int) -> String {
    index < param.bottom.count ? param.bottom[index] : "bottom[\(index)]"
  }

  /// The name of top `index` as the prototxt gives it (`top[i]` when built without a net).
  func topName(_ index: Int) -> String {
    index < param.top.count ? param.top[index] : "top[\(index)]"
  }

  /// Whether backward should compute the diff of parameter blob `index` (true where the net has
  /// not said otherwise).
  func propagatesToParameter(_ index: Int) -> Bool {
    index < blobs.count && (index >= paramPropagateDown.count || paramPropagateDown[index])
  }

  /// The canonical index of `axis` (negative counts from the end) in `blob`.
  /// - Throws: `CaffeError.invalidParameter` naming `field` if the axis is out of range.
  func axisIndex(_ axis: Int, of blob: Blob, field: String, bottom: Int = 0) throws -> Int {
    guard axis >= -blob.numAxes, axis < blob.numAxes else {
      throw invalid(
        field,
        "axis \(axis) is out of range for bottom \"\(bottomName(bottom))\" with "
          + "\(blob.numAxes) axes (shape \(blob.shape))")
    }
    return axis < 0 ? axis + blob.numAxes : axis
  }

  /// Checks that `labels` (bottom 1) holds one label per prediction of `scores` (bottom 0), as
  /// the classification losses and Accuracy require.
  ///
  /// - Parameters:
  ///   - scores: the predictions, (outer, C, inner) around the class axis.
  ///   - labels: the labels, outer × inner values.
  ///   - predictions: outer × inner, the number of labels needed.
  ///   - axisName: how the message names the class axis ("softmax", "infogain", "label").
  /// - Throws: `CaffeError.invalidNet` if `labels` does not hold `predictions` values.
  func checkLabelCount(scores: Blob, labels: Blob, predictions: Int, axisName: String) throws {
    guard predictions == labels.count else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)): Number of labels must match number of "
          + "predictions; e.g., if \(axisName) axis == 1 and prediction shape is (N, C, H, W), "
          + "label count (number of labels) must be N*H*W, with integer values in {0, 1, ..., "
          + "C-1}. Here \"\(bottomName(0))\" is \(scores.shape), so \(predictions) labels "
          + "are needed; \"\(bottomName(1))\" has \(labels.count)")
    }
  }

  /// Creates and fills the weight (and bias) blobs, or checks those the definition carries.
  ///
  /// - Parameters:
  ///   - weightShape: the weight's shape.
  ///   - biasShape: the bias's shape, or `nil` without a bias.
  ///   - weightFiller: how to fill a new weight.
  ///   - biasFiller: how to fill a new bias.
  ///   - exactShape: whether stored blobs must have exactly these shapes (else equal counts do).
  /// - Throws: `CaffeError.invalidParameter` for a wrong number of stored blobs or a bad filler,
  ///   `CaffeError.shapeMismatch` for a stored blob of the wrong shape.
  func setUpParameterBlobs(
    weightShape: [Int], biasShape: [Int]?, weightFiller: FillerParameter,
    biasFiller: FillerParameter, exactShape: Bool = true
  ) throws {
    let shapes = [weightShape] + (biasShape.map { [$0] } ?? [])
    let names = ["weight", "bias"]
    if blobs.isEmpty {
      let fillers = [(weightFiller, "weight_filler"), (biasFiller, "bias_filler")]
      for (shape, (filler, field)) in zip(shapes, fillers) {
        let blob = try Blob(shape: shape)
        try fill(blob, with: filler, field: field)
        blobs.append(blob)
      }
    } else {
      guard blobs.count == shapes.count else {
        throw invalid(
          "blobs",
          "the definition carries \(blobs.count) parameter blobs; the layer needs "
            + "\(shapes.count) (\(names.prefix(shapes.count).joined(separator: " and ")))")
      }
      for (index, (blob, shape)) in zip(blobs, shapes).enumerated() {
        let matches = exactShape ? blob.shape == shape : blob.count == shape.reduce(1, *)
        guard matches else {
          throw CaffeError.shapeMismatch(
            layer: name, blob: names[index], expected: shape, actual: blob.shape)
        }
      }
    }
    resetParamPropagateDown()
  }

  /// Fills `blob` with `filler`.
  /// - Throws: `CaffeError.invalidParameter` naming this layer and `field` for a bad filler.
  func fill(_ blob: Blob, with filler: FillerParameter, field: String) throws {
    do {
      try Filler(filler).fill(blob)
    } catch CaffeError.invalidParameter(_, _, let fillerField, let reason) {
      throw invalid("\(field).\(fillerField)", reason)
    }
  }
}

extension Layer {
  /// The dimensions of a `BlobShape`.
  /// - Throws: `CaffeError.invalidParameter` naming `field` for a negative or oversized dimension.
  func dimensions(_ shape: BlobShape, _ field: String) throws -> [Int] {
    guard shape.dim.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }),
      shape.dim.count <= Blob.maxAxes
    else {
      throw invalid(
        field,
        "dimensions \(shape.dim) must be between 0 and \(Int32.max), at most "
          + "\(Blob.maxAxes) of them")
    }
    return shape.dim.map { Int($0) }
  }
}
