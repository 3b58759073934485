// Single layers against Caffe's own outputs (OpenCV's layer goldens), and the helpers the layer
// tests share.

import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

/// Helpers shared by the layer test suites.
enum LayerFixture {
  /// A layer definition from prototxt text, named "layer" unless the text names it.
  static func param(_ text: String) throws -> LayerParameter {
    var param = try Prototxt.decode(LayerParameter.self, text: text, file: "<layer>")
    if param.name.isEmpty { param.name = "layer" }
    return param
  }

  /// A layer of class `type` from the body of its definition.
  static func make<L: Layer>(_ type: L.Type, _ text: String = "") throws -> L {
    var definition = try param(text)
    definition.type = L.type
    return try L(definition)
  }

  /// Fresh, empty top blobs.
  static func tops(_ count: Int) -> [Blob] { (0..<count).map { _ in Blob() } }

  /// The largest absolute difference between two arrays (infinity if their sizes differ).
  static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }

  /// Whether `error` is `CaffeError.invalidParameter` for `layer` and `field`, with a message
  /// that names both.
  static func isInvalid(_ error: any Error, layer: String = "layer", field: String) -> Bool {
    guard case CaffeError.invalidParameter(let errorLayer, _, let errorField, _) = error else {
      return false
    }
    let text = "\(error)"
    return errorLayer == layer && errorField == field && text.contains(layer)
      && text.contains(field)
  }

  /// Whether `error` is `CaffeError.shapeMismatch` for `layer`, with these shapes.
  static func isShapeMismatch(
    _ error: any Error, layer: String = "layer", expected: [Int], actual: [Int]
  ) -> Bool {
    guard case CaffeError.shapeMismatch(let errorLayer, _, let e, let a) = error else {
      return false
    }
    return errorLayer == layer && e == expected && a == actual
  }
}

@Suite(.enabled(if: Golden.isAvailable)) struct LayerGoldenTests {
  /// Runs the one layer of OpenCV's `layer_<name>.prototxt` (with its `.caffemodel` weights, when
  /// there are any) on `input` and compares with `<name>.npy`, using OpenCV's criterion: mean
  /// |error| ≤ 1e-5 and max |error| ≤ 1e-4.
  func check(_ name: String, input: String = "blob.npy", hasWeights: Bool = false) throws {
    let folder = "caffe-corpus/opencv-layer-goldens/"
    let net = try ProtoUpgrade.readNetText(path: Golden.path(folder + "layer_\(name).prototxt"))
    var definition = try #require(net.layer.first { $0.type != "Input" })
    if hasWeights {
      let weights = try BinaryProto.read(
        NetParameter.self, path: Golden.path(folder + "layer_\(name).caffemodel"))
      let trained = try #require(weights.layer.first { $0.name == definition.name })
      definition.blobs = trained.blobs
    }
    let layer = try LayerRegistry.makeLayer(definition)
    let inputArray = try NpyArray(path: Golden.path(folder + input))
    let expected = try NpyArray(path: Golden.path(folder + "layer_\(name).npy"))
    let bottom = try BlobBuilder.values(inputArray.shape, inputArray.values)
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.shape == expected.shape)
    let errors = zip(top.dataArray, expected.values).map { abs($0 - $1) }
    let mean = errors.reduce(0, +) / Float(max(errors.count, 1))
    #expect(mean <= 1e-5, "mean |error| \(mean)")
    #expect((errors.max() ?? 0) <= 1e-4, "max |error| \(errors.max() ?? 0)")
  }

  @Test func convolutionMatchesCaffe() throws { try check("convolution", hasWeights: true) }

  @Test func deconvolutionMatchesCaffe() throws {
    try check("deconvolution", input: "layer_deconvolution.input.npy", hasWeights: true)
  }

  @Test func innerProductMatchesCaffe() throws { try check("inner_product", hasWeights: true) }

  @Test func maxPoolingMatchesCaffe() throws { try check("pooling_max") }

  @Test func averagePoolingMatchesCaffe() throws { try check("pooling_ave") }

  @Test func softmaxMatchesCaffe() throws { try check("softmax") }
}
