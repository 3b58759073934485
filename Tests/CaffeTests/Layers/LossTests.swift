// SoftmaxWithLoss layer: the loss by hand and by reference, normalisation modes, ignore_label,
// gradients, label errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct SoftmaxWithLossTests {
  func makeLoss(_ body: String = "") throws -> SoftmaxWithLossLayer {
    try LayerFixture.make(SoftmaxWithLossLayer.self, "name: \"loss\" " + body)
  }

  /// Scores (N=2, C=3, H=2, W=1) and labels (N, 1, 2, 1); label 2 marks one ignorable position.
  func bottoms() throws -> [Blob] {
    [
      try BlobBuilder.gaussian([2, 3, 2, 1]),
      try BlobBuilder.values([2, 1, 2, 1], [0, 2, 1, 2]),
    ]
  }

  /// −log softmax(scores)[label] for each (sample, position), from the naive softmax.
  func negativeLogLikelihoods(_ scores: Blob, _ labels: [Float]) -> [Float] {
    let prob = NaiveKernels.softmax(scores.dataArray, outer: 2, channels: 3, inner: 2)
    return labels.enumerated().map { index, label in
      let (n, position) = (index / 2, index % 2)
      return -log(prob[(n * 3 + Int(label)) * 2 + position])
    }
  }

  @Test func setUpMakesAScalarLossWithWeightOne() throws {
    let layer = try makeLoss()
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: try bottoms(), top: tops)
    #expect(tops[0].shape == [])
    #expect(tops[1].shape == [2, 3, 2, 1])
    #expect(layer.lossWeights == [1, 0])
    #expect(layer.allowForceBackward(bottomIndex: 1) == false)
  }

  @Test(arguments: [
    ("", Float(4)),
    ("loss_param { normalization: FULL }", Float(4)),
    ("loss_param { normalization: VALID }", Float(4)),
    ("loss_param { normalization: BATCH_SIZE }", Float(2)),
    ("loss_param { normalization: NONE }", Float(1)),
    ("loss_param { normalize: false }", Float(2)),
    ("loss_param { normalize: true }", Float(4)),
    ("loss_param { ignore_label: 2 }", Float(2)),
    ("loss_param { ignore_label: 2 normalization: FULL }", Float(4)),
    ("loss_param { ignore_label: 2 normalization: BATCH_SIZE }", Float(2)),
  ])
  func lossIsTheNormalisedNegativeLogLikelihood(_ body: String, _ normalizer: Float) throws {
    let layer = try makeLoss(body)
    let blobs = try bottoms()
    let top = Blob()
    try layer.setUp(bottom: blobs, top: [top])
    let loss = try layer.forward(bottom: blobs, top: [top])
    let terms = negativeLogLikelihoods(blobs[0], blobs[1].dataArray)
    let kept = body.contains("ignore_label") ? [terms[0], terms[2]] : terms
    let expected = kept.reduce(0, +) / normalizer
    #expect(abs(top.dataArray[0] - expected) < 1e-5)
    #expect(abs(loss - expected) < 1e-5)
  }

  @Test func probabilitiesTopHoldsTheSoftmax() throws {
    let layer = try makeLoss()
    let blobs = try bottoms()
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: blobs, top: tops)
    try layer.forward(bottom: blobs, top: tops)
    let expected = NaiveKernels.softmax(blobs[0].dataArray, outer: 2, channels: 3, inner: 2)
    #expect(LayerFixture.maxDifference(tops[1].dataArray, expected) < 1e-6)
  }

  @Test func backwardIsProbabilityMinusOneHot() throws {
    let layer = try makeLoss("loss_weight: 3 loss_param { ignore_label: 2 }")
    let blobs = try bottoms()
    let top = Blob()
    try layer.setUp(bottom: blobs, top: [top])
    try layer.forward(bottom: blobs, top: [top])
    try layer.backward(top: [top], propagateDown: [true, false], bottom: blobs)
    var expected = NaiveKernels.softmax(blobs[0].dataArray, outer: 2, channels: 3, inner: 2)
    for (index, label) in blobs[1].dataArray.enumerated() {
      let (n, position) = (index / 2, index % 2)
      for c in 0..<3 {
        let at = (n * 3 + c) * 2 + position
        expected[at] = label == 2 ? 0 : (expected[at] - (c == Int(label) ? 1 : 0)) * 3 / 2
      }
    }
    #expect(LayerFixture.maxDifference(blobs[0].diffArray, expected) < 1e-6)
  }

  // Caffe's test_softmax_with_loss_layer: GradientChecker(1e-2, 1e-2, 1701), bottom 0 only.
  @Test(arguments: ["", "loss_param { ignore_label: 2 }", "loss_param { normalize: false }"])
  func gradientIsExact(_ body: String) throws {
    let layer = try makeLoss(body)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2, seed: 1701)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: try bottoms(), top: LayerFixture.tops(1), checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func labelsCannotReceiveGradients() throws {
    let layer = try makeLoss()
    let blobs = try bottoms()
    let top = Blob()
    try layer.setUp(bottom: blobs, top: [top])
    try layer.forward(bottom: blobs, top: [top])
    #expect {
      try layer.backward(top: [top], propagateDown: [true, true], bottom: blobs)
    } throws: { "\($0)".contains("label") }
  }

  @Test(arguments: [Float(3), Float(-1), Float.nan])
  func labelsOutsideTheClassesAreDataErrors(_ label: Float) throws {
    let layer = try LayerFixture.make(
      SoftmaxWithLossLayer.self, "name: \"loss\" bottom: \"score\" bottom: \"label\"")
    let blobs = [try BlobBuilder.gaussian([2, 3]), try BlobBuilder.values([2], [0, label])]
    let top = Blob()
    try layer.setUp(bottom: blobs, top: [top])
    #expect { try layer.forward(bottom: blobs, top: [top]) } throws: { error in
      guard case CaffeError.invalidData(let layer, let reason) = error else { return false }
      return layer == "loss" && reason.contains("\"label\"")
        && (label.isNaN || (reason.contains("label \(Int(label))") && reason.contains("sample 1")))
    }
  }

  @Test func labelCountMustMatchThePredictions() throws {
    let layer = try makeLoss()
    let blobs = [try BlobBuilder.gaussian([2, 3, 2, 1]), try BlobBuilder.values([2], [0, 1])]
    #expect { try layer.setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: { error in
      "\(error)".contains("Number of labels must match number of predictions")
        && "\(error)".contains("loss")
    }
  }

  @Test func firstDimensionsMustMatch() throws {
    let layer = try makeLoss()
    let blobs = [try BlobBuilder.gaussian([2, 3]), try BlobBuilder.values([1, 2], [0, 1])]
    #expect { try layer.setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: { error in
      "\(error)".contains("The data and label should have the same first dimension")
    }
  }
}
