// `caffe test`: score trained weights on a net in the TEST phase.

import ArgumentParser
import Caffe
import CaffeProto
import CaffeSupport

/// `caffe test --model=M --weights=W [--iterations=50]`.
///
/// `--phase` is accepted as in Caffe, where the flag is shared by all commands but only `time`
/// uses it: the net always runs in phase TEST, and `--phase=TRAIN` logs a warning saying so.
/// Builds the net in phase TEST (with `--stage` / `--level`), loads the weights, runs
/// `--iterations` forward passes and logs, as Caffe does, `Batch i, name = v` for every
/// output element of every batch, then `Loss: L` (the mean weighted loss) and
/// `name = mean (* w = w·mean loss)` for each output element.
public struct TestCommand: ParsableCommand {
  /// The `test` subcommand's name and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "test", abstract: "score a model")

  @Option(name: .customLong("model"), help: "The model definition protocol buffer text file.")
  var model = ""

  @Option(name: .customLong("weights"), help: "The trained weights (.caffemodel) to score.")
  var weights = ""

  @Option(name: .customLong("iterations"), help: "The number of iterations to run.")
  var iterations = 50

  @Option(name: .customLong("phase"), help: "Ignored, as in Caffe: test runs the TEST phase.")
  var phase = ""

  @OptionGroup var netState: NetStateOptions

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Scores the model.
  /// - Throws: `ValidationError` for missing flags or `--iterations` < 1; `CaffeError` for
  ///   unreadable files or invalid nets and weights.
  public func run() throws {
    try require(model, "Need a model definition to score (--model).")
    try require(weights, "Need model weights to score (--weights).")
    guard iterations >= 1 else {
      throw ValidationError("--iterations must be at least 1 (given \(iterations))")
    }
    switch phase {
    case "", "TEST": break
    case "TRAIN": Log.warning("caffe test runs the TEST phase; --phase=TRAIN is ignored")
    default: throw ValidationError("phase must be \"TRAIN\" or \"TEST\" (given \"\(phase)\")")
    }
    netState.useCPU()
    let net = try locatingLayerErrors(in: [model]) {
      try Net(try netState.netParameter(path: model, phase: .test))
    }
    try net.copyTrainedLayers(fromFile: weights)
    Log.info("Running for \(iterations) iterations.")
    var sums: [Float] = []
    var loss: Float = 0
    for batch in 0..<iterations {
      loss += try net.forward()
      var index = 0
      for (j, blob) in net.outputBlobs.enumerated() {
        let name = net.blobNames[net.outputBlobIndices[j]]
        for k in 0..<blob.count {
          let score = blob.data[k]
          if batch == 0 { sums.append(score) } else { sums[index] += score }
          index += 1
          Log.info("Batch \(batch), \(name) = \(formatG(score))")
        }
      }
    }
    loss /= Float(iterations)
    Log.info("Loss: \(formatG(loss))")
    for line in net.outputLines(values: sums.map { $0 / Float(iterations) }) {
      Log.info(line)
    }
  }
}
