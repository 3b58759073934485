// debug_info: per-layer mean absolute values of data and diffs, in Caffe's log format.

import CaffeSupport

extension Net {
  /// Logs `[Forward] Layer L, top blob B data: m` for each top and each parameter blob, where m
  /// is the mean absolute value (asum / count).
  func logForwardDebugInfo(layer layerID: Int) {
    for (j, top) in topVecs[layerID].enumerated() {
      let blobID = topIDs[layerID][j]
      let blobName = blobID >= 0 ? blobNames[blobID] : "(automatic)"
      Log.info(
        "    [Forward] Layer \(layerNames[layerID]), top blob \(blobName) data: "
          + formatG(meanAbs(top.asumData, top.count)))
    }
    for (paramID, blob) in layers[layerID].blobs.enumerated() {
      Log.info(
        "    [Forward] Layer \(layerNames[layerID]), param blob "
          + "\(displayName(layer: layerID, param: paramID)) data: "
          + formatG(meanAbs(blob.asumData, blob.count)))
    }
  }

  /// Logs `[Backward]` lines for the bottoms and parameters that received gradients.
  func logBackwardDebugInfo(layer layerID: Int) {
    for (j, bottom) in bottomVecs[layerID].enumerated() where bottomNeedBackward[layerID][j] {
      Log.info(
        "    [Backward] Layer \(layerNames[layerID]), bottom blob "
          + "\(blobNames[bottomIDs[layerID][j]]) diff: "
          + formatG(meanAbs(bottom.asumDiff, bottom.count)))
    }
    let layer = layers[layerID]
    for (paramID, blob) in layer.blobs.enumerated() where layer.paramPropagateDown[paramID] {
      Log.info(
        "    [Backward] Layer \(layerNames[layerID]), param blob \(paramID) diff: "
          + formatG(meanAbs(blob.asumDiff, blob.count)))
    }
  }

  /// Logs the L1 and L2 norms of all learnable parameters' data and diffs (Caffe logs this at
  /// ERROR severity).
  func logParamNorms() {
    var asumData: Float = 0
    var asumDiff: Float = 0
    var sumsqData: Float = 0
    var sumsqDiff: Float = 0
    for blob in learnableParams {
      asumData += blob.asumData
      asumDiff += blob.asumDiff
      sumsqData += blob.sumsqData
      sumsqDiff += blob.sumsqDiff
    }
    Log.error(
      "    [Backward] All net params (data, diff): L1 norm = (\(formatG(asumData)), "
        + "\(formatG(asumDiff))); L2 norm = (\(formatG(sumsqData.squareRoot())), "
        + "\(formatG(sumsqDiff.squareRoot())))")
  }

  /// Logs one `[Update]` line per parameter with the mean absolute values of its data (before
  /// the update) and of its diff (the update value), as Caffe's `UpdateDebugInfo` does: first
  /// each shared parameter, `[Update] Layer L, param blob P (owned by layer O, param Q) diff: d`,
  /// then each owner, `[Update] Layer L, param P data: m; diff: d`.
  public func logUpdateDebugInfo() {
    let shared = params.indices.filter { paramOwners[$0] >= 0 }
    let owners = params.indices.filter { paramOwners[$0] < 0 }
    for netParamID in shared + owners {
      let blob = params[netParamID]
      let owner = paramOwners[netParamID]
      let layerName = layerNames[paramLayerIndices[netParamID].layer]
      let name = paramDisplayNames[netParamID]
      let diff = formatG(meanAbs(blob.asumDiff, blob.count))
      if owner < 0 {
        let data = formatG(meanAbs(blob.asumData, blob.count))
        Log.info("    [Update] Layer \(layerName), param \(name) data: \(data); diff: \(diff)")
      } else {
        let ownerLayer = layerNames[paramLayerIndices[owner].layer]
        Log.info(
          "    [Update] Layer \(layerName), param blob \(name) (owned by layer \(ownerLayer), "
            + "param \(paramDisplayNames[owner])) diff: \(diff)")
      }
    }
  }

  private func displayName(layer layerID: Int, param paramID: Int) -> String {
    var netParamID = 0
    for i in 0..<layerID { netParamID += layers[i].blobs.count }
    return paramDisplayNames[netParamID + paramID]
  }

  private func meanAbs(_ asum: Float, _ count: Int) -> Float {
    count > 0 ? asum / Float(count) : 0
  }
}
