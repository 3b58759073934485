// `caffe forward`: OpenCV's nine Caffe-made layer goldens through the built tool, and its errors.

import CaffeData
import CaffeTestSupport
import Foundation
import Testing

/// One of OpenCV's layer goldens: `layer_<name>.prototxt`, its input and weights.
struct LayerGolden: Sendable, CustomTestStringConvertible {
  let name: String
  var input = "blob.npy"
  var hasWeights = false

  var testDescription: String { name }

  static let folder = "caffe-corpus/opencv-layer-goldens/"

  /// The nine, with the inputs and weights `caffe-corpus/INDEX.md` lists for them.
  static let all = [
    LayerGolden(name: "convolution", hasWeights: true),
    LayerGolden(
      name: "deconvolution", input: "layer_deconvolution.input.npy", hasWeights: true),
    LayerGolden(name: "inner_product", hasWeights: true),
    LayerGolden(name: "lrn_channels"),
    LayerGolden(name: "lrn_spatial"),
    LayerGolden(name: "mvn"),
    LayerGolden(name: "pooling_max"),
    LayerGolden(name: "pooling_ave"),
    LayerGolden(name: "softmax"),
  ]

  static func path(_ file: String) -> String { Golden.path(folder + file) }
}

@Suite(
  "caffe forward", .serialized,
  .enabled(if: BuiltTools.isAvailable, "the built executables are not beside the test bundle"),
  .enabled(if: Golden.isAvailable, "needs ../shared"))
struct ForwardCommandTests {
  /// Runs the built `caffe forward` in a fresh folder and returns the folder and the result.
  static func forward(_ arguments: [String]) throws -> (folder: URL, result: ToolResult) {
    let folder = try Golden.temporaryDirectory()
    return (folder, try BuiltTools.run("caffe", ["forward"] + arguments, in: folder))
  }

  /// OpenCV's criterion for these goldens, made by pycaffe: mean |error| ≤ 1e-5, max ≤ 1e-4.
  @Test(arguments: LayerGolden.all)
  func layerMatchesCaffe(_ golden: LayerGolden) throws {
    var arguments = [
      "--model", LayerGolden.path("layer_\(golden.name).prototxt"),
      "--input", "input=\(LayerGolden.path(golden.input))", "--output", "output=out.npy",
    ]
    if golden.hasWeights {
      arguments += ["--weights", LayerGolden.path("layer_\(golden.name).caffemodel")]
    }
    let (folder, result) = try Self.forward(arguments)
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(result.status == 0, "\(result.lastLine)")
    let output = try NpyArray(path: folder.appendingPathComponent("out.npy").path)
    let expected = try NpyArray(path: LayerGolden.path("layer_\(golden.name).npy"))
    #expect(output.shape == expected.shape)
    try #require(output.values.count == expected.values.count)
    let errors = zip(output.values, expected.values).map { abs($0 - $1) }
    let mean = errors.reduce(0, +) / Float(max(errors.count, 1))
    #expect(mean <= 1e-5, "mean |error| \(mean)")
    #expect((errors.max() ?? 0) <= 1e-4, "max |error| \(errors.max() ?? 0)")
  }

  /// Split, Slice, in-place Sigmoid on an unused slice, Concat, Reshape and Flatten give back
  /// the input; its net-level input has no shape, so the array gives it one.
  @Test func reshapeAndSliceRoutinesAreTheIdentity() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let values = (0..<72).map { Float($0) * 0.37 - 9 }
    try NpyArray(shape: [6, 12], values: values)
      .write(to: folder.appendingPathComponent("x.npy").path)
    let result = try BuiltTools.run(
      "caffe",
      [
        "forward", "-model", LayerGolden.path("reshape_and_slice_routines.prototxt"),
        "-input", "input=x.npy", "-output", "output=y.npy",
      ], in: folder)
    #expect(result.status == 0, "\(result.lastLine)")
    let output = try NpyArray(path: folder.appendingPathComponent("y.npy").path)
    #expect(output.shape == [6, 12])
    #expect(output.values == values)
  }

  @Test func unknownInputListsTheInputBlobs() throws {
    let (folder, result) = try Self.forward([
      "--model", LayerGolden.path("layer_softmax.prototxt"),
      "--input", "data=\(LayerGolden.path("blob.npy"))", "--output", "output=out.npy",
    ])
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(result.status == 1)
    #expect(result.errorLines.count == 1)
    #expect(result.lastLine.contains("\"data\" is not an input blob of the net"))
    #expect(result.lastLine.contains("(its input blobs: input)"))
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.npy").path))
  }

  @Test func unknownOutputListsTheBlobsAndWritesNothing() throws {
    let (folder, result) = try Self.forward([
      "--model", LayerGolden.path("layer_softmax.prototxt"),
      "--input", "input=\(LayerGolden.path("blob.npy"))",
      "--output", "output=out.npy", "--output", "prob=prob.npy",
    ])
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(result.status == 1)
    #expect(result.lastLine.contains("the net has no blob \"prob\" (its blobs: input, output)"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  @Test func badArgumentsAreOneErrorLine() throws {
    let model = LayerGolden.path("layer_softmax.prototxt")
    let input = "input=\(LayerGolden.path("blob.npy"))"
    let cases: [([String], String)] = [
      (["--input", input, "--output", "output=o.npy"], "--model"),
      (["--model", model, "--input", input], "--output"),
      (["--model", model, "--input", "blob.npy", "--output", "output=o.npy"], "name=file.npy"),
      (["--model", model, "--input", input, "--output", "output="], "name=file.npy"),
      (["--model", model, "--input", "input=missing.npy", "--output", "o=o.npy"], "missing.npy"),
      (["--model", model, "--phase", "VAL", "--output", "o=o.npy"], "phase"),
      (
        [
          "--model", LayerGolden.path("reshape_and_slice_routines.prototxt"), "--output",
          "output=o.npy",
        ], "give it with --input input=file.npy"
      ),
    ]
    for (arguments, words) in cases {
      let (folder, result) = try Self.forward(arguments)
      defer { try? FileManager.default.removeItem(at: folder) }
      #expect(result.status == 1, "\(arguments)")
      #expect(result.exited)
      #expect(result.errorLines.count == 1, "\(arguments)")
      #expect(result.lastLine.contains(words), "\(arguments): \(result.lastLine)")
    }
  }
}
