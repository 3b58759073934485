// The IDX readers and the MNIST conversion, checked against Caffe's own converted test set.

import CaffeProto
import CaffeSupport
import Foundation
import Testing

@testable import CaffeData

@Suite struct MNISTTests {
  /// Writes an IDX file: the magic number and sizes as big-endian UInt32s, then `payload`.
  static func writeIDX(
    _ path: String, magic: UInt32, sizes: [UInt32], payload: [UInt8]
  ) throws {
    var bytes: [UInt8] = []
    for word in [magic] + sizes {
      bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) }
    }
    try Data(bytes + payload).write(to: URL(fileURLWithPath: path))
  }

  /// Three 2×2 images with pixels 0…11 and labels 3, 1, 4.
  static func writeTinySet(in folder: TemporaryFolder) throws -> (images: String, labels: String) {
    let images = folder.child("images-idx3-ubyte")
    let labels = folder.child("labels-idx1-ubyte")
    try writeIDX(images, magic: 2051, sizes: [3, 2, 2], payload: Array(0..<12))
    try writeIDX(labels, magic: 2049, sizes: [3], payload: [3, 1, 4])
    return (images, labels)
  }

  @Test func readsImagesAndLabelsWithBigEndianHeaders() throws {
    let folder = try TemporaryFolder()
    let files = try Self.writeTinySet(in: folder)
    let images = try MNISTImages(path: files.images)
    #expect(images.count == 3)
    #expect(images.rows == 2)
    #expect(images.columns == 2)
    #expect(Array(images.image(1)) == [4, 5, 6, 7])
    let labels = try MNISTLabels(path: files.labels)
    #expect(labels.labels == [3, 1, 4])
  }

  @Test func wrongMagicNumbersAreExplained() throws {
    let folder = try TemporaryFolder()
    let files = try Self.writeTinySet(in: folder)
    let swapped = #expect(throws: CaffeError.self) { try MNISTImages(path: files.labels) }
    #expect(
      swapped?.description == "\(files.labels): not an IDX image file: magic number 2049, "
        + "expected 2051; it is the label file: give the image file first, then the label file")
    #expect(throws: CaffeError.self) { try MNISTLabels(path: files.images) }

    let bad = folder.child("bad")
    try Self.writeIDX(bad, magic: 1234, sizes: [3], payload: [0, 0, 0])
    #expect(
      throws: CaffeError.invalidFile(
        path: bad, reason: "not an IDX label file: magic number 1234, expected 2049")
    ) { try MNISTLabels(path: bad) }

    let gzipped = folder.child("gz")
    try Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]).write(to: URL(fileURLWithPath: gzipped))
    let gzipError = #expect(throws: CaffeError.self) { try MNISTImages(path: gzipped) }
    #expect(gzipError?.description.contains("gunzip it first") == true)
  }

  @Test func truncatedAndMissingFilesAreReported() throws {
    let folder = try TemporaryFolder()
    let truncated = folder.child("truncated")
    try Self.writeIDX(truncated, magic: 2051, sizes: [3, 2, 2], payload: Array(0..<11))
    let error = #expect(throws: CaffeError.self) { try MNISTImages(path: truncated) }
    #expect(error?.description.contains("3 x 2 x 2 = 12 bytes") == true)
    #expect(error?.description.contains("holds 11") == true)

    let missing = folder.child("missing")
    let missingError = #expect(throws: CaffeError.self) { try MNISTLabels(path: missing) }
    #expect(missingError?.description.contains("get_mnist.sh") == true)
  }

  @Test func conversionRefusesMismatchedCountsBeforeCreatingTheOutput() throws {
    let folder = try TemporaryFolder()
    let files = try Self.writeTinySet(in: folder)
    let labels = folder.child("two-labels")
    try Self.writeIDX(labels, magic: 2049, sizes: [2], payload: [1, 2])
    let output = folder.child("out_lmdb")
    let error = #expect(throws: CaffeError.self) {
      try convertMNIST(
        imageFile: files.images, labelFile: labels, outputPath: output, backend: .lmdb)
    }
    #expect(error?.description.contains("holds 2 labels") == true)
    #expect(!FileManager.default.fileExists(atPath: output))
  }

  @Test(arguments: DatabaseBackend.allCases)
  func convertsTinySetWithCaffesKeysAndDatums(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    let files = try Self.writeTinySet(in: folder)
    let output = folder.child("out")
    let count = try convertMNIST(
      imageFile: files.images, labelFile: files.labels, outputPath: output, backend: backend)
    #expect(count == 3)
    let cursor = try openDatabase(backend: backend, path: output, mode: .read).cursor()
    var keys: [String] = []
    var datums: [Datum] = []
    while cursor.valid {
      keys.append(cursor.keyString)
      datums.append(try Datum(databaseValue: cursor.value, key: cursor.key, source: output))
      try cursor.next()
    }
    #expect(keys == ["00000000", "00000001", "00000002"])
    #expect(datums[2] == Datum(channels: 1, height: 2, width: 2, bytes: [8, 9, 10, 11], label: 4))

    let again = #expect(throws: CaffeError.self) {
      try convertMNIST(
        imageFile: files.images, labelFile: files.labels, outputPath: output, backend: backend)
    }
    #expect(again == existingDatabaseError(output))
  }

  @Test(
    .enabled(if: SharedFiles.hasMNISTTest, "needs ../shared/data/mnist/t10k-*.gz"),
    .enabled(if: SharedFiles.hasGoldenLMDB, "needs ../shared/golden/mnist_test_lmdb"),
    arguments: DatabaseBackend.allCases)
  func convertedTestSetMatchesCaffesLMDBByteForByte(_ backend: DatabaseBackend) throws {
    let folder = try TemporaryFolder()
    let images = try folder.gunzip(SharedFiles.testImagesGz)
    let labels = try folder.gunzip(SharedFiles.testLabelsGz)
    let output = folder.child("mnist_test_\(backend.rawValue)")
    try convertMNIST(imageFile: images, labelFile: labels, outputPath: output, backend: backend)

    let ours = try openDatabase(backend: backend, path: output, mode: .read).cursor()
    let golden = try LMDBDatabase.open(SharedFiles.goldenTestLMDB, mode: .read).cursor()
    var count = 0
    var mismatches: [String] = []
    while ours.valid && golden.valid {
      if ours.key != golden.key || ours.value != golden.value {
        mismatches.append(golden.keyString)
      }
      count += 1
      try ours.next()
      try golden.next()
    }
    #expect(count == 10_000)
    #expect(!ours.valid && !golden.valid, "the databases have different record counts")
    #expect(mismatches.isEmpty, "first differing keys: \(mismatches.prefix(5))")
  }
}
