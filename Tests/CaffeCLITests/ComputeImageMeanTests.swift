// compute_image_mean: the mean of raw and encoded databases, its log lines and its errors.

import CaffeCLI
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct ComputeImageMeanTests {
  /// A folder with images i0…i3 (4 × 5, seeds 0, 10, 20, 30) converted into `db` (raw) and
  /// `enc` (encoded).
  private func converted() throws -> ImageSetFolder {
    let set = try ImageSetFolder()
    for index in 0..<4 { _ = try set.writeImage("i\(index).png", seed: 10 * index) }
    try set.writeList((0..<4).map { "i\($0).png \($0)" })
    #expect(
      runCapturingLog(ConvertImageset.self, [set.root, set.list, set.path("db")]).status == 0)
    #expect(
      runCapturingLog(
        ConvertImageset.self, ["--encoded", set.root, set.list, set.path("enc")]
      ).status == 0)
    return set
  }

  @Test func meanEqualsTheAverageOfTheRecords() throws {
    let set = try converted()
    let output = set.path("mean.binaryproto")
    let run = runCapturingLog(ComputeImageMean.self, [set.path("db"), output])
    #expect(run.status == 0)
    let mean = try BinaryProto.read(BlobProto.self, path: output)
    #expect([mean.num, mean.channels, mean.height, mean.width] == [1, 3, 4, 5])
    let records = try set.records("db")
    var expected = [Float](repeating: 0, count: 60)
    for (_, datum) in records {
      for (i, byte) in datum.data.enumerated() { expected[i] += Float(byte) / 4 }
    }
    #expect(mean.data == expected)
    // Blue is seed + row: the mean seed is 15 and the mean row 1.5.
    #expect(run.log.contains("Number of channels: 3"))
    #expect(run.log.contains("mean_value channel [0]: 16.5"))
    #expect(run.log.contains("mean_value channel [2]: 200"))
    #expect(run.log.contains("Processed 4 files."))
  }

  @Test func encodedRecordsAreDecodedFirst() throws {
    let set = try converted()
    let raw = set.path("raw.binaryproto")
    let decoded = set.path("decoded.binaryproto")
    #expect(runCapturingLog(ComputeImageMean.self, [set.path("db"), raw]).status == 0)
    let run = runCapturingLog(ComputeImageMean.self, ["-backend=lmdb", set.path("enc"), decoded])
    #expect(run.status == 0)
    #expect(run.log.contains("Decoding Datum"))
    #expect(
      try BinaryProto.read(BlobProto.self, path: raw)
        == BinaryProto.read(BlobProto.self, path: decoded))
  }

  @Test func recordsOfAnotherSizeNameTheKeyAndBothSizes() throws {
    let set = try ImageSetFolder()
    _ = try set.writeImage("a.png", height: 4, width: 5)
    _ = try set.writeImage("b.png", height: 2, width: 5)
    try set.writeList(["a.png 0", "b.png 1"])
    #expect(
      runCapturingLog(ConvertImageset.self, [set.root, set.list, set.path("db")]).status == 0)
    let run = runCapturingLog(ComputeImageMean.self, [set.path("db")])
    #expect(run.status == 1)
    let error = run.errors.first ?? ""
    #expect(error.contains("record \"00000001_b.png\" holds 30 values (3 × 2 × 5"))
    #expect(error.contains("the first record holds 60 (3 × 4 × 5)"))
  }

  @Test func missingDatabaseIsOneErrorLine() {
    let run = runCapturingLog(ComputeImageMean.self, ["/nonexistent/db"])
    #expect(run.status == 1 && run.errors.count == 1)
  }
}
