// `caffe test`, resume and finetune on Caffe's own LeNet files, compared with Caffe's logs.

import CaffeCLI
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

/// A temporary folder with Caffe's LeNet example reading Caffe's MNIST test LMDB in both phases
/// (the training LMDB is not among the shared files), and a solver for it.
struct LeNetProject {
  let folder: URL
  var model: String { folder.appendingPathComponent("lenet_train_test.prototxt").path }
  var solver: String { folder.appendingPathComponent("lenet_solver.prototxt").path }

  /// - Parameter maxIter: the solver's `max_iter`; the solver has no test net and displays
  ///   every iteration, otherwise it is Caffe's `lenet_solver.prototxt`.
  /// - Throws: when the files cannot be written.
  init(maxIter: Int) throws {
    folder = try Golden.temporaryDirectory()
    let example = Golden.packageRoot.appendingPathComponent(
      "examples/mnist/lenet_train_test.prototxt")
    let lmdb = Golden.path("golden/mnist_test_lmdb")
    let net = try String(contentsOf: example, encoding: .utf8)
      .replacingOccurrences(of: "examples/mnist/mnist_test_lmdb", with: lmdb)
      .replacingOccurrences(of: "examples/mnist/mnist_train_lmdb", with: lmdb)
    try net.write(toFile: model, atomically: true, encoding: .utf8)
    let solverText = """
      net: "\(model)"
      base_lr: 0.01
      momentum: 0.9
      weight_decay: 0.0005
      lr_policy: "inv"
      gamma: 0.0001
      power: 0.75
      display: 1
      max_iter: \(maxIter)
      snapshot_prefix: "\(folder.appendingPathComponent("lenet").path)"
      solver_mode: CPU
      """
    try solverText.write(toFile: solver, atomically: true, encoding: .utf8)
  }

  func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Runs `caffe` in-process and returns its exit status, its error lines and the messages it
/// logged.
private func runCaffe(_ arguments: [String]) -> (status: Int32, errors: [String], log: [String]) {
  var errors: [String] = []
  let log = LogCapture()
  let status = log.capture {
    ToolMain.run(
      CaffeCommand.self, arguments: arguments, output: { _ in },
      errorOutput: { errors.append($0) })
  }
  return (status, errors, log.messages)
}

/// The messages of a glog file written by Caffe.
private func caffeLog(_ name: String) throws -> [String] {
  try String(contentsOfFile: Golden.path("golden/\(name)"), encoding: .utf8)
    .split(separator: "\n").map { line in
      line.split(separator: "] ", maxSplits: 1).last.map(String.init) ?? String(line)
    }
}

/// The value after " = " in a `name = value` message.
private func value(_ message: String) -> Double? {
  message.components(separatedBy: " = ").last.flatMap(Double.init)
}

@Suite(
  "Compatibility with Caffe's LeNet files", .enabled(if: Golden.isAvailable, "needs ../shared"))
struct CompatibilityTests {
  static let goldenWeights = Golden.path("golden/lenet_iter_10000.caffemodel")

  /// All 100 batches (about 3 s in a debug build): accuracies print the same digits as Caffe's;
  /// losses agree to 1e-5 relative (float sums in another order change the last digit).
  @Test func caffeTestScoresAsCaffeDoes() throws {
    let project = try LeNetProject(maxIter: 1)
    defer { project.remove() }
    let run = runCaffe(
      ["test", "--model=\(project.model)", "--weights=\(Self.goldenWeights)", "--iterations=100"])
    #expect(run.status == 0, "\(run.errors)")
    let golden = try caffeLog("caffe_test_lenet_iter_10000.log")
    func batches(_ log: [String], _ name: String) -> [String] {
      log.filter { $0.hasPrefix("Batch ") && $0.contains(", \(name) = ") }
    }
    #expect(batches(run.log, "accuracy").count == 100)
    #expect(batches(run.log, "accuracy") == batches(golden, "accuracy"))
    let losses = zip(batches(run.log, "loss"), batches(golden, "loss"))
    #expect(batches(run.log, "loss").count == 100)
    for (ours, caffe) in losses {
      let (a, b) = (value(ours) ?? .nan, value(caffe) ?? .nan)
      #expect(abs(a - b) <= 1e-5 * abs(b) + 1e-7, "\(ours) vs Caffe's \(caffe)")
    }
    #expect(run.log.contains("accuracy = 0.9897"))
    let loss = try #require(run.log.first { $0.hasPrefix("Loss: ") })
    #expect(abs((Double(loss.dropFirst(6)) ?? .nan) - 0.0305499) < 1e-6, "\(loss)")
  }

  /// Resuming from Caffe's own solver state: its `learned_net` (`examples/mnist/…`, relative to
  /// where Caffe ran) is found beside the solverstate, the momentum history is restored and the
  /// iteration counter continues at 5000 with Caffe's learning rate.
  @Test func resumesFromCaffesSolverState() throws {
    let project = try LeNetProject(maxIter: 5_003)
    defer { project.remove() }
    let state = Golden.path("golden/lenet_iter_5000.solverstate")
    let run = runCaffe(["train", "--solver=\(project.solver)", "--snapshot=\(state)"])
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.log.contains("Resuming from \(state)"))
    #expect(run.log.contains("SGDSolver: restoring history"))
    let iterations = run.log.filter { $0.hasPrefix("Iteration ") && $0.contains(", lr = ") }
    let caffe = try caffeLog("caffe_resume_lenet.log")
    #expect(iterations.first == caffe.first { $0.hasPrefix("Iteration 5000, lr = ") })
    #expect(
      iterations.map { $0.prefix { $0 != "," } } == [
        "Iteration 5000", "Iteration 5001", "Iteration 5002",
      ])
    let loss = try #require(run.log.first { $0.hasPrefix("Iteration 5000 (") })
    #expect((value(loss) ?? .infinity) < 0.1, "trained weights give a small loss: \(loss)")
    let snapshot = project.folder.appendingPathComponent("lenet_iter_5003.solverstate").path
    #expect(FileManager.default.fileExists(atPath: snapshot))
  }

  /// Finetuning from Caffe's weights logs Caffe's line and starts from a trained net's loss.
  @Test func finetunesFromCaffesWeights() throws {
    let project = try LeNetProject(maxIter: 1)
    defer { project.remove() }
    let run = runCaffe(["train", "--solver=\(project.solver)", "--weights=\(Self.goldenWeights)"])
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.log.contains("Finetuning from \(Self.goldenWeights)"))
    let loss = try #require(run.log.first { $0.hasPrefix("Iteration 0 (") })
    #expect((value(loss) ?? .infinity) < 0.1, "trained weights give a small loss: \(loss)")
  }
}
