// `caffe summary`: a table of a net's layers, top shapes, parameters and multiply-accumulates.

import ArgumentParser
import Caffe
import CaffeProto
import CaffeSupport
import Foundation

/// `caffe summary --model=M [--phase=TRAIN|TEST] [--stage=s1,s2] [--level=N]` (not in Caffe).
///
/// Builds the net as `caffe time` does (weights from their fillers, nothing run) and prints to
/// standard output one row per layer: its name and type, its top shapes (N×C×H×W written
/// `NxCxHxW`), its parameter count and its multiply-accumulates (MACs) for one forward pass of
/// the net's batch, then the totals: parameters, trainable parameters (`lr_mult` ≠ 0),
/// non-trainable ones, MACs (also in GMACs, 10⁹) and the memory of the tops' data in MB (10⁶
/// bytes). ``NetSummary`` and ``MACRule`` say how each number is counted. The net's own log
/// still goes to standard error.
///
/// A net whose data layers read a database or files needs them to exist, since their first
/// record gives the shapes; when they are missing the command fails with one `error:` line
/// rather than guess.
public struct SummaryCommand: ParsableCommand {
  /// The `summary` subcommand's name and one-line help abstract.
  public static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "print a table of a model's layers, shapes, parameters and MACs")

  @Option(name: .customLong("model"), help: "The model definition protocol buffer text file.")
  var model = ""

  @Option(name: .customLong("phase"), help: "Optional; network phase (TRAIN or TEST).")
  var phase = ""

  @OptionGroup var netState: NetStateOptions

  /// Creates the command with every option at its default; the parser fills them in.
  public init() {}

  /// Builds the net and prints its summary table.
  /// - Throws: `ValidationError` for missing or bad flags; `CaffeError` for unreadable files,
  ///   invalid nets, or data sources that cannot be read.
  public func run() throws {
    print(try summaryText(), terminator: "")
  }

  /// Builds the net and returns its summary table, lines ending in newlines.
  /// - Throws: what ``run()`` throws.
  func summaryText() throws -> String {
    try require(model, "Need a model definition to summarise (--model).")
    let netPhase: Phase
    switch phase {
    case "", "TRAIN": netPhase = .train
    case "TEST": netPhase = .test
    default: throw ValidationError("phase must be \"TRAIN\" or \"TEST\" (given \"\(phase)\")")
    }
    netState.useCPU()
    let definition = try netState.netParameter(path: model, phase: netPhase)
    let net: Net
    do {
      net = try Net(definition)
    } catch let error as CaffeError {
      switch error {
      case .database, .io:
        throw CaffeError.invalidNet(
          reason: "cannot summarise \(model) without its data (a data layer's first record "
            + "gives the shapes): \(error.description)")
      default:
        throw error
      }
    }
    return Self.table(NetSummary(net))
  }

  /// Lays out `summary` as aligned columns followed by the totals.
  static func table(_ summary: NetSummary) -> String {
    let header = ["Layer (type)", "Top shape(s)", "Params", "MACs"]
    var cells: [[String]] = []
    let anyShared = summary.rows.contains { $0.sharedParameterCount > 0 }
    for row in summary.rows {
      let shapes = row.topShapes.isEmpty ? ["-"] : row.topShapes.map(shapeText)
      let mark = row.sharedParameterCount > 0 ? "*" : anyShared ? " " : ""
      let params = grouped(row.parameterCount) + mark
      cells.append(["\(row.name) (\(row.type))", shapes[0], params, grouped(row.macs)])
      for shape in shapes.dropFirst() { cells.append(["", shape, "", ""]) }
    }
    let widths = header.indices.map { column in
      ([header] + cells).map { $0[column].count }.max() ?? 0
    }
    func line(_ row: [String]) -> String {
      let padded = row.enumerated().map { column, text in
        let fill = String(repeating: " ", count: widths[column] - text.count)
        return column < 2 ? text + fill : fill + text
      }
      var text = padded.joined(separator: "  ")
      while text.last == " " { text.removeLast() }
      return text
    }
    let rule = String(repeating: "=", count: widths.reduce(0, +) + 2 * (widths.count - 1))
    let phaseName = summary.phase == .test ? "TEST" : "TRAIN"
    var lines = ["Net: \"\(summary.netName)\" (phase \(phaseName))", rule, line(header), rule]
    lines += cells.map(line)
    lines.append(rule)
    if anyShared {
      lines.append("* shares parameters with an earlier layer; counted once in the totals")
    }
    if summary.hiddenSplitCount > 0 {
      lines.append("(\(summary.hiddenSplitCount) Split layers inserted by the net not shown)")
    }
    let gigaMACs = String(format: "%.3f", Double(summary.totalMACs) / 1e9)
    let megabytes = String(format: "%.2f", Double(summary.topByteCount) / 1e6)
    lines += [
      "Total params: \(grouped(summary.totalParameters))",
      "Trainable params: \(grouped(summary.trainableParameters))",
      "Non-trainable params: "
        + grouped(summary.totalParameters - summary.trainableParameters),
      "Total MACs: \(grouped(summary.totalMACs)) (\(gigaMACs) GMACs)",
      "Top blobs memory: \(megabytes) MB (data, float32, each blob once)",
    ]
    return lines.map { $0 + "\n" }.joined()
  }

  /// A shape as `64x20x24x24`; the empty shape (a scalar, such as a loss) as `scalar`.
  static func shapeText(_ shape: [Int]) -> String {
    shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
  }

  /// `value` with commas between groups of three digits: `431080` → `431,080`.
  static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (i, digit) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { result += "," }
      result.append(digit)
    }
    return value < 0 ? "-" + result : result
  }
}
