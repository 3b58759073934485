// parse_log's reading of training logs, against CSV files written by Caffe's own parse_log.py.

import CaffeSupport
import CaffeTestSupport
import CaffeTools
import Foundation
import Testing

/// The CSV that Caffe's parse_log.py wrote for `name` (`Tests/Fixtures/logs/expected/`), with its
/// CRLF line ends turned into LF.
func expectedCSV(_ name: String) throws -> String {
  let text = try String(contentsOfFile: Golden.fixture("logs/expected/\(name)"), encoding: .utf8)
  return text.replacingOccurrences(of: "\r\n", with: "\n")
}

/// A log in `Tests/Fixtures/logs`.
func logFixture(_ name: String) -> String { Golden.fixture("logs/\(name)") }

/// Rewrites glog 0.6 prefixes (`I20261129 `) to the classic form (`I1129 `).
func classicPrefixes(_ text: String) -> String {
  text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
    guard line.count > 10, "IWEF".contains(line.first ?? " "),
      line.dropFirst().prefix(8).allSatisfy(\.isNumber), line.dropFirst(9).first == " "
    else { return String(line) }
    return String(line.prefix(1)) + line.dropFirst(5)
  }.joined(separator: "\n")
}

@Suite("ParseLog: logs against parse_log.py's CSV")
struct ParseLogTests {
  /// Fixtures in the repository, each with the train and test files parse_log.py wrote.
  static let fixtures: [(log: String, hasTest: Bool)] = [
    ("swift_lenet_trimmed.log", true), ("caffe_lenet_glog06_trimmed.log", true),
    ("two_runs_multistep.log", true), ("no_test_year_wrap.log", false),
  ]

  @Test(arguments: fixtures)
  func fixtureMatchesParseLogPy(log: String, hasTest: Bool) throws {
    let parsed = try TrainingLog(path: logFixture(log))
    #expect(parsed.train.csv() == (try expectedCSV("\(log).train")))
    if hasTest {
      #expect(parsed.test.csv() == (try expectedCSV("\(log).test")))
    } else {
      #expect(parsed.test.rows.isEmpty && parsed.test.outputNames.isEmpty)
    }
  }

  @Test(
    .enabled(if: Golden.isAvailable),
    arguments: [
      "golden/caffe_train_lenet.log", "golden/caffe_resume_lenet.log",
      "caffe-corpus/logs/nnex1--cifar100_quick_train_2015.log",
    ])
  func caffeLogMatchesParseLogPy(relative: String) throws {
    let name = URL(fileURLWithPath: relative).lastPathComponent
    let parsed = try TrainingLog(path: Golden.path(relative))
    #expect(parsed.train.csv() == (try expectedCSV("\(name).train")))
    #expect(parsed.test.csv() == (try expectedCSV("\(name).test")))
  }

  @Test(.enabled(if: Golden.isAvailable))
  func caffeLeNetLogColumnsRowsAndValues() throws {
    let log = try TrainingLog(path: Golden.path("golden/caffe_train_lenet.log"))
    #expect(log.train.columns == ["NumIters", "Seconds", "LearningRate", "loss"])
    #expect(log.test.columns == ["NumIters", "Seconds", "LearningRate", "accuracy", "loss"])
    #expect(log.train.rows.count == 100 && log.test.rows.count == 21)
    let first = try #require(log.test.rows.first)
    #expect(first.iteration == 0 && first.seconds == 2.455301)
    #expect(first.learningRate == 0.00971013, "copied from the second row, as parse_log.py does")
    #expect(first.outputs == ["accuracy": 0.1198, "loss": 2.37289])
    #expect(log.test.rows.last?.outputs["accuracy"] == 0.9897)
    #expect(log.train.values(of: "NumIters").last == 9900)
  }

  @Test func bothGlogPrefixesGiveTheSameTables() throws {
    let text = try String(
      contentsOfFile: logFixture("caffe_lenet_glog06_trimmed.log"), encoding: .utf8)
    let modern = try TrainingLog(text: text, year: 1999)
    let classic = try TrainingLog(text: classicPrefixes(text), year: 2026)
    #expect(classicPrefixes(text) != text)
    #expect(modern.train.csv() == classic.train.csv())
    #expect(modern.test.csv() == classic.test.csv())
    #expect(modern.train.rows.count == 14 && modern.test.rows.count == 2)
  }

  @Test func resumedRunAppendedContinuesTheTables() throws {
    let log = try TrainingLog(path: logFixture("two_runs_multistep.log"))
    #expect(log.train.rows.map(\.iteration) == [0, 100, 200, 300, 400])
    #expect(log.test.rows.map(\.iteration) == [0, 200, 400, 500])
    #expect(log.train.rows[3].seconds == 300.2001, "time runs on from the first Solving line")
    #expect(log.test.rows.last?.learningRate == 0.001, "the multistep drop at 400")
  }

  @Test func undatedPrefixesTakeTheGivenYearAndWrapAtNewYear() throws {
    let text = """
      I0228 23:59:59.000000 1 solver.cpp:289] Solving Net
      I0228 23:59:59.500000 1 solver.cpp:239] Iteration 0, loss = 1
      I0228 23:59:59.500001 1 solver.cpp:258]     Train net output #0: loss = 1
      I0301 00:00:01.000000 1 solver.cpp:239] Iteration 10, loss = 0.5
      I0301 00:00:01.000001 1 solver.cpp:258]     Train net output #0: loss = 0.5
      """
    let leap = try TrainingLog(text: text, year: 2024)
    let common = try TrainingLog(text: text, year: 2025)
    #expect(leap.train.rows.map(\.seconds) == [0.500001, 86_402.000001])
    #expect(common.train.rows.map(\.seconds) == [0.500001, 2.000001])
    let wrapped = try TrainingLog(path: logFixture("no_test_year_wrap.log"))
    #expect(wrapped.train.rows.map(\.seconds) == [0.1001, 38.7501, 77.5001, 118.5001])
  }

  @Test func datedPrefixesCarryTheirOwnYear() throws {
    let text = """
      I20261231 23:59:59.000000 1 solver.cpp:289] Solving Net
      I20261231 23:59:59.250000 1 solver.cpp:239] Iteration 0 (0 iter/s, 0s/100 iters), loss = 1
      I20261231 23:59:59.250001 1 solver.cpp:258]     Train net output #0: loss = 1
      I20270101 00:00:03.000000 1 solver.cpp:239] Iteration 100 (25 iter/s, 4s/100 iters), loss = 1
      I20270101 00:00:03.000001 1 solver.cpp:258]     Train net output #0: loss = 0.5
      """
    let log = try TrainingLog(text: text, year: 1980)
    #expect(log.train.rows.map(\.seconds) == [0.250001, 4.000001])
  }

  @Test func oddLinesAreSkippedAndDivergedValuesKept() throws {
    let text = """
      I0101 10:00:00.000000 1 solver.cpp:289] Solving Net\r
      I0101 10:00:01.000000 1 solver.cpp:239] Iteration 0, loss = 1\r

      *** Aborted at 1700000000 (unix time) try "date -d @1700000000" if you are using GNU date ***
      I0101 10:00:01.000001 1 solver.cpp:258]     Train net output #0: loss = 1 (* 1 = 1 loss)\r
      Iteration 5 without a prefix: Train net output #0: loss = 7
      I0101 10:00:02.000000 1 solver.cpp:239] Iteration 10, loss = nan
      I0101 10:00:02.000001 1 solver.cpp:258]     Train net output #0: loss = -nan (* 1 = -nan loss)
      I0101 10:00:02.000002 1 sgd_solver.cpp:112] Iteration 10, lr = 1e-05
      """
    let log = try TrainingLog(text: text, year: 2020)
    #expect(log.train.rows.map(\.iteration) == [0, 10])
    #expect(log.train.rows.last?.outputs["loss"]?.isNaN == true)
    #expect(
      log.train.csv()
        == "NumIters,Seconds,LearningRate,loss\n0.0,1.000001,nan,1.0\n10.0,2.000001,nan,nan\n")
  }

  @Test func outputsFirstPrintedLaterBecomeNewColumns() throws {
    let text = """
      I0101 10:00:00.000000 1 solver.cpp:289] Solving Net
      I0101 10:00:01.000000 1 solver.cpp:347] Iteration 0, Testing net (#0)
      I0101 10:00:01.000001 1 solver.cpp:414]     Test net output #0: loss = 2
      I0101 10:00:02.000000 1 solver.cpp:347] Iteration 50, Testing net (#0)
      I0101 10:00:02.000001 1 solver.cpp:414]     Test net output #0: loss = 1
      I0101 10:00:02.000002 1 solver.cpp:414]     Test net output #1: top-5 = 0.5
      I0101 10:00:03.000000 1 solver.cpp:347] Iteration 100, Testing net (#0)
      I0101 10:00:03.000001 1 solver.cpp:414]     Test net output #0: loss = 0.5
      """
    let log = try TrainingLog(text: text, year: 2020)
    #expect(log.test.columns == ["NumIters", "Seconds", "LearningRate", "loss", "top-5"])
    #expect(log.test.rows.map(\.iteration) == [0, 50, 100])
    #expect(log.test.csv(delimiter: ";").split(separator: "\n")[1] == "0.0;1.000001;nan;2.0;")
  }

  @Test func singleRowIsKeptAndACutOffTestPassDropped() throws {
    let text = """
      I0101 10:00:00.000000 1 solver.cpp:289] Solving Net
      I0101 10:00:01.000000 1 solver.cpp:347] Iteration 0, Testing net (#0)
      I0101 10:00:01.000001 1 solver.cpp:414]     Test net output #0: accuracy = 0.1
      I0101 10:00:01.000002 1 solver.cpp:414]     Test net output #1: loss = 2.3
      I0101 10:00:01.500000 1 solver.cpp:239] Iteration 0, loss = 2.3
      I0101 10:00:01.500001 1 solver.cpp:258]     Train net output #0: loss = 2.3
      I0101 10:00:02.000000 1 solver.cpp:347] Iteration 50, Testing net (#0)
      I0101 10:00:02.000001 1 solver.cpp:414]     Test net output #0: accuracy = 0.5
      """
    let log = try TrainingLog(text: text, year: 2020)
    #expect(log.train.rows.count == 1)
    #expect(log.test.rows.map(\.iteration) == [0])
  }

  @Test func aLogWithoutSolvingIsRejected() {
    #expect(throws: CaffeError.self) {
      try TrainingLog(text: "I0101 10:00:00.000000 1 caffe.cpp:1] Use CPU.\n", year: 2020)
    }
    #expect(throws: CaffeError.io(path: "/nonexistent/x.log", reason: "no such file")) {
      try TrainingLog(path: "/nonexistent/x.log")
    }
  }

  @Test(arguments: [
    ("I1129 20:00:45.429296 22834 solver.cpp:239] x", 2026, 11, 29, 429_296),
    ("I20261129 20:00:45.429296 22834 solver.cpp:239] x", 2026, 11, 29, 429_296),
    ("  W0102 03:04:05.000006 1 a.cpp:1] x", 2026, 1, 2, 6),
  ])
  func glogTimestampReadsBothPrefixes(
    line: String, year: Int, month: Int, day: Int, microsecond: Int
  ) throws {
    let stamp = try #require(GlogTimestamp(line: ArraySlice(line.utf8)))
    #expect(stamp.month == month && stamp.day == day && stamp.microsecond == microsecond)
    let seconds = try #require(stamp.microsecondsSinceEpoch(fallbackYear: year))
    let date = Date(timeIntervalSince1970: Double(seconds) / 1e6)
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
    #expect(calendar.component(.year, from: date) == year)
    #expect(calendar.component(.day, from: date) == day)
  }

  @Test(arguments: [
    "test_iter: 100", "", "I1329 20:00:45.429296 1 a] x", "I0230 20:00:45.1 1 a] x",
    "I1129 24:00:45.429296 1 a] x", "X1129 20:00:45.429296 1 a] x", "I112 20:00:45.4 1 a] x",
    "I1129 20:00:45 1 a] x", "\tCommand being timed: \"caffe train\"",
  ])
  func glogTimestampRejectsOtherLines(line: String) {
    #expect(GlogTimestamp(line: ArraySlice(line.utf8)) == nil)
  }
}
