// `caffe time`: benchmark a net's forward and backward passes, layer by layer.

import ArgumentParser
import Caffe
import CaffeProto
import CaffeSupport

/// `caffe time --model=M [--iterations=50] [--phase=TRAIN|TEST]`.
///
/// After one untimed forward and backward pass, times `--iterations` forward-backward passes
/// and logs Caffe's benchmark report: per-iteration times, the average forward and backward
/// time of each layer, and the totals, all in milliseconds.
///
/// As in Caffe, every layer's backward runs, even in a net without a loss: bottoms get diffs only
/// where the net needs them, but layers with parameters always compute their weight gradients.
/// After Caffe's report, a throughput table (beyond Caffe) gives GFLOP/s for each convolution,
/// deconvolution and inner-product layer, counting 2 FLOPs per multiply-accumulate.
public struct TimeCommand: ParsableCommand {
  /// The `time` subcommand's name and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "time", abstract: "benchmark model execution time")

  @Option(name: .customLong("model"), help: "The model definition protocol buffer text file.")
  var model = ""

  @Option(name: .customLong("iterations"), help: "The number of iterations to run.")
  var iterations = 50

  @Option(name: .customLong("phase"), help: "Optional; network phase (TRAIN or TEST).")
  var phase = ""

  @Option(
    name: .customLong("weights"),
    help: "Accepted as Caffe's global flag; timing does not depend on weights, so none are read.")
  var weights = ""

  @OptionGroup var netState: NetStateOptions

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Runs the benchmark.
  /// - Throws: `ValidationError` for missing or bad flags; `CaffeError` for unreadable files or
  ///   invalid nets.
  public func run() throws {
    try require(model, "Need a model definition to time (--model).")
    guard iterations >= 1 else {
      throw ValidationError("--iterations must be at least 1 (given \(iterations))")
    }
    let netPhase = try parsedPhase()
    if !weights.isEmpty { Log.info("caffe time does not read weights; --weights ignored") }
    netState.useCPU()
    let net = try locatingLayerErrors(in: [model]) {
      try Net(try netState.netParameter(path: model, phase: netPhase))
    }
    Log.info("Performing Forward")
    let initialLoss = try net.forward()
    Log.info("Initial loss: \(formatG(initialLoss))")
    Log.info("Performing Backward")
    try net.backward()
    Log.info("*** Benchmark begins ***")
    Log.info("Testing for \(iterations) iterations.")
    try benchmark(net)
    Log.info("*** Benchmark ends ***")
  }

  private func parsedPhase() throws -> Phase {
    switch phase {
    case "", "TRAIN": return .train
    case "TEST": return .test
    default: throw ValidationError("phase must be \"TRAIN\" or \"TEST\" (given \"\(phase)\")")
    }
  }

  /// Times each layer's forward and backward over the iterations and logs the report.
  private func benchmark(_ net: Net) throws {
    let layerCount = net.layers.count
    var forwardPerLayer = [Double](repeating: 0, count: layerCount)
    var backwardPerLayer = [Double](repeating: 0, count: layerCount)
    var forwardTotal = 0.0
    var backwardTotal = 0.0
    let total = Stopwatch()
    for iteration in 1...iterations {
      let iterationTimer = Stopwatch()
      let forwardTimer = Stopwatch()
      for i in 0..<layerCount {
        let timer = Stopwatch()
        try net.forward(from: i, to: i)
        forwardPerLayer[i] += Double(timer.microseconds)
      }
      forwardTotal += Double(forwardTimer.microseconds)
      let backwardTimer = Stopwatch()
      for i in stride(from: layerCount - 1, through: 0, by: -1) {
        let timer = Stopwatch()
        try net.layers[i].backward(
          top: net.tops(ofLayer: i), propagateDown: net.bottomNeedsBackward(layer: i),
          bottom: net.bottoms(ofLayer: i))
        backwardPerLayer[i] += Double(timer.microseconds)
      }
      backwardTotal += Double(backwardTimer.microseconds)
      Log.info(
        "Iteration: \(iteration) forward-backward time: "
          + "\(formatG(Float(iterationTimer.milliseconds))) ms.")
    }
    let count = Double(iterations)
    Log.info("Average time per layer: ")
    for i in 0..<layerCount {
      let name =
        String(repeating: " ", count: max(0, 10 - net.layerNames[i].count))
        + net.layerNames[i]
      Log.info("\(name)\tforward: \(formatG(forwardPerLayer[i] / 1000 / count)) ms.")
      Log.info("\(name)\tbackward: \(formatG(backwardPerLayer[i] / 1000 / count)) ms.")
    }
    let totalMilliseconds = Float(total.milliseconds)
    Log.info("Average Forward pass: \(formatG(forwardTotal / 1000 / count)) ms.")
    Log.info("Average Backward pass: \(formatG(backwardTotal / 1000 / count)) ms.")
    Log.info(
      "Average Forward-Backward: \(formatG(totalMilliseconds / Float(iterations))) ms.")
    Log.info("Total Time: \(formatG(totalMilliseconds)) ms.")
    logThroughput(net, forward: forwardPerLayer, backward: backwardPerLayer)
  }

  /// Logs GFLOP/s of the layers that multiply by weights, from the summed microseconds.
  ///
  /// A backward pass costs one forward's multiply-accumulates for the weight gradient (when the
  /// parameters learn) plus one for the bottom diff (when the net needs it).
  private func logThroughput(_ net: Net, forward: [Double], backward: [Double]) {
    let weighted: Set<String> = ["Convolution", "Deconvolution", "InnerProduct"]
    let rows = net.layers.indices.filter { weighted.contains(net.layers[$0].typeName) }
    guard !rows.isEmpty else { return }
    Log.info("Throughput per layer (2 FLOPs per multiply-accumulate): ")
    for i in rows {
      let layer = net.layers[i]
      let macs = MACRule.of(layer.typeName).macs(
        layer: layer, bottom: net.bottoms(ofLayer: i), top: net.tops(ofLayer: i))
      let passes =
        (layer.paramPropagateDown.first == true ? 1 : 0)
        + (net.bottomNeedsBackward(layer: i).first == true ? 1 : 0)
      let name = String(repeating: " ", count: max(0, 10 - layer.name.count)) + layer.name
      Log.info(
        "\(name)\tforward: \(gflops(macs, forward[i])) GFLOP/s\tbackward: "
          + "\(gflops(macs * passes, backward[i])) GFLOP/s")
    }
  }

  /// GFLOP/s of `iterations` runs of `macs` multiply-accumulates taking `microseconds` in all.
  private func gflops(_ macs: Int, _ microseconds: Double) -> String {
    guard microseconds > 0 else { return "0" }
    return formatG(2 * Double(macs) * Double(iterations) / microseconds / 1000)
  }
}
