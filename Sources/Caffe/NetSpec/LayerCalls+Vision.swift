// NetSpec calls for the image layers: Convolution, Pooling, BatchNorm and Scale.

import CaffeProto

extension NetSpec {
  /// Appends a `Convolution` layer with a square kernel.
  ///
  /// Bottom (N, C, H, W); top (N, numOutput, H', W') with
  /// H' = (H + 2·pad − kernelSize) / stride + 1 (likewise W').
  /// - Parameters:
  ///   - bottom: The input blob.
  ///   - name: The layer and top name (`Convolution<n>` when `nil`).
  ///   - numOutput: `num_output`: the number of filters.
  ///   - kernelSize: `kernel_size`, in pixels.
  ///   - stride: `stride`, in pixels (`nil`: Caffe's default 1).
  ///   - pad: `pad`: zero pixels added on each side (`nil`: 0).
  ///   - group: `group` (`nil`: 1).
  ///   - biasTerm: `bias_term` (`nil`: true).
  ///   - weightFiller: `weight_filler` (`nil`: Caffe's constant 0).
  ///   - biasFiller: `bias_filler` (`nil`: Caffe's constant 0).
  ///   - params: `param { }` specs: weights, then bias.
  ///   - configure: Sets any other field of the layer (dilation, `_h`/`_w` pairs, rules).
  /// - Returns: The output blob.
  @discardableResult
  public func convolution(
    _ bottom: Top, name: String? = nil, numOutput: Int, kernelSize: Int, stride: Int? = nil,
    pad: Int? = nil, group: Int? = nil, biasTerm: Bool? = nil,
    weightFiller: FillerParameter? = nil, biasFiller: FillerParameter? = nil,
    params: [ParamSpec] = [], configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    var conv = ConvolutionParameter()
    conv.numOutput = UInt32(clamping: numOutput)
    conv.kernelSize = [UInt32(clamping: kernelSize)]
    if let pad { conv.pad = [UInt32(clamping: pad)] }
    if let stride { conv.stride = [UInt32(clamping: stride)] }
    if let group { conv.group = UInt32(clamping: group) }
    if let biasTerm { conv.biasTerm = biasTerm }
    if let weightFiller { conv.weightFiller = weightFiller }
    if let biasFiller { conv.biasFiller = biasFiller }
    return layer("Convolution", [bottom], name: name, params: params) { layer in
      layer.convolutionParam = conv
      configure(&layer)
    }[0]
  }

  /// Appends a `Pooling` layer with a square window.
  ///
  /// Bottom (N, C, H, W); top (N, C, H', W') with H' = ceil((H + 2·pad − kernelSize) / stride)
  /// + 1 (likewise W'), or (N, C, 1, 1) with `globalPooling`.
  /// - Parameters:
  ///   - bottom: The input blob.
  ///   - name: The layer and top name (`Pooling<n>` when `nil`).
  ///   - method: `pool`: MAX, AVE or STOCHASTIC (always written).
  ///   - kernelSize: `kernel_size`, in pixels.
  ///   - stride: `stride`, in pixels (`nil`: 1).
  ///   - pad: `pad`, in pixels (`nil`: 0).
  ///   - globalPooling: `global_pooling`: pool the whole H × W plane.
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The output blob.
  @discardableResult
  public func pooling(
    _ bottom: Top, name: String? = nil, method: PoolingParameter.PoolMethod,
    kernelSize: Int? = nil, stride: Int? = nil, pad: Int? = nil, globalPooling: Bool? = nil,
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    var pool = PoolingParameter()
    pool.pool = method
    if let kernelSize { pool.kernelSize = UInt32(clamping: kernelSize) }
    if let stride { pool.stride = UInt32(clamping: stride) }
    if let pad { pool.pad = UInt32(clamping: pad) }
    if let globalPooling { pool.globalPooling = globalPooling }
    return layer("Pooling", [bottom], name: name) { layer in
      layer.poolingParam = pool
      configure(&layer)
    }[0]
  }

  /// Appends a `BatchNorm` layer: normalises each channel by its mean and variance.
  ///
  /// Bottom and top (N, C, ...); three parameter blobs (mean (C), variance (C), scale factor
  /// (1)), which Caffe never updates by gradient.
  /// - Parameters:
  ///   - bottom: The input blob.
  ///   - name: The layer name (and the top name unless `inPlace`).
  ///   - inPlace: Whether the top overwrites the bottom.
  ///   - useGlobalStats: `use_global_stats`: use the stored statistics instead of the batch's
  ///     (`nil`: true in TEST, false in TRAIN).
  ///   - params: `param { }` specs for the three blobs.
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The output blob (the bottom when `inPlace`).
  @discardableResult
  public func batchNorm(
    _ bottom: Top, name: String? = nil, inPlace: Bool = false, useGlobalStats: Bool? = nil,
    params: [ParamSpec] = [], configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("BatchNorm", [bottom], name: name, inPlace: inPlace, params: params) { layer in
      if let useGlobalStats { layer.batchNormParam.useGlobalStats = useGlobalStats }
      configure(&layer)
    }[0]
  }

  /// Appends a `Scale` layer with a learned per-channel factor: top = bottom · γ (+ β).
  ///
  /// Bottom and top (N, C, ...); parameter blobs γ (C) and, with `biasTerm`, β (C).
  /// - Parameters:
  ///   - bottom: The input blob.
  ///   - name: The layer name (and the top name unless `inPlace`).
  ///   - inPlace: Whether the top overwrites the bottom.
  ///   - biasTerm: `bias_term`: also learn β (`nil`: false).
  ///   - params: `param { }` specs: γ, then β.
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The output blob (the bottom when `inPlace`).
  @discardableResult
  public func scale(
    _ bottom: Top, name: String? = nil, inPlace: Bool = false, biasTerm: Bool? = nil,
    params: [ParamSpec] = [], configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    layer("Scale", [bottom], name: name, inPlace: inPlace, params: params) { layer in
      if let biasTerm { layer.scaleParam.biasTerm = biasTerm }
      configure(&layer)
    }[0]
  }
}
