// debug_info during training: the `[Update]` lines Caffe's UpdateDebugInfo defines.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@Suite struct SolverDebugInfoTests {
  /// Two InnerProduct layers sharing their weights `w` and bias `b`, summed into one loss.
  static let sharedNet = """
    name: "shared"
    layer {
      name: "data" type: "DummyData" top: "data" top: "label"
      dummy_data_param {
        shape { dim: 4 dim: 3 } shape { dim: 4 }
        data_filler { type: "uniform" min: -1 max: 1 } data_filler { type: "constant" value: 1 }
      }
    }
    layer {
      name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
      param { name: "w" } param { name: "b" }
      inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.5 } }
    }
    layer {
      name: "ip2" type: "InnerProduct" bottom: "data" top: "ip2"
      param { name: "w" } param { name: "b" }
      inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.5 } }
    }
    layer { name: "sum" type: "Eltwise" bottom: "ip1" bottom: "ip2" top: "sum" }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "sum" bottom: "label" top: "loss" }
    """

  private func meanAbs(_ values: [Float]) -> String {
    formatG(values.map(abs).reduce(0, +) / Float(values.count))
  }

  @Test func updateLinesShowSharedThenOwnedParametersOnDisplayIterations() throws {
    let solver = try SGDSolver(
      TinyNet.solverParam {
        $0.netParam = (try? Prototxt.decode(NetParameter.self, text: Self.sharedNet)) ?? .init()
        $0.debugInfo = true
        $0.display = 2
      })
    let log = LogCapture()
    try log.capture { try solver.step(2) }
    let weights = solver.net.learnableParams[0]
    let bias = solver.net.learnableParams[1]
    let before = try log.capture {
      let data = (weights.dataArray, bias.dataArray)
      try solver.step(1)
      return data
    }
    let lines = log.messages.filter { $0.hasPrefix("    [Update]") }
    #expect(lines.count == 8)
    #expect(
      Array(lines.suffix(4)) == [
        "    [Update] Layer ip2, param blob w (owned by layer ip1, param w) diff: "
          + meanAbs(weights.diffArray),
        "    [Update] Layer ip2, param blob b (owned by layer ip1, param b) diff: "
          + meanAbs(bias.diffArray),
        "    [Update] Layer ip1, param w data: \(meanAbs(before.0)); diff: "
          + meanAbs(weights.diffArray),
        "    [Update] Layer ip1, param b data: \(meanAbs(before.1)); diff: "
          + meanAbs(bias.diffArray),
      ])
  }
}
