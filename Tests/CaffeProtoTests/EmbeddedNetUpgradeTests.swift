// Nets written inside a solver (net_param, test_net_param) are upgraded like nets read from files.

import CaffeProto
import CaffeTestSupport
import Testing

@Suite(.enabled(if: Golden.isAvailable)) struct EmbeddedNetUpgradeTests {
  @Test(arguments: [
    "bvlc--ex-mnist--lenet_consolidated_solver.prototxt",
    "bvlc-v1-2015--ex-mnist--lenet_consolidated_solver.prototxt",
  ])
  func consolidatedLeNetSolverGetsCurrentFormatLayers(file: String) throws {
    let solver = try LogCapture().capture {
      try ProtoUpgrade.readSolverText(path: Golden.path("caffe-corpus/prototxt/" + file))
    }
    let nets = [solver.netParam, solver.trainNetParam] + solver.testNetParam
    let withLayers = nets.filter { !$0.layer.isEmpty }
    #expect(!withLayers.isEmpty)
    for net in nets {
      #expect(net.layers.isEmpty, "every V1 `layers` entry becomes a `layer`")
    }
    #expect(withLayers.flatMap(\.layer).contains { $0.type == "Convolution" })
  }
}
