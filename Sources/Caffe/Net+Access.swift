// pycaffe-style access to a net: blobs and params by name, named forward ranges, inputs and
// outputs as arrays, reshaping, and writing the weights.

import CaffeProto
import CaffeSupport

extension Net {
  /// Every named blob by name, as pycaffe's `net.blobs` (``blobNames`` gives the order).
  ///
  /// In-place layers share their bottom's blob, so `blobsByName["conv1"]` after an in-place
  /// ReLU holds the rectified values once forward has run.
  public var blobsByName: [String: Blob] {
    Dictionary(zip(blobNames, blobs), uniquingKeysWith: { first, _ in first })
  }

  /// The parameter blobs of every layer that has some, by layer name, as pycaffe's
  /// `net.params`: for Convolution and InnerProduct `[weights, bias]`.
  public var paramsByName: [String: [Blob]] {
    var result: [String: [Blob]] = [:]
    for (name, layer) in zip(layerNames, layers) where !layer.blobs.isEmpty {
      result[name] = layer.blobs
    }
    return result
  }

  /// The index of the layer called `name`.
  /// - Throws: `CaffeError.invalidNet` naming the layer when the net has none of that name.
  public func layerIndex(named name: String) throws -> Int {
    guard let index = layerNames.firstIndex(of: name) else {
      throw CaffeError.invalidNet(
        reason: "the net \"\(self.name)\" has no layer \"\(name)\" (layers: "
          + layerNames.joined(separator: ", ") + ")")
    }
    return index
  }

  /// Runs the layers from `start` through `end` (both included, by name) forward, as pycaffe's
  /// `net.forward(start=, end=)`.
  /// - Returns: The sum of the weighted losses of those layers.
  /// - Throws: `CaffeError.invalidNet` for an unknown layer name or `end` before `start`; what
  ///   the layers throw.
  @discardableResult
  public func forward(from start: String, to end: String) throws -> Float {
    let (first, last) = (try layerIndex(named: start), try layerIndex(named: end))
    guard first <= last else {
      throw CaffeError.invalidNet(
        reason: "cannot run forward from layer \"\(start)\" to the earlier layer \"\(end)\"")
    }
    return try forward(from: first, to: last)
  }

  /// Copies `inputs` into the named blobs, runs the whole net forward and returns every output
  /// blob (those no layer consumes) as an array, as pycaffe's `net.forward(data=...)`.
  ///
  /// - Parameter inputs: Values per blob name, each exactly that blob's count, row-major.
  /// - Returns: Each output blob's data, by name (such as `"prob"` → N·K probabilities).
  /// - Throws: `CaffeError.invalidNet` for an unknown blob name or a wrong value count; what
  ///   the layers throw.
  public func forward(inputs: [String: [Float]]) throws -> [String: [Float]] {
    let named = blobsByName
    for (name, values) in inputs {
      guard let blob = named[name] else {
        throw CaffeError.invalidNet(
          reason: "the net \"\(self.name)\" has no blob \"\(name)\" to feed (blobs: "
            + blobNames.joined(separator: ", ") + ")")
      }
      try blob.setData(values)
    }
    try forward()
    var outputs: [String: [Float]] = [:]
    for index in outputBlobIndices { outputs[blobNames[index]] = blobs[index].dataArray }
    return outputs
  }

  /// Reshapes every layer from the current bottom shapes, in order, as pycaffe's
  /// `net.reshape()`: change an input blob's shape (`blob.reshape([10, 1, 28, 28])`), then
  /// call this so every later blob follows.
  /// - Throws: What the layers' reshape throws (for example a kernel larger than its input).
  public func reshape() throws {
    for index in layers.indices {
      try layers[index].reshape(bottom: bottoms(ofLayer: index), top: tops(ofLayer: index))
    }
  }

  /// Copies the weights of the same-named layers of `other` (a copy, not shared memory).
  /// - Throws: What ``copyTrainedLayers(from:)`` throws for a blob count or shape mismatch.
  public func copyTrainedLayers(fromNet other: Net) throws {
    try copyTrainedLayers(from: other.toProto())
  }

  /// Writes the net's layers and weights as a binary .caffemodel, as pycaffe's `net.save`.
  /// - Parameters:
  ///   - path: The file to write (replaced atomically).
  ///   - writeDiff: Whether to store the gradients as well.
  /// - Throws: `CaffeError.io` when the file cannot be written.
  public func save(to path: String, writeDiff: Bool = false) throws {
    try BinaryProto.write(toProto(writeDiff: writeDiff), path: path)
  }
}
