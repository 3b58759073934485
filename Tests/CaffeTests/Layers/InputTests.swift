// Input and DummyData layers: top shapes, fills and the counting rules of their fields.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct InputTests {
  func setUp(_ param: String, tops count: Int) throws -> [Blob] {
    let layer = try LayerFixture.make(InputLayer.self, "name: \"input\" input_param { \(param) }")
    let tops = LayerFixture.tops(count)
    try layer.setUp(bottom: [], top: tops)
    return tops
  }

  @Test func oneShapeServesEveryTop() throws {
    let tops = try setUp("shape { dim: 2 dim: 3 }", tops: 2)
    #expect(tops.map(\.shape) == [[2, 3], [2, 3]])
  }

  @Test func oneShapePerTop() throws {
    let tops = try setUp("shape { dim: 64 dim: 1 dim: 28 dim: 28 } shape { dim: 64 }", tops: 2)
    #expect(tops.map(\.shape) == [[64, 1, 28, 28], [64]])
  }

  @Test func forwardKeepsTheCallersShapeAndData() throws {
    let layer = try LayerFixture.make(InputLayer.self, "input_param { shape { dim: 2 } }")
    let top = Blob()
    try layer.setUp(bottom: [], top: [top])
    try top.reshape([3])
    try top.setData([1, 2, 3])
    try layer.forward(bottom: [], top: [top])
    #expect(top.dataArray == [1, 2, 3])
  }

  @Test func noShapeLeavesTheTopsAlone() throws {
    let tops = try setUp("", tops: 1)
    #expect(tops[0].shape == [])
  }

  @Test func wrongNumberOfShapesIsRejected() throws {
    #expect { try setUp("shape { dim: 1 } shape { dim: 2 }", tops: 3) } throws: {
      LayerFixture.isInvalid($0, layer: "input", field: "input_param.shape")
    }
  }

  @Test func negativeDimensionIsRejected() throws {
    #expect { try setUp("shape { dim: 2 dim: -1 }", tops: 1) } throws: {
      LayerFixture.isInvalid($0, layer: "input", field: "input_param.shape")
    }
  }
}

@Suite(.serialized) struct DummyDataTests {
  func makeDummy(_ param: String) throws -> DummyDataLayer {
    try LayerFixture.make(DummyDataLayer.self, "name: \"dummy\" dummy_data_param { \(param) }")
  }

  @Test func shapesFromShapeOrLegacyFields() throws {
    let tops = LayerFixture.tops(2)
    try makeDummy("shape { dim: 5 dim: 3 } shape { dim: 2 }").setUp(bottom: [], top: tops)
    #expect(tops.map(\.shape) == [[5, 3], [2]])
    let legacy = LayerFixture.tops(2)
    try makeDummy("num: 5 num: 2 channels: 3 height: 2 width: 4").setUp(bottom: [], top: legacy)
    #expect(legacy.map(\.shape) == [[5, 3, 2, 4], [2, 3, 2, 4]])
  }

  @Test func defaultFillIsZero() throws {
    let top = Blob()
    let layer = try makeDummy("shape { dim: 2 dim: 3 }")
    try layer.setUp(bottom: [], top: [top])
    try layer.forward(bottom: [], top: [top])
    #expect(top.dataArray == Array(repeating: 0, count: 6))
  }

  @Test func constantTopsAreFilledOnceAndOthersEveryForward() throws {
    let tops = LayerFixture.tops(2)
    let layer = try makeDummy(
      """
      shape { dim: 4 }
      data_filler { type: "constant" value: 7 }
      data_filler { type: "uniform" min: 0 max: 1 }
      """)
    Runtime.setRandomSeed(1701)
    try layer.setUp(bottom: [], top: tops)
    #expect(tops[0].dataArray == [7, 7, 7, 7])
    try tops[0].setData([1, 1, 1, 1])
    let first = tops[1].dataArray
    try layer.forward(bottom: [], top: tops)
    #expect(tops[0].dataArray == [1, 1, 1, 1])
    #expect(tops[1].dataArray != first)
    #expect(tops[1].dataArray.allSatisfy { $0 >= 0 && $0 < 1 })
  }

  @Test(arguments: [
    ("shape { dim: 2 } data_filler { } data_filler { } data_filler { }", "data_filler"),
    ("shape { dim: 2 } num: 2 channels: 1 height: 1 width: 1", "shape"),
    ("num: 2 num: 2 num: 2 channels: 1 height: 1 width: 1", "num"),
    ("num: 2 height: 1 width: 1", "channels"),
    ("shape { dim: 2 } shape { dim: 2 } shape { dim: 2 }", "shape"),
    ("shape { dim: 2 } data_filler { type: \"nonsense\" }", "data_filler.type"),
  ])
  func badParametersAreRejected(_ param: String, _ field: String) throws {
    let layer = try makeDummy(param)
    #expect { try layer.setUp(bottom: [], top: LayerFixture.tops(2)) } throws: {
      LayerFixture.isInvalid($0, layer: "dummy", field: field)
    }
  }
}
