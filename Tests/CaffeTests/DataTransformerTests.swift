// DataTransformer: scale, means, crops, mirroring and their errors.

import CaffeKernels
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

@Suite struct DataTransformerTests {
  /// A (C, H, W) uint8 datum whose pixel i holds `i % 256`.
  private func datum(channels: Int32 = 1, height: Int32 = 5, width: Int32 = 5) -> Datum {
    var datum = Datum()
    datum.channels = channels
    datum.height = height
    datum.width = width
    let count = Int(channels * height * width)
    datum.data = Data((0..<count).map { UInt8($0 % 256) })
    return datum
  }

  private func transformer(
    phase: Phase = .test, _ configure: (inout TransformationParameter) -> Void = { _ in }
  ) throws -> DataTransformer {
    var param = TransformationParameter()
    configure(&param)
    return try DataTransformer(param, phase: phase, layer: "data", seed: 1701)
  }

  private func apply(_ transformer: DataTransformer, _ datum: Datum, record: Int = 0) throws
    -> [Float]
  {
    let shape = try transformer.outputShape(for: datum)
    var output = [Float](repeating: .nan, count: shape.reduce(1, *))
    try output.withUnsafeMutableBufferPointer {
      try transformer.transform(datum, into: $0.baseAddress!, record: record)
    }
    return output
  }

  @Test func noParametersCopiesThePixels() throws {
    let output = try apply(try transformer(), datum(channels: 2, height: 2, width: 3))
    #expect(output == (0..<12).map(Float.init))
  }

  @Test func scaleMultipliesEveryValue() throws {
    let output = try apply(try transformer { $0.scale = 0.5 }, datum(height: 2, width: 2))
    #expect(output == [0, 0.5, 1, 1.5])
  }

  @Test func floatDataIsUsedWhenDataIsEmpty() throws {
    var datum = Datum()
    (datum.channels, datum.height, datum.width) = (1, 1, 3)
    datum.floatData = [1.5, -2, 4]
    let output = try apply(try transformer { $0.scale = 2 }, datum)
    #expect(output == [3, -4, 8])
  }

  @Test func meanValueIsSubtractedBeforeScaling() throws {
    let input = datum(channels: 2, height: 1, width: 2)
    let oneValue = try transformer {
      $0.meanValue = [1]
      $0.scale = 2
    }
    #expect(try apply(oneValue, input) == [-2, 0, 2, 4])
    let perChannel = try apply(try transformer { $0.meanValue = [1, 3] }, input)
    #expect(perChannel == [-1, 0, -1, 0])
  }

  @Test func meanValueCountMustMatchChannels() throws {
    let transformer = try transformer { $0.meanValue = [1, 2] }
    let error = #expect(throws: CaffeError.self) {
      try apply(transformer, datum(channels: 3, height: 1, width: 1))
    }
    #expect(error?.description.contains("mean_value") == true)
    #expect(error?.description.contains("3 channels") == true)
  }

  @Test func meanFileAndMeanValueExcludeEachOther() throws {
    let error = #expect(throws: CaffeError.self) {
      try transformer {
        $0.meanFile = "mean.binaryproto"
        $0.meanValue = [1]
      }
    }
    #expect(error?.description.contains("mean_file") == true)
  }

  @Test func meanFileIsSubtractedAndCroppedWithTheImage() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("mean.binaryproto").path
    var mean = BlobProto()
    (mean.num, mean.channels, mean.height, mean.width) = (1, 1, 3, 3)
    mean.data = (0..<9).map { Float($0) * 0.5 }
    try BinaryProto.write(mean, path: path)

    let plain = try apply(try transformer { $0.meanFile = path }, datum(height: 3, width: 3))
    #expect(plain == (0..<9).map { Float($0) * 0.5 })
    let cropping = try transformer {
      $0.meanFile = path
      $0.cropSize = 1
    }
    #expect(try apply(cropping, datum(height: 3, width: 3)) == [2])
  }

  @Test func meanFileOfAnotherSizeNamesBothSizes() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("mean.binaryproto").path
    var mean = BlobProto()
    (mean.num, mean.channels, mean.height, mean.width) = (1, 3, 4, 4)
    mean.data = Array(repeating: 0, count: 48)
    try BinaryProto.write(mean, path: path)

    let transformer = try transformer { $0.meanFile = path }
    let error = #expect(throws: CaffeError.self) {
      try apply(transformer, datum(height: 5, width: 5))
    }
    let text = error?.description ?? ""
    #expect(text.contains("3 × 4 × 4"))
    #expect(text.contains("1 × 5 × 5"))
    #expect(text.contains("compute_image_mean"))
  }

  @Test func missingMeanFileNamesThePath() throws {
    let error = #expect(throws: CaffeError.self) {
      try transformer { $0.meanFile = "/nonexistent/mean.binaryproto" }
    }
    #expect(error?.description.contains("/nonexistent/mean.binaryproto") == true)
  }

  @Test func testPhaseCropsTheCentre() throws {
    let transformer = try transformer(phase: .test) { $0.cropSize = 3 }
    let datum = datum(height: 5, width: 5)
    #expect(try transformer.outputShape(for: datum) == [1, 1, 3, 3])
    #expect(try apply(transformer, datum) == [6, 7, 8, 11, 12, 13, 16, 17, 18])
  }

  @Test func trainPhaseCropsAtARandomOffsetFixedPerRecord() throws {
    let transformer = try transformer(phase: .train) { $0.cropSize = 2 }
    let datum = datum(height: 4, width: 4)
    var corners = Set<Float>()
    for record in 0..<40 {
      let output = try apply(transformer, datum, record: record)
      #expect(output == (try apply(transformer, datum, record: record)))
      let (top, left) = (Int(output[0]) / 4, Int(output[0]) % 4)
      #expect(top <= 2 && left <= 2)
      #expect(output == [0, 1, 4, 5].map { Float(top * 4 + left + $0) })
      corners.insert(output[0])
    }
    #expect(corners.count > 3)
  }

  @Test func cropLargerThanTheDatumIsAnError() throws {
    let transformer = try transformer { $0.cropSize = 6 }
    let error = #expect(throws: CaffeError.self) {
      try transformer.outputShape(for: datum(height: 5, width: 5))
    }
    #expect(error?.description.contains("crop_size") == true)
    #expect(error?.description.contains("at most 5") == true)
  }

  @Test func mirrorIsReproducibleWithASeed() throws {
    let datum = datum(height: 1, width: 3)
    let first = try transformer { $0.mirror = true }
    let second = try transformer { $0.mirror = true }
    var flips = 0
    for record in 0..<32 {
      let output = try apply(first, datum, record: record)
      #expect(output == (try apply(second, datum, record: record)))
      #expect(output == [0, 1, 2] || output == [2, 1, 0])
      if output == [2, 1, 0] { flips += 1 }
    }
    #expect(flips > 4 && flips < 28)

    var generatorA = SeededGenerator(seed: 42)
    var generatorB = SeededGenerator(seed: 42)
    var a = [Float](repeating: 0, count: 3)
    var b = [Float](repeating: 0, count: 3)
    for _ in 0..<8 {
      try first.transform(datum, into: &a, generator: &generatorA)
      try first.transform(datum, into: &b, generator: &generatorB)
      #expect(a == b)
    }
  }

  @Test func corruptDatumIsAnError() throws {
    var datum = datum(height: 2, width: 2)
    datum.data = Data([1, 2, 3])
    let error = #expect(throws: CaffeError.self) { try apply(try transformer(), datum) }
    #expect(error?.description.contains("corrupt datum") == true)
  }

  @Test func encodedDatumIsRefused() throws {
    var datum = datum(height: 2, width: 2)
    datum.encoded = true
    #expect(throws: CaffeError.self) { try apply(try transformer(), datum) }
  }
}
