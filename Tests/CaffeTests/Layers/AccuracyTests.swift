// Accuracy layer: top-1 and top-k, ignore_label, per-class accuracy, axis, errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct AccuracyTests {
  func makeAccuracy(_ param: String = "") throws -> AccuracyLayer {
    try LayerFixture.make(
      AccuracyLayer.self,
      "name: \"accuracy\" bottom: \"score\" bottom: \"label\" "
        + "accuracy_param { \(param) }")
  }

  /// Four samples, three classes.
  ///
  /// Ranks of the true class: 1st, 2nd, 3rd, 1st (tied with another).
  func bottoms() throws -> [Blob] {
    [
      try BlobBuilder.values(
        [4, 3],
        [
          0.9, 0.05, 0.05,
          0.3, 0.6, 0.1,
          0.5, 0.3, 0.2,
          0.4, 0.4, 0.2,
        ]),
      try BlobBuilder.values([4], [0, 0, 2, 1]),
    ]
  }

  func run(_ layer: AccuracyLayer, _ blobs: [Blob], tops count: Int = 1) throws -> [Blob] {
    let tops = LayerFixture.tops(count)
    try layer.setUp(bottom: blobs, top: tops)
    try layer.forward(bottom: blobs, top: tops)
    return tops
  }

  @Test(arguments: [(1, Float(0.25)), (2, Float(0.75)), (3, Float(1))])
  func topKCountsTiesAgainstTheTrueClass(_ k: Int, _ expected: Float) throws {
    let tops = try run(try makeAccuracy("top_k: \(k)"), try bottoms())
    #expect(tops[0].shape == [])
    #expect(abs(tops[0].dataArray[0] - expected) < 1e-6)
  }

  @Test func ignoredLabelsAreNotCounted() throws {
    let tops = try run(try makeAccuracy("ignore_label: 0"), try bottoms())
    // Left: sample 2 (true class 2, ranked 3rd) and sample 3 (tie, ranked 2nd): none in top 1.
    #expect(tops[0].dataArray == [0])
  }

  @Test func perClassAccuracyIsTheSecondTop() throws {
    let tops = try run(try makeAccuracy("top_k: 2"), try bottoms(), tops: 2)
    #expect(tops[1].shape == [3])
    #expect(tops[1].dataArray == [1, 1, 0])
  }

  @Test func classAxisMayMove() throws {
    // (N=1, positions=2, C=3) with axis 2: one label per position.
    let scores = try BlobBuilder.values([1, 2, 3], [0.1, 0.7, 0.2, 0.8, 0.1, 0.1])
    let labels = try BlobBuilder.values([1, 2], [1, 2])
    let tops = try run(try makeAccuracy("axis: 2"), [scores, labels])
    #expect(tops[0].dataArray == [0.5])
  }

  @Test func matchesArgmaxOnRandomScores() throws {
    let scores = try BlobBuilder.gaussian([20, 5])
    let labels = try BlobBuilder.labels([20], classes: 5)
    let tops = try run(try makeAccuracy(), [scores, labels])
    let values = scores.dataArray
    let hits = (0..<20).filter { n in
      let row = values[(n * 5)..<(n * 5 + 5)]
      return row.firstIndex(of: row.max() ?? 0) == n * 5 + Int(labels.dataArray[n])
    }
    #expect(abs(tops[0].dataArray[0] - Float(hits.count) / 20) < 1e-6)
  }

  @Test func topKAboveTheClassCountIsRejected() throws {
    #expect { try run(try makeAccuracy("top_k: 4"), try bottoms()) } throws: {
      LayerFixture.isInvalid($0, layer: "accuracy", field: "top_k")
    }
  }

  @Test func labelCountMustMatch() throws {
    let blobs = [try BlobBuilder.gaussian([4, 3]), try BlobBuilder.values([3], [0, 1, 2])]
    #expect { try run(try makeAccuracy(), blobs) } throws: {
      "\($0)".contains("Number of labels must match number of predictions")
    }
  }

  @Test func labelsOutsideTheClassesAreDataErrors() throws {
    let blobs = [try BlobBuilder.gaussian([2, 3]), try BlobBuilder.values([2], [0, 7])]
    #expect { try run(try makeAccuracy(), blobs) } throws: { error in
      guard case CaffeError.invalidData(let layer, let reason) = error else { return false }
      return layer == "accuracy" && reason.contains("label 7") && reason.contains("sample 1")
    }
  }

  @Test func backwardIsRefused() throws {
    let layer = try makeAccuracy()
    let blobs = try bottoms()
    let tops = try run(layer, blobs)
    #expect(layer.allowForceBackward(bottomIndex: 0) == false)
    #expect {
      try layer.backward(top: tops, propagateDown: [true, false], bottom: blobs)
    } throws: {
      "\($0)".contains("accuracy")
    }
  }
}
