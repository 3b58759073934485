// Weights and solver states in HDF5: Caffe's .caffemodel.h5 and .solverstate.h5 layouts.

import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct HDF5WeightsTests {
  /// NetTests' two-layer net with ip2's weight shared by a third InnerProduct layer "ip3".
  static let sharedNet = NetTests.twoLayer.replacingOccurrences(
    of: "layer { name: \"loss\"",
    with: """
      layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3"
              param { name: "shared_w" } param { }
              inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.1 } } }
      layer { name: "silence" type: "Silence" bottom: "ip3" }
      layer { name: "loss"
      """
  ).replacingOccurrences(
    of: "layer { name: \"ip2\" type: \"InnerProduct\" bottom: \"ip1\" top: \"ip2\"",
    with: "layer { name: \"ip2\" type: \"InnerProduct\" bottom: \"ip1\" top: \"ip2\" "
      + "param { name: \"shared_w\" } param { }")

  static func weights(_ net: Net, _ layer: String) throws -> [[Float]] {
    try #require(net.layer(named: layer)).blobs.map(\.dataArray)
  }

  @Test func weightsRoundTripInCaffesLayout() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("tiny.caffemodel.h5").path
    let source = try NetTests.makeNet(NetTests.twoLayer)
    for blob in source.learnableParams { blob.diff.update(repeating: 0.25, count: blob.count) }
    try source.saveHDF5(to: path, writeDiff: true)

    let file = try HDF5File(openingAt: path)
    #expect(try file.memberNames() == ["data", "diff"])
    #expect(try file.openGroup("data").memberNames() == ["input", "ip1", "ip2", "loss", "relu"])
    #expect(try file.datasetShape("data/ip1/0") == [5, 3])
    #expect(try file.datasetShape("data/ip1/1") == [5])
    #expect(try file.readFloats("diff/ip2/0").values == Array(repeating: 0.25, count: 10))
    #expect(try file.openGroup("data/relu").memberNames().isEmpty)

    let target = try NetTests.makeNet(NetTests.twoLayer)
    try target.copyTrainedLayers(fromFile: path)
    for layer in ["ip1", "ip2"] {
      #expect(try Self.weights(target, layer) == Self.weights(source, layer))
    }
  }

  @Test func sharedParametersAreSavedOnceAndLoadBack() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("shared.caffemodel.h5").path
    let source = try NetTests.makeNet(Self.sharedNet)
    try source.saveHDF5(to: path)
    let file = try HDF5File(openingAt: path)
    #expect(try file.openGroup("data/ip3").memberNames() == ["1"])
    let target = try NetTests.makeNet(Self.sharedNet)
    try target.copyTrainedLayers(fromHDF5: path)
    #expect(try Self.weights(target, "ip3") == Self.weights(source, "ip3"))
  }

  @Test func mismatchesThrowAndLeaveTheNetUnchanged() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("w.caffemodel.h5").path
    try NetTests.makeNet(NetTests.twoLayer).saveHDF5(to: path)
    let target = try NetTests.makeNet(
      NetTests.twoLayer.replacingOccurrences(of: "num_output: 2", with: "num_output: 3"))
    let before = try Self.weights(target, "ip1")
    let error = #expect(throws: CaffeError.self) { try target.copyTrainedLayers(fromFile: path) }
    let text = error?.description ?? ""
    #expect(text.contains("layer 'ip2'") && text.contains("2 5 (10)") && text.contains("3 5 (15)"))
    #expect(try Self.weights(target, "ip1") == before)

    let broken = folder.appendingPathComponent("broken.caffemodel.h5").path
    let file = try HDF5File(creatingAt: broken)
    try file.createGroup("data").createGroup("ip1").writeFloats(
      "0",
      [Float](
        repeating: 0,
        count: 15), shape: [5, 3])
    try file.close()
    let missing = #expect(throws: CaffeError.self) {
      try NetTests.makeNet(NetTests.twoLayer).copyTrainedLayers(fromFile: broken)
    }
    #expect(missing?.description.hasPrefix("Incompatible number of blobs for layer ip1") == true)

    let noData = folder.appendingPathComponent("nodata.h5").path
    try HDF5File(creatingAt: noData).close()
    let noGroup = #expect(throws: CaffeError.self) {
      try NetTests.makeNet(NetTests.twoLayer).copyTrainedLayers(fromFile: noData)
    }
    #expect(noGroup?.description.hasPrefix("\(noData): no group /data") == true)
  }

  @Test func layerNamesWithSlashesNestGroupsAndLoadBack() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("slash.caffemodel.h5").path
    let text = NetTests.twoLayer.replacingOccurrences(of: "\"ip1\"", with: "\"block/ip1\"")
    let source = try NetTests.makeNet(text)
    try source.saveHDF5(to: path)
    #expect(try HDF5File(openingAt: path).datasetShape("data/block/ip1/0") == [5, 3])
    let target = try NetTests.makeNet(text)
    try target.copyTrainedLayers(fromHDF5: path)
    #expect(try Self.weights(target, "block/ip1") == Self.weights(source, "block/ip1"))
  }

  @Test func solverStateRoundTripsInCaffesLayout() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("s_iter_10.solverstate.h5").path
    var state = SolverState()
    state.iter = 10
    state.currentStep = 2
    state.learnedNet = "s_iter_10.caffemodel.h5"
    var first = BlobProto()
    first.shape.dim = [2, 3]
    first.data = (0..<6).map { Float($0) / 4 }
    var legacy = BlobProto()
    legacy.num = 1
    legacy.channels = 2
    legacy.height = 1
    legacy.width = 1
    legacy.doubleData = [0.5, -1.5]
    state.history = [first, legacy]
    var position = Caffe_DataSourcePosition()
    position.layer = "mnist"
    position.record = 640
    state.dataPosition = [position]
    try SolverStateHDF5.write(state, to: path)

    let file = try HDF5File(openingAt: path)
    #expect(try file.readInt("iter") == 10 && file.readInt("current_step") == 2)
    #expect(try file.datasetShape("iter") == [1])
    #expect(try file.readString("learned_net") == "s_iter_10.caffemodel.h5")
    #expect(try file.openGroup("history").memberNames() == ["0", "1"])

    let read = try SolverStateHDF5.read(path: path)
    #expect(read.iter == 10 && read.currentStep == 2)
    #expect(read.learnedNet == state.learnedNet)
    #expect(read.history.count == 2)
    #expect(read.history[0].shape.dim == [2, 3] && read.history[0].data == first.data)
    #expect(read.history[1].shape.dim == [1, 2, 1, 1] && read.history[1].data == [0.5, -1.5])
    #expect(read.dataPosition == [position])
  }

  @Test func solverStateErrorsNameTheFile() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("bad.solverstate.h5").path
    let file = try HDF5File(creatingAt: path)
    try file.writeInt("iter", 3)
    try file.close()
    let error = #expect(throws: CaffeError.self) { try SolverStateHDF5.read(path: path) }
    #expect(error?.description.hasPrefix("\(path): no dataset /current_step") == true)

    var state = SolverState()
    var wrong = BlobProto()
    wrong.shape.dim = [4]
    wrong.data = [1, 2]
    state.history = [wrong]
    let target = folder.appendingPathComponent("out.solverstate.h5").path
    #expect(throws: CaffeError.self) { try SolverStateHDF5.write(state, to: target) }
    #expect(!FileManager.default.fileExists(atPath: target))
    let noFolder = folder.appendingPathComponent("missing/out.solverstate.h5").path
    let io = #expect(throws: CaffeError.self) {
      try SolverStateHDF5.write(SolverState(), to: noFolder)
    }
    #expect(io?.description.hasPrefix("\(noFolder): folder") == true)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bad.solverstate.h5"])
  }
}
