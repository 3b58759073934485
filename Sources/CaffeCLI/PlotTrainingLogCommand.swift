// The plot_training_log command: one of Caffe's eight training charts for one or more logs.

import ArgumentParser
import CaffeSupport
import CaffeTools

/// `plot_training_log CHART_TYPE OUT.png|OUT.svg LOG [LOG ...]`, as Caffe's
/// `tools/extra/plot_training_log.py.example`.
///
/// Parses each log as `parse_log` does and draws one line per log (legend: the log's file name
/// without `.log`) with cairo. The image type follows the output's extension.
public struct PlotTrainingLogCommand: ParsableCommand, ArgumentPreflight {
  /// The command's name and help, listing the chart types.
  public static let configuration = CommandConfiguration(
    commandName: "plot_training_log",
    abstract: "Draws a training chart (PNG or SVG) from one or more Caffe training logs.",
    discussion: "Chart types:\n"
      + ChartType.allCases.map { "  \($0.rawValue): \($0.title)" }.joined(separator: "\n"))

  /// The chart type, 0...7.
  @Argument(help: ArgumentHelp("The chart type, 0-7 (see below).", valueName: "chart_type"))
  public var chartType: Int

  /// The image to write.
  @Argument(help: ArgumentHelp("The image to write (.png or .svg).", valueName: "output"))
  public var output: String

  /// The training logs, one line each.
  @Argument(help: ArgumentHelp("One or more training logs.", valueName: "log"))
  public var logs: [String] = []

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Checks the chart type before swift-argument-parser sees it, so that `-1` is reported as a
  /// chart type rather than as an unknown option.
  ///
  /// - Throws: `ValidationError` naming the valid chart types.
  public static func preflight(_ arguments: [String]) throws {
    guard let first = arguments.first, !first.hasPrefix("--"), first != "-h" else { return }
    guard let number = Int(first), ChartType(rawValue: number) != nil else {
      throw ValidationError("unknown chart type \(first); the types are \(ChartType.catalogue)")
    }
  }

  /// Checks the chart type and that at least one log is given.
  ///
  /// - Throws: `ValidationError` naming the valid chart types.
  public func validate() throws {
    guard ChartType(rawValue: chartType) != nil else {
      throw ValidationError(
        "unknown chart type \(chartType); the types are \(ChartType.catalogue)")
    }
    guard !logs.isEmpty else { throw ValidationError("give at least one training log") }
  }

  /// Parses the logs and draws the chart.
  ///
  /// - Throws: `CaffeError` for an unreadable log, a log without the charted field, a wrong
  ///   extension or a failed write.
  public func run() throws {
    guard let type = ChartType(rawValue: chartType) else {
      throw ValidationError("unknown chart type \(chartType); the types are \(ChartType.catalogue)")
    }
    _ = try LineChart.FileFormat(path: output)
    let parsed = try logs.map { (path: $0, log: try TrainingLog(path: $0)) }
    try LineChart(type: type, logs: parsed).write(to: output)
    Log.info("Wrote \(type.title) for \(logs.count) log(s) to \(output)")
  }
}
