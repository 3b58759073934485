// Binary files: Caffe's caffemodels, solverstates and binaryprotos read and re-written exactly.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import SwiftProtobuf
import Testing

/// The caffemodels and solverstates of `shared/`, written by BVLC Caffe (or pycaffe).
private let caffeWrittenFiles: [String] = {
  let folders = ["golden", "caffe-corpus/weights", "caffe-corpus/opencv-layer-goldens"]
  return folders.flatMap { folder -> [String] in
    let names = (try? FileManager.default.contentsOfDirectory(atPath: Golden.path(folder))) ?? []
    return names.filter { $0.hasSuffix(".caffemodel") || $0.hasSuffix(".solverstate") }
      .sorted().map { "\(folder)/\($0)" }
  }
}()

@Suite("Binary protobuf files")
struct BinaryProtoTests {
  @Test(.enabled(if: Golden.isAvailable), arguments: caffeWrittenFiles)
  func caffeFileReEncodesByteForByte(relativePath: String) throws {
    let path = Golden.path(relativePath)
    let original = try Data(contentsOf: URL(fileURLWithPath: path))
    let reencoded: Data
    if relativePath.hasSuffix(".caffemodel") {
      let net = try BinaryProto.read(NetParameter.self, path: path)
      #expect(!net.layer.isEmpty || !net.layers.isEmpty)
      #expect(net.unknownFields.data.isEmpty)
      reencoded = try net.serializedBytes()
    } else {
      let state = try BinaryProto.read(SolverState.self, path: path)
      #expect(state.iter > 0)
      #expect(!state.history.isEmpty)
      reencoded = try state.serializedBytes()
    }
    #expect(reencoded == original)
  }

  @Test(.enabled(if: Golden.isAvailable))
  func lenetWeightsHaveCaffeShapes() throws {
    let net = try BinaryProto.read(
      NetParameter.self, path: Golden.path("golden/lenet_iter_10000.caffemodel"))
    let conv1 = try #require(net.layer.first { $0.name == "conv1" })
    #expect(conv1.blobs.map(\.shape.dim) == [[20, 1, 5, 5], [20]])
    #expect(conv1.blobs[0].data.count == 500)
  }

  @Test(.enabled(if: Golden.isAvailable))
  func meanImageBinaryprotoReEncodesByteForByte() throws {
    let path = Golden.path("caffe-corpus/mean/agegender--mean.binaryproto")
    let blob = try BinaryProto.read(BlobProto.self, path: path)
    #expect([blob.num, blob.channels, blob.height, blob.width] == [1, 3, 256, 256])
    #expect(blob.data.count == 196_608)
    #expect(try blob.serializedBytes() == Data(contentsOf: URL(fileURLWithPath: path)))
  }

  @Test func writeThenReadGivesTheSameMessage() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    var blob = BlobProto()
    blob.shape.dim = [2, 3]
    blob.data = [1, -2, 3.5, 0, 1e-8, 7]
    let path = folder.appendingPathComponent("blob.binaryproto").path
    try BinaryProto.write(blob, path: path)
    try BinaryProto.write(blob, path: path)
    #expect(try BinaryProto.read(BlobProto.self, path: path) == blob)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(leftovers == ["blob.binaryproto"])
  }

  @Test func truncatedFileIsInvalidNotACrash() throws {
    var net = NetParameter()
    net.name = "tiny"
    var layer = LayerParameter()
    layer.name = "ip"
    layer.blobs = [BlobProto()]
    layer.blobs[0].data = Array(repeating: 0.5, count: 64)
    net.layer = [layer]
    let bytes: [UInt8] = try net.serializedBytes()
    for length in [bytes.count - 1, bytes.count / 2, 3] {
      let error = #expect(throws: CaffeError.self) {
        try BinaryProto.decode(
          NetParameter.self, data: Data(bytes[0..<length]), path: "cut.caffemodel")
      }
      guard case .invalidFile(let path, let reason)? = error else {
        Issue.record("expected invalidFile, got \(String(describing: error))")
        continue
      }
      #expect(path == "cut.caffemodel")
      #expect(reason.contains("caffe.NetParameter"))
      #expect(!reason.contains("\n"))
    }
  }

  @Test(arguments: [
    ("name: \"LeNet\"\nlayer {\n}\n", "a prototxt given as a caffemodel"),
    ("\u{89}PNG\r\n\u{1A}\n", "an image"),
    ("", "an empty file"),
  ])
  func nonProtobufInputIsInvalid(text: String, what: String) {
    let error = #expect(throws: CaffeError.self, "\(what)") {
      try BinaryProto.decode(NetParameter.self, data: Data(text.utf8), path: "x.caffemodel")
    }
    guard case .invalidFile(let path, _)? = error else {
      Issue.record("expected invalidFile for \(what), got \(String(describing: error))")
      return
    }
    #expect(path == "x.caffemodel")
  }

  @Test(.enabled(if: Golden.isAvailable))
  func solverStateAndWeightsAreNotTakenForEachOther() {
    let state = Golden.path("golden/lenet_iter_10000.solverstate")
    let weights = Golden.path("golden/lenet_iter_10000.caffemodel")
    #expect(throws: CaffeError.self) { try BinaryProto.read(NetParameter.self, path: state) }
    #expect(throws: CaffeError.self) { try BinaryProto.read(SolverState.self, path: weights) }
  }

  @Test func missingFileIsAnIOError() {
    #expect(throws: CaffeError.io(path: "/nonexistent/w.caffemodel", reason: "no such file")) {
      try BinaryProto.read(NetParameter.self, path: "/nonexistent/w.caffemodel")
    }
  }

  @Test func writingIntoAMissingFolderIsAnIOError() {
    let error = #expect(throws: CaffeError.self) {
      try BinaryProto.write(BlobProto(), path: "/nonexistent-folder/b.binaryproto")
    }
    guard case .io(let path, _)? = error else {
      Issue.record("expected io, got \(String(describing: error))")
      return
    }
    #expect(path == "/nonexistent-folder/b.binaryproto")
  }
}
