// Solvers against BVLC Caffe: LeNet from Caffe's initial weights loses what Caffe lost.

import Caffe
import CaffeProto
import CaffeTestSupport
import Foundation
import Testing

/// Each example solver under examples/mnist takes LeNet through the losses Caffe logged.
///
/// Caffe trained LeNet for 10 iterations with each solver, from the weights in
/// Tests/Fixtures/solvers and on the golden MNIST LMDB (see the README there). The same solver
/// file, weights and batches here must give the same loss at every iteration.
@Suite(.enabled(if: Golden.isAvailable)) struct SolverCaffeTrajectoryTests {
  /// Each iteration's loss is within `tolerance` of Caffe's, relative.
  ///
  /// Caffe prints 6 significant digits, so 2e-5 of the loss covers its rounding. RMSProp's first
  /// step moves every weight by ±lr / √(1 − rms_decay) whatever its gradient's size, so weights
  /// whose gradient is rounding noise move either way: summation order alone changes about 0.2%
  /// of the step signs after 3 iterations and the loss by a few parts in 1e5.
  @Test(arguments: [
    ("lenet_solver_adam", 2e-5), ("lenet_adadelta_solver", 2e-5),
    ("lenet_solver_nesterov", 2e-5), ("lenet_multistep_solver", 2e-5),
    ("lenet_solver_rmsprop", 1e-3),
  ])
  func lossesFollowCaffe(solver name: String, tolerance: Double) throws {
    let expected = try Self.caffeLosses(log: Golden.fixture("solvers/caffe_\(name).log"))
    #expect(expected.count == 10)
    let solver = try SolverRegistry.makeSolver(try Self.exampleSolver(name))
    try solver.net.copyTrainedLayers(
      fromFile: Golden.fixture("solvers/lenet_init_seed1.caffemodel"))
    var losses: [Float] = []
    try solver.step(expected.count) { solver in
      losses.append(solver.smoothedTrainingLoss)
      return .none
    }
    #expect(losses.count == expected.count)
    for (iteration, (loss, caffe)) in zip(losses, expected).enumerated() {
      #expect(
        abs(Double(loss) - caffe) <= tolerance * abs(caffe),
        "iteration \(iteration): \(loss) here, \(caffe) in Caffe")
    }
  }

  /// examples/mnist/<name>.prototxt training the example LeNet on the golden LMDB, without test
  /// nets, display or snapshots.
  private static func exampleSolver(_ name: String) throws -> SolverParameter {
    let examples = Golden.packageRoot.appendingPathComponent("examples/mnist")
    var param = try ProtoUpgrade.readSolverText(
      path: examples.appendingPathComponent("\(name).prototxt").path)
    let netText = try String(
      contentsOf: examples.appendingPathComponent("lenet_train_test.prototxt"), encoding: .utf8)
    let goldenNet = netText.replacingOccurrences(
      of: #"source: "[^"]*""#, with: "source: \"\(Golden.path("golden/mnist_test_lmdb"))\"",
      options: .regularExpression)
    param.clearNet()
    param.netParam = try Prototxt.decode(NetParameter.self, text: goldenNet)
    param.testIter = []
    param.testInterval = 0
    param.display = 0
    param.snapshot = 0
    param.snapshotAfterTrain = false
    return param
  }

  /// The losses of Caffe's `Iteration N (… iter/s, …), loss = L` lines, in order.
  private static func caffeLosses(log path: String) throws -> [Double] {
    let pattern = try Regex(#"\] Iteration \d+ \([^)]*\), loss = (\S+)"#)
    return try String(contentsOfFile: path, encoding: .utf8)
      .split(separator: "\n")
      .compactMap { line in
        line.firstMatch(of: pattern).flatMap { Double($0.output[1].substring ?? "") }
      }
  }
}
