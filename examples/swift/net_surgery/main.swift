// net_surgery: turns a trained LeNet into a fully convolutional net, as Caffe's net surgery
// notebook does for CaffeNet, and runs it over two digits side by side.
//
// Usage: net_surgery WEIGHTS DIGITS [INDEX [OUTPUT]]
//   WEIGHTS  a trained LeNet .caffemodel, such as examples/mnist/lenet_iter_10000.caffemodel
//   DIGITS   an MNIST LMDB folder, such as examples/mnist/mnist_test_lmdb
//   INDEX    the first of the two digits, from 0 (default 0)
//   OUTPUT   where to save the fully convolutional weights (.caffemodel); not saved if absent
//
// The inner product layers ip1 (500 × 800) and ip2 (10 × 500) hold exactly the values of
// 500 4×4 filters over pool2's 50 channels and 10 1×1 filters, so copying them value for value
// into "ip1-conv" and "ip2-conv" gives a net that slides LeNet over a larger image: on a
// 28 × 56 image it outputs a 1 × 8 map of class probabilities, one every 4 pixels.

import Caffe
import CaffeData
import CaffeProto
import Foundation

/// A problem with the command line or the data, printed as `error: <message>`.
struct UsageError: Error, CustomStringConvertible {
  let description: String
}

/// Digits `index` and `index + 1` of an MNIST LMDB: pixel bytes (28 × 28 each) and labels.
func readTwoDigits(_ path: String, index: Int) throws -> [(pixels: [UInt8], label: Int)] {
  let database = try openDatabase(backend: .lmdb, path: path, mode: .read)
  defer { database.close() }
  let cursor = try database.cursor()
  for _ in 0..<index where cursor.valid { try cursor.next() }
  var digits: [(pixels: [UInt8], label: Int)] = []
  while digits.count < 2, cursor.valid {
    let datum = try Datum(databaseValue: cursor.value, key: cursor.key, source: path)
    digits.append(([UInt8](datum.data), Int(datum.label)))
    try cursor.next()
  }
  guard digits.count == 2, digits.allSatisfy({ $0.pixels.count == 28 * 28 }) else {
    throw UsageError(description: "\(path) has no two 28×28 digits from index \(index)")
  }
  return digits
}

/// `(500, 50, 4, 4)`.
func shapeText(_ shape: [Int]) -> String {
  "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// Copies the inner product weights and biases into the convolution of the same size.
func transplant(_ pairs: [(String, String)], from net: Net, into fullConv: Net) throws {
  for (fc, conv) in pairs {
    guard let source = net.paramsByName[fc], let target = fullConv.paramsByName[conv] else {
      throw UsageError(description: "missing layer \(fc) or \(conv)")
    }
    print("\(fc) weights \(shapeText(source[0].shape)), biases \(shapeText(source[1].shape))")
    print(
      "  -> \(conv) weights \(shapeText(target[0].shape)), biases \(shapeText(target[1].shape))")
    for (from, to) in zip(source, target) {
      try to.setData(from.dataArray)  // same count, new shape: a flat copy
    }
  }
}

/// The two digits side by side: one 28 × 56 image, row-major, scaled to [0, 1).
func sideBySide(_ digits: [(pixels: [UInt8], label: Int)]) -> [Float] {
  var image = [Float](repeating: 0, count: 28 * 56)
  for (d, digit) in digits.enumerated() {
    for y in 0..<28 {
      for x in 0..<28 { image[y * 56 + d * 28 + x] = Float(digit.pixels[y * 28 + x]) / 256 }
    }
  }
  return image
}

func run() throws {
  let arguments = Array(CommandLine.arguments.dropFirst())
  let index = arguments.count >= 3 ? Int(arguments[2]) : 0
  guard (2...4).contains(arguments.count), let index, index >= 0 else {
    throw UsageError(description: "usage: net_surgery WEIGHTS DIGITS [INDEX [OUTPUT]]")
  }
  let net = try Net(ModelZoo.lenetDeploy().toProto(), phase: .test)
  try net.copyTrainedLayers(fromFile: arguments[0])
  let fullConv = try Net(
    ModelZoo.lenetFullyConvolutional(height: 28, width: 56).toProto(), phase: .test)
  // conv1 and conv2 have the same names and shapes in both nets; ip1/ip2 are skipped here.
  try fullConv.copyTrainedLayers(fromNet: net)
  try transplant([("ip1", "ip1-conv"), ("ip2", "ip2-conv")], from: net, into: fullConv)

  let digits = try readTwoDigits(arguments[1], index: index)
  let map = try fullConv.forward(inputs: ["data": sideBySide(digits)])["prob"] ?? []
  let shape = fullConv.blobsByName["prob"]?.shape ?? []
  print("prob map \(shapeText(shape)): class per position, one every 4 pixels")
  let positions = shape.count == 4 ? shape[3] : 0
  let classes = (0..<positions).map { position in
    (0..<10).max { map[$0 * positions + position] < map[$1 * positions + position] } ?? 0
  }
  print("  " + classes.map(String.init).joined(separator: " "))
  print("labels: \(digits[0].label) at the left edge, \(digits[1].label) at the right edge")

  // The left edge of the map is LeNet itself on the first digit.
  let single = try net.forward(inputs: ["data": digits[0].pixels.map { Float($0) / 256 }])
  let left = (0..<10).map { map[$0 * positions] }
  let difference = zip(single["prob"] ?? [], left).map { abs($0 - $1) }.max() ?? 0
  print("largest difference from LeNet on the first digit: \(String(format: "%.2g", difference))")
  if arguments.count == 4 {
    try fullConv.save(to: arguments[3])
    print("saved \(arguments[3])")
  }
}

do {
  try run()
} catch {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(1)
}
