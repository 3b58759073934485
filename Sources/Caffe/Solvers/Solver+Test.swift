// The solver's test phase: average each test net's outputs over `test_iter` batches.

import CaffeProto
import CaffeSupport

extension Solver {
  /// Tests every test net in turn (stopping early if a stop was requested).
  /// - Throws: what the test nets' layers throw.
  public func testAll() throws {
    for index in testNets.indices where !requestedEarlyExit {
      try test(netIndex: index)
    }
  }

  /// Runs test net `index` for its `test_iter` batches with the current weights and logs
  /// `Iteration I, Testing net (#k)`, then `    Test net output #j: name = mean` for each
  /// element of each output blob (with `(* w = w·mean loss)` for loss outputs), preceded by
  /// `Test loss: L` when `test_compute_loss` is set.
  ///
  /// A `test_iter` of 0 or less logs only the first line, as in Caffe.
  /// - Throws: what the test net's layers throw, or what sharing the weights throws.
  public func test(netIndex index: Int) throws {
    Log.info("Iteration \(iteration), Testing net (#\(index))")
    let testNet = testNets[index]
    try testNet.shareTrainedLayers(with: net)
    let batches = Int(param.testIter[index])
    guard batches > 0 else { return }
    var scores: [Float] = []
    var loss: Float = 0
    for batch in 0..<batches {
      try handleRequestsDuringTest()
      if requestedEarlyExit { break }
      let batchLoss = try testNet.forward()
      if param.testComputeLoss { loss += batchLoss }
      let values = testNet.outputBlobs.flatMap { blob in (0..<blob.count).map { blob.data[$0] } }
      if batch == 0 {
        scores = values
      } else {
        for i in values.indices { scores[i] += values[i] }
      }
    }
    if requestedEarlyExit {
      Log.info("Test interrupted.")
      return
    }
    if param.testComputeLoss {
      loss /= Float(batches)
      Log.info("Test loss: \(formatG(loss))")
    }
    let means = scores.map { $0 / Float(batches) }
    for (j, line) in testNet.outputLines(values: means).enumerated() {
      Log.info("    Test net output #\(j): \(line)")
    }
  }

  /// Serves every pending request: snapshots for `.snapshot`, marks the run stopped for
  /// `.stop`.
  private func handleRequestsDuringTest() throws {
    guard let actionRequest else { return }
    var request = actionRequest()
    while request != .none {
      if request == .snapshot {
        try snapshot()
      } else {
        requestedEarlyExit = true
      }
      request = actionRequest()
    }
  }
}
