// `caffe train|test|time` run in-process: error cases (one line, exit 1) and small real runs.

import CaffeCLI
import CaffeTestSupport
import Foundation
import Testing

/// Runs `caffe` in-process and keeps its exit status and error line.
struct CaffeRun {
  let status: Int32
  let errors: [String]

  init(_ arguments: [String]) {
    var errors: [String] = []
    status = ToolMain.run(
      CaffeCommand.self, arguments: arguments, output: { _ in },
      errorOutput: { errors.append($0) })
    self.errors = errors
  }

  /// The single error line, or "" when there is none.
  var error: String { errors.first ?? "" }
}

/// A temporary folder holding a tiny net (DummyData → InnerProduct → SoftmaxWithLoss) and a
/// solver for it that snapshots every 2 of 4 iterations.
struct TinyProject {
  let folder: URL
  var net: String { folder.appendingPathComponent("net.prototxt").path }
  var solver: String { folder.appendingPathComponent("solver.prototxt").path }
  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  init(snapshotPrefix: String? = nil) throws {
    folder = try Golden.temporaryDirectory()
    let netText = """
      name: "tiny"
      layer {
        name: "data" type: "DummyData" top: "data" top: "label"
        dummy_data_param {
          shape { dim: 4 dim: 3 } shape { dim: 4 }
          data_filler { type: "uniform" min: -1 max: 1 } data_filler { type: "constant" value: 1 }
        }
      }
      layer {
        name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 2 weight_filler { type: "xavier" } }
      }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
      layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" }
      """
    let solverText = """
      net: "\(net)"
      test_iter: 2
      test_interval: 2
      base_lr: 0.1
      lr_policy: "fixed"
      momentum: 0.9
      display: 1
      max_iter: 4
      snapshot: 2
      snapshot_prefix: "\(snapshotPrefix ?? folder.appendingPathComponent("tiny").path)"
      solver_mode: CPU
      """
    try netText.write(toFile: net, atomically: true, encoding: .utf8)
    try solverText.write(toFile: solver, atomically: true, encoding: .utf8)
  }

  func remove() { try? FileManager.default.removeItem(at: folder) }
}

@Suite struct CaffeCommandTests {
  @Test func noCommandPrintsUsageAndFails() {
    let run = CaffeRun([])
    #expect(run.status == 1)
    #expect(run.error.hasPrefix("error: no command given; usage: caffe <command> <args>"))
  }

  @Test func unknownActionIsNamed() {
    let run = CaffeRun(["brew"])
    #expect(run.status == 1)
    #expect(run.error.hasPrefix("error: Unknown action: brew"))
  }

  @Test func trainNeedsASolver() {
    let run = CaffeRun(["train"])
    #expect(run.status == 1)
    #expect(run.error.hasPrefix("error: Need a solver definition to train"))
  }

  @Test func snapshotAndWeightsTogetherAreRejected() {
    let run = CaffeRun(["train", "-solver=s.prototxt", "-snapshot=a.solverstate", "-weights=b"])
    #expect(run.status == 1)
    #expect(
      run.error
        == "error: Give a snapshot to resume training or weights to finetune but not both.")
  }

  @Test func snapshotGivenACaffemodelIsExplained() {
    let run = CaffeRun(["train", "--solver", "s.prototxt", "--snapshot", "lenet.caffemodel"])
    #expect(run.status == 1)
    #expect(run.error.contains("is a .caffemodel"))
    #expect(run.error.contains("--weights"))
  }

  @Test func missingSolverFileIsNamed() {
    let run = CaffeRun(["train", "--solver=/no/such/solver.prototxt"])
    #expect(run.status == 1)
    #expect(run.error.hasPrefix("error: /no/such/solver.prototxt"))
    #expect(run.errors.count == 1)
  }

  @Test func invalidSignalEffectIsRejected() {
    let run = CaffeRun(["train", "--solver=s.prototxt", "--sigint_effect=explode"])
    #expect(run.status == 1)
    #expect(run.error.contains("Invalid signal effect \"explode\""))
  }

  @Test func snapshotPrefixInAMissingFolderFailsBeforeTraining() throws {
    let prefix = "/no-such-folder-\(UUID().uuidString)/tiny"
    let project = try TinyProject(snapshotPrefix: prefix)
    defer { project.remove() }
    let run = CaffeRun(["train", "--solver=\(project.solver)"])
    #expect(run.status == 1)
    #expect(
      run.error == "error: Cannot write to snapshot prefix '\(prefix)'. Make sure that "
        + "the directory exists and is writable.")
  }

  @Test func testAndTimeNeedTheirFlags() {
    #expect(CaffeRun(["test", "--weights=w"]).error.hasPrefix("error: Need a model definition"))
    #expect(CaffeRun(["test", "--model=m"]).error.hasPrefix("error: Need model weights"))
    #expect(CaffeRun(["time"]).error.hasPrefix("error: Need a model definition to time"))
    let phase = CaffeRun(["time", "--model=m", "--phase=VALIDATE"])
    #expect(phase.status == 1)
    #expect(phase.error.contains("phase must be \"TRAIN\" or \"TEST\""))
    let testPhase = CaffeRun(["test", "--model=m", "--weights=w", "--phase=VALIDATE"])
    #expect(testPhase.error.contains("phase must be \"TRAIN\" or \"TEST\""))
  }

  @Test func trainResumeTestAndTimeRunEndToEnd() throws {
    let project = try TinyProject()
    defer { project.remove() }
    let train = CaffeRun(["train", "-solver", project.solver])
    #expect(train.status == 0, "\(train.errors)")
    for name in ["tiny_iter_2", "tiny_iter_4"] {
      #expect(FileManager.default.fileExists(atPath: project.path(name + ".caffemodel")))
      #expect(FileManager.default.fileExists(atPath: project.path(name + ".solverstate")))
    }
    let resume = CaffeRun(
      [
        "train", "--solver=\(project.solver)",
        "--snapshot=\(project.path("tiny_iter_2.solverstate"))",
      ])
    #expect(resume.status == 0, "\(resume.errors)")
    let finetune = CaffeRun(
      [
        "train", "--solver=\(project.solver)",
        "--weights=\(project.path("tiny_iter_4.caffemodel"))",
      ])
    #expect(finetune.status == 0, "\(finetune.errors)")
    let test = CaffeRun(
      [
        "test", "--model=\(project.net)", "--weights=\(project.path("tiny_iter_4.caffemodel"))",
        "--iterations=2", "--phase=TEST",
      ])
    #expect(test.status == 0, "\(test.errors)")
    let time = CaffeRun(["time", "--model=\(project.net)", "--iterations=2", "--gpu=0"])
    #expect(time.status == 0, "\(time.errors)")
  }
}
