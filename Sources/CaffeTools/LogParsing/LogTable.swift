// One table of a parsed training log: a row per iteration that printed train (or test) outputs.

/// The rows `parse_log` writes to `<log>.train` or `<log>.test`.
///
/// The columns are Caffe's `parse_log.py` columns: `NumIters`, `Seconds` (since the first
/// `Solving` line), `LearningRate` (the last `lr = ` printed before the row began), then one
/// column per net output name (`loss`, `accuracy`, …) in the order they first appear.
public struct LogTable: Sendable {
  /// The three columns every table starts with.
  public static let fixedColumns = ["NumIters", "Seconds", "LearningRate"]

  /// One iteration's outputs.
  public struct Row: Sendable {
    /// The iteration, as the log numbers it (0-based).
    public var iteration: Int
    /// Seconds from the first `Solving` line to the row's first output line.
    public var seconds: Double
    /// The learning rate; NaN when none was printed yet (Caffe prints it after the outputs).
    public var learningRate: Double
    /// Output values by name.
    public var outputs: [String: Double]
  }

  /// The net output names, in first-seen order.
  public var outputNames: [String]
  /// The rows, in log order.
  public var rows: [Row]

  /// `fixedColumns` followed by `outputNames`.
  public var columns: [String] { Self.fixedColumns + outputNames }

  /// The values of `column` row by row; nil where a row lacks that output.
  ///
  /// - Parameter column: A name from ``columns``.
  /// - Returns: One value per row, in row order.
  public func values(of column: String) -> [Double?] {
    rows.map { row in
      switch column {
      case "NumIters": return Double(row.iteration)
      case "Seconds": return row.seconds
      case "LearningRate": return row.learningRate
      default: return row.outputs[column]
      }
    }
  }
}
