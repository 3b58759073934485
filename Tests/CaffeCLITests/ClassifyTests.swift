// classify: pycaffe's crop geometry (centre crop, ten crops), resizing, and LeNet on MNIST digits
// written as PNG files, with Caffe's trained weights.

import CaffeCLI
import CaffeData
import CaffeSupport
import CaffeTestSupport
import CaffeTools
import Foundation
import Testing

@Suite("classify crops")
struct ClassifyCropTests {
  /// caffe.io.oversample on a 256 × 256 image with 227 × 227 crops: corners at 0 and 29, the
  /// centre at ⌊128 − 113.5⌋ = 14, then the same five mirrored.
  @Test func tenCropsOfCaffeNet() {
    let windows = CropWindow.oversample(imageHeight: 256, imageWidth: 256, height: 227, width: 227)
    #expect(windows.count == 10)
    let corners = windows.prefix(5).map { [$0.top, $0.left] }
    #expect(corners == [[0, 0], [0, 29], [29, 0], [29, 29], [14, 14]])
    #expect(windows.prefix(5).allSatisfy { !$0.mirrored && $0.height == 227 && $0.width == 227 })
    #expect(windows.suffix(5).allSatisfy { $0.mirrored })
    #expect(windows.suffix(5).map { [$0.top, $0.left] } == corners)
  }

  /// Uneven sizes: pycaffe truncates S/2 − C/2 toward zero.
  @Test(arguments: [
    (256, 256, 227, 227, 14, 14), (255, 300, 224, 224, 15, 38), (28, 28, 28, 28, 0, 0),
    (32, 30, 28, 28, 2, 1),
  ])
  func centreCrop(
    imageHeight: Int, imageWidth: Int, height: Int, width: Int, top: Int, left: Int
  ) {
    let window = CropWindow.center(
      imageHeight: imageHeight, imageWidth: imageWidth, height: height, width: width)
    #expect(window == CropWindow(top: top, left: left, height: height, width: width))
  }

  @Test func cropsCutAndMirrorPixels() throws {
    // 2 × 3 image, 1 channel: rows [0 1 2] [3 4 5].
    let image = try FloatImage(height: 2, width: 3, channels: 1, values: [0, 1, 2, 3, 4, 5])
    let crop = try image.cropped(CropWindow(top: 0, left: 1, height: 2, width: 2))
    #expect(crop.values == [1, 2, 4, 5])
    let mirrored = try image.cropped(
      CropWindow(top: 1, left: 0, height: 1, width: 3, mirrored: true))
    #expect(mirrored.values == [5, 4, 3])
    #expect(throws: CaffeError.self) {
      try image.cropped(CropWindow(top: 1, left: 1, height: 2, width: 2))
    }
  }

  @Test func bilinearResizeKeepsConstantsAndInterpolates() throws {
    let flat = try FloatImage(
      height: 2, width: 2, channels: 3, values: .init(repeating: 0.5, count: 12))
    #expect(try flat.resized(height: 5, width: 7).values.allSatisfy { abs($0 - 0.5) < 1e-6 })
    // 1 × 2 → 1 × 4: source positions −0.25, 0.25, 0.75, 1.25 clamp to 0, 0.25, 0.75, 1.
    let ramp = try FloatImage(height: 1, width: 2, channels: 1, values: [0, 1])
    #expect(try ramp.resized(height: 1, width: 4).values == [0, 0.25, 0.75, 1])
  }
}

@Suite("classify LeNet", .serialized, .enabled(if: Golden.isAvailable, "needs ../shared"))
struct ClassifyLeNetTests {
  static let deploy = Golden.path("caffe-corpus/prototxt/bvlc--ex-mnist--lenet.prototxt")
  static let weights = Golden.path("golden/lenet_iter_10000.caffemodel")
  /// LeNet's preprocessing: 0…1 images × 255, then × 1/256 as its transform_param scales.
  static let lenet = [
    "--model_def", deploy, "--pretrained_model", weights, "--raw_scale", "255",
    "--input_scale", "0.00390625",
  ]

  /// MNIST test digits 0, 1 and 2 (a 7, a 2 and a 1) as PNG files in a folder: each is
  /// classified as its label, with probability near 1, and the predictions are saved as .npy.
  @Test func digitsAreClassifiedAsTheirLabels() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let labels = try (0..<3).map { try mnistDigitPNG(in: folder, index: $0).label }
    #expect(labels == [7, 2, 1])
    let output = folder.appendingPathComponent("predictions.npy").path
    let (status, error) = runInProcess(
      ClassifyCommand.self,
      [folder.path, output, "--ext", "png", "--images_dim", "28,28", "--center_only"]
        + Self.lenet)
    #expect(status == 0, "\(error)")
    let predictions = try NpyArray(path: output)
    #expect(predictions.shape == [3, 10])
    for (row, label) in labels.enumerated() {
      let scores = Array(predictions.values[row * 10..<(row + 1) * 10])
      let best = scores.indices.max { scores[$0] < scores[$1] }
      #expect(best == Int(label))
      #expect(scores[Int(label)] > 0.99)
      #expect(abs(scores.reduce(0, +) - 1) < 1e-4)
    }
  }

  /// Ten crops of a 32 × 32 resize: the probabilities still sum to 1 (the mean of ten
  /// softmaxes), and with labels the top class is printed by name.
  @Test func oversampledPredictionIsAnAverageOfTenCrops() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let digit = try mnistDigitPNG(in: folder)
    let labelsFile = folder.appendingPathComponent("labels.txt")
    try Data((0..<10).map { "digit \($0)\n" }.joined().utf8).write(to: labelsFile)
    let output = folder.appendingPathComponent("p.npy").path
    let (status, error) = runInProcess(
      ClassifyCommand.self,
      [digit.path, output, "--images_dim", "32,32", "--labels_file", labelsFile.path] + Self.lenet)
    #expect(status == 0, "\(error)")
    let scores = try NpyArray(path: output).values
    #expect(scores.count == 10)
    #expect(abs(scores.reduce(0, +) - 1) < 1e-4)
  }

  @Test(arguments: [
    (["--images_dim", "20,20"], "smaller than the net input 28 × 28"),
    (["--images_dim", "abc"], "--images_dim abc"),
    (["--channel_swap", "2,1,0"], "channelSwap"),
    (["--labels_file", "/no/such/labels.txt"], "/no/such/labels.txt"),
  ])
  func badSettingsGiveOneErrorLine(extra: [String], expected: String) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let digit = try mnistDigitPNG(in: folder)
    let (status, error) = runInProcess(ClassifyCommand.self, [digit.path] + Self.lenet + extra)
    #expect(status == 1)
    #expect(error.hasPrefix("error: ") && error.contains(expected), "\(error)")
  }
}
