// ArgMax layer: top-k indices and values, per item or along an axis; no backward.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@testable import Caffe

@Suite struct ArgMaxTests {
  func run(_ text: String, _ bottom: Blob) throws -> Blob {
    let layer = try LayerFixture.make(ArgMaxLayer.self, "argmax_param { \(text) }")
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    return top
  }

  /// The `k` largest of `values` as (index, value), larger index first on ties.
  func ranked(_ values: [Float], _ k: Int) -> [(index: Int, value: Float)] {
    let sorted = values.enumerated().sorted {
      $0.element > $1.element || ($0.element == $1.element && $0.offset > $1.offset)
    }
    return sorted.prefix(k).map { ($0.offset, $0.element) }
  }

  @Test(arguments: [
    ("", [4, 5, 3, 2], [4, 1, 1, 1]),
    ("out_max_val: true", [4, 5, 3, 2], [4, 2, 1, 1]),
    ("top_k: 4", [4, 5, 3, 2], [4, 1, 4, 1]),
    ("out_max_val: true top_k: 4", [4, 30], [4, 2, 4]),
    ("axis: 1 top_k: 2", [4, 5, 3, 2], [4, 2, 3, 2]),
    ("axis: -1 out_max_val: true", [4, 5, 3, 2], [4, 5, 3, 1]),
  ])
  func setUpShapesTheTop(_ text: String, _ bottomShape: [Int], _ shape: [Int]) throws {
    let layer = try LayerFixture.make(ArgMaxLayer.self, "argmax_param { \(text) }")
    let top = Blob()
    try layer.setUp(bottom: [try BlobBuilder.gaussian(bottomShape)], top: [top])
    #expect(top.shape == shape)
  }

  @Test(arguments: [1, 3])
  func perItemIndicesAndValues(_ k: Int) throws {
    let bottom = try BlobBuilder.gaussian([4, 5, 3, 2])
    let indices = try run("top_k: \(k)", bottom)
    let both = try run("top_k: \(k) out_max_val: true", bottom)
    let values = bottom.dataArray
    for item in 0..<4 {
      let best = ranked(Array(values[(item * 30)..<((item + 1) * 30)]), k)
      #expect(
        Array(indices.dataArray[(item * k)..<((item + 1) * k)]) == best.map { Float($0.index) })
      let row = Array(both.dataArray[(item * 2 * k)..<((item + 1) * 2 * k)])
      #expect(row == best.map { Float($0.index) } + best.map(\.value))
    }
  }

  @Test(arguments: [(1, 1), (1, 3), (3, 2), (-3, 2)])
  func alongAnAxis(_ axis: Int, _ k: Int) throws {
    let shape = [2, 4, 3, 2]
    let bottom = try BlobBuilder.gaussian(shape)
    let indices = try run("axis: \(axis) top_k: \(k)", bottom)
    let values = try run("axis: \(axis) top_k: \(k) out_max_val: true", bottom)
    let a = axis < 0 ? axis + 4 : axis
    let inner = shape[(a + 1)...].reduce(1, *)
    let outer = shape[..<a].reduce(1, *)
    let data = bottom.dataArray
    for o in 0..<outer {
      for i in 0..<inner {
        let line = (0..<shape[a]).map { data[(o * shape[a] + $0) * inner + i] }
        for (j, best) in ranked(line, k).enumerated() {
          #expect(indices.dataArray[(o * k + j) * inner + i] == Float(best.index))
          #expect(values.dataArray[(o * k + j) * inner + i] == best.value)
        }
      }
    }
  }

  @Test func tiesGoToTheLargerIndex() throws {
    let top = try run("top_k: 2", try BlobBuilder.values([1, 4], [1, 3, 1, 3]))
    #expect(top.dataArray == [3, 1])
  }

  @Test(arguments: [
    ("top_k: 0", "top_k"),
    ("top_k: 31", "top_k"),
    ("axis: 1 top_k: 6", "top_k"),
    ("axis: 4", "axis"),
  ])
  func badParametersThrow(_ text: String, _ field: String) throws {
    #expect {
      let layer = try LayerFixture.make(ArgMaxLayer.self, "argmax_param { \(text) }")
      try layer.setUp(bottom: [try BlobBuilder.gaussian([2, 5, 3, 2])], top: [Blob()])
    } throws: { LayerFixture.isInvalid($0, field: field) }
  }

  @Test func backwardSaysItHasNone() throws {
    let layer = try LayerFixture.make(ArgMaxLayer.self)
    let bottom = try BlobBuilder.gaussian([2, 3])
    let top = Blob()
    try layer.setUp(bottom: [bottom], top: [top])
    try layer.forward(bottom: [bottom], top: [top])
    try layer.backward(top: [top], propagateDown: [false], bottom: [bottom])
    #expect { try layer.backward(top: [top], propagateDown: [true], bottom: [bottom]) } throws: {
      "\($0)".contains("ArgMax") && "\($0)".contains("no backward")
    }
  }
}
