// HDF5File: round trips of every dataset kind, Caffe's own sample files, and error messages.

import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import CaffeData

@Suite struct HDF5FileTests {
  /// Caffe's HDF5 test files (src/caffe/test/test_data, made by generate_sample_data.py).
  static func sample(_ name: String) -> String {
    Golden.path("caffe-corpus/bvlc-test-data/" + name)
  }

  static var hasSamples: Bool {
    FileManager.default.fileExists(atPath: sample("sample_data.h5"))
  }

  @Test func floatIntStringAndGroupsRoundTrip() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("round.h5").path
    let values: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
    do {
      let file = try HDF5File(creatingAt: path)
      try file.writeFloats("blob", values, shape: [2, 3, 4])
      try file.writeFloats("scalar", [7.25], shape: [])
      try file.writeInt("iter", 1234)
      try file.writeInt("negative", -5)
      try file.writeString("learned_net", "snapshots/lenet_iter_1234.caffemodel.h5")
      let history = try file.createGroup("history")
      try history.writeFloats("0", [1, 2, 3], shape: [3])
      _ = try file.createGroup("history/inner")
      try file.close()
    }
    let file = try HDF5File(openingAt: path)
    let blob = try file.readFloats("blob")
    #expect(blob.shape == [2, 3, 4])
    #expect(blob.values == values)
    #expect(try file.readFloats("scalar").shape == [])
    #expect(try file.readFloats("scalar").values == [7.25])
    #expect(try file.readInt("iter") == 1234)
    #expect(try file.readInt("negative") == -5)
    #expect(try file.readString("learned_net") == "snapshots/lenet_iter_1234.caffemodel.h5")
    #expect(
      try file.memberNames() == [
        "blob", "history", "iter", "learned_net", "negative",
        "scalar",
      ])
    #expect(file.contains("history/0") && file.contains("history/inner"))
    #expect(!file.contains("history/1") && !file.contains("missing/0") && !file.contains(""))
    #expect(file.containsGroup("history") && !file.containsGroup("iter"))
    let history = try file.openGroup("history")
    #expect(history.path == "/history")
    #expect(try history.memberNames() == ["0", "inner"])
    #expect(try history.readFloats("0").values == [1, 2, 3])
    #expect(try file.readFloats("history/0").shape == [3])
    #expect(try file.datasetShape("blob") == [2, 3, 4])
  }

  @Test func intIsStoredAsCaffeDoesAndEmptyStringsWork() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("int.h5").path
    let file = try HDF5File(creatingAt: path)
    try file.writeInt("current_step", 3)
    try file.writeString("empty", "")
    // Caffe's hdf5_save_int writes a 1-D dataset of one int; ints read as floats too.
    #expect(try file.datasetShape("current_step") == [1])
    #expect(try file.readFloats("current_step").values == [3])
    #expect(try file.readString("empty") == "")
  }

  @Test func readWriteModeAddsToAnExistingFile() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("rw.h5").path
    try HDF5File(creatingAt: path).writeInt("a", 1)
    let file = try HDF5File(openingAt: path, mode: .readWrite)
    try file.writeInt("b", 2)
    try file.close()
    let reread = try HDF5File(openingAt: path)
    #expect(try reread.readInt("a") == 1 && reread.readInt("b") == 2)
    #expect(throws: CaffeError.self) { try reread.writeInt("c", 3) }
  }

  @Test func missingAndForeignFilesThrowNamingThePath() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let missing = folder.appendingPathComponent("missing.h5").path
    let error = #expect(throws: CaffeError.self) { try HDF5File(openingAt: missing) }
    #expect(error == .io(path: missing, reason: "no such file; check the HDF5 file's path"))

    let text = folder.appendingPathComponent("list.txt").path
    try "a.h5\n".write(toFile: text, atomically: true, encoding: .utf8)
    let foreign = #expect(throws: CaffeError.self) { try HDF5File(openingAt: text) }
    #expect(foreign?.description == "\(text): not an HDF5 file (no HDF5 signature found)")

    let noFolder = folder.appendingPathComponent("no/such/dir/out.h5").path
    let create = #expect(throws: CaffeError.self) { try HDF5File(creatingAt: noFolder) }
    #expect(create?.description.hasPrefix("\(noFolder): cannot create the HDF5 file") == true)
  }

  @Test func missingDatasetsAndWrongKindsThrowNamingTheDataset() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("e.h5").path
    let file = try HDF5File(creatingAt: path)
    try file.writeFloats("data", [1, 2], shape: [2])
    try file.writeString("name", "x")
    _ = try file.createGroup("group")

    let missing = #expect(throws: CaffeError.self) { try file.readFloats("label") }
    #expect(
      missing?.description
        == "\(path): no dataset /label in the HDF5 file; / holds: data, group, name")
    let nested = #expect(throws: CaffeError.self) { try file.readFloats("group/0") }
    #expect(nested?.description == "\(path): no dataset /group/0 in the HDF5 file; /group is empty")
    let noParent = #expect(throws: CaffeError.self) { try file.readInt("nope/0") }
    #expect(noParent?.description.hasSuffix("there is no group /nope") == true)
    let notGroup = #expect(throws: CaffeError.self) { try file.openGroup("data") }
    #expect(notGroup?.description == "\(path): /data is a dataset, not a group")
    let notDataset = #expect(throws: CaffeError.self) { try file.readFloats("group") }
    #expect(notDataset?.description == "\(path): /group is a group, not a dataset")
    let string = #expect(throws: CaffeError.self) { try file.readFloats("name") }
    #expect(
      string?.description == "\(path): dataset /name holds string values; a numeric (float or "
        + "integer) dataset is required")
    let notInt = #expect(throws: CaffeError.self) { try file.readInt("data") }
    #expect(notInt?.description.contains("an integer dataset is required") == true)
    let notString = #expect(throws: CaffeError.self) { try file.readString("data") }
    #expect(notString?.description.contains("a string dataset is required") == true)
    let exists = #expect(throws: CaffeError.self) { try file.writeInt("data", 1) }
    #expect(exists == .io(path: path, reason: "/data exists already in the HDF5 file"))
    let badShape = #expect(throws: CaffeError.self) {
      try file.writeFloats("x", [1, 2, 3], shape: [2, 2])
    }
    #expect(badShape?.description.contains("3 values do not fill shape 2 2 (4)") == true)
    #expect(throws: CaffeError.self) { try file.writeInt("big", 1 << 40) }
    try file.close()
    let closed = #expect(throws: CaffeError.self) { try file.readFloats("data") }
    #expect(closed == .io(path: path, reason: "the HDF5 file is already closed"))
  }

  @Test(.enabled(if: hasSamples, "needs ../shared/caffe-corpus/bvlc-test-data"))
  func readsCaffesSampleData() throws {
    let file = try HDF5File(openingAt: Self.sample("sample_data.h5"))
    #expect(try file.memberNames() == ["data", "label", "label2"])
    let data = try file.readFloats("data")
    #expect(data.shape == [10, 8, 6, 5])
    #expect(data.values == (0..<2400).map(Float.init))
    let label = try file.readFloats("label")
    #expect(label.shape == [10, 1])
    #expect(label.values == (1...10).map(Float.init))
    #expect(try file.readFloats("label2").values == (2...11).map(Float.init))
  }

  @Test(.enabled(if: hasSamples, "needs ../shared/caffe-corpus/bvlc-test-data"))
  func readsGzipCompressedUInt8Datasets() throws {
    let file = try HDF5File(openingAt: Self.sample("sample_data_2_gzip.h5"))
    let data = try file.readFloats("data")
    #expect(data.shape == [10, 8, 6, 5])
    #expect(data.values == (2400..<4800).map(Float.init))
    // label and label2 are uint8 here: integers convert to Float as in Caffe.
    #expect(try file.readFloats("label").values == (1...10).map(Float.init))
    #expect(try file.readFloats("label2").shape == [10, 1])
  }

  @Test(.enabled(if: hasSamples, "needs ../shared/caffe-corpus/bvlc-test-data"))
  func readsCaffesSolverData() throws {
    let file = try HDF5File(openingAt: Self.sample("solver_data.h5"))
    #expect(try file.memberNames() == ["data", "targets"])
    #expect(try file.datasetShape("data") == [8, 3, 10, 10])
    let targets = try file.readFloats("targets")
    #expect(targets.shape == [8, 1])
    #expect(targets.values.allSatisfy { $0.isFinite && abs($0) < 10 })
  }
}
