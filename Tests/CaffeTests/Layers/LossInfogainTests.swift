// InfogainLoss layer: loss and probabilities against a naive reference, H from a bottom or a
// binaryproto file, ignore_label, gradients, parameter and shape errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct InfogainLossTests {
  func make(_ body: String = "infogain_loss_param { axis: 2 }") throws -> InfogainLossLayer {
    try LayerFixture.make(InfogainLossLayer.self, "name: \"loss\" " + body)
  }

  /// Caffe's fixture: scores (4, 2, 5, 2) uniform in [−0.5, 2) with the classes on axis 2
  /// (outer 8, inner 2), labels (4, 2, 1, 2) in [0, 5) and H (1, 1, 5, 5) uniform in [0.1, 2).
  func bottoms() throws -> [Blob] {
    [
      try BlobBuilder.uniform([4, 2, 5, 2], min: -0.5, max: 2),
      try BlobBuilder.labels([4, 2, 1, 2], classes: 5),
      try BlobBuilder.uniform([1, 1, 5, 5], min: 0.1, max: 2, seed: 4),
    ]
  }

  /// −Σ_positions Σ_k H[label, k] · log p_k, and the positions counted; labels equal to
  /// `ignore` are skipped.
  func reference(_ blobs: [Blob], ignore: Int? = nil) -> (loss: Float, valid: Int) {
    let prob = NaiveKernels.softmax(blobs[0].dataArray, outer: 8, channels: 5, inner: 2)
    let (labels, h) = (blobs[1].dataArray, blobs[2].dataArray)
    var loss: Float = 0
    var valid = 0
    for (index, label) in labels.enumerated() where Int(label) != ignore {
      let (outer, position) = (index / 2, index % 2)
      for k in 0..<5 {
        loss -= h[Int(label) * 5 + k] * log(max(prob[(outer * 5 + k) * 2 + position], 1e-20))
      }
      valid += 1
    }
    return (loss, valid)
  }

  @Test func lossAndProbabilitiesMatchTheReference() throws {
    let blobs = try bottoms()
    let layer = try make("infogain_loss_param { axis: 2 } loss_weight: 1 loss_weight: 0")
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: blobs, top: tops)
    let loss = try layer.forward(bottom: blobs, top: tops)
    #expect(tops[1].shape == [4, 2, 5, 2])
    let prob = NaiveKernels.softmax(blobs[0].dataArray, outer: 8, channels: 5, inner: 2)
    #expect(LayerFixture.maxDifference(tops[1].dataArray, prob) < 1e-6)
    let expected = reference(blobs).loss / 16
    #expect(abs(tops[0].data[0] - expected) < 1e-5 * max(1, abs(expected)))
    #expect(loss == tops[0].data[0])
  }

  @Test func matrixCanComeFromABinaryprotoFile() throws {
    let blobs = try bottoms()
    let folder = try Golden.temporaryDirectory()
    let path = folder.appendingPathComponent("H.binaryproto").path
    try BinaryProto.write(blobs[2].toProto(), path: path)
    let fromFile = try make("infogain_loss_param { axis: 2 source: \"\(path)\" }")
    let fromBottom = try make()
    let (top, bottomTop) = (Blob(), Blob())
    try fromFile.setUp(bottom: Array(blobs.prefix(2)), top: [top])
    try fromFile.forward(bottom: Array(blobs.prefix(2)), top: [top])
    try fromBottom.setUp(bottom: blobs, top: [bottomTop])
    try fromBottom.forward(bottom: blobs, top: [bottomTop])
    #expect(top.dataArray == bottomTop.dataArray)
  }

  @Test func identityMatrixGivesSoftmaxWithLoss() throws {
    let scores = try BlobBuilder.gaussian([3, 4])
    let labels = try BlobBuilder.values([3], [0, 3, 1])
    var identity = [Float](repeating: 0, count: 16)
    for k in 0..<4 { identity[k * 5] = 1 }
    let h = try BlobBuilder.values([4, 4], identity)
    let infogain = try make("")
    let softmax = try LayerFixture.make(SoftmaxWithLossLayer.self)
    let (top, softmaxTop) = (Blob(), Blob())
    try infogain.setUp(bottom: [scores, labels, h], top: [top])
    try infogain.forward(bottom: [scores, labels, h], top: [top])
    try infogain.backward(
      top: [top], propagateDown: [true, false, false], bottom: [scores, labels, h])
    let infogainDiff = scores.diffArray
    try softmax.setUp(bottom: [scores, labels], top: [softmaxTop])
    try softmax.forward(bottom: [scores, labels], top: [softmaxTop])
    try softmax.backward(
      top: [softmaxTop], propagateDown: [true, false], bottom: [scores, labels])
    #expect(abs(top.data[0] - softmaxTop.data[0]) < 1e-6)
    #expect(LayerFixture.maxDifference(infogainDiff, scores.diffArray) < 1e-6)
  }

  @Test func ignoredLabelsAddNoLossAndNoGradient() throws {
    let blobs = try bottoms()
    let ignore = Int(blobs[1].data[0])
    let layer = try make("infogain_loss_param { axis: 2 } loss_param { ignore_label: \(ignore) }")
    let top = Blob()
    try layer.setUp(bottom: blobs, top: [top])
    try layer.forward(bottom: blobs, top: [top])
    let (loss, valid) = reference(blobs, ignore: ignore)
    #expect(valid < 16)
    #expect(abs(top.data[0] - loss / Float(valid)) < 1e-5 * max(1, abs(top.data[0])))
    try layer.backward(top: [top], propagateDown: [true, false, false], bottom: blobs)
    // Position 0 of sample 0: elements (0, k, 0) for k in 0..<5, at k · 2.
    #expect((0..<5).allSatisfy { blobs[0].diff[$0 * 2] == 0 })
  }

  @Test(arguments: [
    ("loss_param { normalization: FULL }", Float(16)),
    ("loss_param { normalization: BATCH_SIZE }", Float(8)),
    ("loss_param { normalization: NONE }", Float(1)),
  ])
  func normalizationDividesTheLoss(_ body: String, _ normalizer: Float) throws {
    let blobs = try bottoms()
    let layer = try make("infogain_loss_param { axis: 2 } " + body)
    let top = Blob()
    try layer.setUp(bottom: blobs, top: [top])
    try layer.forward(bottom: blobs, top: [top])
    let expected = reference(blobs).loss / normalizer
    #expect(abs(top.data[0] - expected) < 1e-5 * max(1, abs(expected)))
  }

  // Caffe's TestGradient: (1e-4, 2e-2, 1701), bottom 0, no probability top.
  @Test func gradientIsExact() throws {
    let checker = GradientChecker(stepSize: 1e-4, threshold: 2e-2)
    let failures = try checker.checkGradientExhaustive(
      try make(), bottom: try bottoms(), top: LayerFixture.tops(1), checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test func labelsAndMatrixCannotReceiveGradients() throws {
    let blobs = try bottoms()
    let layer = try make()
    let top = Blob()
    try layer.setUp(bottom: blobs, top: [top])
    try layer.forward(bottom: blobs, top: [top])
    #expect {
      try layer.backward(top: [top], propagateDown: [true, true, false], bottom: blobs)
    } throws: { "\($0)".contains("label inputs") }
    #expect {
      try layer.backward(top: [top], propagateDown: [true, false, true], bottom: blobs)
    } throws: { "\($0)".contains("infogain inputs") }
    #expect(!layer.allowForceBackward(bottomIndex: 2))
  }

  @Test func deprecatedNormalizeIsRefused() throws {
    #expect { try make("loss_param { normalize: true }") } throws: {
      LayerFixture.isInvalid($0, layer: "loss", field: "loss_param.normalize")
    }
  }

  @Test func matrixNeedsASourceOrABottom() throws {
    let blobs = Array(try bottoms().prefix(2))
    #expect { try make().setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isInvalid($0, layer: "loss", field: "infogain_loss_param.source")
    }
  }

  @Test func missingSourceFileIsAnError() throws {
    let blobs = Array(try bottoms().prefix(2))
    let layer = try make("infogain_loss_param { axis: 2 source: \"/nonexistent/H.binaryproto\" }")
    #expect { try layer.setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: {
      "\($0)".contains("/nonexistent/H.binaryproto")
    }
  }

  @Test func matrixMustBeClassesByClasses() throws {
    var blobs = try bottoms()
    blobs[2] = try BlobBuilder.uniform([4, 4])
    #expect { try make().setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "loss", expected: [5, 5], actual: [4, 4])
    }
  }

  @Test func labelCountMustMatchThePredictions() throws {
    var blobs = try bottoms()
    blobs[1] = try BlobBuilder.labels([4, 2], classes: 5)
    #expect { try make().setUp(bottom: blobs, top: LayerFixture.tops(1)) } throws: {
      "\($0)".contains("Number of labels must match number of predictions")
    }
  }

  @Test func axisMustBeInRange() throws {
    #expect {
      try make("infogain_loss_param { axis: 4 }").setUp(
        bottom: try bottoms(), top: LayerFixture.tops(1))
    } throws: { LayerFixture.isInvalid($0, layer: "loss", field: "axis") }
  }
}
