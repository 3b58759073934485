// HDF5Data layer: Caffe's TestRead on its sample files, shuffling, and the errors users meet.

import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct HDF5DataTests {
  static let sampleFolder = "caffe-corpus/bvlc-test-data/"
  static var hasSamples: Bool {
    FileManager.default.fileExists(atPath: Golden.path(sampleFolder + "sample_data.h5"))
  }

  /// A temporary folder holding a list file `list.txt` with `lines`; removed on deinit.
  final class ListFile {
    let folder: URL
    let path: String

    init(_ lines: [String]) throws {
      folder = try Golden.temporaryDirectory()
      path = folder.appendingPathComponent("list.txt").path
      try (lines.joined(separator: "\n") + "\n").write(
        toFile: path, atomically: true, encoding: .utf8)
    }

    func child(_ name: String) -> String { folder.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: folder) }
  }

  static func parameter(
    source: String, tops: [String], batchSize: UInt32 = 5, shuffle: Bool = false
  ) -> LayerParameter {
    var param = LayerParameter()
    param.name = "hdf5"
    param.type = "HDF5Data"
    param.top = tops
    param.hdf5DataParam.source = source
    param.hdf5DataParam.batchSize = batchSize
    param.hdf5DataParam.shuffle = shuffle
    return param
  }

  /// Sets up a layer on fresh tops, one per top name.
  static func setUp(_ param: LayerParameter) throws -> (HDF5DataLayer, [Blob]) {
    let layer = try HDF5DataLayer(param)
    let tops = param.top.map { _ in Blob() }
    try layer.setUp(bottom: [], top: tops)
    return (layer, tops)
  }

  /// Writes an .h5 file with `rows` rows: `data` (rows, 2) holding 100·file + row in both
  /// columns, and `label` (rows) holding row.
  static func writeFile(_ path: String, file: Int, rows: Int) throws {
    let h5 = try HDF5File(creatingAt: path)
    var data: [Float] = []
    for row in 0..<rows { data += Array(repeating: Float(100 * file + row), count: 2) }
    try h5.writeFloats("data", data, shape: [rows, 2])
    try h5.writeFloats("label", (0..<rows).map(Float.init), shape: [rows])
    try h5.close()
  }

  @Test(.enabled(if: hasSamples, "needs ../shared/caffe-corpus/bvlc-test-data"))
  func readsCaffesSampleFilesInOrder() throws {
    let list = try ListFile([
      Golden.path(Self.sampleFolder + "sample_data.h5"),
      Golden.path(Self.sampleFolder + "sample_data_2_gzip.h5"),
    ])
    let batchSize = 5
    let (layer, tops) = try Self.setUp(
      Self.parameter(source: list.path, tops: ["data", "label", "label2"]))
    #expect(tops[0].shape == [batchSize, 8, 6, 5])
    #expect(tops[1].shape == [batchSize, 1])
    #expect(tops[2].shape == [batchSize, 1])
    // Caffe's TestRead: each file has 10 rows (two batches); the second file's data is offset
    // by 2400 and both files have labels 1…10 (label2 = label + 1).
    let dataSize = 8 * 6 * 5
    for iteration in 0..<10 {
      try layer.forward(bottom: [], top: tops)
      let labelOffset = 1 + (iteration % 2 == 0 ? 0 : batchSize)
      let dataOffset = iteration % 2 == 0 ? 0 : batchSize * dataSize
      let fileOffset = iteration % 4 < 2 ? 0 : 2400
      #expect(tops[1].dataArray == (0..<batchSize).map { Float(labelOffset + $0) })
      #expect(tops[2].dataArray == (0..<batchSize).map { Float(labelOffset + 1 + $0) })
      let expected = (0..<batchSize * dataSize).map { Float(fileOffset + dataOffset + $0) }
      #expect(tops[0].dataArray == expected, "iteration \(iteration)")
    }
  }

  @Test func shuffleVisitsEveryRowOfAFileBeforeTheNextAndIsSeeded() throws {
    let list = try ListFile(["a.h5", "b.h5"])
    let paths = [list.child("a.h5"), list.child("b.h5")]
    try paths.joined(separator: "\n").write(toFile: list.path, atomically: true, encoding: .utf8)
    for (file, path) in paths.enumerated() { try Self.writeFile(path, file: file, rows: 6) }
    func run() throws -> [[Float]] {
      Runtime.setRandomSeed(1701)
      let (layer, tops) = try Self.setUp(
        Self.parameter(source: list.path, tops: ["data", "label"], batchSize: 3, shuffle: true))
      var batches: [[Float]] = []
      for _ in 0..<8 {
        try layer.forward(bottom: [], top: tops)
        batches.append(tops[0].dataArray)
        // Rows stay paired across tops: data = 100·file + label in both columns.
        for item in 0..<3 {
          #expect(
            tops[0].dataArray[2 * item].truncatingRemainder(dividingBy: 100)
              == tops[1].dataArray[item])
        }
      }
      return batches
    }
    let batches = try run()
    #expect(try run() == batches)
    // Every pass over a file (two batches) holds all six of its rows, from one file only.
    let rows = batches.map { batch in stride(from: 0, to: batch.count, by: 2).map { batch[$0] } }
    for pass in stride(from: 0, to: rows.count, by: 2) {
      let values = (rows[pass] + rows[pass + 1]).sorted()
      let file = Int(values[0]) / 100
      #expect(values == (0..<6).map { Float(100 * file + $0) })
    }
    #expect(rows.flatMap { $0 } != rows.flatMap { $0 }.sorted())
  }

  @Test func singleFileWrapsAround() throws {
    let list = try ListFile([])
    let path = list.child("only.h5")
    try path.write(toFile: list.path, atomically: true, encoding: .utf8)
    try Self.writeFile(path, file: 0, rows: 3)
    let (layer, tops) = try Self.setUp(
      Self.parameter(source: list.path, tops: ["label"], batchSize: 2))
    #expect(tops[0].shape == [2])
    try layer.forward(bottom: [], top: tops)
    #expect(tops[0].dataArray == [0, 1])
    try layer.forward(bottom: [], top: tops)
    #expect(tops[0].dataArray == [2, 0])
  }

  @Test func anH5FileGivenAsSourceIsRefusedListingItsDatasets() throws {
    let list = try ListFile([])
    let path = list.child("direct.h5")
    try Self.writeFile(path, file: 0, rows: 2)
    let error = #expect(throws: CaffeError.self) {
      try Self.setUp(Self.parameter(source: path, tops: ["data"]))
    }
    let text = error?.description ?? ""
    #expect(
      text.hasPrefix(
        "layer \"hdf5\" (HDF5Data): hdf5_data_param.source: \(path) is an "
          + "HDF5 file (datasets: data, label); source must be a text file listing .h5 files"))
  }

  @Test func aListedFileWithoutATopsDatasetNamesFileTopAndDatasets() throws {
    let list = try ListFile([])
    let path = list.child("a.h5")
    try path.write(toFile: list.path, atomically: true, encoding: .utf8)
    try Self.writeFile(path, file: 0, rows: 2)
    let error = #expect(throws: CaffeError.self) {
      try Self.setUp(Self.parameter(source: list.path, tops: ["data", "labels"]))
    }
    #expect(
      error?.description == "\(path): no dataset \"labels\" for top \"labels\" of layer \"hdf5\" "
        + "(HDF5Data reads one dataset per top, named like the top; the file holds: data, label)")
  }

  @Test func rowCountsThatDifferAreAnError() throws {
    let list = try ListFile([])
    let path = list.child("a.h5")
    try path.write(toFile: list.path, atomically: true, encoding: .utf8)
    let file = try HDF5File(creatingAt: path)
    try file.writeFloats("data", [1, 2, 3], shape: [3, 1])
    try file.writeFloats("label", [1, 2], shape: [2])
    try file.close()
    let error = #expect(throws: CaffeError.self) {
      try Self.setUp(Self.parameter(source: list.path, tops: ["data", "label"]))
    }
    #expect(error?.description.contains("\"data\" has 3, \"label\" has 2") == true)
  }

  @Test func missingListEmptyListAndMissingListedFileAreErrors() throws {
    let list = try ListFile([])
    let missingList = list.child("nope.txt")
    let noList = #expect(throws: CaffeError.self) {
      try Self.setUp(Self.parameter(source: missingList, tops: ["data"]))
    }
    #expect(noList == .io(path: missingList, reason: "cannot read the list of HDF5 files"))
    let empty = #expect(throws: CaffeError.self) {
      try Self.setUp(Self.parameter(source: list.path, tops: ["data"]))
    }
    #expect(empty?.description.contains("lists no HDF5 file") == true)
    let absent = list.child("absent.h5")
    try absent.write(toFile: list.path, atomically: true, encoding: .utf8)
    let missing = #expect(throws: CaffeError.self) {
      try Self.setUp(Self.parameter(source: list.path, tops: ["data"]))
    }
    #expect(missing == .io(path: absent, reason: "no such file; check the HDF5 file's path"))
  }

  @Test func badParametersAreRefused() throws {
    #expect(throws: CaffeError.self) {
      try HDF5DataLayer(Self.parameter(source: "", tops: ["data"]))
    }
    #expect(throws: CaffeError.self) {
      try HDF5DataLayer(Self.parameter(source: "list.txt", tops: ["data"], batchSize: 0))
    }
    var transformed = Self.parameter(source: "list.txt", tops: ["data"])
    transformed.transformParam.scale = 2
    let error = #expect(throws: CaffeError.self) { try HDF5DataLayer(transformed) }
    #expect(error?.description.contains("transform_param") == true)
  }
}
