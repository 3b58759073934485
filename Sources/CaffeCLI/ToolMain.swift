// The shared entry point of every swift-caffe executable: parse, run, report errors in one line.

import ArgumentParser
import CaffeSupport
import Foundation

/// Runs a command the way every swift-caffe tool does.
///
/// Arguments may be written gflags-style (`-solver=x`, `-solver x`, `--solver=x`, and for a
/// ``GFlagsBooleans`` command `--gray=true` or `--nogray`); they are normalised for
/// swift-argument-parser first, after glog's own flags are taken out (``GLogFlags``). A failure of any kind (bad flags, a missing
/// file, a broken prototxt) prints one line, `error: <message>`, and gives exit status 1;
/// `--help` prints the usage to standard output and gives 0. A command that needs another
/// status (Caffe's upgrade tools return 2 for an unparsable file) throws `ExitCode(n)` after
/// logging its own message.
///
/// An executable's `main.swift` is one line: `ToolMain.main(CaffeCommand.self)`.
public enum ToolMain {
  /// Parses `arguments` (without the program name), runs the command and returns the exit
  /// status: 0, 1, or the status of a thrown `ExitCode`.
  ///
  /// - Parameters:
  ///   - command: the root command type.
  ///   - arguments: the command line after the program name.
  ///   - output: receives help text (standard output by default).
  ///   - errorOutput: receives the one `error: …` line (standard error by default).
  /// - Returns: the process exit status: 0 on success or help, 1 on an error, or the status
  ///   of a thrown `ExitCode`.
  public static func run<Command: ParsableCommand>(
    _ command: Command.Type, arguments: [String],
    output: (String) -> Void = { print($0) },
    errorOutput: (String) -> Void = writeToStandardError
  ) -> Int32 {
    do {
      var normalized = try GLogFlags.apply(normalizeGFlags(arguments))
      if let booleans = command as? any GFlagsBooleans.Type {
        normalized = normalizeGFlagsBooleans(normalized, names: booleans.booleanFlags)
      }
      if let checked = command as? any ArgumentPreflight.Type {
        try checked.preflight(normalized)
      }
      var parsed = try Command.parseAsRoot(normalized)
      try parsed.run()
      return 0
    } catch let code as ExitCode {
      return code.rawValue
    } catch let error as CaffeError {
      errorOutput("error: " + oneLine(error.description))
      return 1
    } catch {
      if Command.exitCode(for: error) == .success {
        output(Command.fullMessage(for: error))
        return 0
      }
      let message = oneLine(Command.message(for: error))
      errorOutput("error: " + (message.isEmpty ? oneLine("\(error)") : message))
      return 1
    }
  }

  /// Runs `command` with the process's arguments and exits with its status.
  public static func main<Command: ParsableCommand>(_ command: Command.Type) -> Never {
    exit(run(command, arguments: Array(CommandLine.arguments.dropFirst())))
  }

  /// Writes `line` and a newline to standard error.
  public static func writeToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  /// Joins a possibly multi-line message into one line.
  static func oneLine(_ message: String) -> String {
    message.split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
      .joined(separator: " ")
  }
}

/// A command that checks its raw arguments before swift-argument-parser sees them, to give
/// errors in its own words (for example Caffe's `Unknown action: X`).
public protocol ArgumentPreflight {
  /// Checks the normalised arguments.
  /// - Throws: an error that ``ToolMain`` reports as `error: <message>`.
  static func preflight(_ arguments: [String]) throws
}
