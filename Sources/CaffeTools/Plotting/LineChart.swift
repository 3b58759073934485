// What a training-log chart shows: one line per log, with its title, axis labels and legend.

import CaffeSupport
import Foundation

/// A line chart: named series of (x, y) points under a title, with axis labels.
public struct LineChart: Sendable {
  /// One line: a legend label and its points in drawing order.
  public struct Series: Sendable {
    /// The legend text.
    public var label: String
    /// The x values.
    public var x: [Double]
    /// The y values, as many as `x`.
    public var y: [Double]

    /// Makes a series; pairs with a non-finite coordinate are dropped.
    public init(label: String, x: [Double], y: [Double]) {
      let pairs = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
      self.label = label
      self.x = pairs.map(\.0)
      self.y = pairs.map(\.1)
    }
  }

  /// The title above the plot.
  public var title: String
  /// The label under the x axis.
  public var xLabel: String
  /// The label beside the y axis.
  public var yLabel: String
  /// The lines, in legend order.
  public var series: [Series]
  /// Whether the legend sits in the upper right corner (else the lower right).
  public var legendAtTop: Bool

  /// Makes a chart.
  public init(title: String, xLabel: String, yLabel: String, series: [Series], legendAtTop: Bool) {
    (self.title, self.xLabel, self.yLabel) = (title, xLabel, yLabel)
    (self.series, self.legendAtTop) = (series, legendAtTop)
  }
}

extension LineChart {
  /// The chart of `type` for several training logs, one line each, labelled with the log's file
  /// name without `.log`, as Caffe's `plot_training_log.py` draws it.
  ///
  /// Test accuracy is the first test output whose name contains `acc`; test and train loss the
  /// first output whose name contains `loss` (Caffe's script took output #0 and #1 instead).
  ///
  /// - Parameters:
  ///   - type: The chart type.
  ///   - logs: Each log's path and parsed content.
  /// - Throws: `CaffeError.invalidFile` naming the log when it lacks the charted field.
  public init(type: ChartType, logs: [(path: String, log: TrainingLog)]) throws {
    let series = try logs.map { path, log in
      let (table, column) = try Self.column(for: type.field, in: log, path: path, type: type)
      let x = table.values(of: type.isAgainstSeconds ? "Seconds" : "NumIters")
      let y = table.values(of: column)
      return Series(label: Self.label(path), x: x.map { $0 ?? .nan }, y: y.map { $0 ?? .nan })
    }
    self.init(
      title: type.title, xLabel: type.xLabel, yLabel: type.field.rawValue, series: series,
      legendAtTop: type.legendAtTop)
  }

  /// The legend label of a log: its file name without the `.log` extension.
  static func label(_ path: String) -> String {
    let name = URL(fileURLWithPath: path).lastPathComponent
    return name.hasSuffix(".log") && name.count > 4 ? String(name.dropLast(4)) : name
  }

  /// The table and column holding `field`.
  private static func column(
    for field: ChartType.Field, in log: TrainingLog, path: String, type: ChartType
  ) throws -> (LogTable, String) {
    let (table, phase, fragment): (LogTable, String, String)
    switch field {
    case .trainLearningRate where !log.train.rows.isEmpty: return (log.train, "LearningRate")
    case .trainLearningRate, .trainLoss: (table, phase, fragment) = (log.train, "train", "loss")
    case .testLoss: (table, phase, fragment) = (log.test, "test", "loss")
    case .testAccuracy: (table, phase, fragment) = (log.test, "test", "acc")
    }
    if let name = table.outputNames.first(where: { $0.lowercased().contains(fragment) }) {
      return (table, name)
    }
    let found = table.outputNames.isEmpty ? "none" : table.outputNames.joined(separator: ", ")
    throw CaffeError.invalidFile(
      path: path,
      reason: "has no \(phase) output named like \"\(fragment)\" (its \(phase) outputs: \(found)), "
        + "which chart \(type.rawValue) (\(type.title)) needs")
  }
}
