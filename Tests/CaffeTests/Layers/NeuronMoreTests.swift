// BNLL, ELU, Swish, Clip and Threshold: the cases the shared neuron table does not cover
// (extreme inputs, parameter errors, the missing backward of Threshold).

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct NeuronMoreTests {
  func makeLayer(_ definition: String) throws -> Layer {
    try LayerRegistry.makeLayer(try LayerFixture.param("name: \"neuron\" " + definition))
  }

  /// Runs forward (and, given `topDiff`, backward) on `values` and returns top data and bottom
  /// diff.
  func run(_ definition: String, _ values: [Float], topDiff: [Float]? = nil) throws
    -> (top: [Float], bottomDiff: [Float])
  {
    let layer = try makeLayer(definition)
    let bottom = try BlobBuilder.values([values.count], values)
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    if let topDiff {
      try top.setDiff(topDiff)
      try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    }
    return (top.dataArray, bottom.diffArray)
  }

  @Test func bnllStaysFiniteForLargeInputs() throws {
    let (top, diff) = try run("type: \"BNLL\"", [-100, -1, 0, 1, 100], topDiff: [1, 1, 1, 1, 1])
    let expected: [Float] = [0, log(1 + exp(-1)), log(2), 1 + log(1 + exp(-1)), 100]
    #expect(LayerFixture.maxDifference(top, expected) < 1e-6)
    let sigmoid: [Float] = [0, 1 / (1 + exp(1)), 0.5, 1 / (1 + exp(-1)), 1]
    #expect(LayerFixture.maxDifference(diff, sigmoid) < 1e-6)
    #expect(top.allSatisfy(\.isFinite) && diff.allSatisfy(\.isFinite))
  }

  @Test func bnllIsAtLeastReLU() throws {
    let bottom = try BlobBuilder.gaussian()
    let (top, _) = try run("type: \"BNLL\"", bottom.dataArray)
    for (x, y) in zip(bottom.dataArray, top) { #expect(y >= 0 && y >= x) }
  }

  @Test func eluBackwardUsesTheOutputOnTheNegativeSide() throws {
    let (top, diff) = try run(
      "type: \"ELU\" elu_param { alpha: 2 }", [-1, 0, 3], topDiff: [10, 10, 10])
    let negative = 2 * (exp(Float(-1)) - 1)
    #expect(LayerFixture.maxDifference(top, [negative, 0, 3]) < 1e-6)
    #expect(LayerFixture.maxDifference(diff, [10 * (negative + 2), 20, 10]) < 1e-5)
  }

  @Test func eluDefaultsToAlphaOne() throws {
    let (top, _) = try run("type: \"ELU\"", [-2])
    #expect(abs(top[0] - (exp(Float(-2)) - 1)) < 1e-6)
  }

  @Test func swishDefaultsToBetaOne() throws {
    let (top, diff) = try run("type: \"Swish\"", [0, 2], topDiff: [1, 1])
    let s = 1 / (1 + exp(Float(-2)))
    #expect(LayerFixture.maxDifference(top, [0, 2 * s]) < 1e-6)
    #expect(LayerFixture.maxDifference(diff, [0.5, s + 2 * s * (1 - s)]) < 1e-6)
  }

  @Test func clipPassesGradientsOnlyInsideTheRange() throws {
    let (top, diff) = try run(
      "type: \"Clip\" clip_param { min: -1 max: 2 }", [-3, -1, 0.5, 2, 5],
      topDiff: [1, 2, 3, 4, 5])
    #expect(top == [-1, -1, 0.5, 2, 2])
    #expect(diff == [0, 2, 3, 4, 0])
  }

  @Test func clipInPlaceKeepsTheInputForBackward() throws {
    let layer = try makeLayer("type: \"Clip\" clip_param { min: -1 max: 2 }")
    let blob = try BlobBuilder.values([3], [-3, 0.5, 5])
    try layer.setUp(bottom: [blob], top: [blob])
    try layer.forward(bottom: [blob], top: [blob])
    #expect(blob.dataArray == [-1, 0.5, 2])
    try blob.setDiff([1, 1, 1])
    try layer.backward(top: [blob], propagateDown: [true], bottom: [blob])
    #expect(blob.diffArray == [0, 1, 0])
  }

  // Built in code: prototxt that lacks a required field does not even parse.
  @Test(arguments: [
    (Float?.none, Float?.some(2), "clip_param.min"),
    (Float?.some(2), Float?.none, "clip_param.max"),
    (Float?.some(3), Float?.some(2), "clip_param.min"),
  ])
  func clipNeedsAnOrderedRange(_ min: Float?, _ max: Float?, _ field: String) throws {
    var param = try LayerFixture.param("name: \"neuron\" type: \"Clip\"")
    if let min { param.clipParam.min = min }
    if let max { param.clipParam.max = max }
    #expect { try LayerRegistry.makeLayer(param) } throws: {
      LayerFixture.isInvalid($0, layer: "neuron", field: field)
    }
  }

  @Test func clipWithoutParametersIsRejected() throws {
    #expect { try makeLayer("type: \"Clip\"") } throws: {
      LayerFixture.isInvalid($0, layer: "neuron", field: "clip_param.min")
    }
  }

  @Test(arguments: [(Float(0), [Float(0), 0, 1, 1]), (Float(0.5), [0, 0, 0, 1])])
  func thresholdIsAStep(_ threshold: Float, _ expected: [Float]) throws {
    let definition =
      threshold == 0
      ? "type: \"Threshold\"" : "type: \"Threshold\" threshold_param { threshold: \(threshold) }"
    let (top, _) = try run(definition, [-1, 0, 0.5, 0.6])
    #expect(top == expected)
  }

  @Test func thresholdRunsInPlace() throws {
    let layer = try makeLayer("type: \"Threshold\" threshold_param { threshold: 0.1 }")
    let blob = try BlobBuilder.gaussian()
    let expected = blob.dataArray.map { $0 > 0.1 ? Float(1) : 0 }
    try layer.setUp(bottom: [blob], top: [blob])
    try layer.forward(bottom: [blob], top: [blob])
    #expect(blob.dataArray == expected)
  }

  @Test func thresholdHasNoBackward() throws {
    let layer = try makeLayer("type: \"Threshold\"")
    let bottom = try BlobBuilder.gaussian()
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    try layer.backward(top: [top], propagateDown: [false], bottom: [bottom])
    #expect { try layer.backward(top: [top], propagateDown: [true], bottom: [bottom]) } throws: {
      "\($0)".contains("\"neuron\" (Threshold) has no backward")
    }
  }
}
