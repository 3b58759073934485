// convert_imageset end to end: lists with spaces and bad lines, gray, resize, encoded, shuffle.

import ArgumentParser
import Caffe
import CaffeCLI
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

/// A temporary folder of generated images and a list, removed on deinit.
final class ImageSetFolder {
  let folder: URL
  var root: String { folder.path + "/" }
  var list: String { folder.appendingPathComponent("list.txt").path }
  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  init() throws { folder = try Golden.temporaryDirectory() }

  deinit { try? FileManager.default.removeItem(at: folder) }

  /// Writes an H × W colour image whose pixel (y, x) is (B, G, R) = (seed + y, seed + x, 200).
  func writeImage(
    _ name: String, height: Int = 4, width: Int = 5, seed: Int = 0,
    as format: ImageFormat = .png
  ) throws -> Image {
    let pixels: [UInt8] = (0..<(height * width)).flatMap { i -> [UInt8] in
      [UInt8(seed + i / width), UInt8(seed + i % width), 200]
    }
    let image = try Image(height: height, width: width, channels: 3, pixels: pixels)
    try Data(try image.encoded(as: format)).write(to: URL(fileURLWithPath: path(name)))
    return image
  }

  func writeList(_ lines: [String]) throws {
    try (lines.joined(separator: "\n") + "\n").write(
      toFile: list, atomically: true, encoding: .utf8)
  }

  /// Every record of the database at `name`, in key order.
  func records(_ name: String, backend: DatabaseBackend = .lmdb) throws -> [(String, Datum)] {
    let database = try openDatabase(backend: backend, path: path(name), mode: .read)
    defer { database.close() }
    let cursor = try database.cursor()
    var records: [(String, Datum)] = []
    while cursor.valid {
      records.append(
        (cursor.keyString, try Datum(databaseValue: cursor.value, key: cursor.key, source: "")))
      try cursor.next()
    }
    return records
  }
}

/// Runs a tool in-process, capturing its log; returns the status, log and `error:` lines.
func runCapturingLog<Command: ParsableCommand>(
  _ command: Command.Type, _ arguments: [String]
) -> (status: Int32, log: [String], errors: [String]) {
  var errors: [String] = []
  let capture = LogCapture()
  let status = capture.capture {
    ToolMain.run(
      command, arguments: arguments, output: { _ in }, errorOutput: { errors.append($0) })
  }
  return (status, capture.messages, errors)
}

@Suite struct ConvertImagesetTests {
  @Test func convertsAListWithSpacesSkippingBadLines() throws {
    let set = try ImageSetFolder()
    let first = try set.writeImage("a b.png", seed: 1)
    let second = try set.writeImage("c.png", seed: 5)
    try FileManager.default.copyItem(
      atPath: Golden.fixture("images/noise_rgb.png"), toPath: set.path("noise.png"))
    try set.writeList(["a b.png 3", "missing.png 1", "c.png 4", "c.png x", "noise.png 2"])
    let run = runCapturingLog(ConvertImageset.self, [set.root, set.list, set.path("db")])
    #expect(run.status == 0)
    #expect(run.log.contains("A total of 5 images."))
    #expect(run.log.contains("Processed 3 files."))
    #expect(run.log.contains { $0.hasPrefix("\(set.list):2: could not read image: ") })
    #expect(run.log.contains { $0.hasPrefix("\(set.list):4: the label \"x\" is not an integer") })
    let records = try set.records("db")
    #expect(records.map(\.0) == ["00000000_a b.png", "00000002_c.png", "00000004_noise.png"])
    #expect(records[0].1 == Datum(image: first, label: 3))
    #expect(records[1].1 == Datum(image: second, label: 4))
    // Pillow's independent decode of noise.png, (H, W, C) BGR, in Caffe's (C, H, W) order.
    let expected = try NpyArray(path: Golden.fixture("images/noise_rgb_bgr.npy"))
    let planes = (0..<3).flatMap { c in (0..<35).map { UInt8(expected.values[$0 * 3 + c]) } }
    #expect(Array(records[2].1.data) == planes)
    #expect([records[2].1.channels, records[2].1.height, records[2].1.width] == [3, 5, 7])
  }

  @Test func windowsLineEndingsAreLineBreaks() throws {
    let set = try ImageSetFolder()
    _ = try set.writeImage("a.png", seed: 1)
    _ = try set.writeImage("b.png", seed: 2)
    try "a.png 0\r\nb.png 1\r\n".write(toFile: set.list, atomically: true, encoding: .utf8)
    let run = runCapturingLog(ConvertImageset.self, [set.root, set.list, set.path("db")])
    #expect(run.status == 0, "\(run.errors)")
    #expect(try set.records("db").map { $0.1.label } == [0, 1])
  }

  @Test func nothingConvertedIsAnErrorAndLeavesNoDatabase() throws {
    let set = try ImageSetFolder()
    try set.writeList(["missing.png 1", "gone.png 2"])
    let run = runCapturingLog(ConvertImageset.self, [set.root, set.list, set.path("db")])
    #expect(run.status == 1)
    #expect(run.errors.first?.contains("none of its 2 images could be converted") == true)
    #expect(!FileManager.default.fileExists(atPath: set.path("db")))
    try "".write(toFile: set.list, atomically: true, encoding: .utf8)
    let empty = runCapturingLog(ConvertImageset.self, [set.root, set.list, set.path("db")])
    #expect(empty.status == 1)
    #expect(empty.errors.first?.contains("lists no images") == true)
    #expect(!FileManager.default.fileExists(atPath: set.path("db")))
  }

  @Test func grayAndResizeShapeEveryRecord() throws {
    let set = try ImageSetFolder()
    _ = try set.writeImage("a.png", height: 4, width: 5)
    _ = try set.writeImage("b.jpg", height: 6, width: 3, as: .jpeg)
    try set.writeList(["a.png 0", "b.jpg 1"])
    let run = runCapturingLog(
      ConvertImageset.self,
      [
        "-gray", "-resize_height=8", "--resize_width", "2", "-backend=leveldb", set.root,
        set.list, set.path("db"),
      ])
    #expect(run.status == 0)
    let records = try set.records("db", backend: .leveldb)
    #expect(records.count == 2)
    for (_, datum) in records {
      #expect([datum.channels, datum.height, datum.width] == [1, 8, 2])
      #expect(datum.data.count == 16)
    }
  }

  /// gflags spellings of the booleans (`=true`/`=false`/`=1`/`=0`, the `--no` prefix) and the
  /// channels each gives.
  static let booleanSpellings: [([String], Int32)] = [
    (["-gray=true", "--check_size=1"], 1), (["--gray=false", "-nocheck_size"], 3),
    (["--gray=0", "--nogray"], 3), (["-gray=YES"], 1),
  ]

  @Test(arguments: booleanSpellings)
  func booleanFlagsTakeGFlagsValues(flags: [String], channels: Int32) throws {
    let set = try ImageSetFolder()
    _ = try set.writeImage("a.png")
    try set.writeList(["a.png 0"])
    let run = runCapturingLog(ConvertImageset.self, flags + [set.root, set.list, set.path("db")])
    #expect(run.status == 0, "\(run.errors)")
    #expect(try set.records("db").map(\.1.channels) == [channels])
  }

  @Test func aBooleanWithAnotherValueIsAnError() throws {
    let set = try ImageSetFolder()
    try set.writeList(["a.png 0"])
    let run = runCapturingLog(
      ConvertImageset.self, ["--gray=maybe", set.root, set.list, set.path("db")])
    #expect(run.status == 1 && run.errors.count == 1)
  }

  /// Caffe resizes only when both sizes are given; one alone is kept, with a warning.
  @Test func oneResizeSizeKeepsTheSizeWithAWarning() throws {
    let set = try ImageSetFolder()
    _ = try set.writeImage("a.png", height: 4, width: 5)
    try set.writeList(["a.png 0"])
    let run = runCapturingLog(
      ConvertImageset.self, ["--resize_width=8", set.root, set.list, set.path("db")])
    #expect(run.status == 0)
    #expect(
      run.log.contains { $0.contains("Only one of --resize_height (0) and --resize_width (8)") })
    #expect(try set.records("db").map { [$0.1.height, $0.1.width] } == [[4, 5]])
  }

  @Test func encodedRecordsKeepFilesAndDecodeToTheAskedChannels() throws {
    let set = try ImageSetFolder()
    _ = try set.writeImage("a.png")
    _ = try set.writeImage("b.jpg", as: .jpeg)
    try set.writeList(["a.png 0", "b.jpg 1"])
    #expect(
      runCapturingLog(ConvertImageset.self, ["--encoded", set.root, set.list, set.path("e")])
        .status == 0)
    let encoded = try set.records("e")
    #expect(encoded.allSatisfy { $0.1.encoded })
    #expect(
      Array(encoded[0].1.data)
        == Array(try Data(contentsOf: URL(fileURLWithPath: set.path("a.png")))))
    #expect(
      Array(encoded[1].1.data)
        == Array(try Data(contentsOf: URL(fileURLWithPath: set.path("b.jpg")))))
    // --gray --encoded: the stored files decode to one channel (Caffe kept the colour files).
    #expect(
      runCapturingLog(
        ConvertImageset.self, ["--gray", "--encoded", set.root, set.list, set.path("g")]
      ).status == 0)
    for (_, datum) in try set.records("g") {
      let decoded = try datum.decoded(color: .native, name: "")
      #expect(decoded.channels == 1)
    }
    // --encode_type alone implies --encoded and re-encodes every file as PNG.
    let typed = runCapturingLog(
      ConvertImageset.self, ["--encode_type=png", set.root, set.list, set.path("p")])
    #expect(typed.log.contains("encode_type specified, assuming encoded=true."))
    for (_, datum) in try set.records("p") {
      #expect(try ImageFormat.detect(Array(datum.data), name: "") == .png)
    }
  }

  @Test func shuffleKeepsEveryImageUnderItsNewIndex() throws {
    let set = try ImageSetFolder()
    var lines: [String] = []
    for index in 0..<12 {
      _ = try set.writeImage("i\(index).png", height: 1, width: 1, seed: index)
      lines.append("i\(index).png \(index)")
    }
    try set.writeList(lines)
    Runtime.setRandomSeed(1701)
    let run = runCapturingLog(
      ConvertImageset.self, ["--shuffle", set.root, set.list, set.path("s")])
    #expect(run.log.contains("Shuffling data"))
    let records = try set.records("s")
    #expect(records.map(\.1.label).sorted() == Array(0..<12))
    #expect(records.map(\.1.label) != Array(0..<12))
    for (position, (key, datum)) in records.enumerated() {
      #expect(key == String(format: "%08d_i%d.png", position, datum.label))
      #expect(datum.data.first == UInt8(datum.label))
    }
  }

  @Test func checkSizeStopsAtTheFirstOtherSize() throws {
    let set = try ImageSetFolder()
    _ = try set.writeImage("a.png", height: 4, width: 5)
    _ = try set.writeImage("b.png", height: 3, width: 5)
    try set.writeList(["a.png 0", "b.png 1"])
    let run = runCapturingLog(
      ConvertImageset.self, ["--check_size", set.root, set.list, set.path("c")])
    #expect(run.status == 1)
    #expect(run.errors.first?.contains("list.txt:2: b.png holds 3 × 3 × 5") == true)
    #expect(!FileManager.default.fileExists(atPath: set.path("c")))
  }

  @Test func badArgumentsAreOneErrorLine() throws {
    let set = try ImageSetFolder()
    try set.writeList([])
    let badBackend = runCapturingLog(
      ConvertImageset.self, ["--backend=x", set.root, set.list, "o"])
    #expect(badBackend.status == 1 && badBackend.errors.count == 1)
    let badType = runCapturingLog(
      ConvertImageset.self, ["--encode_type=gif", set.root, set.list, "o"])
    #expect(badType.status == 1)
    let missingList = runCapturingLog(ConvertImageset.self, [set.root, set.path("none.txt"), "o"])
    #expect(missingList.status == 1)
    #expect(missingList.errors.first?.contains("none.txt") == true)
  }

  /// 300 generated 6 × 6 images, dark (label 0) or bright (label 1), converted with shuffle:
  /// a small net trains on the database to a near-zero loss.
  @Test func aNetTrainsFromAConvertedFolder() throws {
    let set = try ImageSetFolder()
    var lines: [String] = []
    for index in 0..<300 {
      let label = index % 2
      let base = label == 0 ? 20 : 180
      let pixels = (0..<(6 * 6 * 3)).map { UInt8(base + ($0 * 7 + index) % 50) }
      let image = try Image(height: 6, width: 6, channels: 3, pixels: pixels)
      try Data(try image.encoded(as: .png)).write(
        to: URL(fileURLWithPath: set.path("img \(index).png")))
      lines.append("img \(index).png \(label)")
    }
    try set.writeList(lines)
    let convert = runCapturingLog(
      ConvertImageset.self, ["--shuffle", set.root, set.list, set.path("db")])
    #expect(convert.status == 0, "\(convert.errors)")
    var param = SolverParameter()
    param.netParam = try Prototxt.decode(
      NetParameter.self,
      text: """
        layer { name: "data" type: "Data" top: "data" top: "label"
          transform_param { scale: 0.00390625 }
          data_param { source: "\(set.path("db"))" backend: LMDB batch_size: 30 } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
          inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """)
    param.baseLr = 0.1
    param.lrPolicy = "fixed"
    param.momentum = 0.9
    param.maxIter = 60
    param.snapshotAfterTrain = false
    let solver = try SolverRegistry.makeSolver(param)
    try solver.step(60)
    #expect(solver.smoothedTrainingLoss < 0.05)
  }

  @Test func dataLayerReadsRawAndEncodedDatabasesAlike() throws {
    let set = try ImageSetFolder()
    for index in 0..<3 { _ = try set.writeImage("i\(index).png", seed: 10 * index) }
    try set.writeList((0..<3).map { "i\($0).png \($0)" })
    #expect(
      runCapturingLog(ConvertImageset.self, [set.root, set.list, set.path("raw")]).status == 0)
    #expect(
      runCapturingLog(
        ConvertImageset.self, ["--encoded", set.root, set.list, set.path("enc")]
      ).status == 0)
    var batches: [[Float]] = []
    for name in ["raw", "enc"] {
      var param = LayerParameter()
      param.name = "data"
      param.type = "Data"
      param.dataParam.source = set.path(name)
      param.dataParam.backend = .lmdb
      param.dataParam.batchSize = 3
      let layer = try DataLayer(param)
      let top = [Blob(), Blob()]
      try layer.setUp(bottom: [], top: top)
      _ = try layer.forward(bottom: [], top: top)
      #expect(top[0].shape == [3, 3, 4, 5])
      #expect(top[1].dataArray == [0, 1, 2])
      batches.append(top[0].dataArray)
    }
    #expect(batches[0] == batches[1])
  }

  @Test(.enabled(if: Golden.isAvailable, "needs ../shared/caffe-corpus/images"))
  func convertsCaffesCorpusImages() throws {
    let set = try ImageSetFolder()
    try set.writeList(["cat.jpg 0", "cat_gray.jpg 1", "fish-bike.jpg 2"])
    let root = Golden.path("caffe-corpus/images") + "/"
    let run = runCapturingLog(
      ConvertImageset.self,
      ["--resize_height=32", "--resize_width=32", root, set.list, set.path("corpus")])
    #expect(run.status == 0)
    let records = try set.records("corpus")
    #expect(records.count == 3)
    #expect(records.allSatisfy { $0.1.data.count == 3 * 32 * 32 })
    let cat = try Image(contentsOfFile: root + "cat.jpg").resized(height: 32, width: 32)
    #expect(records[0].1 == Datum(image: cat, label: 0))
  }
}
