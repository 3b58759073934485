// Net weights in HDF5: Caffe's `.caffemodel.h5` layout (snapshot_format: HDF5).

import CaffeData
import CaffeProto
import CaffeSupport

extension Net {
  /// Writes the parameters to `path` in Caffe's HDF5 weights layout, atomically.
  ///
  /// Layout (Caffe's `Net::ToHDF5`): group `data` holds one group per layer, named like the
  /// layer (layers without parameters get an empty group), holding one float32 dataset per
  /// parameter blob named `"0"`, `"1"`, … with the blob's shape. A parameter shared with an
  /// earlier one (`param { name }`) is written only by its owner. With `writeDiff`, group `diff`
  /// holds every blob's diff in the same way, shared or not. A "/" in a layer name nests groups
  /// (`inception_3a/1x1` → `data/inception_3a/1x1/0`); Caffe itself cannot write such names.
  /// - Throws: `CaffeError.io` when the file cannot be written (the previous file, if any, is
  ///   left as it was).
  public func saveHDF5(to path: String, writeDiff: Bool = false) throws {
    let ownsItself = paramOwnership()
    try HDF5File.writeAtomically(to: path) { file in
      let data = try file.createGroup("data")
      let diff = writeDiff ? try file.createGroup("diff") : nil
      for (layerID, layer) in layers.enumerated() {
        let layerData = try Self.makeGroups(layerNames[layerID], in: data)
        let layerDiff = try diff.map { try Self.makeGroups(layerNames[layerID], in: $0) }
        for (paramID, blob) in layer.blobs.enumerated() {
          if ownsItself[layerID][paramID] {
            try layerData.writeFloats("\(paramID)", blob.dataArray, shape: blob.shape)
          }
          try layerDiff?.writeFloats("\(paramID)", blob.diffArray, shape: blob.shape)
        }
      }
    }
  }

  /// Copies parameter blobs from an HDF5 weights file (``saveHDF5(to:writeDiff:)``'s layout) into
  /// the layers with the same names, as Caffe's `CopyTrainedLayersFromHDF5` does.
  ///
  /// Source layers absent here are skipped (logged `Ignoring source layer X`). A layer's
  /// dataset `"j"` may be missing only when blob `j` shares another layer's parameter. Shapes
  /// must match exactly. Everything is read and checked before anything is copied, so a failure
  /// leaves the net unchanged.
  /// - Throws: `CaffeError.io` / `.invalidFile` for a missing, non-HDF5 or damaged file or one
  ///   without group `data`; `CaffeError.invalidNet` for a blob count or shape mismatch, naming
  ///   the layer and both shapes.
  public func copyTrainedLayers(fromHDF5 path: String) throws {
    let file = try HDF5File(openingAt: path)
    let data = try file.openGroup("data")
    let ownsItself = paramOwnership()
    var copies: [(Blob, [Float])] = []
    for (sourceName, group) in try Self.layerGroups(in: data) {
      guard let layerID = layerNames.firstIndex(of: sourceName) else {
        Log.info("Ignoring source layer \(sourceName)")
        continue
      }
      let targets = layers[layerID].blobs
      let datasets = try group.memberNames().filter { !group.containsGroup($0) }
      guard datasets.count <= targets.count else {
        throw incompatibleBlobs(sourceName, net: targets.count, file: datasets.count)
      }
      for (j, blob) in targets.enumerated() {
        guard group.contains("\(j)") else {
          if ownsItself[layerID][j] {
            throw incompatibleBlobs(sourceName, net: targets.count, file: datasets.count)
          }
          continue
        }
        let source = try group.readFloats("\(j)")
        guard source.shape == blob.shape else {
          throw CaffeError.invalidNet(
            reason: "Cannot copy param \(j) weights from layer '\(sourceName)'; shape "
              + "mismatch. Source param shape is \(CaffeError.shapeText(source.shape)); target "
              + "param shape is \(blob.shapeString). To learn this layer's parameters from "
              + "scratch rather than copying from a saved net, rename the layer.")
        }
        copies.append((blob, source.values))
      }
    }
    for (blob, values) in copies { try blob.setData(values) }
  }

  /// For each layer and each of its blobs, whether the blob owns its parameter (is not shared
  /// from an earlier one).
  private func paramOwnership() -> [[Bool]] {
    var owns = layers.map { Array(repeating: true, count: $0.blobs.count) }
    for (netParamID, place) in paramLayerIndices.enumerated()
    where paramOwners[netParamID] >= 0 && place.param < owns[place.layer].count {
      owns[place.layer][place.param] = false
    }
    return owns
  }

  private func incompatibleBlobs(_ layer: String, net: Int, file: Int) -> CaffeError {
    .invalidNet(
      reason: "Incompatible number of blobs for layer \(layer): the net has \(net), the weights "
        + "have \(file)")
  }

  /// Opens or creates the group at relative path `name` under `parent`, with any groups on the
  /// way.
  private static func makeGroups(_ name: String, in parent: HDF5Group) throws -> HDF5Group {
    var group = parent
    for component in name.split(separator: "/").map(String.init) {
      group =
        try group.containsGroup(component)
        ? group.openGroup(component) : group.createGroup(component)
    }
    return group
  }

  /// Every group below `data` with its path relative to `data` (the layer name it stands for),
  /// depth first in name order.
  private static func layerGroups(in data: HDF5Group) throws -> [(String, HDF5Group)] {
    var result: [(String, HDF5Group)] = []
    func visit(_ group: HDF5Group, _ prefix: String) throws {
      for member in try group.memberNames() where group.containsGroup(member) {
        let child = try group.openGroup(member)
        let name = prefix + member
        let members = try child.memberNames()
        if members.isEmpty || members.contains(where: { !child.containsGroup($0) }) {
          result.append((name, child))
        }
        try visit(child, name + "/")
      }
    }
    try visit(data, "")
    return result
  }
}
