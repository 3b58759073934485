// `caffe train`: train a model from a solver, resume from a snapshot or finetune from weights.

import ArgumentParser
import Caffe
import CaffeProto
import CaffeSupport

/// `caffe train --solver=S [--snapshot=X.solverstate[.h5] | --weights=A.caffemodel[,B…]]`.
///
/// Reads the solver (upgrading old formats, defaulting `snapshot_prefix`), sets `train_state`
/// from `--level` and `--stage`, builds the solver, restores a snapshot if given, and trains
/// to `max_iter`. SIGINT and SIGHUP stop or snapshot as `--sigint_effect` / `--sighup_effect`
/// say.
public struct TrainCommand: ParsableCommand {
  /// The `train` subcommand's name and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "train", abstract: "train or finetune a model")

  @Option(name: .customLong("solver"), help: "The solver definition protocol buffer text file.")
  var solver = ""

  @Option(
    name: .customLong("snapshot"),
    help: ArgumentHelp(
      "Optional; the snapshot solver state (.solverstate or .solverstate.h5) to resume "
        + "training."))
  var snapshot = ""

  @Option(
    name: .customLong("weights"),
    help: ArgumentHelp(
      "Optional; the pretrained weights (.caffemodel) to initialize finetuning, separated "
        + "by ','. Cannot be set simultaneously with snapshot."))
  var weights = ""

  @OptionGroup var netState: NetStateOptions

  @Option(
    name: .customLong("sigint_effect"),
    help: "Optional; action to take when a SIGINT signal is received: snapshot, stop or none.")
  var sigintEffect = "stop"

  @Option(
    name: .customLong("sighup_effect"),
    help: "Optional; action to take when a SIGHUP signal is received: snapshot, stop or none.")
  var sighupEffect = "snapshot"

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Trains as Caffe's `train` action does, logging `Use CPU.`, `Resuming from X`,
  /// `Starting Optimization` and `Optimization Done.`.
  /// - Throws: `ValidationError` for inconsistent flags; `CaffeError` for unreadable or invalid
  ///   files, nets and solver states.
  public func run() throws {
    try require(solver, "Need a solver definition to train (--solver).")
    guard snapshot.isEmpty || weights.isEmpty else {
      throw ValidationError(
        "Give a snapshot to resume training or weights to finetune but not both.")
    }
    if snapshot.hasSuffix(".caffemodel") || snapshot.hasSuffix(".caffemodel.h5") {
      throw ValidationError(
        "--snapshot=\(snapshot) is a .caffemodel (weights only): resume from the matching "
          + ".solverstate, or pass the .caffemodel to --weights to finetune")
    }
    let onInterrupt = try Self.action(sigintEffect)
    let onHangUp = try Self.action(sighupEffect)
    let param = try solverParameter()
    let signals = SolverSignalHandler(sigintEffect: onInterrupt, sighupEffect: onHangUp)
    let trainer = try locatingLayerErrors(in: [param.net, param.trainNet] + param.testNet) {
      try SolverRegistry.makeSolver(param)
    }
    trainer.actionRequest = { signals.requestedAction() }
    if !snapshot.isEmpty {
      Log.info("Resuming from \(snapshot)")
      try trainer.restore(from: snapshot)
    }
    Log.info("Starting Optimization")
    try trainer.solve()
    Log.info("Optimization Done.")
  }

  /// The solver file with the command line applied: `train_state` level and stages, the
  /// `weights` replaced by `--weights` (or cleared by `--snapshot`).
  private func solverParameter() throws -> SolverParameter {
    var param = try ProtoUpgrade.readSolverText(path: solver)
    param.trainState.level = netState.level
    param.trainState.stage.append(contentsOf: netState.stages)
    let gpuMode = param.hasSolverMode && param.solverMode == .gpu
    netState.useCPU(solverMode: gpuMode ? "solver_mode: GPU" : nil)
    if !snapshot.isEmpty {
      param.weights = []
    } else if !weights.isEmpty {
      param.weights = [weights]
    }
    return param
  }

  /// Parses a `--sigint_effect` / `--sighup_effect` value.
  static func action(_ value: String) throws -> SolverAction {
    guard let action = SolverAction(rawValue: value) else {
      throw ValidationError(
        "Invalid signal effect \"\(value)\" was specified (use stop, snapshot or none)")
    }
    return action
  }
}
