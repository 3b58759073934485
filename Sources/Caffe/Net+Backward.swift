// Deciding which layers and bottoms need backward computation.

import CaffeSupport

extension Net {
  /// Walks the net from the end: a layer runs backward only if it contributes to a loss and
  /// something below it (a bottom or a parameter) wants gradients, as Caffe's `Net::Init` does.
  func analyseBackward() {
    var blobsUnderLoss = Set<String>()
    var blobsSkipBackward = Set<String>()
    for layerID in layers.indices.reversed() {
      var contributesToLoss = false
      var skipPropagateDown = true
      for (j, blobID) in topIDs[layerID].enumerated() {
        let topName = blobID >= 0 ? blobNames[blobID] : ""
        let weight = j < layers[layerID].lossWeights.count ? layers[layerID].lossWeights[j] : 0
        if weight != 0 || blobsUnderLoss.contains(topName) { contributesToLoss = true }
        if !blobsSkipBackward.contains(topName) { skipPropagateDown = false }
        if contributesToLoss && !skipPropagateDown { break }
      }
      if layerNeedBackward[layerID] && skipPropagateDown {
        layerNeedBackward[layerID] = false
        for j in bottomNeedBackward[layerID].indices { bottomNeedBackward[layerID][j] = false }
      }
      if !contributesToLoss { layerNeedBackward[layerID] = false }
      Log.info(
        "\(layerNames[layerID]) "
          + (layerNeedBackward[layerID] ? "needs" : "does not need") + " backward computation.")
      for (j, blobID) in bottomIDs[layerID].enumerated() {
        let bottomName = blobNames[blobID]
        if contributesToLoss {
          blobsUnderLoss.insert(bottomName)
        } else {
          bottomNeedBackward[layerID][j] = false
        }
        if !bottomNeedBackward[layerID][j] { blobsSkipBackward.insert(bottomName) }
      }
    }
  }

  /// `force_backward`: every layer runs backward, and every bottom that may gets a diff.
  func forceBackward() {
    for layerID in layers.indices {
      layerNeedBackward[layerID] = true
      let layer = layers[layerID]
      for (j, blobID) in bottomIDs[layerID].enumerated() {
        let allowed = layer.allowForceBackward(bottomIndex: j)
        bottomNeedBackward[layerID][j] = bottomNeedBackward[layerID][j] || allowed
        blobNeedBackward[blobID] = blobNeedBackward[blobID] || allowed
      }
      layer.resetParamPropagateDown()
    }
  }
}
