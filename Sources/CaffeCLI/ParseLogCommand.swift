// The parse_log command: a training log turned into train and test CSV tables.

import ArgumentParser
import CaffeSupport
import CaffeTools
import Foundation

/// `parse_log LOG OUTPUT_DIR [--delimiter ,] [--verbose]`, as Caffe's `tools/extra/parse_log.py`.
///
/// Writes `OUTPUT_DIR/<log file name>.train` and `.test` with the columns `NumIters`, `Seconds`,
/// `LearningRate` and then each net output (`loss`, `accuracy`, …); a table with no rows is not
/// written. Reads logs of Caffe and of swift-caffe, with either glog prefix.
public struct ParseLogCommand: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "parse_log",
    abstract: "Parses a Caffe training log into train and test CSV files.")

  /// The training log to read.
  @Argument(help: ArgumentHelp("The training log (glog format).", valueName: "logfile_path"))
  public var logfilePath: String

  /// The folder that receives the CSV files (created if missing).
  @Argument(help: ArgumentHelp("Where to write the CSV files.", valueName: "output_dir"))
  public var outputDir: String

  /// The column separator: one character.
  @Option(help: "The column separator of the output files (one character).")
  public var delimiter: String = ","

  /// Whether to name each file written.
  @Flag(help: "Print the name of each file written.")
  public var verbose = false

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Checks that the delimiter is one character.
  ///
  /// - Throws: `ValidationError` otherwise.
  public func validate() throws {
    guard delimiter.count == 1 else {
      throw ValidationError("--delimiter must be one character, not \"\(delimiter)\"")
    }
  }

  /// Reads the log and writes the tables.
  ///
  /// - Throws: `CaffeError` when the log cannot be read or is not a training log, or the files
  ///   cannot be written.
  public func run() throws {
    let log = try TrainingLog(path: logfilePath)
    let name = URL(fileURLWithPath: logfilePath).lastPathComponent
    let written = try log.writeCSV(
      into: outputDir, name: name, delimiter: delimiter.first ?? ",")
    if written.isEmpty {
      Log.warning(
        "\(logfilePath): no `Train net output` or `Test net output` lines; nothing written")
    }
    if verbose {
      for path in written { print("Wrote \(path)") }
    }
  }
}
