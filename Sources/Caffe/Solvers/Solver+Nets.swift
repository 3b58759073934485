// Building the solver's train and test nets from the SolverParameter's net fields.

import CaffeProto
import CaffeSupport
import Foundation

extension Solver {
  /// Builds the train net from exactly one of `net`, `net_param`, `train_net`,
  /// `train_net_param`, with state TRAIN ← the net's own `state` ← `train_state`, then loads
  /// the `weights` caffemodels into it.
  /// - Throws: `CaffeError.invalidSolver` unless exactly one train net field is set, or what
  ///   reading, building or loading throws.
  static func makeTrainNet(_ param: SolverParameter) throws -> Net {
    let fields = "net, net_param, train_net, train_net_param"
    let given = [param.hasNet, param.hasNetParam, param.hasTrainNet, param.hasTrainNetParam]
      .filter { $0 }.count
    guard given >= 1 else {
      throw CaffeError.invalidSolver(
        reason: "SolverParameter must specify a train net using one of these fields: \(fields)")
    }
    guard given <= 1 else {
      throw CaffeError.invalidSolver(
        reason: "SolverParameter must not contain more than one of these fields specifying a "
          + "train_net: \(fields)")
    }
    var definition: NetParameter
    if param.hasTrainNetParam {
      Log.info("Creating training net specified in train_net_param.")
      definition = param.trainNetParam
    } else if param.hasTrainNet {
      Log.info("Creating training net from train_net file: \(param.trainNet)")
      definition = try ProtoUpgrade.readNetText(path: param.trainNet)
    } else if param.hasNetParam {
      Log.info("Creating training net specified in net_param.")
      definition = param.netParam
    } else {
      Log.info("Creating training net from net file: \(param.net)")
      definition = try ProtoUpgrade.readNetText(path: param.net)
    }
    var state = NetState()
    state.phase = .train
    merge(definition.state, into: &state)
    merge(param.trainState, into: &state)
    definition.state = state
    let net = try Net(definition)
    guard !net.layers.isEmpty else {
      throw CaffeError.invalidSolver(
        reason: "the training net \"\(definition.name)\" has no layers in phase TRAIN; "
          + "nothing to train")
    }
    try loadWeights(param.weights, into: net)
    return net
  }

  /// Builds one test net per `test_iter`: first those of `test_net_param`, then `test_net`,
  /// then copies of `net`/`net_param` for the remaining `test_iter`s, each with state TEST ←
  /// its own `state` ← its `test_state`.
  /// - Throws: `CaffeError.invalidSolver` for mismatched `test_iter` / `test_state` counts or
  ///   `test_interval` ≤ 0 with test nets, or what reading and building the nets throws.
  static func makeTestNets(_ param: SolverParameter) throws -> [Net] {
    let explicitCount = param.testNetParam.count + param.testNet.count
    let hasGeneric = param.hasNet || param.hasNetParam
    guard
      hasGeneric
        ? param.testIter.count >= explicitCount
        : param.testIter.count == explicitCount
    else {
      throw CaffeError.invalidSolver(
        reason: "test_iter must be specified for each test network (\(explicitCount) test "
          + "nets, \(param.testIter.count) test_iter values)")
    }
    let instanceCount = hasGeneric ? param.testIter.count : explicitCount
    guard param.testState.isEmpty || param.testState.count == instanceCount else {
      throw CaffeError.invalidSolver(
        reason: "test_state must be unspecified or specified once per test net (\(instanceCount) "
          + "test nets, \(param.testState.count) test_state values)")
    }
    guard instanceCount == 0 || param.testInterval > 0 else {
      throw CaffeError.invalidSolver(
        reason: "test_interval must be > 0 when there are test nets (given "
          + "\(param.testInterval))")
    }
    for (index, batches) in param.testIter.enumerated() where batches <= 0 {
      Log.warning(
        "test_iter is \(batches) for test net #\(index): it runs no batches and reports nothing "
          + "(as in Caffe)")
    }
    var sources: [(String, () throws -> NetParameter)] = []
    for definition in param.testNetParam { sources.append(("test_net_param", { definition })) }
    for path in param.testNet {
      sources.append(("test_net file: \(path)", { try ProtoUpgrade.readNetText(path: path) }))
    }
    for _ in explicitCount..<instanceCount {
      if param.hasNetParam {
        sources.append(("net_param", { param.netParam }))
      } else {
        let path = param.net
        sources.append(("net file: \(path)", { try ProtoUpgrade.readNetText(path: path) }))
      }
    }
    return try sources.enumerated().map { index, source in
      try makeTestNet(index, source: source.0, definition: source.1(), param: param)
    }
  }

  private static func makeTestNet(
    _ index: Int, source: String, definition: NetParameter, param: SolverParameter
  ) throws -> Net {
    var definition = definition
    var state = NetState()
    state.phase = .test
    merge(definition.state, into: &state)
    if !param.testState.isEmpty { merge(param.testState[index], into: &state) }
    definition.state = state
    Log.info("Creating test net (#\(index)) specified by \(source)")
    let net = try Net(definition)
    net.debugInfo = param.debugInfo
    try loadWeights(param.weights, into: net)
    return net
  }

  /// Protobuf's merge for NetState: set fields of `other` overwrite, stages are appended.
  static func merge(_ other: NetState, into state: inout NetState) {
    if other.hasPhase { state.phase = other.phase }
    if other.hasLevel { state.level = other.level }
    state.stage.append(contentsOf: other.stage)
  }

  /// Copies the layers of each caffemodel in `lists` (each entry a comma-separated list of
  /// paths) into `net`, logging `Finetuning from <path>`.
  /// - Throws: what ``Net/copyTrainedLayers(fromFile:)`` throws.
  static func loadWeights(_ lists: [String], into net: Net) throws {
    for list in lists {
      for item in list.split(separator: ",", omittingEmptySubsequences: false) {
        let path = item.trimmingCharacters(in: .whitespaces)
        Log.info("Finetuning from \(path)")
        try net.copyTrainedLayers(fromFile: path)
      }
    }
  }
}
