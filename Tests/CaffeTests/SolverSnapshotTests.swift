// Snapshots: file names and contents, atomic writes, and resume = uninterrupted run.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct SolverSnapshotTests {
  private func files(in folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
  }

  private func expectSameParameters(_ a: Net, _ b: Net) {
    #expect(a.learnableParams.count == b.learnableParams.count)
    for (x, y) in zip(a.learnableParams, b.learnableParams) {
      #expect(x.dataArray == y.dataArray)
    }
  }

  @Test func snapshotsWriteModelAndStateAtomically() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let prefix = folder.appendingPathComponent("tiny").path
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.maxIter = 5
        $0.snapshot = 2
        $0.snapshotPrefix = prefix
        $0.snapshotAfterTrain = true
      })
    try solver.solve()
    #expect(
      try files(in: folder) == [
        "tiny_iter_2.caffemodel", "tiny_iter_2.solverstate", "tiny_iter_4.caffemodel",
        "tiny_iter_4.solverstate", "tiny_iter_5.caffemodel", "tiny_iter_5.solverstate",
      ])
    let state = try BinaryProto.read(SolverState.self, path: prefix + "_iter_4.solverstate")
    #expect(state.iter == 4)
    #expect(state.learnedNet == prefix + "_iter_4.caffemodel")
    #expect(state.history.count == 2)
    let model = try BinaryProto.read(NetParameter.self, path: prefix + "_iter_5.caffemodel")
    let ip = try #require(model.layer.first { $0.name == "ip" })
    #expect(ip.blobs.count == 2)
    #expect(ip.blobs[0].data == solver.net.learnableParams[0].dataArray)
  }

  /// A run killed while writing a snapshot leaves `.tiny_iter_N….<pid>.<random>.tmp`; the next
  /// run with that prefix removes it, and leaves files of live writers and other prefixes.
  @Test func startingRemovesTemporariesOfKilledRuns() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let dead = finished.processIdentifier
    let live = ProcessInfo.processInfo.processIdentifier
    let names = [
      ".tiny_iter_3.solverstate.\(dead).17.tmp", ".tiny_iter_3.caffemodel.h5.\(dead).5.tmp",
      ".tiny_iter_3.solverstate.\(live).17.tmp", ".other_iter_3.solverstate.\(dead).17.tmp",
      "tiny_iter_2.caffemodel",
    ]
    for name in names {
      try Data([1]).write(to: folder.appendingPathComponent(name))
    }
    _ = try SGDSolver(
      TinyNet.solverParam {
        $0.snapshot = 1
        $0.snapshotPrefix = folder.appendingPathComponent("tiny").path
      })
    #expect(try files(in: folder) == names.dropFirst(2).sorted())
  }

  /// Constant input: the global generator is shared with tests running in parallel, so only
  /// what the snapshot restores may decide the result.
  @Test(arguments: SolverMethodsTests.types, [false, true])
  func resumingEqualsTheUninterruptedRun(type: String, hdf5: Bool) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let net = try Prototxt.decode(
      NetParameter.self, text: TinyNet.text(dataFiller: "type: \"constant\" value: 0.5"))
    let param: (String) throws -> SolverParameter = { name in
      try SolverMethodsTests.solverParam(type) {
        $0.netParam = net
        $0.maxIter = 6
        $0.snapshot = 3
        $0.snapshotPrefix = folder.appendingPathComponent(name).path
        $0.snapshotFormat = hdf5 ? .hdf5 : .binaryproto
      }
    }
    let whole = try #require(try SolverRegistry.makeSolver(param("whole")) as? SGDSolver)
    try whole.solve()
    let suffix = hdf5 ? ".solverstate.h5" : ".solverstate"
    #expect(
      FileManager.default.fileExists(
        atPath: folder.appendingPathComponent("whole_iter_6" + suffix).path))
    let resumed = try #require(try SolverRegistry.makeSolver(param("resumed")) as? SGDSolver)
    let log = LogCapture()
    try log.capture {
      try resumed.restore(from: folder.appendingPathComponent("whole_iter_3" + suffix).path)
    }
    #expect(resumed.iteration == 3)
    let restored = try #require(log.messages.last)
    let rate = formatG(resumed.param.baseLr)
    #expect(restored.hasPrefix("Restored "))
    #expect(
      restored.hasSuffix(
        ": iteration 3, learning rate \(rate), \(whole.history.count) history blobs (\(type))"))
    try resumed.solve()
    #expect(resumed.iteration == 6)
    expectSameParameters(whole.net, resumed.net)
    #expect(
      whole.net.learnableParams.map(\.diffArray) == resumed.net.learnableParams.map(\.diffArray))
    #expect(whole.history.map(\.dataArray) == resumed.history.map(\.dataArray))
  }

  @Test func aStateOfAnotherMethodNamesBoth() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let sgd = try SGDSolver(TinyNet.solverParam())
    var state = SolverState()
    state.iter = 1
    sgd.saveHistory(into: &state)
    let path = folder.appendingPathComponent("sgd.solverstate").path
    try BinaryProto.write(state, path: path)
    let adam = try SolverRegistry.makeSolver(SolverMethodsTests.solverParam("Adam"))
    do {
      try adam.restore(from: path)
      Issue.record("an SGD state was restored into Adam")
    } catch let error as CaffeError {
      let message = "\(error)"
      #expect(message.contains("has 2 history blobs, Adam needs 4 (2 per learnable parameter"))
      #expect(message.contains("it fits AdaGrad, Nesterov, RMSProp or SGD; set"))
    }
  }

  @Test func restoreFindsTheModelBesideTheState() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let solver = try SGDSolver(TinyNet.solverParam { $0.maxIter = 1 })
    try solver.step(1)
    var state = SolverState()
    state.iter = 1
    state.learnedNet = "elsewhere/tiny_iter_1.caffemodel"
    solver.saveHistory(into: &state)
    try BinaryProto.write(
      solver.net.toProto(), path: folder.appendingPathComponent("tiny_iter_1.caffemodel").path)
    let statePath = folder.appendingPathComponent("tiny_iter_1.solverstate").path
    try BinaryProto.write(state, path: statePath)
    let fresh = try SGDSolver(TinyNet.solverParam())
    try fresh.restore(from: statePath)
    expectSameParameters(solver.net, fresh.net)
  }

  @Test func historyCountMismatchSaysWhatWentWrong() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    var state = SolverState()
    state.iter = 7
    let path = folder.appendingPathComponent("empty.solverstate").path
    try BinaryProto.write(state, path: path)
    let solver = try SGDSolver(TinyNet.solverParam())
    do {
      try solver.restore(from: path)
      Issue.record("restoring a state without history succeeded")
    } catch {
      #expect("\(error)".contains("has 0 history blobs, SGD needs 2"))
      #expect("\(error)".contains(".caffemodel to --snapshot"))
    }
  }

  @Test func unwritableSnapshotPrefixFailsBeforeTraining() throws {
    let prefix = "/nonexistent-folder-\(UUID().uuidString)/tiny"
    do {
      _ = try SGDSolver(
        TinyNet.solverParam {
          $0.snapshot = 1
          $0.snapshotPrefix = prefix
        })
      Issue.record("an unwritable snapshot prefix was accepted")
    } catch {
      #expect(
        "\(error)" == "Cannot write to snapshot prefix '\(prefix)'. Make sure that the "
          + "directory exists and is writable.")
    }
  }

  /// A Data layer over Caffe's MNIST test LMDB: the resumed run must continue from the record
  /// the snapshot saved, so both runs see the same batches.
  @Test(.enabled(if: Golden.isAvailable))
  func resumingRestoresTheDataPosition() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let netText = """
      name: "mnist-tiny"
      layer {
        name: "mnist" type: "Data" top: "data" top: "label"
        transform_param { scale: 0.00390625 }
        data_param { source: "\(Golden.path("golden/mnist_test_lmdb"))" batch_size: 5 backend: LMDB }
      }
      layer {
        name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 10 weight_filler { type: "xavier" } }
      }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
      """
    func param(_ name: String) throws -> SolverParameter {
      try TinyNet.solverParam {
        $0.netParam = (try? Prototxt.decode(NetParameter.self, text: netText)) ?? NetParameter()
        $0.maxIter = 4
        $0.snapshot = 2
        $0.snapshotPrefix = folder.appendingPathComponent(name).path
      }
    }
    let wholeParameters: [[Float]]
    do {
      let whole = try SGDSolver(try param("whole"))
      try whole.solve()
      wholeParameters = whole.net.learnableParams.map(\.dataArray)
    }
    let statePath = folder.appendingPathComponent("whole_iter_2.solverstate").path
    let state = try BinaryProto.read(SolverState.self, path: statePath)
    #expect(state.dataPosition.map(\.layer) == ["mnist"])
    #expect(state.dataPosition.map(\.record) == [10])
    let resumed = try SGDSolver(try param("resumed"))
    try resumed.restore(from: statePath)
    try resumed.solve()
    #expect(resumed.net.learnableParams.map(\.dataArray) == wholeParameters)
  }
}
