// `classify`: top-k classes of images from a deploy net, as Caffe's python/classify.py.

import ArgumentParser
import Caffe
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTools
import Foundation

/// `classify INPUT [OUTPUT.npy] --model_def M --pretrained_model W [--center_only]
/// [--images_dim 256,256] [--mean_file F] [--raw_scale 255] [--channel_swap 2,1,0]
/// [--input_scale s] [--ext jpg] [--labels_file F] [--top_k 5]`, as Caffe's
/// `python/classify.py` with the printout of Caffe's `cpp_classification`.
///
/// INPUT is an image (JPEG or PNG), a folder (its `*.<ext>` files, in name order) or a `.npy`
/// array of images (N, H, W, K) in 0…1. Images are read as pycaffe's `load_image` reads them
/// (RGB, or one gray channel when the net input has one channel, scaled to 0…1) and classified
/// by ``ImageClassifier``: resized to `--images_dim`, then ten crops (or the centre crop with
/// `--center_only`) preprocessed in pycaffe's order: channel swap, × raw scale, − mean,
/// × input scale. For each image the `--top_k` classes are printed as
/// `0.9876 - "label"` (a line of `--labels_file`, or the class index); with OUTPUT the
/// predictions (N, K) are also saved as `.npy`.
///
/// `--channel_swap` defaults to `2,1,0` (RGB → BGR) for 3-channel nets and to none otherwise.
/// A mean image whose H × W differs from the net input's is reduced to one value per channel,
/// as Caffe's `cpp_classification` does.
public struct ClassifyCommand: ParsableCommand {
  /// The tool's name, usage and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "classify", abstract: "Classify images with a trained deploy net.")

  @Argument(help: "Input image, folder of images, or .npy array of images (N, H, W, K).")
  var inputFile: String

  @Argument(help: "Optional .npy file for the predictions (N, K).")
  var outputFile: String?

  @Option(name: .customLong("model_def"), help: "Model definition file (deploy prototxt).")
  var modelDef = ""

  @Option(name: .customLong("pretrained_model"), help: "Trained model weights file.")
  var pretrainedModel = ""

  @Flag(name: .customLong("gpu"), help: "Accepted for compatibility; this build is CPU-only.")
  var gpu = false

  @Flag(
    name: .customLong("center_only"),
    help: "Predict from the centre crop alone instead of averaging ten crops.")
  var centerOnly = false

  @Option(name: .customLong("images_dim"), help: "'height,width' images are resized to.")
  var imagesDim = "256,256"

  @Option(
    name: .customLong("mean_file"),
    help: "Mean (.binaryproto or .npy, (C, H, W) or (C)); empty for no mean subtraction.")
  var meanFile = ""

  @Option(name: .customLong("input_scale"), help: "Multiply input by this after the mean.")
  var inputScale: Float?

  @Option(name: .customLong("raw_scale"), help: "Multiply raw (0…1) input by this first.")
  var rawScale: Float = 255

  @Option(
    name: .customLong("channel_swap"),
    help: "Order to permute input channels (default 2,1,0 for colour nets: RGB -> BGR).")
  var channelSwap: String?

  @Option(name: .customLong("ext"), help: "Image file extension to read from a folder.")
  var ext = "jpg"

  @Option(name: .customLong("labels_file"), help: "Class names, one per line, in class order.")
  var labelsFile = ""

  @Option(name: .customLong("top_k"), help: "How many classes to print per image.")
  var topK = 5

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Checks the flags that need no file.
  /// - Throws: `ValidationError` saying which flag is missing or malformed.
  public func validate() throws {
    try require(modelDef, "Need a model definition (--model_def).")
    try require(pretrainedModel, "Need trained weights (--pretrained_model).")
    _ = try imageDimensions()
    _ = try swapOrder()
    guard topK > 0 else { throw ValidationError("--top_k \(topK): must be at least 1") }
  }

  /// Classifies every input and prints the top classes of each.
  /// - Throws: `CaffeError` for unreadable files, a net that cannot classify, or a labels file
  ///   whose line count differs from the number of classes.
  public func run() throws {
    if gpu { Log.warning("This build is CPU-only: ignoring --gpu.") }
    print("CPU mode")
    let net = try locatingLayerErrors(in: [modelDef]) {
      try Net(prototxt: modelDef, weights: pretrainedModel, phase: .test)
    }
    guard let input = net.inputBlobs.first else {
      throw CaffeError.invalidNet(reason: "\(modelDef): the net has no Input layer to classify")
    }
    var transformer = try Transformer(for: input)
    transformer.rawScale = rawScale
    transformer.inputScale = inputScale
    switch try swapOrder() {
    case nil: transformer.channelSwap = input.channels == 3 ? [2, 1, 0] : nil
    case let order?: transformer.channelSwap = order.isEmpty ? nil : order
    }
    transformer.mean = try ClassifyMean.load(meanFile, for: transformer)
    let dims = try imageDimensions()
    let classifier = try ImageClassifier(
      net: net, transformer: transformer, imageHeight: dims.height, imageWidth: dims.width)
    let inputs = try ClassifyInputs.load(inputFile, ext: ext, channels: input.channels)
    print("Classifying \(inputs.count) inputs.")
    let start = Date()
    let predictions = try inputs.map {
      try classifier.predict($0.image, oversample: !centerOnly)
    }
    print("Done in \(String(format: "%.2f", Date().timeIntervalSince(start))) s.")
    let labels = try readLabels(classes: predictions.first?.count ?? 0)
    for (input, prediction) in zip(inputs, predictions) {
      print("---------- Prediction for \(input.name) ----------")
      let ranked = prediction.indices.sorted { prediction[$0] > prediction[$1] }
      for k in ranked.prefix(topK) {
        print("\(String(format: "%.4f", prediction[k])) - \"\(labels?[k] ?? String(k))\"")
      }
    }
    if let outputFile {
      print("Saving results into \(outputFile)")
      try NpyArray(
        shape: [predictions.count, predictions.first?.count ?? 0],
        values: predictions.flatMap { $0 }
      ).write(to: outputFile)
    }
  }

  /// `--images_dim` as (height, width).
  /// - Throws: `ValidationError` unless it is two positive integers.
  private func imageDimensions() throws -> (height: Int, width: Int) {
    let parts = imagesDim.split(separator: ",").compactMap {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else {
      throw ValidationError("--images_dim \(imagesDim): give 'height,width', such as 256,256")
    }
    return (parts[0], parts[1])
  }

  /// `--channel_swap` as channel indices; nil when not given, empty when given empty.
  /// - Throws: `ValidationError` for a value that is not a comma-separated list of integers.
  private func swapOrder() throws -> [Int]? {
    guard let channelSwap else { return nil }
    if channelSwap.isEmpty { return [] }
    let order = channelSwap.split(separator: ",").map {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard order.allSatisfy({ $0 != nil }) else {
      throw ValidationError("--channel_swap \(channelSwap): give channel indices, such as 2,1,0")
    }
    return order.compactMap { $0 }
  }

  /// The lines of `--labels_file`, or nil when none is given.
  /// - Throws: `CaffeError.io` when it cannot be read; `CaffeError.invalidFile` when its line
  ///   count differs from `classes`.
  private func readLabels(classes: Int) throws -> [String]? {
    guard !labelsFile.isEmpty else { return nil }
    guard let data = FileManager.default.contents(atPath: labelsFile) else {
      throw CaffeError.io(path: labelsFile, reason: "cannot be read")
    }
    let lines = String(decoding: data, as: UTF8.self).split(
      omittingEmptySubsequences: false, whereSeparator: \.isNewline
    ).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    let labels = lines.last == "" ? Array(lines.dropLast()) : lines
    guard labels.count == classes else {
      throw CaffeError.invalidFile(
        path: labelsFile,
        reason: "has \(labels.count) labels but the net's output has "
          + "\(classes) classes")
    }
    return labels
  }
}
