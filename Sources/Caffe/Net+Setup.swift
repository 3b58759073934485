// Net construction: creating each layer, wiring its bottoms and tops, collecting its params.

import CaffeProto
import CaffeSupport

extension Net {
  func appendLayer(
    _ definition: LayerParameter, available: inout Set<String>, indexOfBlob: inout [String: Int]
  ) throws {
    var layerParam = definition
    if !layerParam.hasPhase { layerParam.phase = phase }
    guard
      layerParam.propagateDown.isEmpty
        || layerParam.propagateDown.count == layerParam.bottom.count
    else {
      throw CaffeError.invalidParameter(
        layer: layerParam.name, type: layerParam.type, field: "propagate_down",
        reason: "given \(layerParam.propagateDown.count) times for "
          + "\(layerParam.bottom.count) bottoms; give it once per bottom or not at all")
    }
    let layerID = layers.count
    Log.info("Creating layer \(layerParam.name)")
    let layer = try LayerRegistry.makeLayer(layerParam)
    layers.append(layer)
    layerNames.append(layerParam.name)
    Log.info("Creating Layer \(layerParam.name)")
    bottomVecs.append([])
    bottomIDs.append([])
    topVecs.append([])
    topIDs.append([])
    bottomNeedBackward.append([])
    var needBackward = false
    for (j, blobName) in layerParam.bottom.enumerated() {
      guard let blobID = indexOfBlob[blobName], available.contains(blobName) else {
        throw CaffeError.invalidNet(
          reason: "Unknown bottom blob '\(blobName)' (layer '\(layerParam.name)', "
            + "bottom index \(j))")
      }
      Log.info("\(layerParam.name) <- \(blobName)")
      bottomVecs[layerID].append(blobs[blobID])
      bottomIDs[layerID].append(blobID)
      available.remove(blobName)
      let blobNeeds = blobNeedBackward[blobID]
      bottomNeedBackward[layerID].append(
        layerParam.propagateDown.isEmpty ? blobNeeds : layerParam.propagateDown[j])
      needBackward = needBackward || blobNeeds
    }
    for (j, blobName) in layerParam.top.enumerated() {
      try appendTop(
        blobName, bottomAtSameIndex: j < layerParam.bottom.count ? layerParam.bottom[j] : nil,
        layerID: layerID, available: &available, indexOfBlob: &indexOfBlob)
    }
    let type = Swift.type(of: layer)
    if type.autoTopBlobs {
      for _ in layerParam.top.count..<max(type.topCount.minimum, layerParam.top.count) {
        let blob = Blob()
        topVecs[layerID].append(blob)
        topIDs[layerID].append(-1)
      }
    }
    let inPlace = topIDs[layerID].filter { $0 >= 0 && bottomIDs[layerID].contains($0) }
    let shapesBefore = inPlace.map { blobs[$0].shape }
    try layer.setUp(bottom: bottomVecs[layerID], top: topVecs[layerID])
    for (blobID, before) in zip(inPlace, shapesBefore) where blobs[blobID].shape != before {
      throw CaffeError.invalidParameter(
        layer: layerParam.name, type: layerParam.type, field: "top",
        reason: "\"\(blobNames[blobID])\" is computed in place but this layer changes its shape "
          + "from \(CaffeError.shapeText(before)) to \(CaffeError.shapeText(blobs[blobID].shape)); "
          + "give the top its own name")
    }
    logTopShapes(layerID)
    needBackward = try appendParams(layerID) || needBackward
    layerNeedBackward.append(needBackward)
    if needBackward {
      for id in topIDs[layerID] where id >= 0 { blobNeedBackward[id] = true }
    }
  }

  private func appendTop(
    _ blobName: String, bottomAtSameIndex: String?, layerID: Int,
    available: inout Set<String>, indexOfBlob: inout [String: Int]
  ) throws {
    let layerName = layerNames[layerID]
    if bottomAtSameIndex == blobName, let blobID = indexOfBlob[blobName] {
      Log.info("\(layerName) -> \(blobName) (in-place)")
      topVecs[layerID].append(blobs[blobID])
      topIDs[layerID].append(blobID)
      available.insert(blobName)
      return
    }
    guard indexOfBlob[blobName] == nil else {
      throw CaffeError.invalidNet(
        reason: "Top blob '\(blobName)' produced by multiple sources (second: layer "
          + "'\(layerName)')")
    }
    Log.info("\(layerName) -> \(blobName)")
    let blob = Blob()
    let blobID = blobs.count
    blobs.append(blob)
    blobNames.append(blobName)
    blobNeedBackward.append(false)
    blobLossWeights.append(0)
    indexOfBlob[blobName] = blobID
    topVecs[layerID].append(blob)
    topIDs[layerID].append(blobID)
    available.insert(blobName)
    if layers[layerID].typeName == "Input" { inputBlobs.append(blob) }
  }

  private func logTopShapes(_ layerID: Int) {
    let layer = layers[layerID]
    Log.info("Setting up \(layerNames[layerID])")
    var memory = 0
    for (j, top) in topVecs[layerID].enumerated() {
      let weight = j < layer.lossWeights.count ? layer.lossWeights[j] : 0
      let blobID = topIDs[layerID][j]
      if blobID >= 0 { blobLossWeights[blobID] = weight }
      Log.info("Top shape: \(top.shapeString)")
      if weight != 0 { Log.info("    with loss weight \(formatG(weight))") }
      memory += top.count
    }
    memoryUsed += memory
    Log.info("Memory required for data: \(memoryUsed * MemoryLayout<Float>.size)")
  }

  /// Registers the layer's parameter blobs; returns whether any has a non-zero `lr_mult`.
  private func appendParams(_ layerID: Int) throws -> Bool {
    let layer = layers[layerID]
    let specs = layer.param.param
    guard specs.count <= layer.blobs.count else {
      throw CaffeError.invalidParameter(
        layer: layer.name, type: layer.typeName, field: "param",
        reason: "too many params specified: \(specs.count) given, the layer has "
          + "\(layer.blobs.count) parameter blobs")
    }
    var needBackward = false
    layer.resetParamPropagateDown()
    for paramID in layer.blobs.indices {
      let spec = paramID < specs.count ? specs[paramID] : ParamSpec()
      let learns = spec.lrMult != 0
      layer.paramPropagateDown[paramID] = learns
      needBackward = needBackward || learns
      try appendParam(layerID: layerID, paramID: paramID, spec: spec)
    }
    return needBackward
  }
}
