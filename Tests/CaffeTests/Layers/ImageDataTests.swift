// ImageData layer (lists of image files) and the decoding of encoded datums by the transformer.

import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

/// A temporary folder of small PNG images and a list naming them; removed on deinit.
private final class ImageFolder {
  let folder: URL
  var root: String { folder.path + "/" }
  var list: String { folder.appendingPathComponent("list.txt").path }

  /// Writes `count` uniform images and their list.
  ///
  /// Image i is `height` × `width`, 3 channels, every byte of channel c equal to 10·i + c; its
  /// label is i. Names hold spaces; `extraLines` are appended to the list as they are.
  init(count: Int, height: Int = 3, width: Int = 4, extraLines: [String] = []) throws {
    folder = try Golden.temporaryDirectory()
    var lines: [String] = []
    for index in 0..<count {
      let pixels = (0..<(height * width)).flatMap { _ in
        (0..<3).map { UInt8(10 * index + $0) }
      }
      let image = try Image(height: height, width: width, channels: 3, pixels: pixels)
      let name = "image \(index).png"
      try Data(try image.encoded(as: .png)).write(to: folder.appendingPathComponent(name))
      lines.append("\(name) \(index)")
    }
    try (lines + extraLines).joined(separator: "\n").appending("\n")
      .write(toFile: list, atomically: true, encoding: .utf8)
  }

  deinit { try? FileManager.default.removeItem(at: folder) }
}

@Suite struct ImageDataTests {
  private func parameter(
    _ images: ImageFolder, batchSize: UInt32 = 2,
    _ configure: (inout LayerParameter) -> Void = {
      _ in
    }
  ) -> LayerParameter {
    var param = LayerParameter()
    param.name = "images"
    param.type = "ImageData"
    param.phase = .train
    param.imageDataParam.source = images.list
    param.imageDataParam.rootFolder = images.root
    param.imageDataParam.batchSize = batchSize
    configure(&param)
    return param
  }

  private func setUp(_ layer: Layer) throws -> [Blob] {
    let top = [Blob(), Blob()]
    try layer.setUp(bottom: [], top: top)
    return top
  }

  private func labels(_ blob: Blob) -> [Float] { blob.dataArray }

  @Test func readsImagesAndLabelsInListOrderAndWrapsAround() throws {
    let images = try ImageFolder(count: 3)
    let layer = try ImageDataLayer(parameter(images))
    let top = try setUp(layer)
    #expect(top[0].shape == [2, 3, 3, 4])
    #expect(top[1].shape == [2])
    var seen: [Float] = []
    for _ in 0..<3 {
      _ = try layer.forward(bottom: [], top: top)
      seen += labels(top[1])
      // Channel planes of the first image in the batch: BGR bytes 10·i + c.
      let first = Int(labels(top[1])[0])
      #expect(top[0].dataArray[0] == Float(10 * first))
      #expect(top[0].dataArray[12] == Float(10 * first + 1))
    }
    #expect(seen == [0, 1, 2, 0, 1, 2])
  }

  @Test func resizesAndReadsGray() throws {
    let images = try ImageFolder(count: 2)
    let layer = try ImageDataLayer(
      parameter(images) {
        $0.imageDataParam.newHeight = 5
        $0.imageDataParam.newWidth = 6
        $0.imageDataParam.isColor = false
      })
    let top = try setUp(layer)
    #expect(top[0].shape == [2, 1, 5, 6])
    _ = try layer.forward(bottom: [], top: top)
    // Image 1 is uniform (B, G, R) = (10, 11, 12); libpng's gray of it is
    // (9797·12 + 19234·11 + 3737·10) >> 15 = 11.
    #expect(top[0].dataArray[30...].allSatisfy { $0 == 11 })
  }

  @Test func shuffleGivesAPermutationPerPass() throws {
    Runtime.setRandomSeed(1701)
    let images = try ImageFolder(count: 6, height: 1, width: 1)
    let layer = try ImageDataLayer(
      parameter(images, batchSize: 6) { $0.imageDataParam.shuffle = true })
    let top = try setUp(layer)
    var passes: [[Float]] = []
    for _ in 0..<3 {
      _ = try layer.forward(bottom: [], top: top)
      passes.append(labels(top[1]))
    }
    for pass in passes { #expect(pass.sorted() == [0, 1, 2, 3, 4, 5]) }
    #expect(Set(passes.map { $0.map(Int.init) }).count > 1)
  }

  @Test func unreadableImageNamesTheListLineOnForward() throws {
    let images = try ImageFolder(count: 2, extraLines: ["missing.png 7"])
    let layer = try ImageDataLayer(parameter(images, batchSize: 3))
    let top = try setUp(layer)
    let error = #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
    #expect(error?.description.contains("list.txt:3: could not load missing.png") == true)
    #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
  }

  @Test func badListsAndParametersAreRefused() throws {
    let images = try ImageFolder(count: 2, extraLines: ["image 0.png seven"])
    let badLabel = try ImageDataLayer(parameter(images))
    let error = #expect(throws: CaffeError.self) { try setUp(badLabel) }
    #expect(
      error?.description.contains("list.txt:3: the label \"seven\" is not an integer") == true)
    #expect(throws: CaffeError.self) {
      try ImageDataLayer(parameter(images) { $0.imageDataParam.newHeight = 4 })
    }
    #expect(throws: CaffeError.self) {
      try ImageDataLayer(parameter(images) { $0.imageDataParam.batchSize = 0 })
    }
    #expect(throws: CaffeError.self) {
      try ImageDataLayer(parameter(images) { $0.imageDataParam.source = "" })
    }
  }

  @Test func mixedSizesInOneBatchAreAnError() throws {
    let images = try ImageFolder(count: 1)
    let other = try Image(height: 2, width: 2, channels: 3, pixels: Array(repeating: 0, count: 12))
    try Data(try other.encoded(as: .png)).write(to: images.folder.appendingPathComponent("b.png"))
    try "image 0.png 0\nb.png 1\n".write(toFile: images.list, atomically: true, encoding: .utf8)
    let layer = try ImageDataLayer(parameter(images))
    let top = try setUp(layer)
    let error = #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
    #expect(error?.description.contains("list.txt:2: b.png has size 3 × 2 × 2") == true)
  }

  @Test func registryMakesAnImageDataLayer() throws {
    let images = try ImageFolder(count: 1)
    #expect(try LayerRegistry.makeLayer(parameter(images)) is ImageDataLayer)
  }
}

@Suite struct EncodedDatumTransformTests {
  private func encodedDatum(_ format: ImageFormat) throws -> Datum {
    let pixels: [UInt8] = (0..<6).flatMap { _ in [10, 20, 30] }
    let image = try Image(height: 2, width: 3, channels: 3, pixels: pixels)
    var datum = Datum()
    datum.encoded = true
    datum.data = Data(try image.encoded(as: format))
    datum.label = 4
    return datum
  }

  private func transformer(_ configure: (inout TransformationParameter) -> Void = { _ in }) throws
    -> DataTransformer
  {
    var param = TransformationParameter()
    configure(&param)
    return try DataTransformer(param, phase: .test, layer: "data")
  }

  @Test func encodedDatumsAreDecodedWithTheirOwnChannels() throws {
    let datum = try encodedDatum(.png)
    let plain = try transformer()
    #expect(try plain.outputShape(for: datum) == [1, 3, 2, 3])
    var output = [Float](repeating: 0, count: 18)
    try plain.transform(datum, into: &output, record: 0)
    #expect(
      output == Array(repeating: 10, count: 6) + Array(repeating: 20, count: 6)
        + Array(repeating: 30, count: 6))
  }

  @Test func forceGrayAndForceColorChooseTheChannels() throws {
    let datum = try encodedDatum(.png)
    let gray = try transformer { $0.forceGray = true }
    #expect(try gray.decode(datum).channels == 1)
    var encodedGray = Datum()
    encodedGray.encoded = true
    encodedGray.data = Data(
      try Image(height: 1, width: 1, channels: 1, pixels: [9]).encoded(as: .jpeg))
    #expect(try transformer().decode(encodedGray).channels == 1)
    let colour = try transformer { $0.forceColor = true }
    #expect(try colour.decode(encodedGray).channels == 3)
    let both = try transformer {
      $0.forceGray = true
      $0.forceColor = true
    }
    let error = #expect(throws: CaffeError.self) { try both.decode(datum) }
    #expect(error?.description.contains("force_color") == true)
  }

  @Test func undecodableEncodedDatumIsInvalidData() throws {
    var datum = Datum()
    datum.encoded = true
    datum.data = Data([0xFF, 0xD8, 0xFF, 0xC0, 0, 3, 1])
    let error = #expect(throws: CaffeError.self) { try transformer().decode(datum) }
    #expect(
      error?.description.hasPrefix("layer \"data\": the encoded datum: is not a readable") == true)
  }
}
