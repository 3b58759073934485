// `caffe`: the command-line brew (train, test, time, device_query) and the flags they share.

import ArgumentParser
import Caffe
import CaffeProto
import CaffeSupport

/// `caffe <command> <args>`: Caffe's main tool.
///
/// No command, or an unknown one, is an error (exit 1) that lists the commands.
public struct CaffeCommand: ParsableCommand {
  /// The commands, in the order Caffe's usage lists them.
  static let actions = [
    "train", "test", "device_query", "time", "summary", "forward", "db", "visualize",
  ]

  /// The tool's name, usage line and the subcommands it dispatches to.
  public static let configuration = CommandConfiguration(
    commandName: "caffe",
    abstract: "command line brew",
    usage: "caffe <command> <args>",
    subcommands: [
      TrainCommand.self, TestCommand.self, DeviceQueryCommand.self, TimeCommand.self,
      SummaryCommand.self, ForwardCommand.self, DbCommand.self, VisualizeCommand.self,
    ])

  /// Creates the root command; it has no options of its own.
  public init() {}

  /// Runs only when no command is given.
  /// - Throws: a `ValidationError` with the usage.
  public func run() throws {
    throw Self.usageError
  }

  private static var usageError: ValidationError {
    ValidationError(
      "no command given; usage: caffe <command> <args> (commands: "
        + actions.joined(separator: ", ") + ")")
  }
}

extension CaffeCommand: ArgumentPreflight {
  /// Rejects a missing or unknown command before parsing, in Caffe's words.
  /// - Throws: a `ValidationError` with the usage, or `Unknown action: X` and the commands.
  public static func preflight(_ arguments: [String]) throws {
    guard let action = arguments.first else { throw usageError }
    guard action.hasPrefix("-") || action == "help" || actions.contains(action) else {
      throw ValidationError(
        "Unknown action: \(action) (available caffe actions: "
          + actions.joined(separator: ", ") + ")")
    }
  }
}

/// `caffe device_query`: this build has no GPU support, so it only says so.
public struct DeviceQueryCommand: ParsableCommand {
  /// The `device_query` subcommand's name and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "device_query", abstract: "show GPU diagnostic information")

  /// The GPU ids to query (accepted for compatibility).
  @Option(name: .customLong("gpu"), help: "GPU device ids, separated by ','.")
  var gpu = ""

  /// Creates the command with `--gpu` at its default; the parser fills it in.
  public init() {}

  /// - Throws: always: there is no GPU to query in a CPU-only build.
  public func run() throws {
    throw ValidationError("this build of caffe is CPU-only; there is no GPU to query")
  }
}

/// The flags `train`, `test` and `time` share: `--gpu`, `--level`, `--stage`.
struct NetStateOptions: ParsableArguments {
  @Option(
    name: .customLong("gpu"),
    help: "GPU device ids separated by ',' (this build is CPU-only: ignored with a warning).")
  var gpu = ""

  @Option(name: .customLong("level"), help: "The network level.")
  var level: Int32 = 0

  @Option(
    name: .customLong("stage"),
    help: "Network stages (not to be confused with phase), separated by ','.")
  var stage = ""

  /// The stages as Caffe splits them: `""` gives one empty stage, as in Caffe.
  var stages: [String] {
    stage.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
  }

  /// Logs the device choice: a warning for any GPU request, then Caffe's `Use CPU.`.
  func useCPU(solverMode: String? = nil) {
    if !gpu.isEmpty {
      Log.warning("This build of caffe is CPU-only: ignoring --gpu=\(gpu) and using the CPU.")
    } else if let solverMode {
      Log.warning("This build of caffe is CPU-only: ignoring \(solverMode) and using the CPU.")
    }
    Log.info("Use CPU.")
  }

  /// Reads the net definition at `path` with its state set as Caffe's tools set it: the
  /// given phase, the `--stage` stages appended and the `--level` level.
  /// - Throws: what reading and upgrading the prototxt throws.
  func netParameter(path: String, phase: Phase) throws -> NetParameter {
    var definition = try ProtoUpgrade.readNetText(path: path)
    definition.state.phase = phase
    definition.state.stage.append(contentsOf: stages)
    definition.state.level = level
    return definition
  }
}

/// Checks that a required string flag was given.
/// - Throws: `ValidationError(message)` when `value` is empty.
func require(_ value: String, _ message: String) throws {
  guard !value.isEmpty else { throw ValidationError(message) }
}
