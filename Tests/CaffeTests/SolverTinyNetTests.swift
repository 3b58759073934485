// SGD updates on a tiny net (DummyData → InnerProduct → SoftmaxWithLoss) against a hand
// computation, plus the fixtures the other solver tests share.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

/// A 4×3 input refilled from U(−1, 1) every forward, label 1, two outputs; weights with
/// lr_mult 1 / decay_mult 1, biases with lr_mult 2 / decay_mult 0.
enum TinyNet {
  static func text(dataFiller: String = "type: \"uniform\" min: -1 max: 1") -> String {
    """
    name: "tiny"
    layer {
      name: "data" type: "DummyData" top: "data" top: "label"
      dummy_data_param {
        shape { dim: 4 dim: 3 } shape { dim: 4 }
        data_filler { \(dataFiller) } data_filler { type: "constant" value: 1 }
      }
    }
    layer {
      name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
      param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
      inner_product_param {
        num_output: 2
        weight_filler { type: "gaussian" std: 0.5 }
        bias_filler { type: "constant" value: 0.1 }
      }
    }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
    """
  }

  /// A fixed-rate SGD solver for the tiny net (no display, no snapshots, seed 1701).
  static func solverParam(
    dataFiller: String = "type: \"uniform\" min: -1 max: 1",
    _ edit: (inout SolverParameter) -> Void = { _ in }
  ) throws -> SolverParameter {
    var param = SolverParameter()
    param.netParam = try Prototxt.decode(NetParameter.self, text: text(dataFiller: dataFiller))
    param.baseLr = 0.1
    param.lrPolicy = "fixed"
    param.momentum = 0.9
    param.weightDecay = 0.01
    param.maxIter = 3
    param.randomSeed = 1701
    param.snapshotAfterTrain = false
    edit(&param)
    return param
  }
}

@Suite struct SolverTinyNetTests {
  /// The gradients of the batch the tiny net's last forward pass drew, at `reference`'s
  /// weights.
  static func gradients(_ net: Net, at reference: ReferenceSolver) throws -> [[Double]] {
    let data = try #require(net.blob(named: "data"))
    let label = try #require(net.blob(named: "label"))
    return ReferenceGradient.softmax(
      x: ReferenceGradient.rows(data), y: label.dataArray.map { Int($0) },
      parameters: reference.parameters)
  }

  static func expectClose(_ net: Net, _ reference: ReferenceSolver, tolerance: Double = 1e-5) {
    for (blob, expected) in zip(net.learnableParams, reference.parameters) {
      for (actual, value) in zip(blob.dataArray, expected) {
        #expect(abs(Double(actual) - value) <= tolerance * max(1, abs(value)))
      }
    }
  }

  @Test(arguments: [false, true])
  func momentumWeightDecayAndMultipliersMatchHandComputation(l1: Bool) throws {
    let param = try TinyNet.solverParam { $0.regularizationType = l1 ? "L1" : "L2" }
    let solver = try SGDSolver(param)
    var reference = ReferenceSolver(param: param, net: solver.net)
    for _ in 0..<3 {
      try solver.step(1)
      reference.step(gradients: try Self.gradients(solver.net, at: reference))
      Self.expectClose(solver.net, reference)
    }
    #expect(solver.iteration == 3)
  }

  @Test func gradientClippingScalesTheGlobalNormAndLogsIt() throws {
    let param = try TinyNet.solverParam { $0.clipGradients = 0.01 }
    let solver = try SGDSolver(param)
    var reference = ReferenceSolver(param: param, net: solver.net)
    let log = LogCapture()
    try log.capture { try solver.step(1) }
    reference.step(gradients: try Self.gradients(solver.net, at: reference))
    Self.expectClose(solver.net, reference)
    #expect(
      log.messages.contains {
        $0.hasPrefix("Gradient clipping: scaling down gradients (L2 norm ")
          && $0.contains(" > 0.01) by scale factor ")
      })
  }

  @Test func displayLogsCaffesLines() throws {
    let solver = try SGDSolver(TinyNet.solverParam { $0.display = 1 })
    let log = LogCapture()
    try log.capture { try solver.solve() }
    let messages = log.messages
    #expect(messages.contains("Solving tiny"))
    #expect(messages.contains("Learning Rate Policy: fixed"))
    #expect(messages.contains("Iteration 2, lr = 0.1"))
    #expect(messages.contains { $0.hasPrefix("Iteration 1 (") && $0.contains(" iters), loss = ") })
    #expect(messages.contains { $0.hasPrefix("    Train net output #0: loss = ") })
    #expect(messages.contains { $0.hasPrefix("Iteration 3, loss = ") })
    #expect(messages.last == "Optimization Done.")
  }

  @Test func testPhaseAveragesOutputsAndLogsThem() throws {
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.testIter = [2]
        $0.testInterval = 2
        $0.testComputeLoss = true
        $0.maxIter = 2
      })
    #expect(solver.testNets.count == 1)
    let log = LogCapture()
    try log.capture { try solver.solve() }
    let messages = log.messages
    #expect(messages.contains("Iteration 0, Testing net (#0)"))
    #expect(messages.contains("Iteration 2, Testing net (#0)"))
    let testLoss = try #require(messages.last { $0.hasPrefix("Test loss: ") })
    let value = testLoss.dropFirst("Test loss: ".count)
    #expect(messages.last == "Optimization Done.")
    #expect(messages.contains("    Test net output #0: loss = \(value) (* 1 = \(value) loss)"))
  }

  /// Caffe runs no test batches for a test_iter of 0 or less, and reports nothing.
  @Test(arguments: [Int32(0), -3])
  func testIterOfZeroOrLessTestsNothing(testIter: Int32) throws {
    let log = LogCapture()
    try log.capture {
      let solver = try SGDSolver(
        TinyNet.solverParam {
          $0.testIter = [testIter]
          $0.testInterval = 1
          $0.testComputeLoss = true
          $0.maxIter = 1
        })
      try solver.solve()
    }
    let messages = log.messages
    #expect(
      messages.contains(
        "test_iter is \(testIter) for test net #0: it runs no batches and "
          + "reports nothing (as in Caffe)"))
    #expect(messages.contains("Iteration 1, Testing net (#0)"))
    #expect(!messages.contains { $0.hasPrefix("Test loss") || $0.contains("Test net output") })
    #expect(messages.last == "Optimization Done.")
  }

  @Test func badSolverFieldsAreRejected() throws {
    let cases: [(inout SolverParameter) -> Void] = [
      { $0.averageLoss = 0 },
      { $0.iterSize = 0 },
      { $0.regularizationType = "L3" },
      { $0.lrPolicy = "cosine" },
      { $0.net = "also.prototxt" },
      { $0.testIter = [2] },
      { $0.type = "Adamax" },
    ]
    for edit in cases {
      #expect(throws: CaffeError.self) { try SolverRegistry.makeSolver(TinyNet.solverParam(edit)) }
    }
  }
}
