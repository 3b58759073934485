// Decoding and encoding JPEG and PNG, checked against pixels Pillow decoded independently.

import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import CaffeData

/// Image fixtures: `Tests/Fixtures/images` (see its README) and Caffe's corpus images.
enum ImageFixtures {
  /// A file in `Tests/Fixtures/images`.
  static func path(_ name: String) -> String { Golden.fixture("images/" + name) }

  /// A file in `../shared/caffe-corpus/images`.
  static func corpus(_ name: String) -> String { Golden.path("caffe-corpus/images/" + name) }

  /// Whether Caffe's corpus images are present.
  static var hasCorpus: Bool { FileManager.default.fileExists(atPath: corpus("cat.jpg")) }

  /// The uint8 values of a fixture `.npy` file, in C order.
  static func pixels(_ name: String) throws -> (shape: [Int], bytes: [UInt8]) {
    let array = try NpyArray(path: path(name))
    return (array.shape, array.values.map { UInt8($0) })
  }

  /// Row `row` of `image`: W·C bytes.
  static func row(_ image: Image, _ row: Int) -> [UInt8] {
    let length = image.width * image.channels
    return Array(image.pixels[(row * length)..<((row + 1) * length)])
  }

  /// The largest absolute difference between two equally long byte arrays.
  static func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
  }
}

@Suite struct ImageCodecTests {
  @Test(arguments: [
    ("noise_rgb.png", "noise_rgb_bgr.npy"), ("noise_rgba.png", "noise_rgba_bgr.npy"),
    ("palette.png", "palette_bgr.npy"),
  ])
  func colourPNGDecodesExactlyToBGR(file: String, expected: String) throws {
    let image = try Image(contentsOfFile: ImageFixtures.path(file))
    let (shape, bytes) = try ImageFixtures.pixels(expected)
    #expect([image.height, image.width, image.channels] == shape)
    #expect(image.pixels == bytes)
  }

  @Test(arguments: [("gray16.png", "gray16_gray.npy"), ("bits.png", "bits_gray.npy")])
  func grayPNGDecodesExactly(file: String, expected: String) throws {
    let (shape, bytes) = try ImageFixtures.pixels(expected)
    let gray = try Image(contentsOfFile: ImageFixtures.path(file), color: .gray)
    #expect([gray.height, gray.width, gray.channels] == shape + [1])
    #expect(gray.pixels == bytes)
    let native = try Image(contentsOfFile: ImageFixtures.path(file), color: .native)
    #expect(native == gray)
    // Colour output repeats the gray value in all three channels.
    let colour = try Image(contentsOfFile: ImageFixtures.path(file), color: .color)
    #expect(colour.pixels == bytes.flatMap { [$0, $0, $0] })
  }

  @Test func colourPNGToGrayUsesLibpngsTruncatingWeights() throws {
    let gray = try Image(contentsOfFile: ImageFixtures.path("noise_rgb.png"), color: .gray)
    let (_, bgr) = try ImageFixtures.pixels("noise_rgb_bgr.npy")
    // libpng's rgb_to_gray with OpenCV's 0.299/0.587: weights 9797, 19234, 3737 (/32768),
    // truncated, for a file without gamma information.
    let expected = stride(from: 0, to: bgr.count, by: 3).map { i -> UInt8 in
      let (blue, green, red) = (Int(bgr[i]), Int(bgr[i + 1]), Int(bgr[i + 2]))
      if red == green && red == blue { return UInt8(red) }
      return UInt8((9797 * red + 19234 * green + 3737 * blue) >> 15)
    }
    #expect(gray.pixels == expected)
  }

  @Test func jpegDecodesWithinOneOfAnIndependentDecoder() throws {
    let colour = try Image(contentsOfFile: ImageFixtures.path("small.jpg"))
    let (shape, bgr) = try ImageFixtures.pixels("small_bgr.npy")
    #expect([colour.height, colour.width, colour.channels] == shape)
    #expect(ImageFixtures.maxDifference(colour.pixels, bgr) <= 1)
    let gray = try Image(contentsOfFile: ImageFixtures.path("small.jpg"), color: .gray)
    let (_, luma) = try ImageFixtures.pixels("small_gray.npy")
    #expect(gray.channels == 1)
    #expect(ImageFixtures.maxDifference(gray.pixels, luma) <= 1)
  }

  @Test(
    .enabled(if: ImageFixtures.hasCorpus, "needs ../shared/caffe-corpus/images"),
    arguments: [
      ("cat.jpg", ImageColorMode.color, "cat_rows_bgr.npy", [0, 179, 359]),
      ("cat.jpg", .gray, "cat_rows_gray.npy", [0, 179, 359]),
      ("fish-bike.jpg", .color, "fish-bike_rows_bgr.npy", [0, 161, 322]),
      ("cat_gray.jpg", .gray, "cat_gray_rows_gray.npy", [0, 179, 359]),
    ])
  func corpusJPEGRowsMatchAnIndependentDecoder(
    file: String, color: ImageColorMode, expected: String, rows: [Int]
  ) throws {
    let image = try Image(contentsOfFile: ImageFixtures.corpus(file), color: color)
    let (shape, bytes) = try ImageFixtures.pixels(expected)
    #expect(shape[0] == rows.count && shape[1] == image.width)
    #expect(image.channels == (color == .gray ? 1 : 3))
    let decoded = rows.flatMap { ImageFixtures.row(image, $0) }
    #expect(ImageFixtures.maxDifference(decoded, bytes) <= 1)
  }

  @Test(.enabled(if: ImageFixtures.hasCorpus, "needs ../shared/caffe-corpus/images"))
  func nativeModeKeepsTheFilesChannelCount() throws {
    let gray = try Image(contentsOfFile: ImageFixtures.corpus("cat_gray.jpg"), color: .native)
    #expect(gray.channels == 1)
    let colour = try Image(contentsOfFile: ImageFixtures.corpus("cat.jpg"), color: .native)
    #expect(colour.channels == 3)
    // A gray JPEG read as colour repeats its gray values.
    let spread = try Image(contentsOfFile: ImageFixtures.corpus("cat_gray.jpg"))
    #expect(spread.pixels == gray.pixels.flatMap { [$0, $0, $0] })
  }

  @Test func nativeChannelsReadsOnlyTheHeader() throws {
    let rgb = try Array(Data(contentsOf: URL(fileURLWithPath: ImageFixtures.path("small.jpg"))))
    #expect(try Image.nativeChannels(of: rgb, name: "small.jpg") == 3)
    let bits = try Array(Data(contentsOf: URL(fileURLWithPath: ImageFixtures.path("bits.png"))))
    #expect(try Image.nativeChannels(of: bits, name: "bits.png") == 1)
    // Truncated inside the compressed data: the header still gives the channel count.
    #expect(try Image.nativeChannels(of: Array(rgb.dropLast(60)), name: "small.jpg") == 3)
  }

  @Test(arguments: [ImageFormat.png, .jpeg])
  func encodedImagesDecodeBack(format: ImageFormat) throws {
    let colour = try Image(contentsOfFile: ImageFixtures.path("noise_rgb.png"))
    let gray = try Image(contentsOfFile: ImageFixtures.path("noise_rgb.png"), color: .gray)
    for image in [colour, gray] {
      let bytes = try image.encoded(as: format)
      #expect(try ImageFormat.detect(bytes, name: "x") == format)
      let back = try Image(decoding: bytes, color: .native, name: "encoded")
      #expect(back.channels == image.channels)
      if format == .png {
        #expect(back == image)
      } else {
        #expect(back.height == image.height && back.width == image.width)
      }
    }
  }

  @Test func jpegEncodingIsCloseForSmoothImages() throws {
    let pixels = (0..<(16 * 16)).flatMap { i -> [UInt8] in
      let (y, x) = (i / 16, i % 16)
      return [UInt8(x * 8), UInt8(y * 8), UInt8(100)]
    }
    let image = try Image(height: 16, width: 16, channels: 3, pixels: pixels)
    let back = try Image(decoding: try image.encoded(as: .jpeg), name: "smooth.jpg")
    #expect(ImageFixtures.maxDifference(back.pixels, image.pixels) <= 6)
  }

  @Test func formatComesFromTheBytesNotTheName() throws {
    let folder = try TemporaryFolder()
    let misnamed = folder.child("picture.jpg")
    try FileManager.default.copyItem(atPath: ImageFixtures.path("noise_rgb.png"), toPath: misnamed)
    let image = try Image(contentsOfFile: misnamed)
    #expect(image == (try Image(contentsOfFile: ImageFixtures.path("noise_rgb.png"))))
    #expect(ImageFormat(fileExtension: ".JPEG") == .jpeg)
    #expect(ImageFormat(fileExtension: "png") == .png)
    #expect(ImageFormat(fileExtension: "bmp") == nil)
  }

  /// OpenCV's formulas on the raw (Adobe-inverted) CMYK libjpeg returns; the last pixel's
  /// products are odd, so the shift must apply to the product, as in C.
  @Test func cmykPixelsConvertAsInOpenCV() {
    let cmyk: [UInt8] = [255, 0, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 100, 200, 50, 128]
    let bgr = CMYKConversion.bgr(fromCMYK: cmyk, height: 1, width: 4)
    #expect(bgr.pixels == [255, 1, 255, 0, 0, 0, 255, 255, 255, 26, 101, 51])
    let gray = CMYKConversion.gray(fromCMYK: cmyk, height: 2, width: 2)
    #expect(gray.pixels == [106, 0, 255, 77])
  }

  @Test func missingFileIsAnIOErrorNamingIt() {
    let error = #expect(throws: CaffeError.self) {
      try Image(contentsOfFile: "/nonexistent/picture.png")
    }
    #expect(error == .io(path: "/nonexistent/picture.png", reason: "no such file"))
  }

  @Test func unknownBytesAreRefusedWithTheirStart() {
    let error = #expect(throws: CaffeError.self) {
      try Image(decoding: Array("GIF89a".utf8), name: "a.gif")
    }
    #expect(
      error?.description.hasPrefix("a.gif: is not a JPEG or PNG image (it starts with 47") == true)
    #expect(throws: CaffeError.self) { try Image(decoding: [], name: "empty.png") }
  }

  @Test(arguments: ["small.jpg", "noise_rgb.png"])
  func truncatedAndCorruptFilesAreErrorsNotCrashes(file: String) throws {
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: ImageFixtures.path(file))))
    var cuts = [4, 12, 30, 60, bytes.count / 2]
    if file.hasSuffix(".png") { cuts.append(bytes.count - 4) }
    for cut in cuts {
      do {
        _ = try Image(decoding: Array(bytes.prefix(cut)), name: "cut-\(cut)-\(file)")
      } catch let error as CaffeError {
        #expect(error.description.hasPrefix("cut-\(cut)-\(file): is not a"))
      }
    }
    // Flipped bytes across the file: each decode either succeeds or throws.
    var seed: UInt64 = 1701
    for _ in 0..<40 {
      var corrupt = bytes
      for _ in 0..<3 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        corrupt[3 + Int(seed >> 33) % (bytes.count - 3)] ^= UInt8(truncatingIfNeeded: seed >> 20)
      }
      _ = try? Image(decoding: corrupt, color: .gray, name: "corrupt")
    }
  }

  @Test func badJPEGMarkerNamesTheFileAndLibjpegsReason() {
    let error = #expect(throws: CaffeError.self) {
      try Image(decoding: [0xFF, 0xD8, 0xFF, 0xC0, 0, 3, 1, 2], name: "bad.jpg")
    }
    #expect(error?.description == "bad.jpg: is not a readable JPEG image: Bogus marker length")
  }

  @Test func badPNGNamesTheFileAndLibpngsReason() throws {
    var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: ImageFixtures.path("bits.png"))))
    bytes[16] = 0xFF  // IHDR width: breaks the chunk's CRC
    let error = #expect(throws: CaffeError.self) { try Image(decoding: bytes, name: "bad.png") }
    #expect(error?.description.hasPrefix("bad.png: is not a readable PNG image: ") == true)
  }
}
