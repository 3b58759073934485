// Net parameters: ownership, sharing by name, lr_mult and decay_mult.

import CaffeProto
import CaffeSupport

extension Net {
  /// Registers blob `paramID` of layer `layerID`: it owns itself unless an earlier parameter has
  /// the same non-empty `param { name }`, in which case it will share that owner's memory.
  func appendParam(layerID: Int, paramID: Int, spec: ParamSpec) throws {
    let layer = layers[layerID]
    let paramName = spec.name
    paramDisplayNames.append(paramName.isEmpty ? "\(paramID)" : paramName)
    let netParamID = params.count
    params.append(layer.blobs[paramID])
    paramLayerIndices.append((layerID, paramID))
    guard !paramName.isEmpty, let ownerID = paramNamesIndex[paramName] else {
      paramOwners.append(-1)
      if !paramName.isEmpty { paramNamesIndex[paramName] = netParamID }
      learnableParamIDs.append(learnableParams.count)
      learnableParams.append(layer.blobs[paramID])
      hasParamsLr.append(spec.hasLrMult)
      hasParamsDecay.append(spec.hasDecayMult)
      paramsLr.append(spec.lrMult)
      paramsWeightDecay.append(spec.decayMult)
      return
    }
    paramOwners.append(ownerID)
    let owner = paramLayerIndices[ownerID]
    let ownerLayer = layerNames[owner.layer]
    Log.info(
      "Sharing parameters '\(paramName)' owned by layer '\(ownerLayer)', param index \(owner.param)"
    )
    let mine = layer.blobs[paramID]
    let theirs = layers[owner.layer].blobs[owner.param]
    let permissive = spec.shareMode == .permissive
    guard permissive ? mine.count == theirs.count : mine.shape == theirs.shape else {
      throw CaffeError.invalidNet(
        reason: "Cannot share param '\(paramName)' owned by layer '\(ownerLayer)' with layer "
          + "'\(layer.name)'; \(permissive ? "count" : "shape") mismatch. Owner layer param "
          + "shape is \(theirs.shapeString); sharing layer expects shape \(mine.shapeString)")
    }
    let learnableID = learnableParamIDs[ownerID]
    learnableParamIDs.append(learnableID)
    if spec.hasLrMult {
      if hasParamsLr[learnableID], paramsLr[learnableID] != spec.lrMult {
        throw CaffeError.invalidNet(reason: "Shared param '\(paramName)' has mismatched lr_mult.")
      }
      hasParamsLr[learnableID] = true
      paramsLr[learnableID] = spec.lrMult
    }
    if spec.hasDecayMult {
      if hasParamsDecay[learnableID], paramsWeightDecay[learnableID] != spec.decayMult {
        throw CaffeError.invalidNet(
          reason: "Shared param '\(paramName)' has mismatched decay_mult.")
      }
      hasParamsDecay[learnableID] = true
      paramsWeightDecay[learnableID] = spec.decayMult
    }
  }

  /// Points every shared parameter at its owner's data and diff.
  func shareWeights() {
    for (i, owner) in paramOwners.enumerated() where owner >= 0 {
      params[i].shareData(with: params[owner])
      params[i].shareDiff(with: params[owner])
    }
  }
}
