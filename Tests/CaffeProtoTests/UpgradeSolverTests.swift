// Solvers: the `solver_type` enum becomes the `type` string; `snapshot_prefix` gets its default.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite("Upgrade: solvers")
struct UpgradeSolverTests {
  @Test(arguments: [
    ("SGD", "SGD"), ("NESTEROV", "Nesterov"), ("ADAGRAD", "AdaGrad"), ("RMSPROP", "RMSProp"),
    ("ADADELTA", "AdaDelta"), ("ADAM", "Adam"),
  ])
  func solverTypeEnumBecomesTypeString(name: String, type: String) throws {
    let solver = try Prototxt.decode(
      SolverParameter.self, text: "base_lr: 0.01\nsolver_type: \(name)\n")
    #expect(ProtoUpgrade.solverNeedsUpgrade(solver))
    let upgraded = try ProtoUpgrade.upgradeSolver(solver, source: "<test>")
    #expect(upgraded.type == type)
    #expect(!upgraded.hasSolverType)
    #expect(upgraded.baseLr == 0.01)
    #expect(!ProtoUpgrade.solverNeedsUpgrade(upgraded))
  }

  @Test func solverTypeAndTypeNamingTheSameSolverAreAccepted() throws {
    let solver = try Prototxt.decode(SolverParameter.self, text: "solver_type: ADAM type: \"Adam\"")
    let upgraded = try ProtoUpgrade.upgradeSolver(solver, source: "<test>")
    #expect(upgraded.type == "Adam" && !upgraded.hasSolverType)
  }

  @Test func solverTypeAndTypeThatDisagreeAreAnError() throws {
    let solver = try Prototxt.decode(SolverParameter.self, text: "solver_type: ADAM type: \"SGD\"")
    let error = #expect(throws: CaffeError.self) {
      try ProtoUpgrade.upgradeSolver(solver, source: "s.prototxt")
    }
    guard case .invalidSolver(let reason)? = error else {
      Issue.record("expected invalidSolver, got \(String(describing: error))")
      return
    }
    #expect(reason.contains("s.prototxt") && reason.contains("Adam") && reason.contains("SGD"))
  }

  @Test func currentSolverComesBackUnchanged() throws {
    let solver = try Prototxt.decode(SolverParameter.self, text: "type: \"Nesterov\" base_lr: 1")
    #expect(!ProtoUpgrade.solverNeedsUpgrade(solver))
    #expect(try ProtoUpgrade.upgradeSolver(solver, source: "<test>") == solver)
  }

  @Test func readingASolverFillsInTheSnapshotPrefix() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("lenet_solver.prototxt").path
    try Data("solver_type: RMSPROP\nbase_lr: 0.01\n".utf8).write(to: URL(fileURLWithPath: path))
    let solver = try ProtoUpgrade.readSolverText(path: path)
    #expect(solver.type == "RMSProp")
    #expect(solver.snapshotPrefix == folder.appendingPathComponent("lenet_solver").path)
  }

  @Test func snapshotPrefixThatIsAFolderGetsTheSolverName() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    var solver = SolverParameter()
    solver.snapshotPrefix = folder.path + "/"
    let inFolder = ProtoUpgrade.defaultSnapshotPrefix(
      solver, solverPath: "models/x/solver.v2.prototxt")
    #expect(inFolder.snapshotPrefix == folder.path + "/solver.v2")
    solver.snapshotPrefix = folder.path
    let noSlash = ProtoUpgrade.defaultSnapshotPrefix(solver, solverPath: "solver")
    #expect(noSlash.snapshotPrefix == folder.path + "/solver")
    solver.snapshotPrefix = "snapshots/lenet"
    let kept = ProtoUpgrade.defaultSnapshotPrefix(solver, solverPath: "a/b.prototxt")
    #expect(kept.snapshotPrefix == "snapshots/lenet")
  }

  @Test func unsetSnapshotPrefixIsThePathWithoutExtension() {
    let solver = SolverParameter()
    for (path, prefix) in [
      ("examples/mnist/lenet_solver.prototxt", "examples/mnist/lenet_solver"),
      ("solver", "solver"), ("dir.d/solver", "dir.d/solver"), ("a/b.c.d", "a/b.c"),
    ] {
      #expect(ProtoUpgrade.defaultSnapshotPrefix(solver, solverPath: path).snapshotPrefix == prefix)
    }
  }
}
