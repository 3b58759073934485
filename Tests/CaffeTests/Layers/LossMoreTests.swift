// EuclideanLoss, SigmoidCrossEntropyLoss, MultinomialLogisticLoss, HingeLoss, ContrastiveLoss:
// forward against references, loss weights, gradients with Caffe's constants, shape errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

/// Sets a loss layer up, runs forward and returns the top's value and the returned loss.
private func runLoss(_ layer: Layer, _ bottom: [Blob]) throws -> (top: Float, loss: Float) {
  let top = Blob()
  try layer.setUp(bottom: bottom, top: [top])
  let loss = try layer.forward(bottom: bottom, top: [top])
  return (top.data[0], loss)
}

/// Runs forward and backward with `propagateDown` and returns the loss top.
@discardableResult
private func runBackward(_ layer: Layer, _ bottom: [Blob], _ propagateDown: [Bool]) throws
  -> Blob
{
  let top = Blob()
  try layer.setUp(bottom: bottom, top: [top])
  try layer.forward(bottom: bottom, top: [top])
  try layer.backward(top: [top], propagateDown: propagateDown, bottom: bottom)
  return top
}

/// Whether `a` and `b` agree to `tolerance` relative to their size (at least 1).
private func near(_ a: Float, _ b: Float, _ tolerance: Float = 1e-5) -> Bool {
  abs(a - b) <= tolerance * max(1, abs(b))
}

// MARK: - EuclideanLoss

@Suite struct EuclideanLossTests {
  func bottoms() throws -> [Blob] {
    [try BlobBuilder.gaussian([4, 3, 1, 1]), try BlobBuilder.gaussian([4, 3, 1, 1], seed: 2)]
  }

  @Test func lossIsHalfTheMeanSquaredDistance() throws {
    let blobs = try bottoms()
    let layer = try LayerFixture.make(EuclideanLossLayer.self)
    let (top, loss) = try runLoss(layer, blobs)
    let squares = zip(blobs[0].dataArray, blobs[1].dataArray).map { ($0 - $1) * ($0 - $1) }
    let expected = squares.reduce(0, +) / 4 / 2
    #expect(near(top, expected) && near(loss, expected))
  }

  // Caffe's TestForward: the returned loss scales with loss_weight 3.7.
  @Test func lossWeightScalesTheLoss() throws {
    let blobs = try bottoms()
    let (_, plain) = try runLoss(try LayerFixture.make(EuclideanLossLayer.self), blobs)
    let weighted = try LayerFixture.make(EuclideanLossLayer.self, "loss_weight: 3.7")
    let (top, loss) = try runLoss(weighted, blobs)
    #expect(abs(loss - 3.7 * plain) < 1e-5)
    #expect(top == plain)
    #expect(abs(plain) >= 0.1)
  }

  @Test func backwardGivesBothBottomsOppositeGradients() throws {
    let blobs = try bottoms()
    let layer = try LayerFixture.make(EuclideanLossLayer.self, "loss_weight: 2")
    try runBackward(layer, blobs, [true, true])
    let expected = zip(blobs[0].dataArray, blobs[1].dataArray).map { ($0 - $1) * 2 / 4 }
    #expect(LayerFixture.maxDifference(blobs[0].diffArray, expected) < 1e-6)
    #expect(LayerFixture.maxDifference(blobs[1].diffArray, expected.map { -$0 }) < 1e-6)
    #expect(layer.allowForceBackward(bottomIndex: 1))
  }

  // Caffe's TestGradient: (1e-2, 1e-2, 1701), loss weight 3.7, both bottoms.
  @Test func gradientIsExact() throws {
    let layer = try LayerFixture.make(EuclideanLossLayer.self, "loss_weight: 3.7")
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: try bottoms(), top: LayerFixture.tops(1))
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func inputsMustHaveTheSameDimension() throws {
    let layer = try LayerFixture.make(EuclideanLossLayer.self)
    let blobs = [try BlobBuilder.gaussian([4, 3]), try BlobBuilder.gaussian([4, 2])]
    #expect { try layer.setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: {
      "\($0)".contains("Inputs must have the same dimension") && "\($0)".contains("[4, 2]")
    }
  }

  @Test func shapesMayDifferWithEqualCounts() throws {
    let layer = try LayerFixture.make(EuclideanLossLayer.self)
    let blobs = [try BlobBuilder.gaussian([4, 6]), try BlobBuilder.gaussian([4, 2, 3])]
    _ = try runLoss(layer, blobs)
  }
}

// MARK: - SigmoidCrossEntropyLoss

@Suite struct SigmoidCrossEntropyLossTests {
  func make(_ body: String = "") throws -> SigmoidCrossEntropyLossLayer {
    try LayerFixture.make(SigmoidCrossEntropyLossLayer.self, "name: \"loss\" " + body)
  }

  /// Scores (4, 5) from N(0, 1) and targets uniform in [0, 1).
  func bottoms() throws -> [Blob] {
    [try BlobBuilder.gaussian([4, 5]), try BlobBuilder.uniform([4, 5], seed: 3)]
  }

  /// Caffe's test reference: −Σ [t log p + (1 − t) log(1 − p)] over the kept elements.
  func crossEntropy(_ scores: [Float], _ targets: [Float], keep: (Int) -> Bool = { _ in true })
    -> Float
  {
    var loss: Float = 0
    for (i, (x, t)) in zip(scores, targets).enumerated() where keep(i) {
      let p = 1 / (1 + exp(-x))
      loss -= t * log(p) + (1 - t) * log(1 - p)
    }
    return loss
  }

  @Test(arguments: [
    ("", Float(4)), ("loss_param { normalization: FULL }", Float(20)),
    ("loss_param { normalization: VALID }", Float(20)),
    ("loss_param { normalization: BATCH_SIZE }", Float(4)),
    ("loss_param { normalization: NONE }", Float(1)),
    ("loss_param { normalize: true }", Float(20)), ("loss_param { normalize: false }", Float(4)),
  ])
  func lossIsTheNormalisedCrossEntropy(_ body: String, _ normalizer: Float) throws {
    let blobs = try bottoms()
    let (top, _) = try runLoss(try make(body), blobs)
    let expected = crossEntropy(blobs[0].dataArray, blobs[1].dataArray) / normalizer
    #expect(near(top, expected))
  }

  @Test func largeScoresStayFinite() throws {
    let blobs = [
      try BlobBuilder.values([1, 2], [100, -100]), try BlobBuilder.values([1, 2], [0, 1]),
    ]
    let (top, _) = try runLoss(try make(), blobs)
    #expect(near(top, 200))
  }

  @Test func ignoredTargetsAddNothing() throws {
    let blobs = try bottoms()
    for i in 0..<10 { blobs[1].data[i] = -1 }
    let layer = try make("loss_param { ignore_label: -1 normalization: VALID }")
    let top = try runBackward(layer, blobs, [true, false])
    let expected = crossEntropy(blobs[0].dataArray, blobs[1].dataArray) { $0 >= 10 } / 10
    #expect(near(top.data[0], expected))
    let diff = blobs[0].diffArray
    #expect(diff.prefix(10).allSatisfy { $0 == 0 })
    #expect(diff.suffix(10).allSatisfy { $0 != 0 })
  }

  @Test func backwardIsSigmoidMinusTarget() throws {
    let blobs = try bottoms()
    try runBackward(try make("loss_weight: 3"), blobs, [true, false])
    let expected = zip(blobs[0].dataArray, blobs[1].dataArray).map { x, t in
      (1 / (1 + exp(-x)) - t) * 3 / 4
    }
    #expect(LayerFixture.maxDifference(blobs[0].diffArray, expected) < 1e-6)
  }

  // Caffe's TestGradient: (1e-2, 1e-2, 1701), loss weight 3.7, bottom 0.
  @Test(arguments: ["loss_weight: 3.7", "loss_param { normalization: FULL }"])
  func gradientIsExact(_ body: String) throws {
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientExhaustive(
      try make(body), bottom: try bottoms(), top: LayerFixture.tops(1), checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func targetsCannotReceiveGradients() throws {
    #expect { try runBackward(try make(), try bottoms(), [true, true]) } throws: {
      "\($0)".contains("cannot backpropagate to label inputs")
    }
  }

  @Test func countsMustMatch() throws {
    let blobs = [try BlobBuilder.gaussian([4, 5]), try BlobBuilder.uniform([4, 4])]
    #expect { try make().setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: {
      "\($0)".contains("same count") && "\($0)".contains("\"loss\"")
    }
  }
}

// MARK: - MultinomialLogisticLoss

@Suite struct MultinomialLogisticLossTests {
  func make(_ body: String = "") throws -> MultinomialLogisticLossLayer {
    try LayerFixture.make(MultinomialLogisticLossLayer.self, "name: \"loss\" " + body)
  }

  /// Probabilities (N=6, 5) whose rows sum to 1 (Caffe fills them with positive_unitball) and
  /// labels (6, 1, 1, 1).
  func bottoms() throws -> [Blob] {
    let prob = try BlobBuilder.uniform([6, 5, 1, 1], min: 0.1, max: 1)
    for n in 0..<6 {
      let sum = (0..<5).reduce(Float(0)) { $0 + prob.data[n * 5 + $1] }
      for c in 0..<5 { prob.data[n * 5 + c] /= sum }
    }
    return [prob, try BlobBuilder.labels([6, 1, 1, 1], classes: 5)]
  }

  @Test func lossAndGradientByHand() throws {
    let blobs = [
      try BlobBuilder.values([2, 3], [0.2, 0.5, 0.3, 0.1, 0.1, 0.8]),
      try BlobBuilder.values([2], [1, 2]),
    ]
    let layer = try make()
    let top = try runBackward(layer, blobs, [true, false])
    #expect(near(top.data[0], -(log(0.5) + log(0.8)) / 2))
    #expect(LayerFixture.maxDifference(blobs[0].diffArray, [0, -1, 0, 0, 0, -0.625]) < 1e-6)
  }

  @Test func tinyProbabilitiesAreClamped() throws {
    let blobs = [try BlobBuilder.values([1, 2], [0, 1]), try BlobBuilder.values([1], [0])]
    let top = try runBackward(try make(), blobs, [true, false])
    #expect(near(top.data[0], -log(Float(1e-20))))
    #expect(blobs[0].diffArray[0].isFinite)
  }

  // Caffe's TestGradientCPU: (1e-2, 2e-2, 1701, 0, 0.05), bottom 0.
  @Test func gradientIsExact() throws {
    let checker = GradientChecker(stepSize: 1e-2, threshold: 2e-2, kink: 0, kinkRange: 0.05)
    let failures = try checker.checkGradientExhaustive(
      try make(), bottom: try bottoms(), top: LayerFixture.tops(1), checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func labelsMustBeOnePerSample() throws {
    let blobs = [try BlobBuilder.uniform([2, 3]), try BlobBuilder.values([2, 2], [0, 1, 0, 1])]
    #expect { try make().setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "loss", expected: [2], actual: [2, 2])
    }
  }

  @Test(arguments: [Float(3), Float(-1)])
  func labelsOutsideTheClassesAreDataErrors(_ label: Float) throws {
    let blobs = [try BlobBuilder.uniform([2, 3]), try BlobBuilder.values([2], [0, label])]
    #expect { try runLoss(try make(), blobs) } throws: { error in
      guard case CaffeError.invalidData(let layer, let reason) = error else { return false }
      return layer == "loss" && reason.contains("outside [0, 3)")
    }
  }
}

// MARK: - HingeLoss

@Suite struct HingeLossTests {
  func make(_ body: String = "") throws -> HingeLossLayer {
    try LayerFixture.make(HingeLossLayer.self, "name: \"loss\" " + body)
  }

  /// Scores (2, 3) and labels [0, 2]: margins [0.5, 0, 1.2] and [2.5, 1.1, 1.5].
  func handBottoms() throws -> [Blob] {
    [
      try BlobBuilder.values([2, 3], [0.5, -2, 0.2, 1.5, 0.1, -0.5]),
      try BlobBuilder.values([2], [0, 2]),
    ]
  }

  /// Caffe's fixture: scores (10, 5) from N(0, 10²), labels in [0, 5).
  func bottoms() throws -> [Blob] {
    [
      try BlobBuilder.gaussian([10, 5, 1, 1], std: 10),
      try BlobBuilder.labels([10, 1, 1, 1], classes: 5),
    ]
  }

  @Test(arguments: [
    ("", Float(3.4), [Float(-0.5), 0, 0.5, 0.5, 0.5, -0.5]),
    ("hinge_loss_param { norm: L1 }", Float(3.4), [Float(-0.5), 0, 0.5, 0.5, 0.5, -0.5]),
    ("hinge_loss_param { norm: L2 }", Float(5.7), [Float(-0.5), 0, 1.2, 2.5, 1.1, -1.5]),
  ])
  func lossAndGradientByHand(_ body: String, _ loss: Float, _ gradient: [Float]) throws {
    let blobs = try handBottoms()
    let top = try runBackward(try make(body), blobs, [true, false])
    #expect(near(top.data[0], loss))
    #expect(LayerFixture.maxDifference(blobs[0].diffArray, gradient) < 1e-6)
  }

  // Caffe's TestGradientL1: (1e-2, 2e-3, 1701, 1, 0.01); TestGradientL2: (1e-2, 1e-2, 1701).
  @Test(arguments: [
    ("", Float(2e-3), Float(0.01)), ("hinge_loss_param { norm: L2 }", Float(1e-2), Float(-1)),
  ])
  func gradientIsExact(_ body: String, _ threshold: Float, _ kinkRange: Float) throws {
    let checker = GradientChecker(
      stepSize: 1e-2, threshold: threshold, kink: 1, kinkRange: kinkRange)
    let failures = try checker.checkGradientExhaustive(
      try make(body), bottom: try bottoms(), top: LayerFixture.tops(1), checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func labelsCannotReceiveGradients() throws {
    #expect { try runBackward(try make(), try handBottoms(), [true, true]) } throws: {
      "\($0)".contains("cannot backpropagate to label inputs")
    }
  }

  @Test func labelsOutsideTheClassesAreDataErrors() throws {
    let blobs = [try BlobBuilder.gaussian([2, 3]), try BlobBuilder.values([2], [3, 0])]
    #expect { try runLoss(try make(), blobs) } throws: { error in
      guard case CaffeError.invalidData(let layer, _) = error else { return false }
      return layer == "loss"
    }
  }
}

// MARK: - ContrastiveLoss

@Suite struct ContrastiveLossTests {
  func make(_ body: String = "") throws -> ContrastiveLossLayer {
    try LayerFixture.make(ContrastiveLossLayer.self, "name: \"loss\" " + body)
  }

  /// Caffe's fixture, smaller: features (24, 2, 1, 1) uniform in [−1, 1), so distances lie on
  /// both sides of the margin, and similarity labels 0 or 1.
  func bottoms() throws -> [Blob] {
    [
      try BlobBuilder.uniform([24, 2, 1, 1], min: -1, max: 1, seed: 1),
      try BlobBuilder.uniform([24, 2, 1, 1], min: -1, max: 1, seed: 2),
      try BlobBuilder.labels([24, 1, 1, 1], classes: 2),
    ]
  }

  /// Caffe's test reference.
  func reference(_ blobs: [Blob], margin: Float = 1, legacy: Bool) -> Float {
    let (a, b, y) = (blobs[0].dataArray, blobs[1].dataArray, blobs[2].dataArray)
    let (num, channels) = (blobs[0].shape[0], blobs[0].shape[1])
    var loss: Float = 0
    for n in 0..<num {
      let d2 = (0..<channels).reduce(Float(0)) {
        let d = a[n * channels + $1] - b[n * channels + $1]
        return $0 + d * d
      }
      if y[n] != 0 {
        loss += d2
      } else if legacy {
        loss += max(margin - d2, 0)
      } else {
        let gap = max(margin - d2.squareRoot(), 0)
        loss += gap * gap
      }
    }
    return loss / Float(num) / 2
  }

  @Test(arguments: [false, true])
  func lossMatchesTheReference(_ legacy: Bool) throws {
    let blobs = try bottoms()
    let body = legacy ? "contrastive_loss_param { legacy_version: true }" : ""
    let (top, _) = try runLoss(try make(body), blobs)
    #expect(near(top, reference(blobs, legacy: legacy)))
    #expect(blobs[2].dataArray.contains(0) && blobs[2].dataArray.contains(1))
  }

  @Test func marginIsAParameter() throws {
    let blobs = try bottoms()
    let (top, _) = try runLoss(try make("contrastive_loss_param { margin: 2 }"), blobs)
    #expect(near(top, reference(blobs, margin: 2, legacy: false)))
  }

  @Test func gradientByHand() throws {
    let blobs = [
      try BlobBuilder.values([2, 2], [0, 0, 1, 1]),
      try BlobBuilder.values([2, 2], [0.3, 0.4, 1, 1.5]),
      try BlobBuilder.values([2], [0, 1]),
    ]
    let layer = try make()
    let top = try runBackward(layer, blobs, [true, true, false])
    #expect(near(top.data[0], (0.25 + 0.25) / 4))
    let beta: Float = -0.5 * 0.5 / (0.5 + 1e-4)
    let first: [Float] = [beta * -0.3, beta * -0.4, 0, 0.5 * -0.5]
    #expect(LayerFixture.maxDifference(blobs[0].diffArray, first) < 1e-6)
    #expect(LayerFixture.maxDifference(blobs[1].diffArray, first.map { -$0 }) < 1e-6)
    #expect(!layer.allowForceBackward(bottomIndex: 2) && layer.allowForceBackward(bottomIndex: 1))
  }

  // Caffe's TestGradient(Legacy): (1e-2, 1e-2, 1701), bottoms 0 and 1 in turn.
  @Test(arguments: [
    ("", 0), ("", 1), ("contrastive_loss_param { legacy_version: true }", 0),
    ("contrastive_loss_param { legacy_version: true }", 1),
  ])
  func gradientIsExact(_ body: String, _ bottomIndex: Int) throws {
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientExhaustive(
      try make(body), bottom: try bottoms(), top: LayerFixture.tops(1), checkBottom: bottomIndex)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func takesThreeBottoms() throws {
    let blobs = Array(try bottoms().prefix(2))
    #expect { try make().setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: { error in
      guard case CaffeError.blobCount(let layer, _, let side, _, let actual) = error else {
        return false
      }
      return layer == "loss" && side == "bottom" && actual == 2
    }
  }

  @Test(arguments: [
    ([2, 2, 2, 1], [2, 2, 1, 1], [2], 0), ([2, 2, 1, 1], [2, 3, 1, 1], [2], 1),
    ([2, 2, 1, 1], [2, 2, 1, 1], [2, 2], 2),
  ])
  func shapesMustBePairsAndOneLabel(_ a: [Int], _ b: [Int], _ y: [Int], _ wrong: Int) throws {
    let blobs = [try BlobBuilder.gaussian(a), try BlobBuilder.gaussian(b), try Blob(shape: y)]
    #expect { try make().setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: { error in
      guard case CaffeError.shapeMismatch(_, let blob, _, let actual) = error else { return false }
      return blob == "bottom[\(wrong)]" && actual == [a, b, y][wrong]
    }
  }
}
