// The Swift examples (examples/swift) run as built programs: the NetSpec printers against the
// prototxt they reproduce, then the MNIST workflow — print LeNet, train it briefly with
// `caffe train`, classify a digit with it and make it fully convolutional.

import CaffeProto
import CaffeTestSupport
import Foundation
import Testing

/// How a built example ended: its status and what it wrote.
struct ExampleRun {
  let status: Int32
  let output: String
  let error: String

  /// Runs the built executable `tool` in `directory`, with its output and error streams going
  /// to files there (a training log can outgrow a pipe's buffer).
  init(_ tool: String, _ arguments: [String], in directory: URL) throws {
    let outURL = directory.appendingPathComponent("\(tool).out")
    let errURL = directory.appendingPathComponent("\(tool).err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = BuiltTools.folder?.appendingPathComponent(tool)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    process.waitUntilExit()
    status = process.terminationReason == .exit ? process.terminationStatus : -1
    output = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
    error = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
  }
}

@Suite(.serialized) struct ExamplesTests {
  static var examplesBuilt: Bool {
    guard let folder = BuiltTools.folder else { return false }
    return ["netspec_lenet", "netspec_resnet50", "classify_digit", "net_surgery"].allSatisfy {
      FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path)
    }
  }
  static var canTrain: Bool { examplesBuilt && Golden.isAvailable }
  static let mnistTest = Golden.path("golden/mnist_test_lmdb")
  static let goldenWeights = Golden.path("golden/lenet_iter_10000.caffemodel")

  /// Writes `blank-images-idx3-ubyte` (one empty 28 × 28 image) and
  /// `blank-labels-idx1-ubyte` (its label) in `folder`.
  static func writeBlankIDX(label: UInt8, in folder: URL) throws {
    func header(_ fields: [UInt32]) -> [UInt8] {
      fields.flatMap { field in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: field >> $0) } }
    }
    let images = header([2051, 1, 28, 28]) + [UInt8](repeating: 0, count: 28 * 28)
    let labels = header([2049, 1]) + [label]
    try Data(images).write(to: folder.appendingPathComponent("blank-images-idx3-ubyte"))
    try Data(labels).write(to: folder.appendingPathComponent("blank-labels-idx1-ubyte"))
  }

  @Test(.enabled(if: examplesBuilt)) func netspecLenetPrintsTheMNISTExample() throws {
    let folder = try Golden.temporaryDirectory()
    let run = try ExampleRun("netspec_lenet", [], in: folder)
    #expect(run.status == 0, "\(run.error)")
    let path = Golden.packageRoot.appendingPathComponent(
      "examples/mnist/lenet_train_test.prototxt"
    ).path
    let printed = try Prototxt.decode(NetParameter.self, text: run.output)
    #expect(printed == (try ProtoUpgrade.readNetText(path: path)))
  }

  @Test(.enabled(if: examplesBuilt)) func netspecLenetRejectsBadArguments() throws {
    let folder = try Golden.temporaryDirectory()
    let run = try ExampleRun("netspec_lenet", ["a", "b", "64", "zero"], in: folder)
    #expect(run.status == 1)
    #expect(run.error.hasPrefix("error: "))
  }

  @Test(.enabled(if: examplesBuilt)) func netspecResnet50PrintsAParsableDeployNet() throws {
    let folder = try Golden.temporaryDirectory()
    let run = try ExampleRun("netspec_resnet50", [], in: folder)
    #expect(run.status == 0, "\(run.error)")
    let net = try Prototxt.decode(NetParameter.self, text: run.output)
    #expect(net.name == "ResNet-50")
    #expect(net.layer.count == 229)
    #expect(net.layer.last?.top == ["prob"])
  }

  @Test(.enabled(if: canTrain)) func lenetIsPrintedTrainedClassifiedAndMadeConvolutional() throws {
    let folder = try Golden.temporaryDirectory()
    let spec = try ExampleRun(
      "netspec_lenet", [Self.mnistTest, Self.mnistTest, "16", "16"], in: folder)
    #expect(spec.status == 0, "\(spec.error)")
    try spec.output.write(
      to: folder.appendingPathComponent("lenet_train_test.prototxt"), atomically: true,
      encoding: .utf8)
    let solver = """
      net: "lenet_train_test.prototxt"
      test_iter: 1
      test_interval: 20
      base_lr: 0.01
      momentum: 0.9
      weight_decay: 0.0005
      lr_policy: "inv"
      gamma: 0.0001
      power: 0.75
      display: 10
      max_iter: 20
      snapshot_prefix: "lenet"
      random_seed: 1701
      """
    try solver.write(
      to: folder.appendingPathComponent("lenet_solver.prototxt"), atomically: true,
      encoding: .utf8)
    let train = try ExampleRun("caffe", ["train", "--solver=lenet_solver.prototxt"], in: folder)
    #expect(train.status == 0, "\(train.error.suffix(2000))")
    let weights = folder.appendingPathComponent("lenet_iter_20.caffemodel").path
    try #require(FileManager.default.fileExists(atPath: weights))

    let classify = try ExampleRun("classify_digit", [weights, Self.mnistTest, "3"], in: folder)
    #expect(classify.status == 0, "\(classify.error)")
    #expect(classify.output.contains("conv1  Convolution: (1, 20, 24, 24)"))
    #expect(classify.output.contains("pool2  Pooling: (1, 50, 4, 4)"))
    #expect(classify.output.contains("prob   Softmax: (1, 10)"))
    #expect(classify.output.contains("Digit 3: predicted "))

    let surgery = try ExampleRun(
      "net_surgery", [weights, Self.mnistTest, "0", "full_conv.caffemodel"], in: folder)
    #expect(surgery.status == 0, "\(surgery.error)")
    #expect(surgery.output.contains("-> ip1-conv weights (500, 50, 4, 4), biases (500)"))
    #expect(surgery.output.contains("prob map (1, 10, 1, 8)"))
    let difference = surgery.output.split(separator: "\n")
      .first { $0.hasPrefix("largest difference") }
      .flatMap { $0.split(separator: " ").last }.flatMap { Float($0) }
    #expect((difference ?? 1) < 1e-5)
    #expect(
      FileManager.default.fileExists(
        atPath: folder.appendingPathComponent("full_conv.caffemodel").path))
  }

  @Test(.enabled(if: canTrain)) func caffesLenetClassifiesTheFirstTestDigits() throws {
    let folder = try Golden.temporaryDirectory()
    for index in 0..<3 {
      let run = try ExampleRun(
        "classify_digit", [Self.goldenWeights, Self.mnistTest, "\(index)"], in: folder)
      #expect(run.status == 0, "\(run.error)")
      // MNIST's first test digits are 7, 2, 1.
      let label = [7, 2, 1][index]
      #expect(run.output.contains("Digit \(index): predicted \(label) "))
      #expect(run.output.contains("label \(label)"))
    }
    try Self.writeBlankIDX(label: 5, in: folder)
    let idx = try ExampleRun(
      "classify_digit", [Self.goldenWeights, "blank-images-idx3-ubyte"], in: folder)
    #expect(idx.status == 0, "\(idx.error)")
    #expect(idx.output.contains("Digit 0: predicted ") && idx.output.contains("label 5"))
    let surgery = try ExampleRun(
      "net_surgery", [Self.goldenWeights, Self.mnistTest, "1"], in: folder)
    #expect(surgery.output.contains("labels: 2 at the left edge, 1 at the right edge"))
    let map = surgery.output.split(separator: "\n").first {
      $0.hasPrefix("  ") && !$0.contains("->")
    }
    #expect(map.map { $0.hasPrefix("  2 ") && $0.hasSuffix(" 1") } == true)
  }
}
