// Data layer: batches from LMDB and LevelDB, wrap-around, labels, resumable positions, errors.

import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct DataLayerTests {
  /// A serialized (1, `height`, `width`) datum with label `index`; its pixels are `bytes`, or
  /// all equal to `index`.
  private static func record(
    _ index: Int, height: Int32 = 2, width: Int32 = 3, bytes: [UInt8]? = nil
  ) throws -> [UInt8] {
    let pixels = bytes ?? Array(repeating: UInt8(index), count: Int(height * width))
    return try Datum(channels: 1, height: height, width: width, bytes: pixels, label: Int32(index))
      .serializedValue(key: [], source: "")
  }

  /// A database of `count` records in a fresh temporary folder, removed on deinit; record i is
  /// `value(i)`, by default a (1, 2, 3) datum whose pixels and label are all `i`.
  private final class TestDatabase {
    let folder: URL
    let path: String

    init(
      backend: DatabaseBackend, count: Int = 10,
      value: (Int) throws -> [UInt8] = { try DataLayerTests.record($0) }
    ) throws {
      folder = try Golden.temporaryDirectory()
      path = folder.appendingPathComponent("db").path
      let database = try openDatabase(backend: backend, path: path, mode: .new)
      let transaction = try database.transaction()
      for index in 0..<count {
        transaction.put(String(format: "%08d", index), try value(index))
      }
      try transaction.commit()
      database.close()
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
  }

  private func parameter(
    source: String, backend: DatabaseBackend, batchSize: UInt32 = 4, phase: Phase = .train,
    _ configure: (inout LayerParameter) -> Void = { _ in }
  ) -> LayerParameter {
    var param = LayerParameter()
    param.name = "data"
    param.type = "Data"
    param.phase = phase
    param.dataParam.source = source
    param.dataParam.backend = backend == .lmdb ? .lmdb : .leveldb
    param.dataParam.batchSize = batchSize
    configure(&param)
    return param
  }

  /// Sets up `layer` with `topCount` tops and returns them.
  private func setUp(_ layer: Layer, topCount: Int = 2) throws -> [Blob] {
    let top = (0..<topCount).map { _ in Blob() }
    try layer.setUp(bottom: [], top: top)
    return top
  }

  @Test(arguments: [DatabaseBackend.lmdb, .leveldb])
  func batchesWrapAroundTheDatabase(backend: DatabaseBackend) throws {
    let database = try TestDatabase(backend: backend)
    let layer = try DataLayer(
      parameter(source: database.path, backend: backend) {
        $0.transformParam.scale = 0.5
      })
    let top = try setUp(layer)
    #expect(top[0].shape == [4, 1, 2, 3])
    #expect(top[1].shape == [4])
    let expected: [[Float]] = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1], [2, 3, 4, 5]]
    for (index, labels) in expected.enumerated() {
      try layer.forward(bottom: [], top: top)
      #expect(top[1].dataArray == labels)
      #expect(top[0].dataArray == labels.flatMap { Array(repeating: $0 * 0.5, count: 6) })
      #expect(layer.recordsConsumed == 4 * (index + 1))
    }
  }

  @Test func labelTopIsOptional() throws {
    let database = try TestDatabase(backend: .lmdb)
    let layer = try DataLayer(parameter(source: database.path, backend: .lmdb, batchSize: 3))
    let top = try setUp(layer, topCount: 1)
    try layer.forward(bottom: [], top: top)
    #expect(top[0].shape == [3, 1, 2, 3])
    #expect(top[0].dataArray == [0, 1, 2].flatMap { Array(repeating: Float($0), count: 6) })
  }

  @Test func registryMakesADataLayer() throws {
    let database = try TestDatabase(backend: .lmdb)
    let layer = try LayerRegistry.makeLayer(parameter(source: database.path, backend: .lmdb))
    #expect(layer is DataLayer)
  }

  /// Five batches of 4 from a TRAIN layer that crops and mirrors 4 × 4 images.
  private func randomParameter(_ path: String) -> LayerParameter {
    parameter(source: path, backend: .lmdb) {
      $0.transformParam.cropSize = 3
      $0.transformParam.mirror = true
    }
  }

  private func randomDatabase() throws -> TestDatabase {
    try TestDatabase(backend: .lmdb, count: 7) { index in
      try Self.record(index, height: 4, width: 4, bytes: (0..<16).map { UInt8(index * 16 + $0) })
    }
  }

  private func batches(_ layer: DataLayer, _ top: [Blob], count: Int) throws -> [[Float]] {
    try (0..<count).map { _ in
      try layer.forward(bottom: [], top: top)
      return top[0].dataArray + top[1].dataArray
    }
  }

  @Test func resumingFromASavedPositionGivesTheSameBatches() throws {
    let database = try randomDatabase()
    let straight = try DataLayer(randomParameter(database.path))
    let straightTop = try setUp(straight)
    let expected = try batches(straight, straightTop, count: 5)
    #expect(Set(expected).count == 5)

    let first = try DataLayer(randomParameter(database.path))
    let firstTop = try setUp(first)
    try first.seek(toRecord: 0, transformSeed: straight.transformSeed)
    #expect(try batches(first, firstTop, count: 2) == Array(expected[0..<2]))
    let saved = (record: first.recordsConsumed, seed: first.transformSeed)
    #expect(saved.record == 8)

    let resumed = try DataLayer(randomParameter(database.path))
    try resumed.seek(toRecord: saved.record)
    let resumedTop = try setUp(resumed)
    try resumed.seek(toRecord: saved.record, transformSeed: saved.seed)
    #expect(try batches(resumed, resumedTop, count: 3) == Array(expected[2..<5]))

    try straight.seek(toRecord: 4)
    #expect(try batches(straight, straightTop, count: 1) == [expected[1]])
    #expect(straight.recordsConsumed == 8)
  }

  @Test func seekBeforeSetUpSetsTheFirstBatch() throws {
    let database = try TestDatabase(backend: .leveldb)
    let layer = try DataLayer(parameter(source: database.path, backend: .leveldb))
    try layer.seek(toRecord: 27)
    let top = try setUp(layer)
    try layer.forward(bottom: [], top: top)
    #expect(top[1].dataArray == [7, 8, 9, 0])
    #expect(layer.recordsConsumed == 31)
  }

  @Test func releasingALayerStopsItsPrefetchThread() throws {
    let database = try TestDatabase(backend: .lmdb)
    for round in 0..<20 {
      let layer = try DataLayer(parameter(source: database.path, backend: .lmdb, batchSize: 3))
      let top = try setUp(layer)
      if round % 2 == 0 { try layer.forward(bottom: [], top: top) }
      try layer.seek(toRecord: round)
    }
  }

  @Test func missingSourceNamesThePath() throws {
    let path = "/nonexistent/swift-caffe/mnist_train_lmdb"
    let error = #expect(throws: CaffeError.self) {
      try DataLayer(parameter(source: path, backend: .lmdb))
    }
    #expect(error?.description.contains(path) == true)
    #expect(error?.description.contains("\n") == false)
  }

  @Test func dataMdbFileAsSourceNamesTheFolder() throws {
    let database = try TestDatabase(backend: .lmdb)
    let error = #expect(throws: CaffeError.self) {
      try DataLayer(parameter(source: database.path + "/data.mdb", backend: .lmdb))
    }
    let text = error?.description ?? ""
    #expect(text.contains(database.path + "/data.mdb"))
    #expect(text.contains("\"\(database.path)\""))
  }

  @Test func badParametersAreRefused() throws {
    let database = try TestDatabase(backend: .lmdb)
    let zeroBatch = #expect(throws: CaffeError.self) {
      try DataLayer(parameter(source: database.path, backend: .lmdb, batchSize: 0))
    }
    #expect(zeroBatch?.description.contains("batch_size") == true)
    let noSource = #expect(throws: CaffeError.self) {
      try DataLayer(parameter(source: "", backend: .lmdb))
    }
    #expect(noSource?.description.contains("data_param.source") == true)
  }

  @Test func corruptRecordSurfacesOnTheNextForward() throws {
    let database = try TestDatabase(backend: .lmdb) { index in
      try Self.record(index, bytes: index == 5 ? [1, 2] : nil)
    }
    let layer = try DataLayer(parameter(source: database.path, backend: .lmdb))
    let top = try setUp(layer)
    try layer.forward(bottom: [], top: top)
    #expect(top[1].dataArray == [0, 1, 2, 3])
    for _ in 0..<2 {
      let error = #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
      #expect(error?.description.contains("00000005") == true)
      #expect(error?.description.contains("corrupt datum") == true)
    }
  }

  @Test func sizeChangeInsideABatchIsAnError() throws {
    let database = try TestDatabase(backend: .leveldb) { index in
      try Self.record(index, width: index == 2 ? 2 : 3)
    }
    let layer = try DataLayer(parameter(source: database.path, backend: .leveldb))
    let top = try setUp(layer)
    let error = #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
    #expect(error?.description.contains("batch_size 1") == true)
  }

  @Test(.enabled(if: Golden.isAvailable))
  func goldenMNISTTestLMDB() throws {
    let layer = try DataLayer(
      parameter(
        source: Golden.path("golden/mnist_test_lmdb"), backend: .lmdb, batchSize: 10,
        phase: .test
      ) { $0.transformParam.scale = 0.00390625 })
    let top = try setUp(layer)
    try layer.forward(bottom: [], top: top)
    #expect(top[0].shape == [10, 1, 28, 28])
    #expect(top[1].dataArray == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    let pixels = top[0].dataArray
    #expect(pixels.allSatisfy { $0 >= 0 && $0 < 1 })
    #expect(pixels.contains { $0 > 0.9 })
  }
}
