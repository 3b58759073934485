// `draw_net`: a net's layers and blobs drawn with Graphviz, as Caffe's python/draw_net.py.

import ArgumentParser
import CaffeProto
import CaffeSupport
import CaffeTools

/// `draw_net NET OUT.(png|svg|dot) [--rankdir LR|TB|BT|RL] [--phase TRAIN|TEST|ALL]
/// [--display_lrm]`, as Caffe's `python/draw_net.py`.
///
/// Reads the net definition (legacy V0/V1 formats are upgraded first), builds its Graphviz
/// graph with Caffe's node styles (see ``NetDrawing``) and writes it: `.dot`, `.gv` or `.raw`
/// as DOT text, any other extension (`.png`, `.svg`, `.pdf`) drawn by Graphviz's `dot`
/// program, which must then be installed (Debian package `graphviz`).
public struct DrawNetCommand: ParsableCommand {
  /// The tool's name, usage and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "draw_net", abstract: "Draw a graph of the net architecture.")

  @Argument(help: "Input network prototxt file.")
  var inputNetProtoFile: String

  @Argument(help: "Output image file: .png, .svg, .pdf, or .dot for the graph as text.")
  var outputImageFile: String

  @Option(
    name: .customLong("rankdir"),
    help: "Layout direction: LR (left-right), TB (top-bottom), BT or RL.")
  var rankdir = "LR"

  @Option(
    name: .customLong("phase"),
    help: "Which network phase to draw: TRAIN, TEST, or ALL (every layer, whatever its phase).")
  var phase = "ALL"

  @Flag(
    name: .customLong("display_lrm"),
    help: "Show the learning-rate multipliers of Convolution, Deconvolution and InnerProduct.")
  var displayLRM = false

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Checks `--rankdir` and `--phase` before any file is read.
  /// - Throws: `ValidationError` naming the accepted values.
  public func validate() throws {
    guard NetDrawing.rankdirs.contains(rankdir) else {
      throw ValidationError(
        "--rankdir \(rankdir): use one of " + NetDrawing.rankdirs.joined(separator: ", "))
    }
    _ = try drawnPhase()
  }

  /// Reads the net, draws it and writes the output file.
  /// - Throws: `CaffeError` for an unreadable or invalid prototxt, a layer with both include
  ///   and exclude rules, a missing `dot` program or a failed write.
  public func run() throws {
    let net = try ProtoUpgrade.readNetText(path: inputNetProtoFile)
    let drawing = NetDrawing(
      rankdir: rankdir, phase: try drawnPhase(), displayLearningRateMultipliers: displayLRM)
    let dot = try drawing.dot(for: net)
    print("Drawing net to \(outputImageFile)")
    try Graphviz.write(dot, to: outputImageFile)
  }

  /// The phase `--phase` names, or nil for `ALL`.
  /// - Throws: `ValidationError` for any other value.
  private func drawnPhase() throws -> Phase? {
    switch phase {
    case "ALL": return nil
    case "TRAIN": return .train
    case "TEST": return .test
    default: throw ValidationError("Unknown phase: \(phase) (use TRAIN, TEST or ALL)")
    }
  }
}
