// BatchNorm layers from before 2016, which declared their three statistics blobs as `param`s.

extension ProtoUpgrade {
  /// Whether some BatchNorm layer of `net` has exactly three `param` specs.
  static func netNeedsBatchNormUpgrade(_ net: NetParameter) -> Bool {
    net.layer.contains(where: isLegacyBatchNorm)
  }

  /// Sets `lr_mult` and `decay_mult` to 0 in the three `param` specs of each such BatchNorm layer.
  ///
  /// The three blobs hold running statistics (mean, variance, scale factor), which are not
  /// learned by gradient. Other fields of the specs (`name`, `share_mode`) are kept.
  static func upgradeBatchNorm(_ net: inout NetParameter) {
    for index in net.layer.indices where isLegacyBatchNorm(net.layer[index]) {
      for slot in net.layer[index].param.indices {
        net.layer[index].param[slot].lrMult = 0
        net.layer[index].param[slot].decayMult = 0
      }
    }
  }

  private static func isLegacyBatchNorm(_ layer: LayerParameter) -> Bool {
    layer.type == "BatchNorm" && layer.param.count == 3
  }
}
