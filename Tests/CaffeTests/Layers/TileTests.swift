// Tile layer: repeated blocks along an axis, summed gradients, parameter errors.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct TileTests {
  @Test(arguments: [
    ("tile_param { tiles: 1 }", [2, 3, 4, 5]),
    ("tile_param { tiles: 3 }", [2, 9, 4, 5]),
    ("tile_param { axis: 0 tiles: 2 }", [4, 3, 4, 5]),
    ("tile_param { axis: -1 tiles: 2 }", [2, 3, 4, 10]),
  ])
  func setUpMultipliesTheAxis(_ text: String, _ shape: [Int]) throws {
    let layer = try LayerFixture.make(TileLayer.self, text)
    let top = Blob()
    try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 3, 4, 5])], top: [top])
    #expect(top.shape == shape)
  }

  @Test(arguments: [
    ("tile_param { axis: 0 tiles: 2 }", [Float]([1, 2, 3, 4, 1, 2, 3, 4])),
    ("tile_param { tiles: 2 }", [1, 2, 1, 2, 3, 4, 3, 4]),
    ("tile_param { axis: -1 tiles: 3 }", [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]),
  ])
  func forwardRepeatsTheBlocks(_ text: String, _ expected: [Float]) throws {
    let layer = try LayerFixture.make(TileLayer.self, text)
    let bottom = try BlobBuilder.values([2, 2, 1], [1, 2, 3, 4])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    #expect(top.dataArray == expected)
  }

  @Test func backwardSumsOverTheTiles() throws {
    let layer = try LayerFixture.make(TileLayer.self, "tile_param { tiles: 3 }")
    let bottom = try BlobBuilder.values([2, 1], [1, 2])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try top.setDiff([1, 2, 3, 10, 20, 30])
    try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
    #expect(bottom.diffArray == [6, 60])
  }

  // Caffe's test_tile_layer: GradientChecker(1e-2, 1e-2), exhaustive.
  @Test(arguments: [
    "tile_param { tiles: 1 }", "tile_param { axis: 0 tiles: 3 }", "tile_param { tiles: 3 }",
  ])
  func gradientIsExact(_ text: String) throws {
    let layer = try LayerFixture.make(TileLayer.self, text)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-2)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: [try BlobBuilder.gaussian([2, 2, 2, 2])], top: [Blob()])
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: ["", "tile_param { axis: 1 }", "tile_param { tiles: 0 }"])
  func missingOrNonPositiveTilesThrow(_ text: String) throws {
    #expect { try LayerFixture.make(TileLayer.self, text) } throws: {
      LayerFixture.isInvalid($0, field: "tiles")
    }
  }

  @Test func outOfRangeAxisThrows() throws {
    let layer = try LayerFixture.make(TileLayer.self, "tile_param { axis: 4 tiles: 2 }")
    #expect { try layer.setUp(bottom: [try BlobBuilder.gaussian()], top: [Blob()]) } throws: {
      LayerFixture.isInvalid($0, field: "axis")
    }
  }
}
