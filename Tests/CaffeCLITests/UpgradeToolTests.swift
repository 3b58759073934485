// upgrade_net_proto_text, upgrade_net_proto_binary and upgrade_solver_proto_text, in-process and
// as built executables.

import ArgumentParser
import CaffeCLI
import CaffeProto
import CaffeTestSupport
import Foundation
import Testing

/// Runs `command` in-process and returns its exit status and `error:` lines.
private func runTool<Command: ParsableCommand>(
  _ command: Command.Type, _ arguments: [String]
) -> (status: Int32, errors: [String]) {
  var errors: [String] = []
  let status = ToolMain.run(
    command, arguments: arguments, output: { _ in }, errorOutput: { errors.append($0) })
  return (status, errors)
}

@Suite("Upgrade tools", .enabled(if: Golden.isAvailable))
struct UpgradeToolTests {
  static func corpus(_ name: String) -> String { Golden.path("caffe-corpus/prototxt/\(name)") }

  @Test func netTextToolUpgradesAV1Net() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("alexnet.prototxt").path
    let input = Self.corpus("bvlc-v1-2015--bvlc_alexnet--deploy.prototxt")
    let result = runTool(UpgradeNetProtoText.self, [input, output])
    #expect(result.status == 0 && result.errors.isEmpty)
    let written = try Prototxt.readNet(path: output)
    #expect(written.layers.isEmpty && written.input.isEmpty)
    #expect(written.layer.first?.type == "Input")
    #expect(written == (try ProtoUpgrade.readNetText(path: input)))
  }

  @Test func netTextToolRewritesACurrentNetAndMayReplaceItsInput() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("lenet.prototxt").path
    try FileManager.default.copyItem(
      atPath: Self.corpus("bvlc-inputdim-2015--ex-mnist--lenet.prototxt"), toPath: path)
    #expect(runTool(UpgradeNetProtoText.self, [path, path]).status == 0)
    let upgraded = try Prototxt.readNet(path: path)
    #expect(!ProtoUpgrade.netNeedsUpgrade(upgraded))
    let before = try String(contentsOfFile: path, encoding: .utf8)
    #expect(runTool(UpgradeNetProtoText.self, [path, path]).status == 0)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == before)
  }

  @Test func netTextToolWritesPartialUpgradesButFails() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("v0.prototxt").path
    let output = folder.appendingPathComponent("out.prototxt").path
    let text =
      #"input: "x" layers { layer { name: "r" type: "relu" group: 2 } bottom: "x" top: "x" }"#
    try Data(text.utf8).write(to: URL(fileURLWithPath: input))
    let result = runTool(UpgradeNetProtoText.self, [input, output])
    #expect(result.status == 1)
    #expect(result.errors.count == 1)
    #expect(result.errors.first?.hasPrefix("error: \(input): some legacy fields") == true)
    #expect(try Prototxt.readNet(path: output).layer.map(\.type) == ["ReLU"])
  }

  @Test func netTextToolReportsBadInputInOneLine() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("out.prototxt").path
    let missing = runTool(UpgradeNetProtoText.self, [folder.path + "/none.prototxt", output])
    #expect(missing.status == 1)
    #expect(missing.errors.first?.contains("none.prototxt: no such file") == true)
    let solverGiven = runTool(
      UpgradeNetProtoText.self, [Self.corpus("bvlc--ex-mnist--lenet_solver.prototxt"), output])
    #expect(solverGiven.status == 1 && solverGiven.errors.count == 1)
    #expect(!FileManager.default.fileExists(atPath: output))
    #expect(runTool(UpgradeNetProtoText.self, [output]).status == 1)
  }

  @Test func netBinaryToolUpgradesAV1Caffemodel() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = Golden.path("caffe-corpus/weights/ikkichung--cifar10_quick_iter_5000.caffemodel")
    let output = folder.appendingPathComponent("cifar10_quick.caffemodel").path
    let result = runTool(UpgradeNetProtoBinary.self, [input, output])
    #expect(result.status == 0 && result.errors.isEmpty)
    let written = try BinaryProto.read(NetParameter.self, path: output)
    #expect(written.layers.isEmpty)
    #expect(
      written.layer.filter { !$0.blobs.isEmpty }.map(\.name) == [
        "conv1", "conv2", "conv3", "ip1", "ip2",
      ])
    #expect(!ProtoUpgrade.netNeedsUpgrade(written))
  }

  @Test func solverToolReplacesTheSolverTypeEnum() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("adam.prototxt").path
    let input = Self.corpus("bvlc-solvertype-enum-2015--ex-mnist--lenet_solver_adam.prototxt")
    #expect(runTool(UpgradeSolverProtoText.self, [input, output]).status == 0)
    let written = try Prototxt.readSolver(path: output)
    #expect(written.type == "Adam" && !written.hasSolverType)
    // The tool leaves snapshot_prefix as written; only reading a solver to train fills it in.
    #expect(written.snapshotPrefix == (try Prototxt.readSolver(path: input)).snapshotPrefix)
  }

  @Test(
    .enabled(if: FileManager.default.isExecutableFile(atPath: builtTool("upgrade_net_proto_text"))))
  func builtNetTextToolLogsAsCaffeDoes() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = Self.corpus("bvlc-v0-2014--lenet--lenet.prototxt")
    let output = folder.appendingPathComponent("lenet.prototxt").path
    let (status, log) = try runBuilt("upgrade_net_proto_text", [input, output])
    #expect(status == 0)
    let messages = log.split(separator: "\n").compactMap { line in
      line.range(of: "] ").map { String(line[$0.upperBound...]) }
    }
    #expect(
      messages == [
        "Attempting to upgrade input file specified using deprecated V0LayerParameter: \(input)",
        "Successfully upgraded file specified using deprecated V0LayerParameter",
        "Note that future Caffe releases will not support V0NetParameter; use "
          + "./build/tools/upgrade_net_proto_text for prototxt and "
          + "./build/tools/upgrade_net_proto_binary for model weights upgrade this and any other "
          + "net protos to the new format.",
        "Attempting to upgrade input file specified using deprecated V1LayerParameter: \(input)",
        "Successfully upgraded file specified using deprecated V1LayerParameter",
        "Attempting to upgrade input file specified using deprecated input fields: \(input)",
        "Successfully upgraded file specified using deprecated input fields.",
        "Note that future Caffe releases will only support input layers and not input fields.",
        "Wrote upgraded NetParameter text proto to \(output)",
      ])
    let again = try runBuilt("upgrade_net_proto_text", [output, output])
    #expect(again.log.contains("File already in latest proto format: \(output)"))
  }
}

/// The path of executable `name` built beside the test bundle.
private func builtTool(_ name: String) -> String {
  URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent(name).path
}

/// Runs the built executable `name` and returns its exit status and standard error.
private func runBuilt(_ name: String, _ arguments: [String]) throws -> (
  status: Int32, log: String
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: builtTool(name))
  process.arguments = arguments
  let pipe = Pipe()
  process.standardError = pipe
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
