// Numerical safety: a diverging run stops at the first non-finite loss, names the layer, and
// leaves the last good snapshot as it was.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct SolverNumericalSafetyTests {
  /// Least squares on constant inputs: with base_lr 10 the output grows 109-fold per update, so
  /// the loss overflows after about ten iterations.
  static let divergingNet = """
    name: "diverge"
    layer {
      name: "data" type: "DummyData" top: "data" top: "target"
      dummy_data_param {
        shape { dim: 2 dim: 10 } shape { dim: 2 dim: 1 }
        data_filler { type: "constant" value: 1 } data_filler { type: "constant" value: 0 }
      }
    }
    layer {
      name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
      inner_product_param {
        num_output: 1
        weight_filler { type: "constant" value: 0.1 } bias_filler { type: "constant" value: 0.1 }
      }
    }
    layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "target" top: "loss" }
    """

  /// Snapshots every 3 iterations to `prefix`, or never without one.
  private func solverParam(_ prefix: String? = nil) throws -> SolverParameter {
    try TinyNet.solverParam {
      $0.netParam = (try? Prototxt.decode(NetParameter.self, text: Self.divergingNet)) ?? .init()
      $0.baseLr = 10
      $0.momentum = 0
      $0.weightDecay = 0
      $0.maxIter = 100
      if let prefix {
        $0.snapshot = 3
        $0.snapshotPrefix = prefix
      }
    }
  }

  @Test func baseLrTenStopsWithTheIterationAndLayer() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let prefix = folder.appendingPathComponent("diverge").path
    let solver = try SGDSolver(try solverParam(prefix))
    do {
      try solver.solve()
      Issue.record("training on garbage went on to max_iter")
    } catch let error as CaffeError {
      let message = "\(error)"
      #expect(message.hasPrefix("Iteration \(solver.iteration): the loss is inf"))
      #expect(message.contains("first non-finite: layer 'loss' (EuclideanLoss), top blob loss"))
      let last = solver.iteration / 3 * 3
      let kept = prefix + "_iter_\(last).solverstate"
      #expect(message.contains("the last snapshot (\(kept), iteration \(last), training loss "))
      #expect(message.hasSuffix("Try a lower base_lr or weight_decay, or set clip_gradients."))
    }
    #expect(solver.iteration > 3 && solver.iteration < 20)
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    let last = solver.iteration / 3 * 3
    #expect(files.count == 2 * (last / 3))
    let model = try BinaryProto.read(
      NetParameter.self, path: prefix + "_iter_\(last).caffemodel")
    let values = model.layer.flatMap { $0.blobs.flatMap(\.data) }
    #expect(!values.isEmpty && values.allSatisfy { $0.isFinite })
  }

  /// Caffe's AdaDelta example with delta 0: h = u = 0 at the first step, so the weights, whose
  /// gradient is 0 on zero inputs, get 0 · √(0 / 0).
  @Test func adaDeltaWithoutDeltaBlamesDelta() throws {
    var param = try solverParam()
    let zeroInputs = Self.divergingNet.replacingOccurrences(
      of: #"data_filler { type: "constant" value: 1 }"#,
      with: #"data_filler { type: "constant" value: 0 }"#)
    param.netParam = try Prototxt.decode(NetParameter.self, text: zeroInputs)
    param.type = "AdaDelta"
    param.baseLr = 1
    param.momentum = 0.95
    param.delta = 0
    let solver = try SolverRegistry.makeSolver(param)
    do {
      try solver.step(1)
      Issue.record("AdaDelta with delta 0 produced finite weights")
    } catch let error as CaffeError {
      let message = "\(error)"
      #expect(message.hasPrefix("Iteration 1: the AdaDelta update made"))
      #expect(message.contains("no snapshot had been written yet"))
      #expect(
        message.hasSuffix(
          "delta is 0, so AdaDelta divides by zero where a gradient is 0: set delta (Caffe's default 1e-8)."
        ))
    }
  }

  @Test func snapshotRefusesNonFiniteWeights() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let solver = try SGDSolver(
      try solverParam(folder.appendingPathComponent("nan").path))
    solver.net.learnableParams[1].data[0] = .nan
    #expect(throws: CaffeError.self) { try solver.snapshot() }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func nonFiniteWeightsAreFoundBeforeTheyAreUsed() throws {
    let solver = try SGDSolver(try solverParam())
    solver.net.learnableParams[0].data[3] = .infinity
    do {
      try solver.step(1)
      Issue.record("a step with an infinite weight succeeded")
    } catch let error as CaffeError {
      #expect("\(error)".contains("first non-finite: layer 'ip' (InnerProduct), param blob 0"))
    }
  }
}
