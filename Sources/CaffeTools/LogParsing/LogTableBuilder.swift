// Collects net output lines into rows, one row per iteration, as parse_log.py does.

/// Groups `Train net output` (or `Test net output`) lines into ``LogTable`` rows.
///
/// A row starts at the first output line of an iteration and takes that line's seconds and the
/// learning rate current then; later outputs of the same iteration join it (a repeated name keeps
/// the last value). This gives parse_log.py's rows for every log it can read. Where it differs:
/// parse_log.py closes a row as soon as it has as many outputs as the first row, so outputs that
/// only later iterations print make extra rows and then a crash; here they become new columns.
struct LogTableBuilder {
  private var outputNames: [String] = []
  private var rows: [LogTable.Row] = []
  private var pending: LogTable.Row?

  /// Adds one output line's value.
  ///
  /// - Parameters:
  ///   - name: The output name (`loss`).
  ///   - value: Its value.
  ///   - iteration: The iteration the log is at.
  ///   - seconds: The line's time since the start of solving.
  ///   - learningRate: The last learning rate printed (NaN if none).
  mutating func record(
    name: String, value: Double, iteration: Int, seconds: Double, learningRate: Double
  ) {
    if let row = pending, row.iteration != iteration {
      rows.append(row)
      pending = nil
    }
    var row =
      pending
      ?? LogTable.Row(
        iteration: iteration, seconds: seconds, learningRate: learningRate, outputs: [:])
    row.outputs[name] = value
    pending = row
    if !outputNames.contains(name) { outputNames.append(name) }
  }

  /// The finished table.
  ///
  /// The last row is kept if it has as many outputs as the first (a log cut off in the middle of
  /// a test pass loses its partial row, as in parse_log.py) or if it is the only row (which
  /// parse_log.py drops). The first row's learning rate, not printed yet when it began, is taken
  /// from the second row.
  func finished() -> LogTable {
    var table = rows
    if let row = pending, table.isEmpty || row.outputs.count >= table[0].outputs.count {
      table.append(row)
    }
    if table.count > 1 { table[0].learningRate = table[1].learningRate }
    return LogTable(outputNames: outputNames, rows: table)
  }
}
