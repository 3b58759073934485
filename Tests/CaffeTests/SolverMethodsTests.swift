// Nesterov, AdaGrad, RMSProp, AdaDelta and Adam on the tiny net against their formulas, their
// parameter checks, and selection by `type` or the deprecated `solver_type`.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct SolverMethodsTests {
  /// Each method with hyper-parameters like Caffe's examples (and its solver tests).
  static func solverParam(
    _ type: String, weightDecay: Float = 0.01, momentum: Bool = true,
    _ edit: (inout SolverParameter) -> Void = { _ in }
  ) throws -> SolverParameter {
    try TinyNet.solverParam {
      $0.type = type
      $0.weightDecay = weightDecay
      switch type {
      case "AdaGrad", "RMSProp":
        $0.momentum = 0
        $0.rmsDecay = 0.95
      case "AdaDelta":
        $0.baseLr = 1
        $0.momentum = momentum ? 0.95 : 0
        $0.delta = 1e-6
      case "Adam":
        $0.baseLr = 0.01
        $0.momentum = momentum ? 0.9 : 0
      default:
        $0.momentum = momentum ? 0.9 : 0
      }
      edit(&$0)
    }
  }

  static let types = ["SGD", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam"]

  @Test(arguments: types, [false, true])
  func fourUpdatesMatchTheFormulas(type: String, regularised: Bool) throws {
    let param = try Self.solverParam(
      type, weightDecay: regularised ? 0.01 : 0, momentum: regularised)
    let solver = try SolverRegistry.makeSolver(param)
    #expect(Swift.type(of: solver).type == type)
    var reference = ReferenceSolver(param: param, net: solver.net)
    for _ in 0..<4 {
      try solver.step(1)
      reference.step(gradients: try SolverTinyNetTests.gradients(solver.net, at: reference))
      SolverTinyNetTests.expectClose(solver.net, reference, tolerance: 1e-4)
    }
  }

  @Test(arguments: types)
  func l1RegularisationAndClippingApplyToEveryMethod(type: String) throws {
    let param = try Self.solverParam(type) {
      $0.regularizationType = "L1"
      $0.clipGradients = 0.05
    }
    let solver = try SolverRegistry.makeSolver(param)
    var reference = ReferenceSolver(param: param, net: solver.net)
    for _ in 0..<2 {
      try solver.step(1)
      reference.step(gradients: try SolverTinyNetTests.gradients(solver.net, at: reference))
      SolverTinyNetTests.expectClose(solver.net, reference, tolerance: 1e-4)
    }
  }

  @Test func historyHasOneOrTwoBlobsPerParameterInCaffesOrder() throws {
    for type in Self.types {
      let solver = try #require(try SolverRegistry.makeSolver(Self.solverParam(type)) as? SGDSolver)
      let perParameter = ["AdaDelta", "Adam"].contains(type) ? 2 : 1
      #expect(solver.history.count == 2 * perParameter)
      let shapes = Array(repeating: [[2, 3], [2]], count: perParameter).flatMap { $0 }
      #expect(solver.history.map(\.shape) == shapes)
    }
    #expect(
      SolverRegistry.knownTypes == ["AdaDelta", "AdaGrad", "Adam", "Nesterov", "RMSProp", "SGD"])
  }

  @Test(arguments: [
    (SolverParameter.SolverType.sgd, "SGD"), (.nesterov, "Nesterov"), (.adagrad, "AdaGrad"),
    (.rmsprop, "RMSProp"), (.adadelta, "AdaDelta"), (.adam, "Adam"),
  ])
  func deprecatedSolverTypeSelectsTheSameClass(legacy: SolverParameter.SolverType, type: String)
    throws
  {
    let param = try Self.solverParam(type) {
      $0.clearType()
      $0.solverType = legacy
    }
    let solver = try SolverRegistry.makeSolver(param)
    #expect(Swift.type(of: solver).type == type)
  }

  @Test func contradictoryTypeAndSolverTypeAreRejected() throws {
    let param = try Self.solverParam("Adam") { $0.solverType = .nesterov }
    #expect(throws: CaffeError.self) { try SolverRegistry.makeSolver(param) }
  }

  @Test(arguments: [
    ("AdaGrad", "momentum", "Momentum cannot be used with AdaGrad"),
    ("RMSProp", "momentum", "Momentum cannot be used with RMSProp"),
    ("RMSProp", "rms_decay", "rms_decay should lie between 0 and 1"),
    ("Adam", "momentum", "Adam needs 0 <= momentum < 1"),
    ("Adam", "momentum2", "Adam needs 0 <= momentum2 < 1"),
  ])
  func caffesChecksBecomeErrors(type: String, field: String, message: String) throws {
    let param = try Self.solverParam(type) {
      switch field {
      case "momentum": $0.momentum = type == "Adam" ? 1 : 0.9
      case "momentum2": $0.momentum2 = 1
      default: $0.rmsDecay = 1
      }
    }
    do {
      _ = try SolverRegistry.makeSolver(param)
      Issue.record("\(type) accepted a bad \(field)")
    } catch let error as CaffeError {
      #expect("\(error)".hasPrefix(message))
    }
  }
}

/// The example solvers under examples/mnist name registered types with valid settings.
@Suite struct SolverExampleFilesTests {
  static let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test(arguments: [
    ("lenet_solver.prototxt", "SGD"), ("lenet_solver_adam.prototxt", "Adam"),
    ("lenet_solver_rmsprop.prototxt", "RMSProp"), ("lenet_adadelta_solver.prototxt", "AdaDelta"),
    ("lenet_multistep_solver.prototxt", "SGD"), ("lenet_solver_nesterov.prototxt", "Nesterov"),
  ])
  func exampleSolverParses(file: String, type: String) throws {
    let path = Self.root.appendingPathComponent("examples/mnist/\(file)").path
    let param = try ProtoUpgrade.readSolverText(path: path)
    #expect(param.type == type)
    #expect(SolverRegistry.knownTypes.contains(param.type))
    _ = try LearningRatePolicy(param)
  }
}
