// draw_net: DOT text for LeNet and GoogLeNet (nodes, shapes, colours, labels, escaping) and the
// PNG and SVG files Graphviz draws from it.

import ArgumentParser
import Caffe
import CaffeCLI
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import CaffeTools
import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The corpus prototxt `name` (under `../shared/caffe-corpus/prototxt/`).
private func corpusNet(_ name: String) -> String {
  Golden.path("caffe-corpus/prototxt/\(name).prototxt")
}

/// The statements of `dot` that declare nodes (`"id" [label=…]`).
private func nodeLines(_ dot: String) -> [String] {
  dot.split(separator: "\n").map(String.init).filter {
    $0.contains(" [label=") && !$0.contains("->")
  }
}

/// The node statement declaring `id`.
private func node(_ id: String, in dot: String) -> String? {
  nodeLines(dot).first { $0.hasPrefix("  \"\(id)\" [") }
}

/// Runs `command` in-process and returns its exit status and its `error:` line, if any.
func runInProcess<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String])
  -> (status: Int32, error: String)
{
  var error = ""
  let status = ToolMain.run(
    command, arguments: arguments, output: { _ in }, errorOutput: { error = $0 })
  return (status, error)
}

/// Whether XMLParser accepts the file at `path` as well-formed XML.
private func isWellFormedXML(_ path: String) -> Bool {
  guard let parser = XMLParser(contentsOf: URL(fileURLWithPath: path)) else { return false }
  return parser.parse()
}

@Suite("draw_net DOT", .enabled(if: Golden.isAvailable, "needs ../shared"))
struct DrawNetDOTTests {
  static func dot(_ name: String, phase: Phase? = nil, rankdir: String = "LR") throws -> String {
    let net = try ProtoUpgrade.readNetText(path: corpusNet(name))
    return try NetDrawing(rankdir: rankdir, phase: phase).dot(for: net)
  }

  /// LeNet's TEST net: 10 layers (boxes) and 10 blobs (octagons), in Caffe's colours.
  @Test func lenetHasCaffesNodesAndColours() throws {
    let dot = try Self.dot("bvlc--ex-mnist--lenet_train_test", phase: .test)
    #expect(dot.hasPrefix("digraph \"LeNet\" {\n  rankdir=LR;\n"))
    let nodes = nodeLines(dot)
    #expect(nodes.count == 20)
    #expect(nodes.filter { $0.contains("shape=record") }.count == 10)
    #expect(nodes.filter { $0.contains("shape=octagon") }.count == 10)
    let expected: [(String, String)] = [
      ("conv1_Convolution", "#FF5050"), ("pool1_Pooling", "#FF9900"),
      ("ip1_InnerProduct", "#CC33FF"), ("relu1_ReLU", "#90EE90"),
      ("loss_SoftmaxWithLoss", "#6495ED"), ("mnist_Data", "#6495ED"), ("conv1_blob", "#E0E0E0"),
    ]
    for (id, colour) in expected {
      let line = try #require(node(id, in: dot), "no node \(id)")
      #expect(line.contains("fillcolor=\"\(colour)\""), "\(line)")
    }
    let conv1 = try #require(node("conv1_Convolution", in: dot))
    #expect(conv1.contains(#"label="conv1\n(Convolution)\nkernel size: 5\nstride: 1\npad: 0""#))
    let pool1 = try #require(node("pool1_Pooling", in: dot))
    #expect(pool1.contains(#"(Pooling MAX)\nkernel size: 2\nstride: 2\npad: 0"#))
    #expect(dot.contains(#""mnist_Data" -> "data_blob" [label="Batch 100"];"#))
    #expect(!dot.contains("Batch 64"))
    #expect(dot.contains(#""conv1_Convolution" -> "conv1_blob" [label="20"];"#))
    #expect(dot.contains(#""ip1_InnerProduct" -> "ip1_blob" [label="500"];"#))
    // The in-place ReLU reads and writes the same blob node.
    #expect(dot.contains(#""ip1_blob" -> "relu1_ReLU";"#))
    #expect(dot.contains(#""relu1_ReLU" -> "ip1_blob";"#))
  }

  /// `--phase` keeps the layers of that phase; ALL keeps both Data layers (drawn as one node,
  /// as in Caffe, with an edge per batch size).
  @Test func phaseFiltersLayersAsCaffeDoes() throws {
    let train = try Self.dot("bvlc--ex-mnist--lenet_train_test", phase: .train)
    #expect(node("accuracy_Accuracy", in: train) == nil)
    #expect(nodeLines(train).count == 18)
    #expect(train.contains("Batch 64") && !train.contains("Batch 100"))
    let all = try Self.dot("bvlc--ex-mnist--lenet_train_test")
    #expect(all.contains("Batch 64") && all.contains("Batch 100"))
    #expect(node("accuracy_Accuracy", in: all) != nil)
  }

  /// GoogLeNet's TEST net: one box per layer and one octagon per blob, every Convolution red,
  /// and every label with `/` in its name written as is.
  @Test func googlenetCountsMatchItsDefinition() throws {
    let net = try ProtoUpgrade.readNetText(path: corpusNet("bvlc--bvlc_googlenet--train_val"))
    var state = net
    state.state.phase = .test
    let layers = try NetFilter.filter(state).layer
    let blobs = Set(layers.flatMap { $0.bottom + $0.top })
    let dot = try NetDrawing(phase: .test).dot(for: net)
    let nodes = nodeLines(dot)
    #expect(nodes.filter { $0.contains("shape=record") }.count == layers.count)
    #expect(nodes.filter { $0.contains("shape=octagon") }.count == blobs.count)
    let convolutions = layers.filter { $0.type == "Convolution" }.count
    #expect(convolutions == 59)  // 57 in the main path, one in each auxiliary classifier
    #expect(nodes.filter { $0.contains("#FF5050") }.count == convolutions)
    #expect(node("inception_3a/1x1_Convolution", in: dot) != nil)
    #expect(
      dot.contains(#"label="inception_3a/5x5\n(Convolution)\nkernel size: 5\nstride: 1\npad: 2""#))
  }

  /// Vertical layouts put the label's parts on one line, separated by spaces.
  @Test func verticalLayoutsUseSpaces() throws {
    let dot = try Self.dot("bvlc--ex-mnist--lenet", rankdir: "TB")
    #expect(dot.contains("rankdir=TB;"))
    #expect(dot.contains(#"label="conv1 (Convolution) kernel size: 5 stride: 1 pad: 0""#))
  }
}

@Suite("draw_net escaping and errors")
struct DrawNetEscapingTests {
  /// A net with no name and names full of DOT's special characters.
  static var awkwardNet: NetParameter {
    var layer = LayerParameter()
    layer.name = #"a"b{c}|<d>\e"#
    layer.type = "Convolution"
    layer.bottom = [#"in"put"#]
    layer.top = [#"out\put"#]
    layer.convolutionParam.numOutput = 3
    var net = NetParameter()
    net.layer = [layer]
    return net
  }

  @Test func namesAreEscapedAndUnnamedNetsAreCalledNet() throws {
    let dot = try NetDrawing().dot(for: Self.awkwardNet)
    #expect(dot.hasPrefix("digraph \"Net\" {"))
    #expect(dot.contains(#"label="a\"b\{c\}\|\<d\>\\e\n(Convolution)"#))
    #expect(dot.contains(#""in\"put_blob" [label="in\"put", shape=octagon"#))
    #expect(dot.contains(#"[label="out\\put", shape=octagon"#))
  }

  @Test(.enabled(if: Graphviz.dotProgram() != nil, "Graphviz's dot is not installed"))
  func graphvizAcceptsEscapedNames() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("awkward.svg").path
    try Graphviz.write(try NetDrawing().dot(for: Self.awkwardNet), to: path)
    #expect(isWellFormedXML(path))
    let svg = try String(contentsOfFile: path, encoding: .utf8)
    #expect(svg.contains("a&quot;b{c}|&lt;d&gt;\\e") || svg.contains("a\"b{c}|&lt;d&gt;\\e"))
  }

  @Test func missingDotIsOneClearError() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("net.png").path
    #expect(Graphviz.dotProgram(searchPath: folder.path) == nil)
    let error = #expect(throws: CaffeError.self) {
      try Graphviz.write("digraph {}", to: path, searchPath: folder.path)
    }
    let message = error?.description ?? ""
    #expect(message.hasPrefix("dot: Graphviz's dot program is not installed"))
    #expect(message.contains("apt-get install graphviz"))
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  @Test func bothIncludeAndExcludeIsAnErrorWhenAPhaseIsDrawn() throws {
    var net = Self.awkwardNet
    var rule = NetStateRule()
    rule.phase = .test
    net.layer[0].include = [rule]
    net.layer[0].exclude = [rule]
    #expect(throws: CaffeError.self) { try NetDrawing(phase: .train).dot(for: net) }
    #expect(try NetDrawing().dot(for: net).contains("Convolution"))
  }

  @Test(arguments: [
    (["n.prototxt", "o.dot", "--phase", "VAL"], "Unknown phase: VAL"),
    (["n.prototxt", "o.dot", "--rankdir", "XY"], "--rankdir XY"),
    (["/no/such/net.prototxt", "o.dot"], "/no/such/net.prototxt"),
  ])
  func badArgumentsGiveOneErrorLine(arguments: [String], expected: String) {
    let (status, error) = runInProcess(DrawNetCommand.self, arguments)
    #expect(status == 1)
    #expect(error.hasPrefix("error: ") && error.contains(expected), "\(error)")
  }
}

@Suite(
  "draw_net files", .enabled(if: Golden.isAvailable, "needs ../shared"),
  .enabled(if: Graphviz.dotProgram() != nil, "Graphviz's dot is not installed"))
struct DrawNetFileTests {
  @Test(arguments: ["bvlc--ex-mnist--lenet_train_test", "bvlc--bvlc_googlenet--deploy"])
  func writesPNGSVGAndDOT(net: String) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    for format in ["png", "svg", "dot"] {
      let path = folder.appendingPathComponent("net.\(format)").path
      let (status, error) = runInProcess(DrawNetCommand.self, [corpusNet(net), path])
      #expect(status == 0, "\(error)")
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      switch format {
      case "png": #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
      case "svg": #expect(isWellFormedXML(path))
      default: #expect(String(decoding: data, as: UTF8.self).hasPrefix("digraph "))
      }
    }
  }
}
