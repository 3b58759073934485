// Bad input to the built tools: every case must end with one `error:` line and exit status 1,
// without a trap and without touching any file.

import Caffe
import CaffeData
import CaffeKernels
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

/// The folder holding the built executables (`caffe`, `convert_mnist_data`, …), found beside the
/// test bundle; nil when this test binary was not built by SwiftPM next to them.
enum BuiltTools {
  static let folder: URL? = {
    let bundle = Bundle.main.bundleURL
    let candidates = [
      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
      bundle, bundle.deletingLastPathComponent(),
    ]
    return candidates.first {
      FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("caffe").path)
    }
  }()

  static var isAvailable: Bool { folder != nil }

  /// Runs the executable `tool` and returns how it ended and its standard error.
  static func run(_ tool: String, _ arguments: [String], in directory: URL) throws -> ToolResult {
    let process = Process()
    process.executableURL = folder?.appendingPathComponent(tool)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolResult(
      status: process.terminationStatus, exited: process.terminationReason == .exit,
      standardError: String(decoding: data, as: UTF8.self))
  }
}

/// How a built tool ended.
struct ToolResult {
  let status: Int32
  /// False when a signal (a trap) ended the process.
  let exited: Bool
  let standardError: String

  var errorLines: [String] {
    standardError.split(separator: "\n").map(String.init).filter { $0.hasPrefix("error: ") }
  }

  var lastLine: String {
    standardError.split(separator: "\n").last.map(String.init) ?? ""
  }
}

/// A temporary folder of bad and good inputs, built once per test.
///
/// Files: `lenet.prototxt` (LeNet; TEST source: Caffe's MNIST test LMDB, TRAIN source:
/// `ok_lmdb`), `solver.prototxt` (1 iteration, snapshots under `snap/`), `random.bin` (4 KB of
/// seeded random bytes), `empty.bin`, the folder `folder`, `cut_<n>.caffemodel` (Caffe's LeNet
/// weights cut after n bytes), `images.idx` / `labels.idx` (4 MNIST-sized digits), `ok_lmdb` and
/// `label12_lmdb` (those digits with labels 1 2 3 4, and 1 12 3 4).
struct BadInputFolder {
  static let weights = Golden.path("golden/lenet_iter_10000.caffemodel")
  static let weightsSize = 1_725_006
  /// Cut points of the caffemodel: inside the header, the first blob, the middle, the last byte.
  static let cuts = [1, 17, 1_000, 100_000, 862_503, weightsSize - 1]

  let url: URL
  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  init() throws {
    url = try Golden.temporaryDirectory()
    let files = FileManager.default
    try files.createDirectory(
      at: url.appendingPathComponent("folder"), withIntermediateDirectories: true)
    try files.createDirectory(
      at: url.appendingPathComponent("snap"), withIntermediateDirectories: true)
    var generator = SeededGenerator(seed: 1701)
    try write((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }, "random.bin")
    try write([], "empty.bin")
    let weights = try Data(contentsOf: URL(fileURLWithPath: Self.weights))
    for cut in Self.cuts { try write(Array(weights.prefix(cut)), "cut_\(cut).caffemodel") }
    try writeLeNet()
    try writeDigits()
  }

  func write(_ bytes: [UInt8], _ name: String) throws {
    try Data(bytes).write(to: url.appendingPathComponent(name))
  }

  func write(_ text: String, _ name: String) throws {
    try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
  }

  private func writeLeNet() throws {
    let example = Golden.packageRoot.appendingPathComponent(
      "examples/mnist/lenet_train_test.prototxt")
    let text = try String(contentsOf: example, encoding: .utf8)
      .replacingOccurrences(
        of: "examples/mnist/mnist_test_lmdb", with: Golden.path("golden/mnist_test_lmdb")
      )
      .replacingOccurrences(of: "examples/mnist/mnist_train_lmdb", with: path("ok_lmdb"))
      .replacingOccurrences(of: "batch_size: 64", with: "batch_size: 4")
    try write(text, "lenet.prototxt")
    try write(
      """
      net: "lenet.prototxt"
      base_lr: 0.01
      lr_policy: "fixed"
      max_iter: 1
      snapshot_prefix: "snap/lenet"
      solver_mode: CPU
      """, "solver.prototxt")
  }

  /// Four 28 × 28 digits as IDX files, converted twice: with labels 1 2 3 4 and 1 12 3 4.
  private func writeDigits() throws {
    try Self.writeDigits(in: url, labels: [1, 2, 3, 4], lmdb: "ok_lmdb")
    try Self.writeDigits(in: url, labels: [1, 12, 3, 4], lmdb: "label12_lmdb")
  }

  /// Writes `images.idx` (seeded random 28 × 28 digits, one per label), `labels<lmdb>.idx`, and
  /// the LMDB `lmdb` that convert_mnist_data makes of them, in `folder`.
  static func writeDigits(in folder: URL, labels: [UInt8], lmdb: String) throws {
    var generator = SeededGenerator(seed: 42)
    let count = UInt32(labels.count)
    let pixels = (0..<labels.count * 28 * 28).map { _ in
      UInt8.random(in: 0...255, using: &generator)
    }
    let images = folder.appendingPathComponent("images.idx")
    let labelFile = folder.appendingPathComponent(lmdb == "ok_lmdb" ? "labels.idx" : "\(lmdb).idx")
    try Data(idxHeader([2051, count, 28, 28]) + pixels).write(to: images)
    try Data(idxHeader([2049, count]) + labels).write(to: labelFile)
    try convertMNIST(
      imageFile: images.path, labelFile: labelFile.path,
      outputPath: folder.appendingPathComponent(lmdb).path, backend: .lmdb)
  }

  static func idxHeader(_ words: [UInt32]) -> [UInt8] {
    words.flatMap { word in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) } }
  }

  /// Every file below the folder with its size and modification time.
  ///
  /// LMDB's `lock.mdb` is left out: opening a database to read it updates that file.
  func fingerprint() -> [String: String] {
    var result: [String: String] = [:]
    let files = FileManager.default
    for relative in (try? files.subpathsOfDirectory(atPath: url.path)) ?? [] {
      let attributes = (try? files.attributesOfItem(atPath: path(relative))) ?? [:]
      guard attributes[FileAttributeKey.type] as? FileAttributeType == .typeRegular,
        !relative.hasSuffix("lock.mdb")
      else { continue }
      let size = (attributes[FileAttributeKey.size] as? NSNumber)?.intValue ?? -1
      let date = attributes[FileAttributeKey.modificationDate] as? Date
      result[relative] = "\(size)@\(date?.timeIntervalSince1970 ?? 0)"
    }
    return result
  }

  func remove() { try? FileManager.default.removeItem(at: url) }
}

/// One bad command line and the words its error line must contain.
struct BadCase: CustomStringConvertible {
  let tool: String
  let arguments: [String]
  let expected: [String]

  init(_ tool: String, _ arguments: [String], expected: [String]) {
    self.tool = tool
    self.arguments = arguments
    self.expected = expected
  }

  init(_ tool: String, _ arguments: [String], _ expected: String...) {
    self.init(tool, arguments, expected: expected)
  }

  var description: String { "\(tool) \(arguments.joined(separator: " "))" }

  /// Runs the case in `folder` and checks: exit status 1 (no signal), exactly one `error:` line,
  /// it is the last line and holds the expected words, no file in `folder` changed.
  func check(in folder: BadInputFolder, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let before = folder.fingerprint()
    let result = try BuiltTools.run(tool, arguments, in: folder.url)
    let context = Comment(rawValue: "\(self)\n\(result.standardError.suffix(2_000))")
    #expect(result.exited, context, sourceLocation: sourceLocation)
    #expect(result.status == 1, context, sourceLocation: sourceLocation)
    #expect(result.errorLines.count == 1, context, sourceLocation: sourceLocation)
    #expect(result.lastLine.hasPrefix("error: "), context, sourceLocation: sourceLocation)
    for words in expected {
      #expect(result.lastLine.contains(words), context, sourceLocation: sourceLocation)
    }
    #expect(!result.standardError.contains("Fatal error"), context, sourceLocation: sourceLocation)
    #expect(folder.fingerprint() == before, "\(self) changed files", sourceLocation: sourceLocation)
  }
}

@Suite(
  "Bad input to the built tools", .serialized,
  .enabled(if: BuiltTools.isAvailable, "the built executables are not beside the test bundle"),
  .enabled(if: Golden.isAvailable, "needs ../shared/golden"))
struct BadInputTests {
  static let weights = BadInputFolder.weights
  static func fixture(_ name: String) -> String { Golden.fixture("bad/\(name)") }

  @Test func caffeTestRejectsBadWeights() throws {
    let folder = try BadInputFolder()
    defer { folder.remove() }
    func test(_ weights: String, _ expected: String...) -> BadCase {
      BadCase(
        "caffe", ["test", "--model=lenet.prototxt", "--weights=\(weights)", "-iterations=1"],
        expected: expected)
    }
    let cases =
      BadInputFolder.cuts.map {
        test("cut_\($0).caffemodel", "cut_\($0).caffemodel: ", "truncated")
      }
      + [
        test("random.bin", "random.bin: not a valid caffe.NetParameter"),
        test("empty.bin", "empty.bin: file is empty"),
        test("folder", "folder: is a directory"),
        test("missing.caffemodel", "missing.caffemodel: no such file"),
        test(Golden.path("golden/lenet_iter_10000.solverstate"), "caffe.NetParameter"),
      ]
    for badCase in cases { try badCase.check(in: folder) }
  }

  @Test func caffeTestRejectsBadModels() throws {
    let folder = try BadInputFolder()
    defer { folder.remove() }
    let lenet = try String(contentsOfFile: folder.path("lenet.prototxt"), encoding: .utf8)
    let golden = Golden.path("golden/mnist_test_lmdb")
    try folder.write(lenet.replacingOccurrences(of: golden, with: "no_such_lmdb"), "no_db.prototxt")
    try folder.write(
      lenet.replacingOccurrences(of: golden, with: golden + "/data.mdb"), "mdb.prototxt")
    try folder.write(
      lenet.replacingOccurrences(of: golden, with: folder.path("label12_lmdb"))
        .replacingOccurrences(of: "batch_size: 100", with: "batch_size: 4"), "label12.prototxt")
    func test(_ model: String, _ expected: String...) -> BadCase {
      BadCase(
        "caffe", ["test", "--model=\(model)", "--weights=\(Self.weights)", "--iterations=1"],
        expected: expected)
    }
    let cases = [
      test("random.bin", "random.bin:1:1: "),
      test("empty.bin", "empty.bin: defines nothing"),
      test("folder", "folder: is a directory"),
      test("missing.prototxt", "missing.prototxt: no such file"),
      test(
        Self.fixture("unknown_layer_type.prototxt"), "unknown_layer_type.prototxt:16:1: ",
        "layer \"relu1\": unknown layer type \"ReLu\" (known types: ", "ReLU"),
      test(Self.fixture("broken_value.prototxt"), "broken_value.prototxt:11:50: ", "kernel_size"),
      test("solver.prototxt", "looks like a solver definition"),
      test("no_db.prototxt", "database no_such_lmdb: no such database"),
      test("mdb.prototxt", "give its folder \"\(golden)\""),
      test("label12.prototxt", "label 12", "outside [0, 10)"),
    ]
    for badCase in cases { try badCase.check(in: folder) }
  }

  @Test func caffeTrainRejectsBadSolversAndSnapshots() throws {
    let folder = try BadInputFolder()
    defer { folder.remove() }
    let solver = try String(contentsOfFile: folder.path("solver.prototxt"), encoding: .utf8)
    try folder.write(
      solver.replacingOccurrences(of: "snap/lenet", with: "no_such_folder/lenet"),
      "no_prefix_folder.prototxt")
    let lenet = try String(contentsOfFile: folder.path("lenet.prototxt"), encoding: .utf8)
    try folder.write(
      lenet.replacingOccurrences(of: folder.path("ok_lmdb"), with: folder.path("label12_lmdb")),
      "lenet12.prototxt")
    try folder.write(
      solver.replacingOccurrences(of: "lenet.prototxt", with: "lenet12.prototxt"),
      "label12.prototxt")
    let random = try Data(contentsOf: URL(fileURLWithPath: folder.path("random.bin")))
    try random.write(to: URL(fileURLWithPath: folder.path("random.solverstate")))
    let state = try Data(
      contentsOf: URL(fileURLWithPath: Golden.path("golden/lenet_iter_5000.solverstate")))
    try folder.write(Array(state.prefix(5_000)), "cut.solverstate")
    try folder.write(Array(state), "lenet_iter_5000.solverstate")
    let weights = try Data(contentsOf: URL(fileURLWithPath: Self.weights))
    try folder.write(Array(weights), "weights.solverstate")
    func train(_ arguments: [String], _ expected: String...) -> BadCase {
      BadCase("caffe", ["train"] + arguments, expected: expected)
    }
    try folder.write(
      "net: \"\(Self.fixture("unknown_layer_type.prototxt"))\"\nbase_lr: 0.1\nlr_policy: \"fixed\"",
      "unknown_type.prototxt")
    let cases = [
      train(
        ["--solver=unknown_type.prototxt"], "unknown_layer_type.prototxt:16:1: layer \"relu1\""),
      train(["--solver=lenet.prototxt"], "looks like a net definition"),
      train(["--solver=random.bin"], "random.bin:1:1: "),
      train(["--solver=empty.bin"], "empty.bin: defines nothing"),
      train(["--solver=folder"], "folder: is a directory"),
      train(["--solver=no_prefix_folder.prototxt"], "Cannot write to snapshot prefix"),
      train(["--solver=solver.prototxt", "--snapshot=\(Self.weights)"], "is a .caffemodel"),
      train(["--solver=solver.prototxt", "--snapshot=a.solverstate", "--weights=b"], "not both"),
      train(["--solver=solver.prototxt", "--snapshot=random.solverstate"], "caffe.SolverState"),
      train(["--solver=solver.prototxt", "--snapshot=cut.solverstate"], "truncated"),
      train(
        ["--solver=solver.prototxt", "--snapshot=weights.solverstate"], "not a caffe.SolverState"),
      train(
        ["--solver=solver.prototxt", "--snapshot=lenet_iter_5000.solverstate"],
        "examples/mnist/lenet_iter_5000.caffemodel", "found neither there nor at"),
      train(["--solver=solver.prototxt", "--weights=random.bin"], "caffe.NetParameter"),
      train(
        ["--solver=solver.prototxt", "--weights=\(Self.weights),missing.caffemodel"], "no such file"
      ),
      train(["--solver=label12.prototxt"], "layer \"loss\": label 12", "outside [0, 10)"),
    ]
    for badCase in cases { try badCase.check(in: folder) }
  }

  @Test func caffeRejectsBadFlagsActionsAndInPlaceMisuse() throws {
    let folder = try BadInputFolder()
    defer { folder.remove() }
    let test = ["test", "--model=lenet.prototxt", "--weights=\(Self.weights)"]
    let cases = [
      BadCase("caffe", test + ["--iterations=-5"], "--iterations must be at least 1 (given -5)"),
      BadCase("caffe", test + ["--iterations=abc"], "'abc' is invalid", "--iterations"),
      BadCase("caffe", ["time", "--model=lenet.prototxt", "-iterations", "-5"], "at least 1"),
      BadCase("caffe", ["brew"], "Unknown action: brew"),
      BadCase(
        "caffe", ["time", "--model=\(Self.fixture("in_place_pooling.prototxt"))"],
        "layer \"pool1\" (Pooling): top: \"conv1\" is computed in place",
        "from 1 2 8 8 (128) to 1 2 4 4 (32)"),
      BadCase("caffe", test + ["--no_such_flag=1"], "no_such_flag"),
    ]
    for badCase in cases { try badCase.check(in: folder) }
  }

  @Test func convertMNISTDataRejectsBadFilesAndKeepsAnExistingDatabase() throws {
    let folder = try BadInputFolder()
    defer { folder.remove() }
    let images = try Data(contentsOf: URL(fileURLWithPath: folder.path("images.idx")))
    try folder.write(Array(images.prefix(1_000)), "cut_images.idx")
    let existing = try Data(contentsOf: URL(fileURLWithPath: folder.path("ok_lmdb/data.mdb")))
    let tool = "convert_mnist_data"
    let cases = [
      BadCase(tool, ["labels.idx", "images.idx", "out"], "give the image file first"),
      BadCase(tool, ["cut_images.idx", "labels.idx", "out"], "is it truncated?"),
      BadCase(tool, ["images.idx", "labels.idx", "ok_lmdb"], "ok_lmdb: already exists"),
      BadCase(tool, ["folder", "labels.idx", "out"], "folder: is a directory"),
      BadCase(tool, ["random.bin", "labels.idx", "out"], "not an IDX image file"),
      BadCase(tool, ["images.idx", "labels.idx", "no_such_folder/out"], "no_such_folder/out"),
      BadCase(tool, ["images.idx", "labels.idx", "out", "--backend=rocksdb"], "unknown backend"),
    ]
    for badCase in cases { try badCase.check(in: folder) }
    #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path("ok_lmdb/data.mdb"))) == existing)
  }

  @Test func upgradeToolsRejectBadFilesWithoutWriting() throws {
    let folder = try BadInputFolder()
    defer { folder.remove() }
    let cases = [
      BadCase("upgrade_net_proto_binary", ["random.bin", "out"], "caffe.NetParameter"),
      BadCase("upgrade_net_proto_binary", ["cut_100000.caffemodel", "out"], "truncated"),
      BadCase("upgrade_net_proto_binary", ["empty.bin", "out"], "file is empty"),
      BadCase("upgrade_net_proto_binary", [Self.weights, "no_such_folder/out"], "does not exist"),
      BadCase("upgrade_net_proto_text", ["random.bin", "out"], "random.bin:1:1: "),
      BadCase("upgrade_net_proto_text", ["folder", "out"], "folder: is a directory"),
      BadCase("upgrade_net_proto_text", ["solver.prototxt", "out"], "looks like a solver"),
      BadCase("upgrade_solver_proto_text", ["lenet.prototxt", "out"], "looks like a net"),
      BadCase("upgrade_solver_proto_text", ["missing.prototxt", "out"], "no such file"),
    ]
    for badCase in cases { try badCase.check(in: folder) }
  }
}

@Suite struct LayerLocationTests {
  @Test func findsTheTopLevelBlockWithThatNameAndType() {
    let text = """
      name: "n"
      layer { name: "a" type: "Input" }
      layer {
        name: "a"
        type: "ReLu"
        include { stage: "x" }
      }
      layers: { name: "b" type: RELU }
      layer { name: "c" type: "Pooling" pooling_param { engine: CAFFE } }
      """
    func at(_ name: String, _ type: String) -> [Int]? {
      Prototxt.location(ofLayer: name, type: type, in: Array(text.utf8)).map {
        [$0.line, $0.column]
      }
    }
    #expect(at("a", "ReLu") == [3, 1])
    #expect(at("b", "RELU") == [8, 1])
    #expect(at("a", "Pooling") == nil)
    #expect(at("n", "Input") == nil)
    #expect(at("c", "Pooling") == [9, 1])
    #expect(
      Prototxt.location(ofLayer: "a", type: "ReLu", in: Array("layer { name: \"a".utf8)) == nil)
  }
}
