// Net weights: copying trained layers in, writing the net out, sharing with another net.

import CaffeProto
import CaffeSupport

extension Net {
  /// Copies parameter blobs from `source` into the layers with the same names.
  ///
  /// Source layers absent here are skipped (logged `Ignoring source layer X`); when nothing at
  /// all is copied into a net with parameters, a warning says so. Everything is checked before
  /// anything is copied, so a failure leaves the net unchanged.
  /// - Throws: `CaffeError.invalidNet` when a layer's blob count differs, or when a blob's shape
  ///   differs (legacy 4-D shapes with leading 1s match as in Caffe); the message names the layer
  ///   and both shapes.
  public func copyTrainedLayers(from source: NetParameter) throws {
    var copies: [(Blob, BlobProto)] = []
    for sourceLayer in source.layer {
      guard let target = layer(named: sourceLayer.name) else {
        Log.info("Ignoring source layer \(sourceLayer.name)")
        continue
      }
      guard target.blobs.count == sourceLayer.blobs.count else {
        throw CaffeError.invalidNet(
          reason: "Incompatible number of blobs for layer \(sourceLayer.name): the net has "
            + "\(target.blobs.count), the weights have \(sourceLayer.blobs.count)")
      }
      for (j, proto) in sourceLayer.blobs.enumerated() {
        let blob = target.blobs[j]
        guard blob.shapeEquals(proto) else {
          let sourceShape = Blob.shape(of: proto)
          throw CaffeError.invalidNet(
            reason: "Cannot copy param \(j) weights from layer '\(sourceLayer.name)'; shape "
              + "mismatch. Source param shape is \(CaffeError.shapeText(sourceShape)); target "
              + "param shape is \(blob.shapeString). To learn this layer's parameters from "
              + "scratch rather than copying from a saved net, rename the layer.")
        }
        copies.append((blob, proto))
      }
    }
    if copies.isEmpty && layers.contains(where: { !$0.blobs.isEmpty }) {
      Log.warning(
        "No layer with parameters in net \(name) has a namesake in the weights: every "
          + "parameter keeps its initial value")
    }
    for (blob, proto) in copies { try blob.load(from: proto, reshape: false) }
  }

  /// Copies trained layers from a caffemodel file (binary NetParameter, upgraded if legacy), or
  /// from HDF5 weights when `path` ends in `.h5`, as Caffe decides.
  /// - Throws: `CaffeError.io` / `.invalidFile` for unreadable files, or what
  ///   ``copyTrainedLayers(from:)`` / ``copyTrainedLayers(fromHDF5:)`` throw.
  public func copyTrainedLayers(fromFile path: String) throws {
    if path.hasSuffix(".h5") { return try copyTrainedLayers(fromHDF5: path) }
    try copyTrainedLayers(from: try ProtoUpgrade.readNetBinary(path: path))
  }

  /// The net as a NetParameter with every layer's blobs (and diffs if `writeDiff`).
  public func toProto(writeDiff: Bool = false) -> NetParameter {
    var result = NetParameter()
    result.name = name
    result.layer = layers.map { layer in
      var layerParam = layer.param
      layerParam.blobs = layer.blobs.map { $0.toProto(writeDiff: writeDiff) }
      return layerParam
    }
    return result
  }

  /// Makes this net's layers use the parameter memory of the same-named layers of `other`
  /// (no copy), as Caffe does for test nets before each test.
  /// - Throws: `CaffeError.invalidNet` when blob counts or shapes differ.
  public func shareTrainedLayers(with other: Net) throws {
    for (i, sourceLayer) in other.layers.enumerated() {
      guard let target = layer(named: other.layerNames[i]) else { continue }
      guard target.blobs.count == sourceLayer.blobs.count else {
        throw CaffeError.invalidNet(
          reason: "Incompatible number of blobs for layer \(other.layerNames[i])")
      }
      for (j, source) in sourceLayer.blobs.enumerated() {
        guard source.shape == target.blobs[j].shape else {
          throw CaffeError.invalidNet(
            reason: "Cannot share param \(j) weights from layer '\(other.layerNames[i])'; shape "
              + "mismatch. Source param shape is \(source.shapeString); target param shape is "
              + "\(target.blobs[j].shapeString)")
        }
        target.blobs[j].shareData(with: source)
      }
    }
  }
}
