// Every solver on the least-squares problem of Caffe's test_gradient_based_solver.cpp:
// HDF5Data (solver_data.h5) → InnerProduct (one output) → EuclideanLoss, each update checked
// against the closed-form gradient with Caffe's tolerance max(1e-7, 1e-2 · |expected|).

import Caffe
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct SolverLeastSquaresTests {
  static let dataPath = Golden.path("caffe-corpus/bvlc-test-data/solver_data.h5")
  static var hasData: Bool { FileManager.default.fileExists(atPath: dataPath) }
  /// N, the examples per iteration.
  static let num = 4

  /// A folder with the list file naming solver_data.h5; removed on deinit.
  final class ListFile {
    let folder: URL
    var path: String { folder.appendingPathComponent("solver_data_list.txt").path }

    init() throws {
      folder = try Golden.temporaryDirectory()
      try (SolverLeastSquaresTests.dataPath + "\n").write(
        toFile: path, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
  }

  /// One hyper-parameter set of Caffe's tests.
  struct Case: CustomTestStringConvertible, Sendable {
    let type: String
    let rate: Float
    let weightDecay: Float
    let momentum: Float
    var iterSize = 1
    var share = false
    var testDescription: String {
      "\(type) lr \(rate) decay \(weightDecay) momentum \(momentum) iter_size \(iterSize)"
        + (share ? " shared" : "")
    }
  }

  /// Caffe's "plain" and "with everything" settings per solver, each also with iter_size 2
  /// and with shared parameters.
  static let cases: [Case] = {
    let base = [
      Case(type: "SGD", rate: 0.01, weightDecay: 0, momentum: 0),
      Case(type: "SGD", rate: 0.01, weightDecay: 0.5, momentum: 0.9),
      Case(type: "Nesterov", rate: 0.01, weightDecay: 0, momentum: 0.5),
      Case(type: "Nesterov", rate: 0.01, weightDecay: 0.5, momentum: 0.9),
      Case(type: "AdaGrad", rate: 0.01, weightDecay: 0, momentum: 0),
      Case(type: "AdaGrad", rate: 0.01, weightDecay: 0.5, momentum: 0),
      Case(type: "RMSProp", rate: 0.01, weightDecay: 0, momentum: 0),
      Case(type: "RMSProp", rate: 1, weightDecay: 0.5, momentum: 0),
      Case(type: "AdaDelta", rate: 0.1, weightDecay: 0, momentum: 0.5),
      Case(type: "AdaDelta", rate: 0.1, weightDecay: 0.1, momentum: 0.95),
      Case(type: "Adam", rate: 0.01, weightDecay: 0, momentum: 0.9),
      Case(type: "Adam", rate: 0.01, weightDecay: 0.5, momentum: 0.9),
    ]
    return base.flatMap { plain in
      var accumulated = plain
      accumulated.iterSize = 2
      var shared = accumulated
      shared.share = true
      var sharedOnly = plain
      sharedOnly.share = true
      return [plain, accumulated, sharedOnly, shared]
    }
  }()

  /// Caffe's TestNetwork: with `share`, the batch is sliced in two halves fed to two
  /// InnerProducts sharing `weights` and `bias`, then concatenated.
  static func netText(source: String, batchSize: Int, share: Bool) -> String {
    let innerProduct = { (name: String, bottom: String, top: String) in
      """
      layer {
        name: "\(name)" type: "InnerProduct" bottom: "\(bottom)" top: "\(top)"
        param { name: "weights" } param { name: "bias" }
        inner_product_param {
          num_output: 1
          weight_filler { type: "gaussian" std: 1 } bias_filler { type: "gaussian" std: 1 }
        }
      }
      """
    }
    let data = """
      name: "TestNetwork"
      layer {
        name: "data" type: "HDF5Data" top: "data" top: "targets"
        hdf5_data_param { source: "\(source)" batch_size: \(batchSize) }
      }
      """
    let loss = """
      layer {
        name: "loss" type: "EuclideanLoss" bottom: "innerprod" bottom: "targets" top: "loss"
      }
      """
    guard share else {
      return [data, innerProduct("innerprod", "data", "innerprod"), loss].joined(separator: "\n")
    }
    return [
      data,
      """
      layer {
        name: "slice" type: "Slice" bottom: "data" top: "data1" top: "data2"
        slice_param { axis: 0 }
      }
      """,
      innerProduct("innerprod", "data1", "innerprod1"),
      innerProduct("innerprod2", "data2", "innerprod2"),
      """
      layer {
        name: "concat" type: "Concat" bottom: "innerprod1" bottom: "innerprod2"
        top: "innerprod" concat_param { axis: 0 }
      }
      """,
      loss,
    ].joined(separator: "\n")
  }

  static func solverParam(_ test: Case, source: String) throws -> SolverParameter {
    var param = SolverParameter()
    param.type = test.type
    param.netParam = try Prototxt.decode(
      NetParameter.self,
      text: netText(source: source, batchSize: num / test.iterSize, share: test.share))
    param.baseLr = test.rate
    param.lrPolicy = "fixed"
    param.weightDecay = test.weightDecay
    param.momentum = test.momentum
    param.iterSize = Int32(test.iterSize)
    param.rmsDecay = 0.95
    param.maxIter = 4
    param.snapshotAfterTrain = false
    return param
  }

  @Test(.enabled(if: hasData, "needs ../shared/caffe-corpus/bvlc-test-data"), arguments: cases)
  func updatesMatchTheClosedForm(test: Case) throws {
    let list = try ListFile()
    let file = try HDF5File(openingAt: Self.dataPath)
    let data = try file.readFloats("data")
    let targets = try file.readFloats("targets").values.map(Double.init)
    let rows = data.shape[0]
    let width = data.values.count / rows
    let param = try Self.solverParam(test, source: list.path)
    let solver = try SolverRegistry.makeSolver(param)
    var reference = ReferenceSolver(param: param, net: solver.net)
    let batch = Self.num / test.iterSize
    var nextRow = 0
    for _ in 0..<4 {
      // As Caffe's test does, each expected update starts from the solver's own float state,
      // so float rounding does not accumulate over the iterations.
      reference.parameters = solver.net.learnableParams.map { $0.dataArray.map(Double.init) }
      if let sgd = solver as? SGDSolver {
        reference.history = sgd.history.map { $0.dataArray.map(Double.init) }
      }
      let before = (solver.net.learnableParams.map(\.dataArray), reference.parameters)
      try solver.step(1)
      var gradients = reference.parameters.map { $0.map { _ in 0.0 } }
      for _ in 0..<test.iterSize {
        let indices = (0..<batch).map { (nextRow + $0) % rows }
        nextRow += batch
        let x = indices.map { n in data.values[(n * width)..<((n + 1) * width)].map(Double.init) }
        let pass = ReferenceGradient.leastSquares(
          x: x, y: indices.map { targets[$0] }, parameters: reference.parameters)
        gradients = zip(gradients, pass).map { zip($0, $1).map(+) }
      }
      reference.step(gradients: gradients)
      expectClose(solver.net, reference, before: before)
    }
  }

  /// Caffe's check on the weights, and the same tolerance on the step itself (a step smaller
  /// than 1% of a weight would otherwise go unchecked), allowing two float roundings of w.
  private func expectClose(
    _ net: Net, _ reference: ReferenceSolver, before: ([[Float]], [[Double]])
  ) {
    for (i, blob) in net.learnableParams.enumerated() {
      for (j, actual) in blob.dataArray.enumerated() {
        let expected = reference.parameters[i][j]
        #expect(abs(Double(actual) - expected) <= max(1e-7, 1e-2 * abs(expected)))
        let step = Double(before.0[i][j]) - Double(actual)
        let expectedStep = before.1[i][j] - expected
        let rounding = 2.4e-7 * max(1, abs(expected))
        #expect(abs(step - expectedStep) <= max(rounding, 1e-2 * abs(expectedStep)))
      }
    }
  }
}
