// LSTMUnit layer: shapes, forward against the gate equations, gradients and errors (after
// Caffe's test_lstm_layer).

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct LSTMUnitTests {
  /// c_{t−1} (1, 3, 7), gates (1, 3, 28) uniform in [−1, 1], and cont (1, 3).
  func bottoms(cont: [Float]) throws -> [Blob] {
    [
      try BlobBuilder.uniform([1, 3, 7], min: -1, max: 1, seed: 1),
      try BlobBuilder.uniform([1, 3, 28], min: -1, max: 1, seed: 2),
      try BlobBuilder.values([1, 3], cont),
    ]
  }

  @Test func setUpShapesBothTopsLikeThePreviousCell() throws {
    let layer = try LayerFixture.make(LSTMUnitLayer.self)
    let top = LayerFixture.tops(2)
    try layer.setUp(bottom: try bottoms(cont: [0, 1, 1]), top: top)
    #expect(top.map(\.shape) == [[1, 3, 7], [1, 3, 7]])
    #expect(layer.blobs.isEmpty)
  }

  @Test func forwardFollowsTheGateEquations() throws {
    let layer = try LayerFixture.make(LSTMUnitLayer.self)
    let bottom = try bottoms(cont: [1, 0, 0.5])
    let top = LayerFixture.tops(2)
    try layer.setUp(bottom: bottom, top: top)
    try layer.forward(bottom: bottom, top: top)
    let (cPrev, x, cont) = (bottom[0].dataArray, bottom[1].dataArray, bottom[2].dataArray)
    var c: [Float] = []
    var h: [Float] = []
    for n in 0..<3 {
      for j in 0..<7 {
        let gate = { (index: Int) in Double(x[n * 28 + index * 7 + j]) }
        let i = NaiveRecurrent.sigmoid(gate(0))
        let f = Double(cont[n]) * NaiveRecurrent.sigmoid(gate(1))
        let o = NaiveRecurrent.sigmoid(gate(2))
        let cell = f * Double(cPrev[n * 7 + j]) + i * tanh(gate(3))
        c.append(Float(cell))
        h.append(Float(o * tanh(cell)))
      }
    }
    #expect(LayerFixture.maxDifference(top[0].dataArray, c) < 1e-5)
    #expect(LayerFixture.maxDifference(top[1].dataArray, h) < 1e-5)
  }

  // Caffe's TestLSTMUnitGradient and TestLSTMUnitGradientNonZeroCont: GradientChecker(1e-2,
  // 1e-3), exhaustive, on c_{t−1} and on the gates.
  @Test(arguments: [[Float(0), 0, 0], [1, 0, 1]], [0, 1])
  func gradientIsExact(_ cont: [Float], _ checkBottom: Int) throws {
    let layer = try LayerFixture.make(LSTMUnitLayer.self)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: try bottoms(cont: cont), top: LayerFixture.tops(2), checkBottom: checkBottom)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func gatesThatAreNotFourTimesTheCellAreRejected() throws {
    let layer = try LayerFixture.make(LSTMUnitLayer.self)
    var bottom = try bottoms(cont: [0, 0, 0])
    bottom[1] = try BlobBuilder.uniform([1, 3, 27])
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(2)) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [1, 3, 28], actual: [1, 3, 27])
    }
  }

  @Test func bottomsWithOtherStreamsOrTimestepsAreRejected() throws {
    let layer = try LayerFixture.make(LSTMUnitLayer.self)
    var bottom = try bottoms(cont: [0, 0, 0])
    bottom[2] = try BlobBuilder.values([1, 2], [0, 0])
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(2)) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [1, 3], actual: [1, 2])
    }
    bottom = try bottoms(cont: [0, 0, 0])
    bottom[0] = try BlobBuilder.uniform([2, 3, 7])
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(2)) } throws: {
      LayerFixture.isShapeMismatch($0, expected: [1, 3, 7], actual: [2, 3, 7])
    }
  }

  @Test func contWithThreeAxesIsRejected() throws {
    let layer = try LayerFixture.make(LSTMUnitLayer.self)
    var bottom = try bottoms(cont: [0, 0, 0])
    bottom[2] = try BlobBuilder.values([1, 3, 1], [0, 0, 0])
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(2)) } throws: {
      guard case CaffeError.invalidNet(let reason) = $0 else { return false }
      return reason.contains("\"layer\"") && reason.contains("[1, 3, 1]")
    }
  }

  @Test func backwardToContIsRejected() throws {
    let layer = try LayerFixture.make(LSTMUnitLayer.self)
    let bottom = try bottoms(cont: [1, 1, 1])
    let top = LayerFixture.tops(2)
    try layer.setUp(bottom: bottom, top: top)
    try layer.forward(bottom: bottom, top: top)
    #expect(!layer.allowForceBackward(bottomIndex: 2))
    #expect {
      try layer.backward(top: top, propagateDown: [true, true, true], bottom: bottom)
    } throws: { error in
      guard case CaffeError.invalidNet(let reason) = error else { return false }
      return reason.contains("sequence indicators")
    }
  }
}
