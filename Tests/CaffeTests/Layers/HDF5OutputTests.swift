// HDF5Output layer: Caffe's TestForward round trip through the sample file, and errors.

import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct HDF5OutputTests {
  static func parameter(_ fileName: String) -> LayerParameter {
    var param = LayerParameter()
    param.name = "out"
    param.type = "HDF5Output"
    param.bottom = ["data", "label"]
    param.hdf5OutputParam.fileName = fileName
    return param
  }

  static func blob(_ values: [Float], _ shape: [Int]) throws -> Blob {
    let blob = try Blob(shape: shape)
    try blob.setData(values)
    return blob
  }

  @Test(.enabled(if: HDF5DataTests.hasSamples, "needs ../shared/caffe-corpus/bvlc-test-data"))
  func writesWhatItReadsFromCaffesSampleFile() throws {
    let input = try HDF5File(
      openingAt: Golden.path(HDF5DataTests.sampleFolder + "sample_data.h5"))
    let data = try input.readFloats("data")
    let label = try input.readFloats("label")
    let bottom = [try Self.blob(data.values, data.shape), try Self.blob(label.values, label.shape)]
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("out.h5").path
    let layer = try HDF5OutputLayer(Self.parameter(output))
    try layer.setUp(bottom: bottom, top: [])
    #expect(layer.fileName == output)
    #expect(FileManager.default.fileExists(atPath: output))
    try layer.forward(bottom: bottom, top: [])

    let written = try HDF5File(openingAt: output)
    #expect(try written.memberNames() == ["data", "label"])
    #expect(try written.readFloats("data").shape == [10, 8, 6, 5])
    #expect(try written.readFloats("data").values == data.values)
    // (10, 1) labels are saved in their legacy 4-D view, as Caffe does.
    #expect(try written.readFloats("label").shape == [10, 1, 1, 1])
    #expect(try written.readFloats("label").values == label.values)
  }

  @Test func eachForwardReplacesTheFileWithTheLatestBatch() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("out.h5").path
    let layer = try HDF5OutputLayer(Self.parameter(output))
    let first = [try Self.blob([1, 2], [2]), try Self.blob([0, 1], [2])]
    try layer.setUp(bottom: first, top: [])
    try layer.forward(bottom: first, top: [])
    let second = [try Self.blob([3, 4], [2]), try Self.blob([1, 0], [2])]
    try layer.forward(bottom: second, top: [])
    let written = try HDF5File(openingAt: output)
    #expect(try written.readFloats("data").values == [3, 4])
    #expect(try written.readFloats("label").values == [1, 0])
  }

  @Test func differentBatchSizesAndBadFileNamesAreErrors() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("out.h5").path
    let layer = try HDF5OutputLayer(Self.parameter(output))
    let bottom = [try Self.blob([1, 2, 3], [3]), try Self.blob([0, 1], [2])]
    try layer.setUp(bottom: bottom, top: [])
    let mismatch = #expect(throws: CaffeError.self) {
      try layer.forward(bottom: bottom, top: [])
    }
    #expect(
      mismatch
        == .shapeMismatch(
          layer: "out", blob: "label (bottom 1)", expected: [3],
          actual: [2]))
    #expect(throws: CaffeError.self) { try HDF5OutputLayer(Self.parameter("")) }
    let unwritable = folder.appendingPathComponent("missing/out.h5").path
    let noFolder = try HDF5OutputLayer(Self.parameter(unwritable))
    let error = #expect(throws: CaffeError.self) {
      try noFolder.setUp(bottom: bottom, top: [])
    }
    #expect(error?.description.hasPrefix("\(unwritable): cannot create the HDF5 file") == true)
  }
}
