// NetSpec calls for the general layers: InnerProduct, ReLU, Dropout, Eltwise, Concat, Softmax.

import CaffeProto

extension NetSpec {
  /// Appends an `InnerProduct` (fully connected) layer.
  ///
  /// Bottom (N, ...) flattened to (N, K) from axis 1; top (N, numOutput); weights
  /// (numOutput, K) and bias (numOutput).
  /// - Parameters:
  ///   - bottom: The input blob.
  ///   - name: The layer and top name (`InnerProduct<n>` when `nil`).
  ///   - numOutput: `num_output`: the number of outputs per item.
  ///   - biasTerm: `bias_term` (`nil`: true).
  ///   - weightFiller: `weight_filler` (`nil`: Caffe's constant 0).
  ///   - biasFiller: `bias_filler` (`nil`: Caffe's constant 0).
  ///   - params: `param { }` specs: weights, then bias.
  ///   - configure: Sets any other field of the layer (axis, transpose, rules).
  /// - Returns: The output blob.
  @discardableResult
  public func innerProduct(
    _ bottom: Top, name: String? = nil, numOutput: Int, biasTerm: Bool? = nil,
    weightFiller: FillerParameter? = nil, biasFiller: FillerParameter? = nil,
    params: [ParamSpec] = [], configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    var inner = InnerProductParameter()
    inner.numOutput = UInt32(clamping: numOutput)
    if let biasTerm { inner.biasTerm = biasTerm }
    if let weightFiller { inner.weightFiller = weightFiller }
    if let biasFiller { inner.biasFiller = biasFiller }
    return layer("InnerProduct", [bottom], name: name, params: params) { layer in
      layer.innerProductParam = inner
      configure(&layer)
    }[0]
  }

  /// Appends a `ReLU` layer: top = max(0, bottom) + negativeSlope · min(0, bottom).
  ///
  /// - Parameters:
  ///   - bottom: The input blob; the top has its shape.
  ///   - name: The layer name (and the top name unless `inPlace`).
  ///   - inPlace: Whether the top overwrites the bottom (Caffe's usual way).
  ///   - negativeSlope: `negative_slope` (`nil`: 0).
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The output blob (the bottom when `inPlace`).
  @discardableResult
  public func relu(
    _ bottom: Top, name: String? = nil, inPlace: Bool = false, negativeSlope: Float? = nil,
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("ReLU", [bottom], name: name, inPlace: inPlace) { layer in
      if let negativeSlope { layer.reluParam.negativeSlope = negativeSlope }
      configure(&layer)
    }[0]
  }

  /// Appends a `Dropout` layer: in TRAIN, zeroes each value with probability `ratio` and
  /// scales the others by 1 / (1 − ratio); in TEST, copies.
  ///
  /// - Parameters:
  ///   - bottom: The input blob; the top has its shape.
  ///   - name: The layer name (and the top name unless `inPlace`).
  ///   - inPlace: Whether the top overwrites the bottom.
  ///   - ratio: `dropout_ratio` (`nil`: 0.5).
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The output blob (the bottom when `inPlace`).
  @discardableResult
  public func dropout(
    _ bottom: Top, name: String? = nil, inPlace: Bool = false, ratio: Float? = nil,
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("Dropout", [bottom], name: name, inPlace: inPlace) { layer in
      if let ratio { layer.dropoutParam.dropoutRatio = ratio }
      configure(&layer)
    }[0]
  }

  /// Appends an `Eltwise` layer combining same-shaped blobs element by element.
  ///
  /// - Parameters:
  ///   - bottoms: Two or more input blobs of one shape; the top has that shape.
  ///   - name: The layer and top name (`Eltwise<n>` when `nil`).
  ///   - operation: `operation`: PROD, SUM or MAX (`nil`: SUM).
  ///   - coefficients: `coeff`: one factor per bottom for SUM (empty: all 1).
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The output blob.
  @discardableResult
  public func eltwise(
    _ bottoms: [Top], name: String? = nil, operation: EltwiseParameter.EltwiseOp? = nil,
    coefficients: [Float] = [], configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("Eltwise", bottoms, name: name) { layer in
      if let operation { layer.eltwiseParam.operation = operation }
      if !coefficients.isEmpty { layer.eltwiseParam.coeff = coefficients }
      configure(&layer)
    }[0]
  }

  /// Appends a `Concat` layer joining blobs along one axis.
  ///
  /// - Parameters:
  ///   - bottoms: The input blobs; all axes but `axis` must agree.
  ///   - name: The layer and top name (`Concat<n>` when `nil`).
  ///   - axis: `axis` (`nil`: 1, the channels).
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The output blob.
  @discardableResult
  public func concat(
    _ bottoms: [Top], name: String? = nil, axis: Int? = nil,
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("Concat", bottoms, name: name) { layer in
      if let axis { layer.concatParam.axis = Int32(clamping: axis) }
      configure(&layer)
    }[0]
  }

  /// Appends a `Softmax` layer: exp(x) / Σ exp(x) along `axis`.
  ///
  /// - Parameters:
  ///   - bottom: The input blob, such as scores (N, K); the top has its shape.
  ///   - name: The layer and top name (`Softmax<n>` when `nil`).
  ///   - axis: `softmax_param.axis` (`nil`: 1).
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The probabilities.
  @discardableResult
  public func softmax(
    _ bottom: Top, name: String? = nil, axis: Int? = nil,
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("Softmax", [bottom], name: name) { layer in
      if let axis { layer.softmaxParam.axis = Int32(clamping: axis) }
      configure(&layer)
    }[0]
  }
}
