// normalizeGFlags (gflags-style arguments) and ConvertMNISTData argument parsing.

import CaffeCLI
import Testing

@Suite struct GFlagsTests {
  @Test(arguments: [
    (["-backend=leveldb", "a", "b", "c"], ["--backend=leveldb", "a", "b", "c"]),
    (["-backend", "leveldb"], ["--backend", "leveldb"]),
    (["--backend=leveldb"], ["--backend=leveldb"]),
    (["-h"], ["-h"]),
    (["-1", "-0.5", "-.5", "-1e-3", "-"], ["-1", "-0.5", "-.5", "-1e-3", "-"]),
    (["-solver=a.prototxt", "--", "-weights=x"], ["--solver=a.prototxt", "--", "-weights=x"]),
    (["-sighup_effect=stop"], ["--sighup_effect=stop"]),
    (["-gpu=-1"], ["--gpu=-1"]),
  ])
  func rewritesSingleDashLongFlags(_ input: [String], _ expected: [String]) {
    #expect(normalizeGFlags(input) == expected)
  }

  @Test(arguments: [
    (["--gray=true", "--shuffle=F", "--nogray", "x"], ["--gray", "x"]),
    (["--gray=2", "--noise", "--no", "--gray"], ["--gray=2", "--noise", "--no", "--gray"]),
    (["--", "--gray=true", "--nogray"], ["--", "--gray=true", "--nogray"]),
  ])
  func rewritesBooleanSpellings(_ input: [String], _ expected: [String]) {
    #expect(normalizeGFlagsBooleans(input, names: ["gray", "shuffle"]) == expected)
  }

  @Test(arguments: [
    ["-backend=leveldb", "i", "l", "o"], ["--backend", "leveldb", "i", "l", "o"],
    ["i", "l", "o", "--backend=leveldb"], ["i", "l", "o", "-backend", "leveldb"],
  ])
  func convertMNISTDataAcceptsCaffesFlagStyles(_ arguments: [String]) throws {
    let command = try ConvertMNISTData.parse(normalizeGFlags(arguments))
    #expect(command.backend == "leveldb")
    #expect(
      [command.inputImageFile, command.inputLabelFile, command.outputDBFile] == ["i", "l", "o"])
  }

  @Test func convertMNISTDataRejectsUnknownBackendAndMissingArguments() {
    #expect(throws: (any Error).self) {
      try ConvertMNISTData.parse(["i", "l", "o", "--backend=x"])
    }
    #expect(throws: (any Error).self) { try ConvertMNISTData.parse(["i", "l"]) }
    let status = ToolMain.run(
      ConvertMNISTData.self, arguments: ["i", "l", "o"], errorOutput: { _ in })
    #expect(status == 1)
  }
}
