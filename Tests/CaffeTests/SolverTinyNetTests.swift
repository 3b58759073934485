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

/// Double-precision SGD on the tiny net, written out from the formulas.
struct ReferenceSGD {
  var weights: [[Double]]  // (K, D)
  var bias: [Double]  // (K)
  var weightHistory: [[Double]]
  var biasHistory: [Double]

  init(net: Net) {
    let w = net.learnableParams[0]
    let k = w.shape[0]
    let d = w.shape[1]
    weights = (0..<k).map { i in (0..<d).map { Double(w.data[i * d + $0]) } }
    bias = net.learnableParams[1].dataArray.map(Double.init)
    weightHistory = Array(repeating: Array(repeating: 0, count: d), count: k)
    biasHistory = Array(repeating: 0, count: k)
  }

  /// The softmax-loss gradients for inputs `x` (N, D) and labels `y` (N).
  func gradients(x: [[Double]], y: [Int]) -> (w: [[Double]], b: [Double]) {
    var gw = weights.map { $0.map { _ in 0.0 } }
    var gb = bias.map { _ in 0.0 }
    let n = Double(x.count)
    for (row, label) in zip(x, y) {
      let z = weights.indices.map { k in
        zip(weights[k], row).map(*).reduce(0, +) + bias[k]
      }
      let top = z.max() ?? 0
      let e = z.map { exp($0 - top) }
      let sum = e.reduce(0, +)
      for k in z.indices {
        let dz = (e[k] / sum - (k == label ? 1 : 0)) / n
        gb[k] += dz
        for j in row.indices { gw[k][j] += dz * row[j] }
      }
    }
    return (gw, gb)
  }

  /// One update: optional global clipping, regularisation, momentum (lr_mult 1 and 2,
  /// decay_mult 1 and 0 as in the tiny net).
  mutating func step(
    x: [[Double]], y: [Int], rate: Double, momentum: Double, decay: Double, l1: Bool = false,
    clip: Double = -1
  ) {
    var (gw, gb) = gradients(x: x, y: y)
    let norm = (gw.joined().map { $0 * $0 }.reduce(0, +) + gb.map { $0 * $0 }.reduce(0, +))
      .squareRoot()
    if clip >= 0, norm > clip {
      gw = gw.map { $0.map { $0 * clip / norm } }
      gb = gb.map { $0 * clip / norm }
    }
    for k in weights.indices {
      for j in weights[k].indices {
        let w = weights[k][j]
        let g = gw[k][j] + decay * (l1 ? (w > 0 ? 1 : (w < 0 ? -1 : 0)) : w)
        weightHistory[k][j] = momentum * weightHistory[k][j] + rate * g
        weights[k][j] -= weightHistory[k][j]
      }
      biasHistory[k] = momentum * biasHistory[k] + 2 * rate * gb[k]
      bias[k] -= biasHistory[k]
    }
  }
}

@Suite struct SolverTinyNetTests {
  private func inputs(_ net: Net) throws -> ([[Double]], [Int]) {
    let data = try #require(net.blob(named: "data"))
    let label = try #require(net.blob(named: "label"))
    let d = data.shape[1]
    let x = (0..<data.shape[0]).map { n in (0..<d).map { Double(data.data[n * d + $0]) } }
    return (x, label.dataArray.map { Int($0) })
  }

  private func expectClose(_ net: Net, _ reference: ReferenceSGD) {
    let w = net.learnableParams[0].dataArray
    let b = net.learnableParams[1].dataArray
    for (actual, expected) in zip(w, reference.weights.joined()) {
      #expect(abs(Double(actual) - expected) <= 1e-5 * max(1, abs(expected)))
    }
    for (actual, expected) in zip(b, reference.bias) {
      #expect(abs(Double(actual) - expected) <= 1e-5 * max(1, abs(expected)))
    }
  }

  @Test(arguments: [false, true])
  func momentumWeightDecayAndMultipliersMatchHandComputation(l1: Bool) throws {
    let solver = try SGDSolver(
      TinyNet.solverParam { $0.regularizationType = l1 ? "L1" : "L2" })
    var reference = ReferenceSGD(net: solver.net)
    for _ in 0..<3 {
      try solver.step(1)
      let (x, y) = try inputs(solver.net)
      reference.step(x: x, y: y, rate: 0.1, momentum: 0.9, decay: 0.01, l1: l1)
      expectClose(solver.net, reference)
    }
    #expect(solver.iteration == 3)
  }

  @Test func gradientClippingScalesTheGlobalNormAndLogsIt() throws {
    let solver = try SGDSolver(TinyNet.solverParam { $0.clipGradients = 0.01 })
    var reference = ReferenceSGD(net: solver.net)
    let log = LogCapture()
    try log.capture { try solver.step(1) }
    let (x, y) = try inputs(solver.net)
    reference.step(x: x, y: y, rate: 0.1, momentum: 0.9, decay: 0.01, clip: 0.01)
    expectClose(solver.net, reference)
    #expect(
      log.messages.contains {
        $0.hasPrefix("Gradient clipping: scaling down gradients (L2 norm ")
          && $0.contains(" > 0.01) by scale factor ")
      })
  }

  @Test func iterSizeAveragesAccumulatedGradients() throws {
    let constant = "type: \"constant\" value: 0.5"
    let once = try SGDSolver(TinyNet.solverParam(dataFiller: constant))
    let twice = try SGDSolver(TinyNet.solverParam(dataFiller: constant) { $0.iterSize = 2 })
    // The global generator is shared with tests running in parallel: copy the start weights.
    try twice.net.copyTrainedLayers(from: once.net.toProto())
    try once.step(2)
    try twice.step(2)
    for (a, b) in zip(once.net.learnableParams, twice.net.learnableParams) {
      for (u, v) in zip(a.dataArray, b.dataArray) { #expect(abs(u - v) <= 1e-6) }
    }
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
