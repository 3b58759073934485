// `caffe time` on a net without a loss: every layer's backward is timed, plus GFLOP/s rows.

import CaffeCLI
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct TimeCommandTests {
  /// A deploy-style net (no loss): Input → Convolution → ReLU → InnerProduct.
  static let deployNet = """
    name: "deploy"
    layer { name: "data" type: "Input" top: "data"
      input_param { shape { dim: 2 dim: 3 dim: 24 dim: 24 } } }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
      convolution_param { num_output: 8 kernel_size: 3
        weight_filler { type: "gaussian" std: 0.1 } } }
    layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
    layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip"
      inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
    """

  /// The milliseconds on the `caffe time` row `"<layer>\t<pass>: X ms."`.
  static func milliseconds(_ lines: [String], layer: String, pass: String) -> Double? {
    let marker = " \(layer)\t\(pass): "
    guard let line = lines.first(where: { $0.contains(marker) && $0.hasSuffix(" ms.") }),
      let range = line.range(of: marker)
    else { return nil }
    return Double(line[range.upperBound...].dropLast(" ms.".count))
  }

  @Test func backwardRunsForLayersWithParametersInANetWithoutLoss() throws {
    let folder = try Golden.temporaryDirectory()
    let model = folder.appendingPathComponent("deploy.prototxt")
    try Self.deployNet.write(to: model, atomically: true, encoding: .utf8)
    let capture = LogCapture()
    let run = capture.capture { CaffeRun(["time", "--model=\(model.path)", "--iterations=2"]) }
    #expect(run.status == 0, "\(run.errors)")
    let lines = capture.messages
    // Caffe times the weight gradients of conv and ip even though no loss needs them.
    let convBackward = try #require(Self.milliseconds(lines, layer: "conv", pass: "backward"))
    #expect(convBackward > 0.01)
    #expect(Self.milliseconds(lines, layer: "relu", pass: "forward") != nil)
    let heading = "Throughput per layer (2 FLOPs per multiply-accumulate): "
    #expect(lines.contains { $0.hasSuffix(heading) })
    for layer in ["conv", "ip"] {
      #expect(lines.contains { $0.contains(" \(layer)\tforward: ") && $0.hasSuffix(" GFLOP/s") })
    }
    #expect(!lines.contains { $0.contains(" relu\tforward: ") && $0.contains("GFLOP/s") })
  }

  /// Caffe's tools take glog's flags and `caffe time` takes the global `--weights`; here
  /// `-minloglevel=1` silences info lines and the other glog flags change nothing.
  @Test func glogFlagsAndWeightsAreAccepted() throws {
    let folder = try Golden.temporaryDirectory()
    let model = folder.appendingPathComponent("deploy.prototxt")
    try Self.deployNet.write(to: model, atomically: true, encoding: .utf8)
    let common = ["time", "-model=\(model.path)", "-iterations", "1", "-weights=none.caffemodel"]
    let glog = ["-logtostderr", "--noalsologtostderr", "-v=2", "--stderrthreshold", "0"]
    let loud = LogCapture()
    let shown = loud.capture { CaffeRun(common + glog) }
    #expect(shown.status == 0, "\(shown.errors)")
    #expect(loud.messages.contains("caffe time does not read weights; --weights ignored"))
    // Captures run one at a time, so restoring the level inside this one hides it from others.
    let quiet = LogCapture()
    let level = Log.minimumLevel
    let silenced = quiet.capture {
      let run = CaffeRun(common + ["-minloglevel=1"])
      Log.minimumLevel = level
      return run
    }
    #expect(silenced.status == 0, "\(silenced.errors)")
    #expect(quiet.messages.isEmpty)
    let bad = CaffeRun(common + ["--minloglevel=7"])
    #expect(bad.status == 1 && bad.errors.first?.contains("--minloglevel must be 0") == true)
  }
}
