// Images as Datums: (C, H, W) order, Caffe's ReadImageToDatum rules and encoded records.

import CaffeProto
import CaffeSupport
import Foundation
import Testing

@testable import CaffeData

@Suite struct ImageDatumTests {
  @Test func datumHoldsPlanesInCHWOrder() throws {
    // (H, W, C) = (1, 2, 3): pixels (b0 g0 r0) (b1 g1 r1).
    let image = try Image(height: 1, width: 2, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
    let datum = Datum(image: image, label: 7)
    #expect([datum.channels, datum.height, datum.width] == [3, 1, 2])
    #expect(Array(datum.data) == [1, 4, 2, 5, 3, 6])
    #expect(datum.label == 7 && !datum.encoded)
  }

  @Test func rawRecordHoldsTheDecodedPixels() throws {
    let path = ImageFixtures.path("noise_rgb.png")
    let record = try ImageDatum(file: path, label: 3)
    #expect(record.shape == [3, 5, 7])
    #expect(record.datum == Datum(image: try Image(contentsOfFile: path), label: 3))
    let gray = try ImageDatum(file: path, label: 3, isColor: false)
    #expect(gray.shape == [1, 5, 7])
  }

  @Test func resizingNeedsBothSizes() throws {
    let path = ImageFixtures.path("noise_rgb.png")
    #expect(try ImageDatum(file: path, label: 0, height: 4, width: 0).shape == [3, 5, 7])
    let resized = try ImageDatum(file: path, label: 0, height: 4, width: 6)
    #expect(resized.shape == [3, 4, 6])
    #expect(Array(resized.datum.data).count == 72)
  }

  @Test func encodedRecordKeepsTheFileWhenNothingChanges() throws {
    let path = ImageFixtures.path("small.jpg")
    let record = try ImageDatum(file: path, label: 1, encoding: "JPG")
    #expect(record.datum.encoded && record.datum.label == 1)
    #expect(Array(record.datum.data) == Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    // Caffe leaves the size fields unset for encoded records.
    #expect(record.datum.channels == 0 && record.shape == [3, 11, 13])
    let decoded = try record.datum.decoded(color: .native, name: "r")
    #expect(decoded == Datum(image: try Image(contentsOfFile: path), label: 1))
  }

  @Test func encodedRecordIsReencodedForAnotherTypeASizeOrGray() throws {
    let path = ImageFixtures.path("noise_rgb.png")
    let original = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    let asJPEG = try ImageDatum(file: path, label: 0, encoding: "jpg")
    #expect(try ImageFormat.detect(Array(asJPEG.datum.data), name: "") == .jpeg)
    let resized = try ImageDatum(file: path, label: 0, height: 3, width: 4, encoding: "png")
    let small = try resized.datum.decoded(color: .native, name: "r")
    #expect([small.channels, small.height, small.width] == [3, 3, 4])
    // Unlike Caffe, --gray --encoded on a colour file stores a file that decodes to 1 channel.
    let gray = try ImageDatum(file: path, label: 0, isColor: false, encoding: "png")
    #expect(Array(gray.datum.data) != original)
    let decoded = try gray.datum.decoded(color: .native, name: "r")
    #expect(decoded == Datum(image: try Image(contentsOfFile: path, color: .gray), label: 0))
  }

  @Test func grayFileStaysItselfUnderGray() throws {
    let path = ImageFixtures.path("bits.png")
    let record = try ImageDatum(file: path, label: 0, isColor: false, encoding: "png")
    #expect(Array(record.datum.data) == Array(try Data(contentsOf: URL(fileURLWithPath: path))))
  }

  @Test func unknownEncodingAndMissingFileAreErrors() {
    #expect(throws: CaffeError.self) {
      try ImageDatum(file: ImageFixtures.path("bits.png"), label: 0, encoding: "bmp")
    }
    #expect(throws: CaffeError.self) { try ImageDatum(file: "/nonexistent.png", label: 0) }
  }

  @Test func undecodableEncodedDatumNamesTheRecord() {
    var datum = Datum()
    datum.encoded = true
    datum.data = Data([1, 2, 3])
    let error = #expect(throws: CaffeError.self) {
      try datum.decoded(color: .native, name: "record 7")
    }
    #expect(error?.description.hasPrefix("record 7: is not a JPEG or PNG image") == true)
  }
}
