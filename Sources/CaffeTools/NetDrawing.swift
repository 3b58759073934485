// NetDrawing: a net definition as a Graphviz DOT graph, in the style of Caffe's draw_net.py.

import CaffeProto
import CaffeSupport

/// Turns a net definition into a Graphviz DOT digraph in the style of Caffe's draw.py.
///
/// The node styles are those of Caffe's `python/caffe/draw.py`:
/// - each layer is a filled `record` box labelled with its name, `(Type)` (`(Pooling MAX)` for
///   pooling) and, for Convolution, Deconvolution and Pooling, its kernel size, stride and pad;
///   its colour comes from its type (see ``fillColor(forType:)``), and an in-place layer (one
///   bottom, one top, the same blob) is light green (`#90EE90`);
/// - each blob is a grey (`#E0E0E0`) filled octagon. Caffe's script leaves blobs that no later
///   layer reads (such as `loss`) as plain ellipses; here every blob is an octagon;
/// - edges run from each bottom blob to its layer (unlabelled) and from the layer to each top
///   blob, labelled `Batch N` for Data layers and with `num_output` for Convolution,
///   Deconvolution and InnerProduct layers;
/// - the graph is named after the net, or `Net` when it has no name, and laid out in
///   ``rankdir`` order.
///
/// Layer and blob names are escaped, so quotes, backslashes and record-field characters
/// (`{ } | < >`) in them show as written.
public struct NetDrawing: Sendable {
  /// Graphviz's `rankdir`: `LR` (Caffe's default), `TB`, `BT` or `RL`.
  public var rankdir: String
  /// The phase whose layers are drawn, or nil for every layer (draw_net's `--phase ALL`).
  public var phase: Phase?
  /// Whether Convolution, Deconvolution and InnerProduct labels show their learning-rate
  /// multipliers (draw_net's `--display_lrm`).
  public var displayLearningRateMultipliers: Bool

  /// The directions Graphviz accepts for `rankdir`.
  public static let rankdirs = ["LR", "TB", "BT", "RL"]

  /// Makes a drawing with the given settings.
  ///
  /// - Parameters:
  ///   - rankdir: the layout direction, one of ``rankdirs``.
  ///   - phase: the phase to draw, or nil for all layers.
  ///   - displayLearningRateMultipliers: whether learning layers show `lr mult: w, b`.
  public init(
    rankdir: String = "LR", phase: Phase? = nil, displayLearningRateMultipliers: Bool = false
  ) {
    self.rankdir = rankdir
    self.phase = phase
    self.displayLearningRateMultipliers = displayLearningRateMultipliers
  }

  /// The DOT text of `net`.
  ///
  /// - Parameter net: the net definition, in the current (`layer`) format.
  /// - Returns: a `digraph` with one node per drawn layer and per blob, in first-use order.
  /// - Throws: `CaffeError.invalidParameter` for an unknown ``rankdir``, for a layer with both
  ///   `include` and `exclude` rules when a phase is chosen (Caffe's script refuses it too), or
  ///   for a learning layer with more than two `param` blocks when multipliers are shown.
  public func dot(for net: NetParameter) throws -> String {
    guard Self.rankdirs.contains(rankdir) else {
      throw CaffeError.invalidParameter(
        layer: net.name, type: "draw_net", field: "rankdir",
        reason: "\"\(rankdir)\" is not a direction; use one of "
          + Self.rankdirs.joined(separator: ", "))
    }
    var graph = Graph()
    for layer in net.layer where try isDrawn(layer) {
      try add(layer, to: &graph)
    }
    let name = net.name.isEmpty ? "Net" : net.name
    var lines = ["digraph \(Self.quoted(name)) {", "  rankdir=\(rankdir);"]
    lines += graph.nodes.map { "  \($0);" }
    lines += graph.edges.map { "  \($0);" }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  /// Whether `layer` belongs to ``phase`` by its `include`/`exclude` rules.
  ///
  /// As Caffe's script decides: a layer with no `include` rule is in unless an `exclude` rule
  /// names the phase; one with `include` rules is in when one of them names the phase. A rule that names no
  /// phase (only stages or levels) does not restrict the phase.
  ///
  /// - Throws: `CaffeError.invalidParameter` when the layer has both kinds of rule.
  func isDrawn(_ layer: LayerParameter) throws -> Bool {
    guard let phase else { return true }
    guard layer.include.isEmpty || layer.exclude.isEmpty else {
      throw CaffeError.invalidParameter(
        layer: layer.name, type: layer.type, field: "include",
        reason: "the layer has both include and exclude rules; keep one kind to draw a phase")
    }
    let names = { (rule: NetStateRule) in !rule.hasPhase || rule.phase == phase }
    if !layer.include.isEmpty { return layer.include.contains(where: names) }
    return !layer.exclude.contains { $0.hasPhase && $0.phase == phase }
  }

  /// Adds the layer's node, its blobs' nodes and its edges.
  private func add(_ layer: LayerParameter, to graph: inout Graph) throws {
    let id = "\(layer.name)_\(layer.type)"
    let inPlace = layer.bottom.count == 1 && layer.top.count == 1 && layer.bottom == layer.top
    let color = inPlace ? Self.inPlaceColor : Self.fillColor(forType: layer.type)
    let label = try Self.label(
      of: layer, separator: ["TB", "BT"].contains(rankdir) ? " " : "\\n",
      learningRates: displayLearningRateMultipliers)
    graph.addNode(
      id,
      attributes: "[label=\"\(label)\", shape=record, style=filled, fillcolor=\"\(color)\"]")
    for bottom in layer.bottom {
      graph.addBlob(bottom)
      graph.edges.append("\(Self.quoted(bottom + "_blob")) -> \(Self.quoted(id))")
    }
    let edgeLabel = Self.edgeLabel(of: layer)
    for top in layer.top {
      graph.addBlob(top)
      let attributes = edgeLabel.isEmpty ? "" : " [label=\(Self.quoted(edgeLabel))]"
      graph.edges.append("\(Self.quoted(id)) -> \(Self.quoted(top + "_blob"))\(attributes)")
    }
  }

  /// `text` as a DOT double-quoted string: quotes and backslashes escaped, line breaks as `\n`.
  static func quoted(_ text: String) -> String {
    var result = "\""
    for character in text {
      switch character {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n", "\r\n", "\r": result += "\\n"
      default: result.append(character)
      }
    }
    return result + "\""
  }
}

/// The nodes and edges of a DOT graph being built, each as one statement.
private struct Graph {
  var nodes: [String] = []
  var edges: [String] = []
  private var known: Set<String> = []

  /// Adds the node `id` unless a node of that id exists.
  mutating func addNode(_ id: String, attributes: String) {
    guard known.insert(id).inserted else { return }
    nodes.append("\(NetDrawing.quoted(id)) \(attributes)")
  }

  /// Adds the octagon of the blob `name`.
  mutating func addBlob(_ name: String) {
    addNode(
      name + "_blob",
      attributes: "[label=\(NetDrawing.quoted(name)), shape=octagon, style=filled, "
        + "fillcolor=\"\(NetDrawing.blobColor)\"]")
  }
}
