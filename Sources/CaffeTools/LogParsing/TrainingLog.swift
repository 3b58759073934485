// A Caffe training log read into its train and test tables, as Caffe's parse_log.py reads it.

import CaffeSupport
import Foundation

/// The train and test tables of one training log (`caffe train` output, glog format), written
/// by Caffe or by swift-caffe.
///
/// Reading follows `tools/extra/parse_log.py`: time is measured from the first line containing
/// `Solving`; lines before the first `Iteration N` and lines without a glog prefix are skipped;
/// `Iteration N` anywhere sets the current iteration, `lr = X` the learning rate, and
/// `Train net output #i: name = X` / `Test net output #i: name = X` add values to the rows. A
/// prefix without a year (`I1129`) takes `year`, plus one each time the month goes down (a run
/// over New Year); glog 0.6's `I20261129` prefix carries its own year (parse_log.py stops on it).
/// Several `Solving` sections (a resumed run appended to the log) continue the same tables, with
/// time still counted from the first.
public struct TrainingLog: Sendable {
  /// One row per iteration that printed `Train net output` lines.
  public var train: LogTable
  /// One row per test pass (`Test net output` lines).
  public var test: LogTable

  /// Reads a log from its text.
  ///
  /// - Parameters:
  ///   - text: The whole log.
  ///   - year: The year of lines whose prefix has none (parse_log.py takes the file's year).
  ///   - source: The log's name for error messages.
  /// - Throws: `CaffeError.invalidFile` when no `Solving` line with a glog time stamp exists.
  public init(text: String, year: Int, source: String = "log") throws {
    var reader = Reader(year: year)
    for line in Array(text.utf8).split(separator: UInt8(ascii: "\n")) {
      reader.read(line)
    }
    guard reader.hasStarted else {
      throw CaffeError.invalidFile(
        path: source,
        reason: "no `Solving` line with a glog time stamp: not a `caffe train` log")
    }
    (train, test) = (reader.train.finished(), reader.test.finished())
  }

  /// Reads the log file at `path`, taking the year of undated prefixes from the file's
  /// modification date.
  ///
  /// - Parameter path: The log file.
  /// - Throws: `CaffeError.io` when the file is missing or unreadable, `CaffeError.invalidFile`
  ///   when it is not a training log.
  public init(path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw CaffeError.io(path: path, reason: "no such file")
    }
    guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
      throw CaffeError.io(path: path, reason: "cannot be read as a file")
    }
    let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]
    let year = Calendar.current.component(.year, from: (modified as? Date) ?? Date())
    try self.init(text: String(decoding: data, as: UTF8.self), year: year, source: path)
  }
}

extension TrainingLog {
  /// The line-by-line state of parse_log.py's loop.
  private struct Reader {
    var year: Int
    var start: Int64?
    var lastMonth = 0
    var iteration: Int?
    var learningRate = Double.nan
    var train = LogTableBuilder()
    var test = LogTableBuilder()

    var hasStarted: Bool { start != nil }

    init(year: Int) { self.year = year }

    /// Reads one line (without its newline).
    mutating func read(_ line: ArraySlice<UInt8>) {
      guard let start else {
        findStart(line)
        return
      }
      if let number = SolverLogLine.iteration(in: line) { iteration = number }
      guard let iteration, let stamp = GlogTimestamp(line: line) else { return }
      if stamp.year == nil, stamp.month < lastMonth { year += 1 }
      lastMonth = stamp.month
      guard let time = stamp.microsecondsSinceEpoch(fallbackYear: year) else { return }
      let seconds = Double(time - start) / 1_000_000
      if let rate = SolverLogLine.learningRate(in: line) { learningRate = rate }
      if let output = SolverLogLine.netOutput(phase: "Train", in: line) {
        train.record(
          name: output.name, value: output.value, iteration: iteration, seconds: seconds,
          learningRate: learningRate)
      }
      if let output = SolverLogLine.netOutput(phase: "Test", in: line) {
        test.record(
          name: output.name, value: output.value, iteration: iteration, seconds: seconds,
          learningRate: learningRate)
      }
    }

    /// Takes the time of the first `Solving` line that has a glog time stamp.
    private mutating func findStart(_ line: ArraySlice<UInt8>) {
      guard !LogBytes.ends(of: "Solving", in: line).isEmpty, let stamp = GlogTimestamp(line: line),
        let time = stamp.microsecondsSinceEpoch(fallbackYear: year)
      else { return }
      start = time
      lastMonth = stamp.month
    }
  }
}
