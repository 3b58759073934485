// caffe visualize: grid layout and per-tile normalisation of ImageGrid, its PNG files, and the
// LeNet activations and filters drawn from Caffe's trained weights.

import CaffeCLI
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import CaffeTools
import Foundation
import Testing

/// The first record of Caffe's MNIST test LMDB (a 7) as a PNG file in `folder`.
func mnistDigitPNG(in folder: URL, index: Int = 0) throws -> (path: String, label: Int32) {
  let path = Golden.path("golden/mnist_test_lmdb")
  let database = try openDatabase(backend: .lmdb, path: path, mode: .read)
  defer { database.close() }
  let cursor = try database.cursor()
  for _ in 0..<index { try cursor.next() }
  let datum = try Datum(databaseValue: cursor.value, key: cursor.key, source: path)
  let image = try Image(height: 28, width: 28, channels: 1, pixels: Array(datum.data))
  let file = folder.appendingPathComponent("digit\(index).png")
  try Data(try image.encoded(as: .png)).write(to: file)
  return (file.path, datum.label)
}

@Suite("ImageGrid")
struct ImageGridTests {
  /// (tiles, tile height, tile width) → (columns, rows, picture width, picture height).
  @Test(arguments: [
    (20, 24, 24, 5, 4, 124, 99),  // LeNet conv1
    (20, 12, 12, 5, 4, 64, 51),  // LeNet pool1
    (50, 8, 8, 8, 7, 71, 62),  // LeNet conv2
    (1, 28, 28, 1, 1, 28, 28),  // LeNet data
    (64, 3, 3, 8, 8, 31, 31),  // a square count
  ])
  func gridSizes(
    tiles: Int, height: Int, width: Int, columns: Int, rows: Int, pixelWidth: Int,
    pixelHeight: Int
  ) throws {
    let grid = try ImageGrid(
      values: [Float](repeating: 0, count: tiles * height * width), count: tiles, channels: 1,
      height: height, width: width)
    #expect(grid.columns == columns)
    #expect(grid.rows == rows)
    #expect(grid.pixelWidth == pixelWidth)
    #expect(grid.pixelHeight == pixelHeight)
    #expect(grid.rgbPixels().count == pixelWidth * pixelHeight * 3)
  }

  @Test func eachTileIsNormalisedOnItsOwn() throws {
    let values: [Float] = [0, 1, 2, 3, 10, 20, 30, 40, 5, 5, 5, 5, -1, .nan, 1, 0]
    let grid = try ImageGrid(values: values, count: 4, channels: 1, height: 2, width: 2)
    let third: Float = 1.0 / 3
    let expected: [Float] = [
      0, third, 2 * third, 1, 0, third, 2 * third, 1, 0, 0, 0, 0, 0, 0, 1, 0.5,
    ]
    for (actual, wanted) in zip(grid.normalized, expected) {
      #expect(abs(actual - wanted) < 1e-6)
    }
    let whole = try ImageGrid(
      values: [0, 2, 4, 8], count: 4, channels: 1, height: 1, width: 1, perTile: false,
      padding: 0)
    #expect(whole.normalized == [0, 0.25, 0.5, 1])
  }

  @Test func gapsAndMissingTilesAreWhiteAndTilesAreGray() throws {
    let grid = try ImageGrid(
      values: [0, 1, 1, 0, 2, 4], count: 3, channels: 1, height: 1, width: 2)
    // 2 columns, 2 rows: tile 0 | gap | tile 1 / gap row / tile 2 | gap | empty.
    #expect(grid.pixelWidth == 5 && grid.pixelHeight == 3)
    let pixels = grid.rgbPixels()
    let gray = { (x: Int, y: Int) in pixels[(y * 5 + x) * 3] }
    #expect([gray(0, 0), gray(1, 0), gray(2, 0), gray(3, 0), gray(4, 0)] == [0, 255, 255, 255, 0])
    #expect((0..<5).allSatisfy { gray($0, 1) == 255 })
    #expect([gray(0, 2), gray(1, 2), gray(3, 2), gray(4, 2)] == [0, 255, 255, 255])
  }

  @Test func colourTilesAndColourMaps() throws {
    // Planes (C, H, W): red [1 0], green [0 1], blue [0 0].
    let grid = try ImageGrid(
      values: [1, 0, 0, 1, 0, 0], count: 1, channels: 3, height: 1, width: 2)
    #expect(grid.rgbPixels(colorMap: .viridis) == [255, 0, 0, 0, 255, 0])
    #expect(ImageGrid.ColorMap.viridis.colour(0) == (0x44, 0x01, 0x54))
    #expect(ImageGrid.ColorMap.viridis.colour(1) == (0xFD, 0xE7, 0x25))
    #expect(ImageGrid.ColorMap.gray.colour(0.5) == (128, 128, 128))
  }

  @Test func pngIsWrittenEnlargedAndDecodes() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let values = (0..<(20 * 24 * 24)).map { Float($0 % 576) }
    let grid = try ImageGrid(values: values, count: 20, channels: 1, height: 24, width: 24)
    #expect(grid.zoom() == 4)
    let path = folder.appendingPathComponent("grid.png").path
    try grid.writePNG(to: path, zoom: grid.zoom())
    let image = try Image(contentsOfFile: path, color: .color)
    #expect(image.width == 124 * 4 && image.height == 99 * 4)
    #expect(Array(image.pixels[0..<3]) == [0, 0, 0])  // tile 0's smallest value: black
    let lastOfTile = ((24 * 4 - 1) * image.width + 24 * 4 - 1) * 3
    #expect(Array(image.pixels[lastOfTile..<lastOfTile + 3]) == [255, 255, 255])
    #expect(throws: CaffeError.self) {
      try grid.writePNG(to: folder.appendingPathComponent("no/such/grid.png").path)
    }
  }

  @Test func badSizesThrow() {
    #expect(throws: CaffeError.self) {
      try ImageGrid(values: [0, 1], count: 1, channels: 2, height: 1, width: 1)
    }
    #expect(throws: CaffeError.self) {
      try ImageGrid(values: [0, 1, 2], count: 1, channels: 1, height: 1, width: 2)
    }
  }
}

@Suite(
  "caffe visualize", .serialized, .enabled(if: Golden.isAvailable, "needs ../shared"))
struct VisualizeCommandTests {
  static let weights = Golden.path("golden/lenet_iter_10000.caffemodel")
  static let trainTest = Golden.path(
    "caffe-corpus/prototxt/bvlc--ex-mnist--lenet_train_test.prototxt")
  static let deploy = Golden.path("caffe-corpus/prototxt/bvlc--ex-mnist--lenet.prototxt")

  static func visualize(_ arguments: [String]) -> (status: Int32, error: String) {
    runInProcess(CaffeCommand.self, ["visualize"] + arguments)
  }

  /// The size of the PNG at `path`.
  static func size(_ path: String) throws -> (Int, Int) {
    let image = try Image(contentsOfFile: path, color: .color)
    return (image.width, image.height)
  }

  /// A test digit from the LMDB through LeNet's own data layer (scale 1/256 from its
  /// transform_param): conv1, pool1 and conv2 grids and the conv1 filters.
  @Test func lenetActivationsAndFiltersFromTheDatabase() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (status, error) = Self.visualize([
      "--model", Self.trainTest, "--weights", Self.weights,
      "--db", Golden.path("golden/mnist_test_lmdb"), "--index", "0",
      "--blobs", "conv1,pool1,conv2,ip1", "--params", "conv1,conv2", "--out", folder.path,
    ])
    #expect(status == 0, "\(error)")
    let expected: [(String, Int, Int)] = [
      ("conv1", 124, 99), ("pool1", 64, 51), ("conv2", 71, 62), ("ip1", 23, 22),
      ("conv1_filters", 29, 23), ("conv2_filters", 191, 191),
    ]
    for (name, width, height) in expected {
      let (w, h) = try Self.size(folder.appendingPathComponent("\(name).png").path)
      let zoom = max(1, 600 / max(width, height))
      #expect(w == width * zoom && h == height * zoom, "\(name): \(w) × \(h)")
    }
  }

  /// A PNG digit into LeNet's deploy net, with LeNet's scale given on the command line.
  @Test func lenetDeployNetTakesAnImageFile() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let digit = try mnistDigitPNG(in: folder)
    let out = folder.appendingPathComponent("out").path
    let (status, error) = Self.visualize([
      "--model", Self.deploy, "--weights", Self.weights, "--input", digit.path,
      "--scale", "0.00390625", "--blobs", "data,conv1", "--colormap", "viridis", "--out", out,
    ])
    #expect(status == 0, "\(error)")
    let (w, h) = try Self.size(out + "/data.png")
    #expect(w == 28 * 21 && h == 28 * 21)
    let (cw, ch) = try Self.size(out + "/conv1.png")
    #expect(cw == 124 * 4 && ch == 99 * 4)
  }

  @Test(arguments: [
    (["--blobs", "conv9"], #"no blob "conv9""#),
    (["--params", "pool1"], #"no layer "pool1" with weights"#),
    (["--blobs", "conv1", "--index", "10000"], "--index 10000 is past the end"),
    (["--blobs", "conv1", "--colormap", "jet"], "--colormap jet"),
    (["--blobs", "conv1", "--input", "x.png"], "exactly one example"),
  ])
  func badRequestsGiveOneErrorLine(extra: [String], expected: String) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let (status, error) = Self.visualize(
      [
        "--model", Self.trainTest, "--weights", Self.weights, "--db",
        Golden.path("golden/mnist_test_lmdb"), "--out", folder.path,
      ] + extra)
    #expect(status == 1)
    #expect(error.hasPrefix("error: ") && error.contains(expected), "\(error)")
  }
}
