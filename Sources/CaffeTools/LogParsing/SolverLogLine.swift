// What one line of a Caffe training log says: an iteration number, a learning rate, a net output.

/// The facts Caffe's `parse_log.py` reads from a log line, found the way its regular expressions
/// find them (the first match anywhere in the line).
enum SolverLogLine {
  /// The number in the first `Iteration <digits>` of `line`.
  ///
  /// Matches every solver line that names an iteration: `Iteration 100, loss = 0.2`,
  /// `Iteration 100 (23.3 iter/s, 4.287s/100 iters), loss = 0.2`, `Iteration 100, lr = 0.01`,
  /// `Iteration 500, Testing net (#0)`, `MultiStep Status: Iteration 5000, step = 1`.
  static func iteration(in line: ArraySlice<UInt8>) -> Int? {
    for start in LogBytes.ends(of: "Iteration ", in: line) {
      let end = LogBytes.endOfRun(in: line, from: start, while: LogBytes.isDigit)
      if let value = LogBytes.integer(line[start..<end]) { return value }
    }
    return nil
  }

  /// The learning rate of an `Iteration 100, lr = 0.00992565` line.
  static func learningRate(in line: ArraySlice<UInt8>) -> Double? {
    for start in LogBytes.ends(of: "lr = ", in: line) {
      if let number = LogBytes.number(in: line, at: start) { return number.value }
    }
    return nil
  }

  /// The name and value of a `Train net output #0: loss = 2.4154 (* 1 = 2.4154 loss)` line
  /// (`phase` "Train") or a `Test net output #1: loss = …` line (`phase` "Test").
  ///
  /// The name is the run of non-space characters after `#<digits>: `; the value is the number
  /// right after the following ` = ` (also `nan` and `inf`, which Caffe prints for a diverged
  /// net and which parse_log.py misses).
  static func netOutput(
    phase: String, in line: ArraySlice<UInt8>
  ) -> (name: String, value: Double)? {
    for start in LogBytes.ends(of: phase + " net output #", in: line) {
      let digitsEnd = LogBytes.endOfRun(in: line, from: start, while: LogBytes.isDigit)
      guard digitsEnd > start, LogBytes.hasText(": ", in: line, at: digitsEnd) else { continue }
      let nameStart = digitsEnd + 2
      let nameEnd = LogBytes.endOfRun(in: line, from: nameStart) { !LogBytes.isSpace($0) }
      guard nameEnd > nameStart, LogBytes.hasText(" = ", in: line, at: nameEnd),
        let number = LogBytes.number(in: line, at: nameEnd + 3)
      else { continue }
      return (String(decoding: line[nameStart..<nameEnd], as: UTF8.self), number.value)
    }
    return nil
  }
}
