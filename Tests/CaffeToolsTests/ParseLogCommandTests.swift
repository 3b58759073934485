// parse_log and plot_training_log as commands: in-process through ToolMain, and as built tools.

import ArgumentParser
import CaffeCLI
import CaffeTestSupport
import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Runs `command` in-process and returns its exit status, help output and `error:` lines.
func runTool<Command: ParsableCommand>(
  _ command: Command.Type, _ arguments: [String]
) -> (status: Int32, output: [String], errors: [String]) {
  var output: [String] = []
  var errors: [String] = []
  let status = ToolMain.run(
    command, arguments: arguments, output: { output.append($0) },
    errorOutput: { errors.append($0) })
  return (status, output, errors)
}

/// The executables built beside the test bundle (absent when the tests were built alone).
enum BuiltLogTools {
  static let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

  static var isAvailable: Bool {
    ["parse_log", "plot_training_log"].allSatisfy {
      FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path)
    }
  }

  /// Runs the executable `name` and returns its exit status, whether it exited normally (not by
  /// a signal), and its standard error.
  static func run(_ name: String, _ arguments: [String]) throws -> (
    status: Int32, exited: Bool, log: String
  ) {
    let process = Process()
    process.executableURL = folder.appendingPathComponent(name)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, process.terminationReason == .exit,
      String(decoding: data, as: UTF8.self)
    )
  }
}

@Suite("ParseLogCommand and PlotTrainingLogCommand")
struct ParseLogCommandTests {
  @Test func parseLogWritesTrainAndTestFilesNamedAfterTheLog() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("csv/nested").path
    let result = runTool(ParseLogCommand.self, [logFixture("swift_lenet_trimmed.log"), output])
    #expect(result.status == 0 && result.errors.isEmpty)
    let train = try String(
      contentsOfFile: output + "/swift_lenet_trimmed.log.train", encoding: .utf8)
    #expect(train == (try expectedCSV("swift_lenet_trimmed.log.train")))
    let test = try String(contentsOfFile: output + "/swift_lenet_trimmed.log.test", encoding: .utf8)
    #expect(test == (try expectedCSV("swift_lenet_trimmed.log.test")))
  }

  @Test func parseLogTakesADelimiterAndSkipsAnEmptyTestTable() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let log = logFixture("no_test_year_wrap.log")
    let result = runTool(ParseLogCommand.self, ["--delimiter", "\t", log, folder.path])
    #expect(result.status == 0)
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(names == ["no_test_year_wrap.log.train"])
    let text = try String(
      contentsOfFile: folder.appendingPathComponent(names[0]).path, encoding: .utf8)
    let expected = try expectedCSV("no_test_year_wrap.log.train")
    #expect(text == expected.replacingOccurrences(of: ",", with: "\t"))
  }

  @Test func parseLogReportsBadInputInOneLine() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let missing = runTool(ParseLogCommand.self, [folder.path + "/none.log", folder.path])
    #expect(
      missing.status == 1 && missing.errors == ["error: \(folder.path)/none.log: no such file"])
    let delimiter = runTool(
      ParseLogCommand.self,
      ["--delimiter", ";;", logFixture("two_runs_multistep.log"), folder.path])
    #expect(delimiter.status == 1 && delimiter.errors.count == 1)
    #expect(delimiter.errors.first?.contains("--delimiter must be one character") == true)
    let notALog = runTool(ParseLogCommand.self, [Golden.fixture("logs/README.md"), folder.path])
    #expect(
      notALog.status == 1 && notALog.errors.first?.contains("not a `caffe train` log") == true)
    #expect(runTool(ParseLogCommand.self, [folder.path]).status == 1)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func plotTrainingLogWritesPNGAndSVG() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let logs = [logFixture("swift_lenet_trimmed.log"), logFixture("two_runs_multistep.log")]
    let png = folder.appendingPathComponent("accuracy.png").path
    let result = runTool(PlotTrainingLogCommand.self, ["0", png] + logs)
    #expect(result.status == 0 && result.errors.isEmpty)
    #expect(pngSize(try Data(contentsOf: URL(fileURLWithPath: png)))?.width == 900)
    let svg = folder.appendingPathComponent("loss.svg").path
    #expect(runTool(PlotTrainingLogCommand.self, ["7", svg, logs[0]]).status == 0)
    #expect(XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: svg))).parse())
  }

  @Test func plotTrainingLogReportsBadInputInOneLine() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let log = logFixture("no_test_year_wrap.log")
    let png = folder.appendingPathComponent("chart.png").path
    let cases: [(arguments: [String], message: String)] = [
      (["8", png, log], "unknown chart type 8; the types are 0: Test accuracy  vs. Iters"),
      (["-1", png, log], "unknown chart type -1;"),
      (["x", png, log], "unknown chart type x;"),
      (["6", folder.appendingPathComponent("chart.jpg").path, log], "must end in .png or .svg"),
      (["6", png, folder.path + "/none.log"], "none.log: no such file"),
      (["0", png, log], "\(log): has no test output named like \"acc\""),
      (["6", png], "give at least one training log"),
      (["6", "/nonexistent/chart.png", log], "folder /nonexistent does not exist"),
    ]
    for (arguments, message) in cases {
      let result = runTool(PlotTrainingLogCommand.self, arguments)
      #expect(result.status == 1, "\(arguments)")
      #expect(result.errors.count == 1 && result.errors[0].contains(message), "\(result.errors)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func helpListsTheChartTypes() {
    let help = runTool(PlotTrainingLogCommand.self, ["--help"])
    #expect(help.status == 0)
    #expect(help.output.joined().contains("  7: Train loss  vs. Seconds"))
  }

  @Test(.enabled(if: BuiltLogTools.isAvailable, "parse_log and plot_training_log are not built"))
  func builtToolsRunAndFailInOneLine() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let log = logFixture("two_runs_multistep.log")
    let parsed = try BuiltLogTools.run("parse_log", [log, folder.path])
    let plotted = try BuiltLogTools.run("plot_training_log", ["2", folder.path + "/c.png", log])
    let failed = try BuiltLogTools.run("plot_training_log", ["9", folder.path + "/d.png", log])
    #expect(parsed.status == 0 && plotted.status == 0)
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(names == ["c.png", "two_runs_multistep.log.test", "two_runs_multistep.log.train"])
    #expect(failed.exited && failed.status == 1)
    #expect(failed.log.split(separator: "\n").filter { $0.hasPrefix("error: ") }.count == 1)
  }
}
