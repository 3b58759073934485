// Finiteness checks: where in a net a NaN or infinity first appeared (numerical safety).

import CaffeSupport

extension Blob {
  /// Whether every element of the data is finite (no NaN, no ±infinity).
  ///
  /// A finite Σ x² (one BLAS call) proves it; only when that sum is not finite (a NaN, an
  /// infinity, or finite values whose squares overflow) are the elements checked one by one.
  public var isDataFinite: Bool { sumsqData.isFinite || Self.allFinite(data, count: count) }

  /// Whether every element of the diff is finite (no NaN, no ±infinity); see ``isDataFinite``.
  public var isDiffFinite: Bool { sumsqDiff.isFinite || Self.allFinite(diff, count: count) }

  /// Σ x[i] · 0 is NaN exactly when some x[i] is NaN or infinite, and 0 otherwise.
  private static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
    var sum: Float = 0
    for i in 0..<count { sum += x[i] * 0 }
    return sum == 0
  }
}

extension Net {
  /// Whether every learnable parameter's data is finite.
  public var parametersAreFinite: Bool { learnableParams.allSatisfy(\.isDataFinite) }

  /// Whether every learnable parameter's diff is finite.
  public var gradientsAreFinite: Bool { learnableParams.allSatisfy(\.isDiffFinite) }

  /// Where the forward pass first went non-finite: the first layer, in forward order, with a
  /// non-finite parameter or top blob, such as `layer 'ip1' (InnerProduct), top blob ip1`.
  /// - Returns: the place, or `nil` when every parameter and top is finite.
  public func firstNonFiniteForward() -> String? {
    for layerID in layers.indices {
      let place = "layer '\(layerNames[layerID])' (\(layers[layerID].typeName))"
      for (paramID, blob) in layers[layerID].blobs.enumerated() where !blob.isDataFinite {
        return place + ", param blob \(paramID) data"
      }
      for (j, top) in topVecs[layerID].enumerated() where !top.isDataFinite {
        return place + ", top blob \(blobNames[topIDs[layerID][j]])"
      }
    }
    return nil
  }

  /// Where the backward pass first went non-finite: the first layer, in backward order, with a
  /// non-finite bottom or parameter diff, such as `layer 'conv1' (Convolution), param blob 0
  /// diff`.
  /// - Returns: the place, or `nil` when every computed diff is finite.
  public func firstNonFiniteBackward() -> String? {
    for layerID in layers.indices.reversed() where layerNeedBackward[layerID] {
      let place = "layer '\(layerNames[layerID])' (\(layers[layerID].typeName))"
      for (j, bottom) in bottomVecs[layerID].enumerated()
      where bottomNeedBackward[layerID][j] && !bottom.isDiffFinite {
        return place + ", bottom blob \(blobNames[bottomIDs[layerID][j]]) diff"
      }
      let layer = layers[layerID]
      for (paramID, blob) in layer.blobs.enumerated()
      where layer.paramPropagateDown[paramID] && !blob.isDiffFinite {
        return place + ", param blob \(paramID) diff"
      }
    }
    return nil
  }

  /// The first learnable parameter whose data is not finite, as `param blob 1 of layer 'ip'`.
  /// - Returns: the parameter, or `nil` when all are finite.
  public func firstNonFiniteParameter() -> String? {
    for (netParamID, blob) in params.enumerated() where !blob.isDataFinite {
      let (layerID, paramID) = paramLayerIndices[netParamID]
      return "param blob \(paramID) of layer '\(layerNames[layerID])'"
    }
    return nil
  }
}
