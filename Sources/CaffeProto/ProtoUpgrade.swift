// Reading net and solver definitions with Caffe's legacy-format upgrades applied, in Caffe's order.

import CaffeSupport

/// Brings old Caffe definitions up to the current format, as Caffe does on every read.
///
/// Net upgrades run in Caffe's order, each logged with Caffe's wording:
/// 1. V0 → V1: `layers { layer { … } }` entries become V1 `layers` entries, with `padding` layers
///    folded into the convolution or pooling layer that reads them;
/// 2. data transformation: `scale`, `mean_file`, `crop_size` and `mirror` inside the
///    `data_param`, `image_data_param` or `window_data_param` of V1 data layers move to
///    `transform_param`;
/// 3. V1 → V2: `layers { type: ENUM }` becomes `layer { type: "String" }`, with `blobs_lr` and
///    `weight_decay` turned into `param { lr_mult decay_mult }`;
/// 4. net-level `input` / `input_dim` / `input_shape` become one `Input` layer named "input",
///    placed first;
/// 5. BatchNorm layers with exactly three `param` specs get `lr_mult: 0` and `decay_mult: 0`.
///
/// Solvers: `solver_type: ENUM` becomes `type: "String"`.
public enum ProtoUpgrade {
  /// Reads a text net definition (.prototxt) and upgrades it as needed.
  ///
  /// - Parameter path: The .prototxt file.
  /// - Returns: The net in the current format.
  /// - Throws: `CaffeError.io` or `CaffeError.prototxt` when the file cannot be read or parsed;
  ///   `CaffeError.invalidFile` when it sets no field; what ``upgradeNet(_:source:)`` throws.
  public static func readNetText(path: String) throws -> NetParameter {
    let net = try Prototxt.readNet(path: path)
    try requireContent(net == NetParameter(), path: path, kind: "net")
    return try upgradeNet(net, source: path)
  }

  /// Reads a binary net (.caffemodel) and upgrades it as needed; blobs are carried over.
  ///
  /// - Parameter path: The .caffemodel file.
  /// - Returns: The net in the current format.
  /// - Throws: `CaffeError.io` or `CaffeError.invalidFile` when the file cannot be read or
  ///   decoded; what ``upgradeNet(_:source:)`` throws.
  public static func readNetBinary(path: String) throws -> NetParameter {
    try upgradeNet(try BinaryProto.read(NetParameter.self, path: path), source: path)
  }

  /// Reads a text solver definition, upgrades it as needed and fills in `snapshot_prefix` as
  /// Caffe does when it reads a solver (see ``defaultSnapshotPrefix(_:solverPath:)``).
  ///
  /// - Parameter path: The solver .prototxt file.
  /// - Returns: The solver in the current format.
  /// - Throws: `CaffeError.io` or `CaffeError.prototxt` when the file cannot be read or parsed;
  ///   `CaffeError.invalidFile` when it sets no field; what ``upgradeSolver(_:source:)`` and
  ///   ``upgradeNet(_:source:)`` throw.
  public static func readSolverText(path: String) throws -> SolverParameter {
    let text = try Prototxt.readSolver(path: path)
    try requireContent(text == SolverParameter(), path: path, kind: "solver")
    let solver = try upgradeEmbeddedNets(try upgradeSolver(text, source: path), source: path)
    return defaultSnapshotPrefix(solver, solverPath: path)
  }

  /// Upgrades the nets written inside a solver: `net_param`, `train_net_param`, `test_net_param`.
  ///
  /// They may use the V0/V1 formats too (BVLC's own lenet_consolidated_solver does). Caffe
  /// upgrades only nets read from files, and so builds an empty net from an embedded V1 one; we
  /// upgrade them as any other net.
  static func upgradeEmbeddedNets(_ solver: SolverParameter, source: String) throws
    -> SolverParameter
  {
    var result = solver
    if solver.hasNetParam {
      result.netParam = try upgradeNet(solver.netParam, source: "\(source) (net_param)")
    }
    if solver.hasTrainNetParam {
      result.trainNetParam = try upgradeNet(
        solver.trainNetParam, source: "\(source) (train_net_param)")
    }
    result.testNetParam = try solver.testNetParam.map {
      try upgradeNet($0, source: "\(source) (test_net_param)")
    }
    return result
  }

  /// Rejects a definition file that sets no field at all (empty, or only comments).
  /// - Throws: `CaffeError.invalidFile` naming `path` when `isEmpty`.
  private static func requireContent(_ isEmpty: Bool, path: String, kind: String) throws {
    guard !isEmpty else {
      throw CaffeError.invalidFile(
        path: path,
        reason: "defines nothing (empty or only comments); expected a \(kind) definition")
    }
  }

  /// Whether any of the five net upgrades applies to `net`.
  ///
  /// As in Caffe, a BatchNorm layer with three `param` specs always counts, even when they
  /// already hold zeros; the upgrade then rewrites the same values.
  public static func netNeedsUpgrade(_ net: NetParameter) -> Bool {
    netNeedsV0Upgrade(net) || netNeedsDataUpgrade(net) || netNeedsV1Upgrade(net)
      || netNeedsInputUpgrade(net) || netNeedsBatchNormUpgrade(net)
  }

  /// Applies every upgrade `net` needs, logging each one; a net in the current format comes back
  /// unchanged.
  ///
  /// - Parameters:
  ///   - net: The net as read.
  ///   - source: The file it came from, for the log lines.
  /// - Returns: The upgraded net.
  /// - Throws: `CaffeError.invalidNet` when the net mixes `layer` and `layers`, when a V0
  ///   padding layer cannot be folded, or when net inputs lack shapes;
  ///   `CaffeError.unknownLayerType` for an unknown V0 layer type.
  public static func upgradeNet(_ net: NetParameter, source: String) throws -> NetParameter {
    try upgradeNetAsNeeded(net, source: source).net
  }

  /// Applies every upgrade `net` needs, and reports whether every legacy field found a place.
  ///
  /// A V0 field that the layer's type does not take (`Unknown parameter X for layer type Y`) is
  /// logged as an error and dropped, as in Caffe; the upgrade goes on and `isComplete` is false.
  ///
  /// - Parameters:
  ///   - net: The net as read.
  ///   - source: The file it came from, for the log lines.
  /// - Returns: The upgraded net, and false when some V0 field was dropped.
  /// - Throws: as ``upgradeNet(_:source:)``.
  public static func upgradeNetAsNeeded(
    _ net: NetParameter, source: String
  ) throws -> (net: NetParameter, isComplete: Bool) {
    if !net.layer.isEmpty && !net.layers.isEmpty {
      throw CaffeError.invalidNet(
        reason: "\(source): Refusing to upgrade inconsistent NetParameter input; the definition "
          + "includes both 'layer' and 'layers' fields. The current format defines 'layer' fields "
          + "with string type like layer { type: 'Layer' ... } and not layers { type: LAYER ... }. "
          + "Manually switch the definition to 'layer' format to continue.")
    }
    var result = net
    var isComplete = true
    if netNeedsV0Upgrade(result) {
      Log.info(
        "Attempting to upgrade input file specified using deprecated V0LayerParameter: \(source)")
      (result, isComplete) = try upgradeV0Net(result)
      if isComplete {
        Log.info("Successfully upgraded file specified using deprecated V0LayerParameter")
      } else {
        Log.error(
          "Warning: had one or more problems upgrading V0NetParameter to NetParameter (see "
            + "above); continuing anyway.")
      }
      Log.warning(
        "Note that future Caffe releases will not support V0NetParameter; use "
          + "./build/tools/upgrade_net_proto_text for prototxt and "
          + "./build/tools/upgrade_net_proto_binary for model weights upgrade this and any other "
          + "net protos to the new format.")
    }
    if netNeedsDataUpgrade(result) {
      Log.info(
        "Attempting to upgrade input file specified using deprecated transformation parameters: "
          + source)
      upgradeDataTransformation(&result)
      Log.info(
        "Successfully upgraded file specified using deprecated data transformation parameters.")
      Log.warning(
        "Note that future Caffe releases will only support transform_param messages for "
          + "transformation fields.")
    }
    if netNeedsV1Upgrade(result) {
      Log.info(
        "Attempting to upgrade input file specified using deprecated V1LayerParameter: \(source)")
      result = upgradeV1Net(result)
      Log.info("Successfully upgraded file specified using deprecated V1LayerParameter")
    }
    if netNeedsInputUpgrade(result) {
      Log.info(
        "Attempting to upgrade input file specified using deprecated input fields: \(source)")
      try upgradeNetInput(&result)
      Log.info("Successfully upgraded file specified using deprecated input fields.")
      Log.warning(
        "Note that future Caffe releases will only support input layers and not input fields.")
    }
    if netNeedsBatchNormUpgrade(result) {
      Log.info("Attempting to upgrade batch norm layers using deprecated params: \(source)")
      upgradeBatchNorm(&result)
      Log.info("Successfully upgraded batch norm layers using deprecated params.")
    }
    return (result, isComplete)
  }
}
