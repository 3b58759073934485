// Signals sent to a running `caffe train`: SIGINT and SIGHUP act as the flags say, and SIGKILL
// leaves the last snapshot whole and resumable.

import CaffeTestSupport
import Foundation
import Testing

/// A `caffe train` process on a tiny net that would run for a million iterations.
final class TrainingProcess {
  let folder: URL
  let process = Process()
  let logURL: URL

  /// Writes the net and solver into a new folder and starts training with `flags`.
  init(snapshotEvery: Int, flags: [String] = []) throws {
    folder = try Golden.temporaryDirectory()
    logURL = folder.appendingPathComponent("train.log")
    let net = folder.appendingPathComponent("net.prototxt").path
    try """
    name: "tiny"
    layer { name: "data" type: "DummyData" top: "data" top: "label"
      dummy_data_param { shape { dim: 4 dim: 3 } shape { dim: 4 }
        data_filler { type: "uniform" min: -1 max: 1 } data_filler { type: "constant" value: 1 } } }
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
      inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
    """.write(toFile: net, atomically: true, encoding: .utf8)
    try Self.solverText(net: net, prefix: path("tiny"), maxIter: 1_000_000, every: snapshotEvery)
      .write(toFile: path("solver.prototxt"), atomically: true, encoding: .utf8)
    _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
    process.executableURL = BuiltTools.folder?.appendingPathComponent("caffe")
    process.arguments = ["train", "--solver=\(path("solver.prototxt"))"] + flags
    process.standardError = try FileHandle(forWritingTo: logURL)
    process.standardOutput = FileHandle.nullDevice
    try process.run()
  }

  static func solverText(net: String, prefix: String, maxIter: Int, every: Int) -> String {
    """
    net: "\(net)"
    base_lr: 0.01
    lr_policy: "fixed"
    momentum: 0.9
    display: 200
    max_iter: \(maxIter)
    snapshot: \(every)
    snapshot_prefix: "\(prefix)"
    """
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

  /// Polls every 20 ms, for up to 60 s, until `condition` holds; returns whether it did.
  @discardableResult
  func wait(until condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if condition() { return true }
      usleep(20_000)
    }
    return condition()
  }

  /// Waits for the process to end (up to 60 s; then kills it) and returns its exit status.
  func finish() -> Int32? {
    guard wait(until: { !process.isRunning }) else {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      return nil
    }
    return process.terminationReason == .exit ? process.terminationStatus : nil
  }

  /// The iterations of the `.solverstate` snapshots in the folder.
  var snapshotIterations: [Int] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.compactMap { name -> Int? in
      guard name.hasPrefix("tiny_iter_"), name.hasSuffix(".solverstate") else { return nil }
      return Int(name.dropFirst("tiny_iter_".count).dropLast(".solverstate".count))
    }.sorted()
  }

  func remove() { try? FileManager.default.removeItem(at: folder) }
}

@Suite(
  .serialized,
  .enabled(if: BuiltTools.isAvailable, "the built executables are not beside the test bundle"))
struct SignalTests {
  @Test func sigintStopsAfterTheIterationAndSnapshots() throws {
    let training = try TrainingProcess(snapshotEvery: 0)
    defer { training.remove() }
    #expect(training.wait { training.log.contains("Iteration 200") })
    kill(training.process.processIdentifier, SIGINT)
    #expect(training.finish() == 0)
    #expect(training.log.contains("Optimization stopped early."))
    #expect(training.snapshotIterations.count == 1)
  }

  @Test func sighupSnapshotsAndTrainingGoesOn() throws {
    let training = try TrainingProcess(snapshotEvery: 0)
    defer { training.remove() }
    #expect(training.wait { training.log.contains("Iteration 200") })
    kill(training.process.processIdentifier, SIGHUP)
    #expect(training.wait { training.snapshotIterations.count == 1 })
    let first = training.snapshotIterations.first ?? 0
    let iterationAfter = "Iteration \((first / 200 + 2) * 200)"
    #expect(training.wait { training.log.contains(iterationAfter) })
    #expect(training.process.isRunning)
    kill(training.process.processIdentifier, SIGINT)
    #expect(training.finish() == 0)
    #expect(training.snapshotIterations.count == 2)
  }

  @Test func signalsWithEffectNoneAreIgnored() throws {
    let training = try TrainingProcess(
      snapshotEvery: 0, flags: ["--sigint_effect=none", "--sighup_effect=none"])
    defer { training.remove() }
    #expect(training.wait { training.log.contains("Iteration 200") })
    kill(training.process.processIdentifier, SIGINT)
    kill(training.process.processIdentifier, SIGHUP)
    #expect(training.wait { training.log.contains("Iteration 1000") })
    #expect(training.process.isRunning)
    #expect(training.snapshotIterations.isEmpty)
    kill(training.process.processIdentifier, SIGKILL)
    training.process.waitUntilExit()
  }

  /// Snapshots every 50 iterations and kills the process at several moments: every snapshot
  /// left behind must load and resume.
  @Test func sigkillLeavesTheLastSnapshotResumable() throws {
    for delay in [0, 7_000, 23_000] as [useconds_t] {
      let training = try TrainingProcess(snapshotEvery: 50)
      defer { training.remove() }
      #expect(training.wait { training.snapshotIterations.count >= 3 })
      usleep(delay)
      kill(training.process.processIdentifier, SIGKILL)
      training.process.waitUntilExit()
      let last = try #require(training.snapshotIterations.last)
      let resume = training.path("resume.prototxt")
      try TrainingProcess.solverText(
        net: training.path("net.prototxt"), prefix: training.path("resumed"),
        maxIter: last + 2, every: 0
      ).write(toFile: resume, atomically: true, encoding: .utf8)
      let state = training.path("tiny_iter_\(last).solverstate")
      let result = try BuiltTools.run(
        "caffe", ["train", "--solver=\(resume)", "--snapshot=\(state)"], in: training.folder)
      #expect(result.status == 0, "\(result.errorLines)")
      #expect(result.standardError.contains("Optimization Done."))
    }
  }
}
