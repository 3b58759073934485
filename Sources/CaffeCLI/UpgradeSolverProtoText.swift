// The upgrade_solver_proto_text command: `solver_type: ENUM` rewritten as `type: "String"`.

import ArgumentParser
import CaffeProto
import CaffeSupport

/// `upgrade_solver_proto_text old_solver_proto_file_in solver_proto_file_out`, as Caffe's tool of
/// that name.
///
/// Reads a solver definition, replaces the deprecated `solver_type` enum by the `type` string and
/// writes the result as text. A current file is written back unchanged; `snapshot_prefix` is left
/// as written (Caffe fills in its default only when training).
public struct UpgradeSolverProtoText: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "upgrade_solver_proto_text",
    abstract: "Upgrades a solver definition (.prototxt) written in a deprecated format.")

  /// The solver definition to read.
  @Argument(
    help: ArgumentHelp("The solver definition to upgrade.", valueName: "old_solver_proto_file_in"))
  public var input: String

  /// Where to write the upgraded definition; may be the input itself.
  @Argument(help: ArgumentHelp("Where to write the result.", valueName: "solver_proto_file_out"))
  public var output: String

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Upgrades the file.
  ///
  /// - Throws: `CaffeError` when the input cannot be read, parsed or upgraded, or the output
  ///   cannot be written.
  public func run() throws {
    var solver = try Prototxt.readSolver(path: input)
    if ProtoUpgrade.solverNeedsUpgrade(solver) {
      solver = try ProtoUpgrade.upgradeSolver(solver, source: input)
    } else {
      Log.error("File already in latest proto format: \(input)")
    }
    try Prototxt.write(solver, path: output)
    Log.info("Wrote upgraded SolverParameter text proto to \(output)")
  }
}
