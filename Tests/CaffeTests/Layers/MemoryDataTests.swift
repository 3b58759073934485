// MemoryData: batches from arrays (reset) and Datums (add), wrapping, and the checks Caffe makes.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct MemoryDataTests {
  // Caffe's test_memory_data_layer.cpp sizes.
  static let batchSize = 8
  static let batches = 12
  static let (channels, height, width) = (4, 7, 11)
  static let itemSize = channels * height * width

  static let parameters = """
    memory_data_param { batch_size: 8 channels: 4 height: 7 width: 11 }
    """

  static func layer(_ extra: String = "") throws -> (MemoryDataLayer, [Blob]) {
    let layer = try LayerFixture.make(MemoryDataLayer.self, parameters + extra)
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: [], top: tops)
    return (layer, tops)
  }

  /// `count` Datums of (4, 7, 11) whose pixels count up modulo 256 and whose labels are their
  /// indices, as Caffe's AddDatumVector test makes them.
  static func datums(_ count: Int) -> [Datum] {
    (0..<count).map { i in
      let pixels = (0..<itemSize).map { UInt8((i * itemSize + $0) % 256) }
      return Datum(
        channels: Int32(channels), height: Int32(height), width: Int32(width), bytes: pixels,
        label: Int32(i))
    }
  }

  static func isInvalidData(_ error: any Error, _ words: String) -> Bool {
    guard case CaffeError.invalidData(let layer, let reason) = error else { return false }
    return layer == "layer" && reason.contains(words)
  }

  @Test func setUpShapesTopsFromTheParameters() throws {
    let (layer, tops) = try Self.layer()
    #expect(tops[0].shape == [8, 4, 7, 11])
    #expect(tops[1].shape == [8])
    #expect(layer.batchSize == 8)
    #expect(LayerRegistry.layerClass(for: "MemoryData") == MemoryDataLayer.self)
  }

  @Test func forwardServesEachBatchInTurnAndWraps() throws {
    let (layer, tops) = try Self.layer()
    let count = Self.batches * Self.batchSize
    let data = try BlobBuilder.gaussian([count, Self.channels, Self.height, Self.width]).dataArray
    let labels = try BlobBuilder.gaussian([count], seed: 7).dataArray
    try layer.reset(data: data, labels: labels, count: count)
    for i in 0..<(Self.batches * 2) {
      let batch = i % Self.batches
      try layer.forward(bottom: [], top: tops)
      let start = batch * Self.batchSize * Self.itemSize
      #expect(tops[0].dataArray == Array(data[start..<(start + Self.batchSize * Self.itemSize)]))
      let labelStart = batch * Self.batchSize
      #expect(tops[1].dataArray == Array(labels[labelStart..<(labelStart + Self.batchSize)]))
      #expect(tops[1].shape == [8, 1, 1, 1])
    }
  }

  @Test func addedDatumsAreServedAsTheirPixelsAndLabels() throws {
    let (layer, tops) = try Self.layer()
    let datums = Self.datums(Self.batchSize * 5)
    try layer.add(datums: datums)
    for iteration in 0..<5 {
      try layer.forward(bottom: [], top: tops)
      let offset = iteration * Self.batchSize
      let expected = datums[offset..<(offset + Self.batchSize)].flatMap {
        $0.data.map { Float($0) }
      }
      #expect(tops[0].dataArray == expected)
      #expect(tops[1].dataArray == (offset..<(offset + Self.batchSize)).map(Float.init))
    }
  }

  @Test func addedDatumsGoThroughTheTransform() throws {
    let layer = try LayerFixture.make(
      MemoryDataLayer.self,
      """
      phase: TEST
      memory_data_param { batch_size: 1 channels: 1 height: 2 width: 2 }
      transform_param { scale: 0.5 mean_value: 10 crop_size: 2 }
      """)
    let tops = LayerFixture.tops(2)
    try layer.setUp(bottom: [], top: tops)
    // A 4 × 4 image centre-cropped (TEST phase) to its middle 2 × 2: rows 1-2, columns 1-2.
    let datum = Datum(
      channels: 1, height: 4, width: 4, bytes: (0..<16).map { UInt8($0 * 2) }, label: 3)
    try layer.add(datums: [datum])
    try layer.forward(bottom: [], top: tops)
    #expect(tops[0].dataArray == [10, 12, 18, 20].map { ($0 - 10) * 0.5 })
    #expect(tops[1].dataArray == [3])
  }

  @Test func batchSizeChangesOnceTheDataIsConsumed() throws {
    let (layer, tops) = try Self.layer()
    try layer.add(datums: Self.datums(Self.batchSize * 2))
    #expect { try layer.setBatchSize(16) } throws: { Self.isInvalidData($0, "consumed") }
    for _ in 0..<2 { try layer.forward(bottom: [], top: tops) }
    try layer.setBatchSize(16)
    try layer.add(datums: Self.datums(16 * 2))
    try layer.forward(bottom: [], top: tops)
    #expect(tops[0].shape == [16, 4, 7, 11])
    #expect(tops[1].dataArray == (0..<16).map(Float.init))
  }

  @Test func aNetServesResetData() throws {
    let text = """
      name: "memory"
      layer {
        name: "data" type: "MemoryData" top: "data" top: "label"
        memory_data_param { batch_size: 2 channels: 1 height: 1 width: 3 }
      }
      layer {
        name: "zeros" type: "DummyData" top: "zeros"
        dummy_data_param { shape { dim: 2 dim: 1 dim: 1 dim: 3 } }
      }
      layer { name: "loss" type: "EuclideanLoss" bottom: "data" bottom: "zeros" top: "loss" }
      """
    var definition = try Prototxt.decode(NetParameter.self, text: text, file: "<net>")
    definition.state.phase = .test
    let net = try Net(definition)
    let layer = try #require(net.layer(named: "data") as? MemoryDataLayer)
    try layer.reset(data: [1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0], labels: [0, 1, 2, 3], count: 4)
    // Euclidean loss against zeros: ½·Σx² / N = ½ · 14 / 2.
    #expect(try net.forward() == 3.5)
    #expect(try net.forward() == 0)
    #expect(try net.forward() == 3.5)
  }

  @Test(arguments: ["batch_size", "channels", "height", "width"])
  func everyDimensionIsRequired(field: String) throws {
    let given = ["batch_size", "channels", "height", "width"].filter { $0 != field }
      .map { "\($0): 2" }.joined(separator: " ")
    #expect {
      try LayerFixture.make(MemoryDataLayer.self, "memory_data_param { \(given) }")
    } throws: { LayerFixture.isInvalid($0, field: "memory_data_param.\(field)") }
  }

  @Test func fillingChecksCountsAndShapes() throws {
    let (layer, tops) = try Self.layer()
    #expect { try layer.forward(bottom: [], top: tops) } throws: {
      Self.isInvalidData($0, "has no data")
    }
    let values = [Float](repeating: 0, count: 16 * Self.itemSize)
    #expect { try layer.reset(data: values, labels: values, count: 12) } throws: {
      Self.isInvalidData($0, "multiple of batch_size (8)")
    }
    #expect { try layer.reset(data: values, labels: values, count: 0) } throws: {
      Self.isInvalidData($0, "multiple of batch_size")
    }
    #expect { try layer.reset(data: [1], labels: values, count: 8) } throws: {
      Self.isInvalidData($0, "given 1 values")
    }
    #expect { try layer.add(datums: []) } throws: { Self.isInvalidData($0, "no Datums") }
    #expect { try layer.add(datums: Self.datums(5)) } throws: {
      Self.isInvalidData($0, "multiple of batch_size")
    }
    let small = (0..<8).map { _ in
      Datum(channels: 1, height: 2, width: 2, bytes: [0, 0, 0, 0], label: 0)
    }
    #expect { try layer.add(datums: small) } throws: { error in
      LayerFixture.isShapeMismatch(error, expected: [4, 7, 11], actual: [1, 2, 2])
    }
    try layer.add(datums: Self.datums(16))
    #expect { try layer.add(datums: Self.datums(8)) } throws: {
      Self.isInvalidData($0, "consumed")
    }
  }
}
