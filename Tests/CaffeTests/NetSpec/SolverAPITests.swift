// The Solver API from code: a solver for a NetSpec net, stepping with a per-iteration
// callback, stopping early, snapshotting and restoring, loading from a file.

import Caffe
import CaffeProto
import CaffeTestSupport
import Foundation
import Testing

@Suite struct NetAPISolverTests {
  /// A two-class problem the net can learn: 8 points from U(−1, 1) per batch, all labelled 1.
  static func tinyTrainNet() -> NetParameter {
    let spec = NetSpec(name: "tiny")
    let tops = spec.layer("DummyData", name: "data", tops: ["data", "label"]) { layer in
      var points = BlobShape()
      points.dim = [8, 3]
      var labels = BlobShape()
      labels.dim = [8]
      var uniform = FillerParameter.ofType("uniform")
      uniform.min = -1
      uniform.max = 1
      layer.dummyDataParam.shape = [points, labels]
      layer.dummyDataParam.dataFiller = [uniform, .constant(1)]
    }
    let ip = spec.innerProduct(tops[0], name: "ip", numOutput: 2, weightFiller: .xavier)
    spec.accuracy(ip, tops[1], name: "accuracy", include: [.phase(.test)])
    spec.softmaxWithLoss(ip, tops[1], name: "loss")
    return spec.toProto()
  }

  static func solverParam(snapshotPrefix: String? = nil) -> SolverParameter {
    var param = SolverParameter()
    param.netParam = tinyTrainNet()
    param.baseLr = 0.5
    param.lrPolicy = "fixed"
    param.maxIter = 10
    param.testIter = [1]
    param.testInterval = 2
    param.randomSeed = 1701
    param.snapshotAfterTrain = false
    if let snapshotPrefix { param.snapshotPrefix = snapshotPrefix }
    return param
  }

  @Test func theCallbackRunsOnceAfterEachIteration() throws {
    let solver = try SolverRegistry.makeSolver(Self.solverParam())
    var seen: [Int] = []
    var losses: [Float] = []
    try solver.step(6) { solver in
      seen.append(solver.iteration)
      losses.append(solver.smoothedTrainingLoss)
      return .none
    }
    // Tests ran at iterations 2 and 4 without calling the callback again.
    #expect(seen == [1, 2, 3, 4, 5, 6])
    #expect(losses.last ?? 1 < losses.first ?? 0)
  }

  @Test func theCallbackCanStopTraining() throws {
    let solver = try SolverRegistry.makeSolver(Self.solverParam())
    try solver.solve { solver in solver.iteration == 3 ? .stop : .none }
    #expect(solver.iteration == 3)
    #expect(solver.actionRequest == nil)
  }

  @Test func errorsFromTheCallbackStopTheRunAndPropagate() throws {
    struct Enough: Error {}
    let solver = try SolverRegistry.makeSolver(Self.solverParam())
    #expect(throws: Enough.self) {
      try solver.step(5) { solver in
        if solver.iteration == 2 { throw Enough() }
        return .none
      }
    }
    #expect(solver.iteration == 2)
  }

  @Test func snapshotsRestoreWeightsAndIteration() throws {
    let folder = try Golden.temporaryDirectory()
    let prefix = folder.appendingPathComponent("tiny").path
    let solver = try SolverRegistry.makeSolver(Self.solverParam(snapshotPrefix: prefix))
    try solver.step(4)
    try solver.snapshot()
    let weights = solver.net.paramsByName["ip"]?.map(\.dataArray)
    let resumed = try SolverRegistry.makeSolver(Self.solverParam(snapshotPrefix: prefix))
    try resumed.restore(from: prefix + "_iter_4.solverstate")
    #expect(resumed.iteration == 4)
    #expect(resumed.net.paramsByName["ip"]?.map(\.dataArray) == weights)
    try resumed.solve()
    #expect(resumed.iteration == 10)
  }

  @Test func aSolverIsLoadedFromItsPrototxt() throws {
    let folder = try Golden.temporaryDirectory()
    let netPath = folder.appendingPathComponent("tiny.prototxt").path
    try Prototxt.write(Self.tinyTrainNet(), path: netPath)
    var param = Self.solverParam()
    param.clearNetParam()
    param.net = netPath
    param.type = "Adam"
    param.momentum = 0.9
    param.baseLr = 0.01
    let solverPath = folder.appendingPathComponent("solver.prototxt").path
    try Prototxt.write(param, path: solverPath)
    let solver = try Solver.load(prototxt: solverPath)
    #expect(type(of: solver).type == "Adam")
    #expect(solver.testNets.count == 1)
    try solver.step(2)
    #expect(solver.iteration == 2)
  }
}
