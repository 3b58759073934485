// classify_digit: classifies one MNIST digit with a trained LeNet and prints the output shape of
// every layer, as pycaffe users inspect `net.blobs` after a forward pass.
//
// Usage: classify_digit WEIGHTS DIGITS [INDEX]
//   WEIGHTS  a trained LeNet .caffemodel, such as examples/mnist/lenet_iter_10000.caffemodel
//   DIGITS   an MNIST LMDB folder (examples/mnist/mnist_test_lmdb) or an uncompressed IDX image
//            file (t10k-images-idx3-ubyte; labels come from t10k-labels-idx1-ubyte beside it)
//   INDEX    which digit, from 0 (default 0)

import Caffe
import CaffeData
import CaffeProto
import Foundation

/// A problem with the command line, printed as `error: <message>`.
struct UsageError: Error, CustomStringConvertible {
  let description: String
}

/// One digit: 28 × 28 pixel bytes (0 = background) and its label when known.
struct Digit {
  let pixels: [UInt8]
  let label: Int?
}

/// Digit `index` of an MNIST LMDB (a folder) or IDX image file.
func readDigit(_ path: String, index: Int) throws -> Digit {
  var isFolder: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
    throw UsageError(description: "\(path): no such file or folder")
  }
  guard isFolder.boolValue else {
    let images = try MNISTImages(path: path)
    guard index < images.count else {
      throw UsageError(
        description: "\(path) holds \(images.count) digits; index \(index) is past them")
    }
    let labelPath = path.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
    let labels = labelPath == path ? nil : try? MNISTLabels(path: labelPath)
    return Digit(pixels: Array(images.image(index)), label: labels.map { Int($0.labels[index]) })
  }
  let database = try openDatabase(backend: .lmdb, path: path, mode: .read)
  defer { database.close() }
  let cursor = try database.cursor()
  for _ in 0..<index where cursor.valid { try cursor.next() }
  guard cursor.valid else {
    throw UsageError(description: "\(path) holds fewer than \(index + 1) digits")
  }
  let datum = try Datum(databaseValue: cursor.value, key: cursor.key, source: path)
  return Digit(pixels: [UInt8](datum.data), label: Int(datum.label))
}

/// `(1, 20, 24, 24)`.
func shapeText(_ shape: [Int]) -> String {
  "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

func run() throws {
  let arguments = Array(CommandLine.arguments.dropFirst())
  let index = arguments.count == 3 ? Int(arguments[2]) : 0
  guard arguments.count == 2 || arguments.count == 3, let index, index >= 0 else {
    throw UsageError(description: "usage: classify_digit WEIGHTS DIGITS [INDEX]")
  }
  // The deploy net: Input "data" (1, 1, 28, 28) … Softmax "prob" (1, 10).
  let net = try Net(ModelZoo.lenetDeploy().toProto(), phase: .test)
  try net.copyTrainedLayers(fromFile: arguments[0])

  // Bytes 0…255 become the 0…1 values LeNet was trained on (transform_param scale 1/256).
  let digit = try readDigit(arguments[1], index: index)
  var transformer = try Transformer(for: net.inputBlobs[0])
  transformer.rawScale = 0.00390625
  let input = try transformer.preprocess(digit.pixels.map(Float.init))
  let outputs = try net.forward(inputs: ["data": input])

  print("Output shape of each layer (N, C, H, W):")
  for (layerIndex, name) in net.layerNames.enumerated() {
    let tops = net.tops(ofLayer: layerIndex).map { shapeText($0.shape) }.joined(separator: " ")
    let type = net.layers[layerIndex].typeName
    print("  \(name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(type): \(tops)")
  }
  let probabilities = outputs["prob"] ?? []
  print("Probabilities: " + probabilities.map { String(format: "%.4f", $0) }.joined(separator: " "))
  guard let best = probabilities.indices.max(by: { probabilities[$0] < probabilities[$1] }) else {
    throw UsageError(description: "the net produced no probabilities")
  }
  let truth = digit.label.map { "label \($0)" } ?? "label unknown"
  print(
    "Digit \(index): predicted \(best) (p = \(String(format: "%.4f", probabilities[best]))), \(truth)"
  )
}

do {
  try run()
} catch {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(1)
}
