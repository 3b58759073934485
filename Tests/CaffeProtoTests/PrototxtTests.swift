// Text format as Caffe accepts and writes it: every syntax protoc allows, and Caffe-style output.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite("Prototxt reading and writing")
struct PrototxtTests {
  @Test func acceptsEverySyntaxProtocAccepts() throws {
    let text = """
      # comment
      name: 'single' "-quoted"  # adjacent strings concatenate
      layer < name: "a"; type: "Pooling", pooling_param: { pool: 1 kernel_size: 0x10 stride: 010 } >
      layer {
      \tname: "tabbed\\n\\"q\\" \\x41\\101"
      \tinput_param { shape { dim: [1, 3, 224, 224] } shape { dim: [] } }
      }
      force_backward: t
      debug_info: 1
      """
    let net = try Prototxt.decode(NetParameter.self, text: text, file: "inline")
    #expect(net.name == "single-quoted")
    #expect(net.layer.count == 2)
    #expect(net.layer[0].poolingParam.pool == .ave)
    #expect(net.layer[0].poolingParam.kernelSize == 16)
    #expect(net.layer[0].poolingParam.stride == 8)
    #expect(net.layer[1].name == "tabbed\n\"q\" AA")
    #expect(net.layer[1].inputParam.shape.map(\.dim) == [[1, 3, 224, 224], []])
    #expect(net.forceBackward && net.debugInfo)
  }

  @Test func acceptsCaffeNumberForms() throws {
    let text = "base_lr: 1e-3 momentum: .9 weight_decay: 5.f gamma: -inf delta: 2 power: nan"
    let solver = try Prototxt.decode(SolverParameter.self, text: text, file: "inline")
    #expect(solver.baseLr == 0.001)
    #expect(solver.momentum == Float(0.9))
    #expect(solver.weightDecay == 5)
    #expect(solver.gamma == -.infinity)
    #expect(solver.delta == 2)
    #expect(solver.power.isNaN)
  }

  @Test func emptyTextIsAnEmptyNet() throws {
    #expect(
      try Prototxt.decode(NetParameter.self, text: "  # nothing\n", file: "x") == NetParameter())
  }

  @Test func negativeIntegersReadBack() throws {
    let text = "layer { reshape_param { shape { dim: 0 dim: -1 } axis: -2147483648 } }"
    let net = try Prototxt.decode(NetParameter.self, text: text, file: "inline")
    #expect(net.layer[0].reshapeParam.shape.dim == [0, -1])
    #expect(net.layer[0].reshapeParam.axis == Int32.min)
  }

  @Test func encodesAsCaffeWritesText() throws {
    var net = NetParameter()
    net.name = "tiny"
    var layer = LayerParameter()
    layer.name = "ip"
    layer.type = "InnerProduct"
    layer.bottom = ["data"]
    var spec = ParamSpec()
    spec.lrMult = 1
    spec.decayMult = 0.5
    layer.param = [spec]
    layer.innerProductParam.numOutput = 10
    layer.innerProductParam.weightFiller.std = 1e-8
    var shape = BlobShape()
    shape.dim = [2, 3]
    var input = LayerParameter()
    input.inputParam.shape = [shape]
    net.layer = [layer, input]
    net.state.phase = .test
    let expected = """
      name: "tiny"
      state {
        phase: TEST
      }
      layer {
        name: "ip"
        type: "InnerProduct"
        bottom: "data"
        param {
          lr_mult: 1
          decay_mult: 0.5
        }
        inner_product_param {
          num_output: 10
          weight_filler {
            std: 1e-08
          }
        }
      }
      layer {
        input_param {
          shape {
            dim: 2
            dim: 3
          }
        }
      }

      """
    #expect(Prototxt.encode(net) == expected)
  }

  @Test func encodeEscapesStringsAsC() {
    var net = NetParameter()
    net.name = "a\"b\\c\nd\té"
    #expect(Prototxt.encode(net) == "name: \"a\\\"b\\\\c\\nd\\t\\303\\251\"\n")
  }

  @Test(arguments: [Float(0.1), 1, 1e6, 3.14159274, 1e-45, 123456.789])
  func floatsAreWrittenShortestAndReadBackExactly(value: Float) throws {
    var solver = SolverParameter()
    solver.baseLr = value
    let text = Prototxt.encode(solver)
    #expect(try Prototxt.decode(SolverParameter.self, text: text, file: "x").baseLr == value)
  }

  @Test(
    .enabled(if: Golden.isAvailable),
    arguments: CorpusIndex.entries.filter { $0.verdict == .parsesAsNet })
  func corpusNetSurvivesEncodeAndDecode(entry: CorpusEntry) throws {
    let net = try Prototxt.readNet(path: entry.path)
    #expect(try Prototxt.decode(NetParameter.self, text: Prototxt.encode(net), file: "x") == net)
  }

  @Test func writeReplacesTheFile() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("solver.prototxt").path
    var solver = SolverParameter()
    solver.baseLr = 0.01
    try Prototxt.write(solver, path: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "base_lr: 0.01\n")
    #expect(try Prototxt.readSolver(path: path) == solver)
  }
}
