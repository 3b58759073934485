// extract_features on Caffe's trained LeNet and MNIST test LMDB: records, values, logs, errors.

import Caffe
import CaffeCLI
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct ExtractFeaturesTests {
  static let weights = Golden.path("golden/lenet_iter_10000.caffemodel")
  static let mnist = Golden.path("golden/mnist_test_lmdb")

  /// A temporary folder holding Caffe's LeNet example whose TEST data layer reads the golden
  /// MNIST test LMDB (batch 100).
  private struct Folder {
    let url: URL
    var model: String { path("lenet_train_test.prototxt") }

    init() throws {
      url = try Golden.temporaryDirectory()
      let example = Golden.packageRoot.appendingPathComponent(
        "examples/mnist/lenet_train_test.prototxt")
      let text = try String(contentsOf: example, encoding: .utf8)
        .replacingOccurrences(of: "examples/mnist/mnist_test_lmdb", with: mnist)
        .replacingOccurrences(of: "examples/mnist/mnist_train_lmdb", with: mnist)
      try text.write(toFile: model, atomically: true, encoding: .utf8)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
  }

  /// Every record of the database at `path`, in key order.
  private static func records(
    _ path: String, backend: DatabaseBackend = .lmdb
  ) throws -> [(key: String, datum: Datum)] {
    let db = try openDatabase(backend: backend, path: path, mode: .read)
    defer { db.close() }
    let cursor = try db.cursor()
    var result: [(key: String, datum: Datum)] = []
    while cursor.valid {
      let datum = try Datum(databaseValue: cursor.value, key: cursor.key, source: path)
      result.append((cursor.keyString, datum))
      try cursor.next()
    }
    return result
  }

  /// The index of the largest value.
  private static func argmax(_ values: [Float]) -> Int {
    values.indices.max { values[$0] < values[$1] } ?? -1
  }

  @Test(.enabled(if: Golden.isAvailable))
  func extractsIp1AndIp2OfTwoBatches() throws {
    let folder = try Folder()
    defer { folder.remove() }
    let outputs = [folder.path("ip1_lmdb"), folder.path("ip2_lmdb")]
    let run = runCapturingLog(
      ExtractFeatures.self,
      [Self.weights, folder.model, "ip1,ip2", outputs.joined(separator: ","), "2", "lmdb"])
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.log.contains("Extracting Features"))
    #expect(run.log.contains("Extracted features of 200 query images for feature blob ip1"))
    #expect(run.log.contains("Extracted features of 200 query images for feature blob ip2"))

    let ip1 = try Self.records(outputs[0])
    let ip2 = try Self.records(outputs[1])
    let keys = (0..<200).map { String(format: "%010d", $0) }
    #expect(ip1.map(\.key) == keys)
    #expect(ip2.map(\.key) == keys)
    for (records, dim) in [(ip1, 500), (ip2, 10)] {
      let shapes = Set(records.map { [$0.datum.channels, $0.datum.height, $0.datum.width] })
      #expect(shapes == [[Int32(dim), 1, 1]])
      #expect(records.allSatisfy { $0.datum.floatData.count == dim && $0.datum.data.isEmpty })
    }

    let labels = try Self.records(Self.mnist).prefix(200).map { Int($0.datum.label) }
    let correct = zip(ip2, labels).filter { Self.argmax($0.0.datum.floatData) == $0.1 }.count
    #expect(correct >= 190, "argmax of ip2 matches \(correct) of 200 labels")

    var definition = try ProtoUpgrade.readNetText(path: folder.model)
    definition.state.phase = .test
    let net = try Net(definition)
    try net.copyTrainedLayers(fromFile: Self.weights)
    _ = try net.forward()
    for (name, records) in [("ip1", ip1), ("ip2", ip2)] {
      let direct = try #require(net.blob(named: name)).dataArray
      let extracted = records.prefix(100).flatMap(\.datum.floatData)
      let difference = zip(direct, extracted).map { abs($0 - $1) }.max() ?? .infinity
      #expect(direct.count == extracted.count)
      #expect(difference <= 1e-5, "\(name): largest difference \(difference)")
    }
  }

  @Test(.enabled(if: Golden.isAvailable))
  func gpuRunsOnTheCPUWithAWarningAndLevelDBWorks() throws {
    let folder = try Folder()
    defer { folder.remove() }
    let output = folder.path("ip2_leveldb")
    let run = runCapturingLog(
      ExtractFeatures.self,
      [Self.weights, folder.model, "ip2", output, "1", "leveldb", "GPU", "1"])
    #expect(run.status == 0, "\(run.errors)")
    #expect(run.log.contains { $0.contains("CPU-only") && $0.contains("device 1") })
    #expect(run.log.contains("Extracted features of 100 query images for feature blob ip2"))
    let records = try Self.records(output, backend: .leveldb)
    #expect(records.count == 100)
    #expect(records.last?.key == "0000000099")
  }

  @Test(.enabled(if: Golden.isAvailable))
  func unknownBlobListsTheNetsBlobs() throws {
    let folder = try Folder()
    defer { folder.remove() }
    let run = runCapturingLog(
      ExtractFeatures.self,
      [
        Self.weights, folder.model, "ip1,fc7", "\(folder.path("a")),\(folder.path("b"))", "1",
        "lmdb",
      ])
    #expect(run.status == 1)
    #expect(run.errors.count == 1)
    let message = try #require(run.errors.first)
    #expect(message.contains("Unknown feature blob name fc7"))
    #expect(message.contains("conv1, pool1"))
    #expect(!FileManager.default.fileExists(atPath: folder.path("a")))
  }

  @Test(.enabled(if: Golden.isAvailable))
  func anExistingOutputIsRefusedBeforeAnyIsCreated() throws {
    let folder = try Folder()
    defer { folder.remove() }
    let existing = folder.path("ip2_lmdb")
    try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
    let fresh = folder.path("ip1_lmdb")
    let run = runCapturingLog(
      ExtractFeatures.self,
      [Self.weights, folder.model, "ip1,ip2", "\(fresh),\(existing)", "1", "lmdb"])
    #expect(run.status == 1)
    #expect(run.errors.count == 1)
    #expect(run.errors.first?.contains("already exists") == true)
    #expect(!FileManager.default.fileExists(atPath: fresh))
  }

  @Test(arguments: [
    (["ip1,ip2", "a", "1", "lmdb"], "must be equal"),
    (["ip1", "a", "0", "lmdb"], "num_mini_batches must be a positive integer"),
    (["ip1", "a", "ten", "lmdb"], "num_mini_batches must be a positive integer"),
    (["ip1", "a", "1", "hdf5"], "unknown db_type \"hdf5\""),
    (["ip1", "a", "1", "lmdb", "TPU"], "the device must be CPU or GPU"),
    (["ip1,ip1", "a,b", "1", "lmdb"], "repeated"),
  ])
  func badArgumentsGiveOneLine(arguments: [String], message: String) {
    let run = runCapturingLog(
      ExtractFeatures.self, ["weights.caffemodel", "net.prototxt"] + arguments)
    #expect(run.status == 1)
    #expect(run.errors.count == 1)
    #expect(run.errors.first?.contains(message) == true, "\(run.errors)")
  }
}
