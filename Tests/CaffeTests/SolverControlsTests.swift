// Training controls: iter_size, average_loss, several test nets, snapshot_diff,
// snapshot_after_train and the solver's `weights` field.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct SolverControlsTests {
  private static let constant = "type: \"constant\" value: 0.5"

  @Test(arguments: SolverMethodsTests.types)
  func iterSizeAveragesLossAndGradients(type: String) throws {
    let net = try Prototxt.decode(NetParameter.self, text: TinyNet.text(dataFiller: Self.constant))
    let once = try SolverRegistry.makeSolver(
      SolverMethodsTests.solverParam(type) { $0.netParam = net })
    let twice = try SolverRegistry.makeSolver(
      SolverMethodsTests.solverParam(type) {
        $0.netParam = net
        $0.iterSize = 2
      })
    // The global generator is shared with tests running in parallel: copy the start weights.
    try twice.net.copyTrainedLayers(from: once.net.toProto())
    try once.step(2)
    try twice.step(2)
    for (a, b) in zip(once.net.learnableParams, twice.net.learnableParams) {
      for (u, v) in zip(a.dataArray, b.dataArray) { #expect(abs(u - v) <= 1e-6) }
    }
  }

  /// With the same batch three times, the mean loss shown equals each pass's loss.
  @Test func iterSizeDisplaysTheMeanLoss() throws {
    let solver = try SGDSolver(
      TinyNet.solverParam(dataFiller: Self.constant) {
        $0.iterSize = 3
        $0.display = 1
      })
    let log = LogCapture()
    try log.capture { try solver.step(1) }
    let line = try #require(log.messages.first { $0.hasPrefix("Iteration 0 (") })
    let shown = try #require(Float(line.components(separatedBy: "loss = ")[1]))
    let output = try #require(
      log.messages.first { $0.hasPrefix("    Train net output #0: loss = ") }
        .flatMap { Float($0.split(separator: " ")[6]) })
    #expect(abs(shown - output) <= 1e-5 * max(1, abs(output)))
  }

  @Test func averageLossSmoothsTheDisplayedLoss() throws {
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.averageLoss = 3
        $0.display = 1
        $0.maxIter = 5
      })
    let log = LogCapture()
    try log.capture { try solver.step(5) }
    let outputs = log.messages.filter { $0.hasPrefix("    Train net output #0: loss = ") }
      .compactMap { Float($0.split(separator: " ")[6]) }
    let shown = log.messages.filter { $0.hasPrefix("Iteration ") && $0.contains("loss = ") }
      .compactMap { Float($0.components(separatedBy: "loss = ")[1]) }
    #expect(outputs.count == 5 && shown.count == 5)
    for i in shown.indices {
      let window = outputs[max(0, i - 2)...i]
      let mean = window.reduce(0, +) / Float(window.count)
      #expect(abs(shown[i] - mean) <= 1e-4 * max(1, abs(mean)))
    }
  }

  @Test func everyTestNetGetsItsOwnTestIterAndState() throws {
    var testNet = try Prototxt.decode(NetParameter.self, text: TinyNet.text())
    testNet.layer.append(
      try Prototxt.decode(
        LayerParameter.self,
        text: """
          name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy"
          include { stage: "extra" }
          """))
    var extra = NetState()
    extra.stage = ["extra"]
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.testNetParam = [testNet, testNet]
        $0.testIter = [1, 2]
        $0.testState = [NetState(), extra]
        $0.testInterval = 2
        $0.maxIter = 2
      })
    #expect(solver.testNets.map { $0.outputBlobs.count } == [1, 2])
    let log = LogCapture()
    try log.capture { try solver.solve() }
    let messages = log.messages
    #expect(messages.contains("Iteration 2, Testing net (#0)"))
    #expect(messages.contains("Iteration 2, Testing net (#1)"))
    #expect(messages.contains { $0.hasPrefix("    Test net output #0: accuracy = ") })
  }

  @Test func mismatchedTestIterCountIsRejected() throws {
    let net = try Prototxt.decode(NetParameter.self, text: TinyNet.text())
    #expect(throws: CaffeError.self) {
      try SGDSolver(
        TinyNet.solverParam {
          $0.testNetParam = [net, net]
          $0.testIter = [1]
          $0.testInterval = 1
        })
    }
  }

  @Test(arguments: [false, true])
  func snapshotDiffWritesTheGradients(withDiff: Bool) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let prefix = folder.appendingPathComponent("tiny").path
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.maxIter = 1
        $0.snapshotPrefix = prefix
        $0.snapshotAfterTrain = true
        $0.snapshotDiff = withDiff
      })
    try solver.solve()
    let model = try BinaryProto.read(NetParameter.self, path: prefix + "_iter_1.caffemodel")
    let ip = try #require(model.layer.first { $0.name == "ip" })
    #expect(ip.blobs[0].diff.count == (withDiff ? 6 : 0))
  }

  @Test func snapshotAfterTrainCanBeTurnedOff() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.maxIter = 2
        $0.snapshotPrefix = folder.appendingPathComponent("tiny").path
        $0.snapshotAfterTrain = false
      })
    try solver.solve()
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func weightsFieldInitialisesTrainAndTestNets() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let source = try SGDSolver(TinyNet.solverParam())
    try source.step(1)
    let path = folder.appendingPathComponent("start.caffemodel").path
    try BinaryProto.write(source.net.toProto(), path: path)
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.weights = [path]
        $0.testIter = [1]
        $0.testInterval = 10
      })
    for (a, b) in zip(source.net.learnableParams, solver.net.learnableParams) {
      #expect(a.dataArray == b.dataArray)
    }
    let testIP = try #require(solver.testNets[0].layer(named: "ip"))
    #expect(testIP.blobs[0].dataArray == source.net.learnableParams[0].dataArray)
  }
}
