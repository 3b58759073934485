// NetSpec calls for the layers that bring data into a net: Input and Data.

import CaffeProto

extension NetSpec {
  /// Appends an `Input` layer: one top of a fixed shape that the caller fills before forward.
  ///
  /// - Parameters:
  ///   - shape: The top's shape, outermost first, for images (N, C, H, W).
  ///   - name: The layer and top name (pycaffe's automatic name `Input1` when `nil`).
  ///   - configure: Sets any other field of the layer.
  /// - Returns: The input blob.
  @discardableResult
  public func input(
    shape: [Int], name: String? = nil, configure: (inout LayerParameter) -> Void = { _ in }
  ) -> Top {
    var blobShape = BlobShape()
    blobShape.dim = shape.map(Int64.init)
    return layer("Input", name: name) { layer in
      layer.inputParam.shape = [blobShape]
      configure(&layer)
    }[0]
  }

  /// Appends a `Data` layer reading `Datum` records (image and label) from a LevelDB or LMDB.
  ///
  /// - Parameters:
  ///   - name: The layer name (pycaffe names it after its first top when `nil`).
  ///   - tops: The two top names, images then labels (`Data1`, `Data2` when `nil`).
  ///   - source: `data_param.source`: the database folder.
  ///   - batchSize: `data_param.batch_size`: N of both tops.
  ///   - backend: `data_param.backend`; `nil` leaves Caffe's default (LEVELDB).
  ///   - scale: `transform_param.scale`: every pixel is multiplied by it (0.00390625 = 1/256
  ///     maps bytes to [0, 1)); `nil` writes no `transform_param`.
  ///   - include: `include { }` rules, such as `[.phase(.train)]`.
  ///   - configure: Sets any other field of the layer (mirror, crop, mean).
  /// - Returns: The images (N, C, H, W) and the labels (N).
  @discardableResult
  public func data(
    name: String? = nil, tops: (data: String, label: String)? = nil, source: String,
    batchSize: Int,
    backend: DataParameter.DB? = nil, scale: Float? = nil, include: [NetStateRule] = [],
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> (data: Top, label: Top) {
    let names = tops.map { [$0.data, $0.label] }
    let made = layer("Data", name: name, tops: names, ntop: 2, include: include) { layer in
      if let scale { layer.transformParam.scale = scale }
      layer.dataParam.source = source
      layer.dataParam.batchSize = UInt32(clamping: batchSize)
      if let backend { layer.dataParam.backend = backend }
      configure(&layer)
    }
    return (made[0], made[1])
  }
}
