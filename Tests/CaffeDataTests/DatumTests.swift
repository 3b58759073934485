// Building, encoding and decoding Datum values.

import CaffeProto
import CaffeSupport
import Foundation
import Testing

@testable import CaffeData

@Suite struct DatumTests {
  @Test func encodesFieldsInCaffesOrderIncludingALabelOfZero() throws {
    let datum = Datum(channels: 1, height: 2, width: 2, bytes: [1, 2, 3, 4], label: 0)
    let bytes = try datum.serializedValue(key: Array("k".utf8), source: "db")
    // channels (1), height (2), width (3), data (4, length-delimited), label (5).
    #expect(bytes == [0x08, 1, 0x10, 2, 0x18, 2, 0x22, 4, 1, 2, 3, 4, 0x28, 0])
  }

  @Test func decodesWhatItEncodes() throws {
    let datum = Datum(channels: 3, height: 1, width: 2, bytes: [9, 8, 7, 6, 5, 4], label: 5)
    let key = Array("00000001".utf8)
    let bytes = try datum.serializedValue(key: key, source: "db")
    let decoded = try Datum(databaseValue: bytes, key: key, source: "db")
    #expect(decoded == datum)
    #expect(decoded.data == Data([9, 8, 7, 6, 5, 4]))
  }

  @Test func corruptValueErrorNamesTheKeyAndTheDatabase() throws {
    let error = #expect(throws: CaffeError.self) {
      try Datum(databaseValue: [0x22, 0x7f, 1], key: Array("00000042".utf8), source: "my_lmdb")
    }
    let text = error?.description ?? ""
    #expect(text.hasPrefix("database my_lmdb: the value of key \"00000042\" is not a valid Datum"))
    #expect(!text.contains("\n"))
  }

  @Test(.enabled(if: SharedFiles.hasGoldenLMDB, "needs ../shared/golden/mnist_test_lmdb"))
  func decodesTheFirstGoldenMNISTDigit() throws {
    let database = try LMDBDatabase.open(SharedFiles.goldenTestLMDB, mode: .read)
    let cursor = try database.cursor()
    let datum = try Datum(databaseValue: cursor.value, key: cursor.key, source: database.path)
    #expect(datum.channels == 1)
    #expect(datum.height == 28)
    #expect(datum.width == 28)
    #expect(datum.data.count == 784)
    #expect(datum.label == 7)
    #expect(!datum.encoded)
    #expect(datum.floatData.isEmpty)
  }
}
