// NetSpec calls for the layers that score predictions: SoftmaxWithLoss and Accuracy.

import CaffeProto

extension NetSpec {
  /// Appends a `SoftmaxWithLoss` layer: the mean negative log-probability of the true labels.
  ///
  /// - Parameters:
  ///   - scores: Unnormalised scores (N, K).
  ///   - labels: Integer labels (N), 0 ..< K.
  ///   - name: The layer and top name (`SoftmaxWithLoss<n>` when `nil`).
  ///   - lossWeight: `loss_weight` of the top (`nil`: Caffe's 1).
  ///   - configure: Sets any other field of the layer (`loss_param`, rules).
  /// - Returns: The loss, a scalar blob.
  @discardableResult
  public func softmaxWithLoss(
    _ scores: Top, _ labels: Top, name: String? = nil, lossWeight: Float? = nil,
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    let weights = lossWeight.map { [$0] } ?? []
    return layer(
      "SoftmaxWithLoss", [scores, labels], name: name, lossWeight: weights,
      configure: configure)[0]
  }

  /// Appends an `Accuracy` layer: the fraction of items whose label is among the top-k scores.
  ///
  /// - Parameters:
  ///   - scores: Scores (N, K).
  ///   - labels: Integer labels (N).
  ///   - name: The layer and top name (`Accuracy<n>` when `nil`).
  ///   - topK: `accuracy_param.top_k` (`nil`: 1).
  ///   - include: `include { }` rules, usually `[.phase(.test)]`.
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The accuracy, a scalar blob in [0, 1].
  @discardableResult
  public func accuracy(
    _ scores: Top, _ labels: Top, name: String? = nil, topK: Int? = nil,
    include: [NetStateRule] = [], configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("Accuracy", [scores, labels], name: name, include: include) { layer in
      if let topK { layer.accuracyParam.topK = UInt32(clamping: topK) }
      configure(&layer)
    }[0]
  }
}
