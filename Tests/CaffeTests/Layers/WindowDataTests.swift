// WindowData layer: window files, the foreground/background split, warping, mirroring and errors.

import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

/// A temporary folder holding one window file; removed on deinit.
private final class WindowFolder {
  let folder: URL
  var source: String { folder.appendingPathComponent("windows.txt").path }

  /// Writes `lines` as the window file.
  init(_ lines: [String]) throws {
    folder = try Golden.temporaryDirectory()
    try lines.joined(separator: "\n").appending("\n")
      .write(toFile: source, atomically: true, encoding: .utf8)
  }

  deinit { try? FileManager.default.removeItem(at: folder) }
}

private let imagesFolder = Golden.path("caffe-corpus/images") + "/"
private let imagesPresent = FileManager.default.fileExists(atPath: imagesFolder + "cat.jpg")

/// A window file of two images (thresholds: fg 0.5, bg 0.3).
///
/// cat.jpg (360 × 480) has foreground classes 1 and 2, one ignored window of class 4 and one
/// background window; fish-bike.jpg (323 × 481) has foreground class 3 and a background window
/// of class 5 (relabelled 0).
private let mixedWindows = [
  "# 0", "cat.jpg", "3", "360", "480", "4",
  "1 0.9 10 20 109 119",
  "2 0.8 200 100 299 249",
  "4 0.4 50 50 99 99",
  "0 0.1 0 0 49 49",
  "# 1", "fish-bike.jpg", "3", "323", "481", "2",
  "3 0.7 100 50 199 149",
  "5 0.2 300 200 399 299",
]

/// One foreground window of class 7 on cat.jpg, columns 40...139 and rows 30...89.
private let singleWindow = ["# 0", "cat.jpg", "3", "360", "480", "1", "7 1.0 40 30 139 89"]

@Suite(.enabled(if: imagesPresent, "needs ../shared/caffe-corpus/images"))
struct WindowDataTests {
  private func parameter(
    _ folder: WindowFolder, batchSize: UInt32 = 8, crop: UInt32 = 8,
    _ configure: (inout LayerParameter) -> Void = { _ in }
  ) -> LayerParameter {
    var param = LayerParameter()
    param.name = "windows"
    param.type = "WindowData"
    param.phase = .train
    param.windowDataParam.source = folder.source
    param.windowDataParam.rootFolder = imagesFolder
    param.windowDataParam.batchSize = batchSize
    param.windowDataParam.bgThreshold = 0.3
    param.windowDataParam.cacheImages = true
    param.transformParam.cropSize = crop
    configure(&param)
    return param
  }

  private func setUp(_ param: LayerParameter, seed: UInt64 = 1701) throws -> (Layer, [Blob]) {
    Runtime.setRandomSeed(seed)
    let layer = try LayerRegistry.makeLayer(param)
    let top = [Blob(), Blob()]
    try layer.setUp(bottom: [], top: top)
    return (layer, top)
  }

  /// cat.jpg's columns x1...x2 and rows y1...y2 resized to `crop` × `crop`, as (C, H, W) values,
  /// optionally flipped left to right.
  private func expectedWarp(
    x1: Int, y1: Int, x2: Int, y2: Int, crop: Int, flip: Bool = false
  ) throws -> [Float] {
    let image = try Image(contentsOfFile: imagesFolder + "cat.jpg", color: .color)
    var pixels: [UInt8] = []
    for y in y1...y2 {
      let start = (y * image.width + x1) * 3
      pixels += image.pixels[start..<(start + (x2 - x1 + 1) * 3)]
    }
    let region = try Image(height: y2 - y1 + 1, width: x2 - x1 + 1, channels: 3, pixels: pixels)
    let warped = try region.resized(height: crop, width: crop)
    var values = [Float](repeating: 0, count: 3 * crop * crop)
    for c in 0..<3 {
      for h in 0..<crop {
        for w in 0..<crop {
          let column = flip ? crop - 1 - w : w
          values[(c * crop + h) * crop + w] = Float(warped.pixels[(h * crop + column) * 3 + c])
        }
      }
    }
    return values
  }

  private func item(_ blob: Blob, _ index: Int) -> [Float] {
    let size = blob.count / blob.shape[0]
    return Array(blob.dataArray[(index * size)..<((index + 1) * size)])
  }

  private func close(_ a: [Float], _ b: [Float], within tolerance: Float = 1) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
  }

  @Test func shapesAndLabelsFollowTheForegroundFraction() throws {
    let folder = try WindowFolder(mixedWindows)
    let (layer, top) = try setUp(parameter(folder))
    #expect(top[0].shape == [8, 3, 8, 8])
    #expect(top[1].shape == [8])
    var foreground = Set<Float>()
    for _ in 0..<4 {
      _ = try layer.forward(bottom: [], top: top)
      let labels = top[1].dataArray
      // ⌊8 · 0.25⌋ = 2 foreground windows, after the 6 background ones.
      #expect(labels[0..<6].allSatisfy { $0 == 0 })
      #expect(labels[6...].allSatisfy { [1, 2, 3].contains($0) })
      foreground.formUnion(labels[6...])
    }
    #expect(foreground.count >= 2)
  }

  @Test func foregroundFractionRoundsDown() throws {
    let folder = try WindowFolder(mixedWindows)
    let (layer, top) = try setUp(
      parameter(folder, batchSize: 5) { $0.windowDataParam.fgFraction = 0.5 })
    _ = try layer.forward(bottom: [], top: top)
    let labels = top[1].dataArray
    #expect(labels.filter { $0 == 0 }.count == 3)
    #expect(labels[3...].allSatisfy { $0 > 0 && $0 != 4 })
  }

  @Test func warpCropEqualsTheResizedRegion() throws {
    let folder = try WindowFolder(singleWindow)
    let (layer, top) = try setUp(
      parameter(folder, batchSize: 2, crop: 16) { $0.windowDataParam.fgFraction = 1 })
    _ = try layer.forward(bottom: [], top: top)
    let expected = try expectedWarp(x1: 40, y1: 30, x2: 139, y2: 89, crop: 16)
    #expect(top[1].dataArray == [7, 7])
    #expect(close(item(top[0], 0), expected))
    #expect(close(item(top[0], 1), expected))
  }

  @Test(arguments: [false, true])
  func meanValueAndScaleApplyToEveryPixel(scaleInTransform: Bool) throws {
    let folder = try WindowFolder(singleWindow)
    let (layer, top) = try setUp(
      parameter(folder, batchSize: 1, crop: 12) {
        $0.windowDataParam.fgFraction = 1
        if scaleInTransform {
          $0.transformParam.scale = 0.5
        } else {
          $0.windowDataParam.scale = 0.5
        }
        $0.transformParam.meanValue = [10, 20, 30]
      })
    _ = try layer.forward(bottom: [], top: top)
    let warped = try expectedWarp(x1: 40, y1: 30, x2: 139, y2: 89, crop: 12)
    let expected = warped.enumerated().map { (($1 - Float(10 + 10 * ($0 / 144))) * 0.5) }
    #expect(close(item(top[0], 0), expected, within: 0.5))
  }

  @Test func meanFileIsCroppedAtItsCentre() throws {
    let folder = try WindowFolder(singleWindow)
    // A (1, 3, 10, 10) mean whose value at (c, y, x) is 100c + 10y + x.
    let mean = Blob()
    try mean.reshape([1, 3, 10, 10])
    for index in 0..<300 { mean.data[index] = Float(index) }
    let meanPath = folder.folder.appendingPathComponent("mean.binaryproto").path
    try BinaryProto.write(mean.toProto(), path: meanPath)
    let (layer, top) = try setUp(
      parameter(folder, batchSize: 1, crop: 8) {
        $0.windowDataParam.fgFraction = 1
        $0.transformParam.meanFile = meanPath
      })
    _ = try layer.forward(bottom: [], top: top)
    let warped = try expectedWarp(x1: 40, y1: 30, x2: 139, y2: 89, crop: 8)
    // Output (c, h, w) subtracts mean (c, h + 1, w + 1): the centred 8 × 8 of 10 × 10.
    let expected = warped.enumerated().map { index, value in
      let (c, h, w) = (index / 64, index / 8 % 8, index % 8)
      return value - Float(100 * c + 10 * (h + 1) + w + 1)
    }
    #expect(close(item(top[0], 0), expected))
    #expect(throws: CaffeError.self) {
      try setUp(
        parameter(folder, batchSize: 1, crop: 12) {
          $0.windowDataParam.fgFraction = 1
          $0.transformParam.meanFile = meanPath
        })
    }
  }

  @Test func mirrorFlipsSomeWindowsLeftToRight() throws {
    let folder = try WindowFolder(singleWindow)
    let (layer, top) = try setUp(
      parameter(folder, batchSize: 8) {
        $0.windowDataParam.fgFraction = 1
        $0.transformParam.mirror = true
      })
    let plain = try expectedWarp(x1: 40, y1: 30, x2: 139, y2: 89, crop: 8)
    let flipped = try expectedWarp(x1: 40, y1: 30, x2: 139, y2: 89, crop: 8, flip: true)
    var counts = (plain: 0, flipped: 0)
    for _ in 0..<2 {
      _ = try layer.forward(bottom: [], top: top)
      for index in 0..<8 {
        let values = item(top[0], index)
        if close(values, plain) {
          counts.plain += 1
        } else if close(values, flipped) {
          counts.flipped += 1
        }
      }
    }
    #expect(counts.plain + counts.flipped == 16)
    #expect(counts.plain > 0 && counts.flipped > 0)
  }

  @Test func squareModePadsOutsideTheImageWithZeros() throws {
    // Columns 0...9, rows 0...19: the square region reaches 5 columns left of the image.
    let folder = try WindowFolder(["# 0", "cat.jpg", "3", "360", "480", "1", "2 1 0 0 9 19"])
    let (layer, top) = try setUp(
      parameter(folder, batchSize: 1, crop: 20) {
        $0.windowDataParam.fgFraction = 1
        $0.windowDataParam.cropMode = "square"
        $0.transformParam.meanValue = [100]
      })
    _ = try layer.forward(bottom: [], top: top)
    let values = top[0].dataArray
    for c in 0..<3 {
      for h in 0..<20 {
        let row = Array(values[((c * 20 + h) * 20)..<((c * 20 + h) * 20 + 20)])
        // Geometry: 15 warped columns placed after 5 of padding (see the geometry test).
        #expect(row[0..<5].allSatisfy { $0 == 0 })
        #expect(row[5...].allSatisfy { $0 >= -100 && $0 <= 155 })
      }
    }
  }

  @Test func geometryOfSquareAndContextPadding() {
    func window(_ x1: Int, _ y1: Int, _ x2: Int, _ y2: Int) -> WindowFile.Window {
      WindowFile.Window(image: 0, label: 1, x1: x1, y1: y1, x2: x2, y2: y2, line: 1)
    }
    // Square: half sizes 10 and 5 become 10, centre (5, 10); x −5...15 is clipped to 0...15.
    // Scale 20/21: 16 columns → 15, 21 rows → 20, 5 clipped columns → 5 (0 when mirrored).
    let square = WindowGeometry.place(
      window(0, 0, 9, 19), imageHeight: 100, imageWidth: 100, crop: 20, contextPad: 0,
      square: true, mirror: false)
    #expect(
      square == WindowGeometry(x1: 0, y1: 0, x2: 15, y2: 20, height: 20, width: 15, top: 0, left: 5)
    )
    let mirrored = WindowGeometry.place(
      window(0, 0, 9, 19), imageHeight: 100, imageWidth: 100, crop: 20, contextPad: 0,
      square: true, mirror: true)
    #expect(mirrored?.left == 0)
    // Context 2 of crop 24: the 20-pixel window grows by 24/20 about its centre 20 to 8...32.
    let padded = WindowGeometry.place(
      window(10, 10, 29, 29), imageHeight: 100, imageWidth: 100, crop: 24, contextPad: 2,
      square: false, mirror: false)
    #expect(
      padded == WindowGeometry(x1: 8, y1: 8, x2: 32, y2: 32, height: 24, width: 24, top: 0, left: 0)
    )
    let outside = WindowGeometry.place(
      window(90, 90, 109, 99), imageHeight: 100, imageWidth: 100, crop: 24, contextPad: 0,
      square: false, mirror: false)
    #expect(outside == nil)
  }

  @Test func missingWindowFileIsAnIOError() throws {
    let folder = try WindowFolder(singleWindow)
    var param = parameter(folder)
    param.windowDataParam.source = folder.folder.appendingPathComponent("absent.txt").path
    let error = #expect(throws: CaffeError.self) { try setUp(param) }
    #expect("\(String(describing: error))".contains("absent.txt"))
  }

  @Test func badLinesNameTheFileAndLine() throws {
    let cases: [([String], String)] = [
      (["# 0", "cat.jpg", "3", "360", "480", "1", "7 1.0 40 30 x2 89"], "windows.txt:7"),
      (["# 0", "cat.jpg", "3", "360", "480", "1", "0 0.9 40 30 139 89"], "windows.txt:7"),
      (["# 1", "cat.jpg", "3", "360", "480", "0"], "windows.txt:1"),
      (["# 0", "cat.jpg", "3", "360", "480", "2", "7 1.0 40 30 139 89"], "windows.txt:7"),
      (["0", "cat.jpg"], "windows.txt:1"),
    ]
    for (lines, place) in cases {
      let folder = try WindowFolder(lines)
      let error = #expect(throws: CaffeError.self) { try setUp(parameter(folder)) }
      #expect("\(String(describing: error))".contains(place), "\(lines)")
    }
  }

  @Test func missingImageNamesItsLine() throws {
    let folder = try WindowFolder(["# 0", "absent.jpg", "3", "9", "9", "1", "1 1 0 0 4 4"])
    let cached = #expect(throws: CaffeError.self) {
      try setUp(parameter(folder) { $0.windowDataParam.fgFraction = 1 })
    }
    #expect("\(String(describing: cached))".contains("windows.txt:2"))
    let (layer, top) = try setUp(
      parameter(folder) {
        $0.windowDataParam.fgFraction = 1
        $0.windowDataParam.cacheImages = false
      })
    let error = #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
    #expect("\(String(describing: error))".contains("absent.jpg"))
    #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
  }

  @Test func windowOutsideItsImageFailsTheForward() throws {
    let folder = try WindowFolder(["# 0", "cat.jpg", "3", "360", "480", "1", "1 1 470 0 489 9"])
    let (layer, top) = try setUp(parameter(folder) { $0.windowDataParam.fgFraction = 1 })
    let error = #expect(throws: CaffeError.self) { try layer.forward(bottom: [], top: top) }
    #expect("\(String(describing: error))".contains("windows.txt:7"))
  }

  @Test func missingWindowSetsAndBadParametersThrow() throws {
    let folder = try WindowFolder(singleWindow)
    // The default fg_fraction 0.25 needs background windows, and the file has none.
    #expect(throws: CaffeError.self) { try setUp(parameter(folder)) }
    let bad: [(inout LayerParameter) -> Void] = [
      { $0.transformParam.cropSize = 0 },
      { $0.windowDataParam.batchSize = 0 },
      { $0.windowDataParam.cropMode = "stretch" },
      { $0.windowDataParam.fgFraction = 1.5 },
      { $0.windowDataParam.contextPad = 4 },
      { $0.transformParam.meanValue = [1, 2] },
      {
        $0.transformParam.meanValue = [1]
        $0.transformParam.meanFile = "mean.binaryproto"
      },
    ]
    for configure in bad {
      #expect(throws: CaffeError.self) { try WindowDataLayer(parameter(folder, configure)) }
    }
  }
}
