// `caffe summary` in-process: the LeNet table, phase/stage/level selection and its errors.

import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import CaffeCLI

@Suite struct SummaryCommandTests {
  static let leNet = Golden.path("caffe-corpus/prototxt/bvlc--ex-mnist--lenet.prototxt")

  /// Parses `arguments` as `caffe summary …` and returns the table, the log captured.
  static func table(_ arguments: [String]) throws -> String {
    let parsed = try CaffeCommand.parseAsRoot(["summary"] + arguments)
    let command = try #require(parsed as? SummaryCommand)
    return try LogCapture().capture { try command.summaryText() }
  }

  /// Runs `caffe summary …` through ``ToolMain`` and returns its status and error lines.
  static func run(_ arguments: [String]) -> (status: Int32, errors: [String]) {
    var errors: [String] = []
    let status = LogCapture().capture {
      ToolMain.run(
        CaffeCommand.self, arguments: ["summary"] + arguments, output: { _ in },
        errorOutput: { errors.append($0) })
    }
    return (status, errors)
  }

  /// A temporary folder holding `net.prototxt` with `text`.
  static func writeNet(_ text: String) throws -> (folder: URL, path: String) {
    let folder = try Golden.temporaryDirectory()
    let path = folder.appendingPathComponent("net.prototxt").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return (folder, path)
  }

  @Test(.enabled(if: Golden.isAvailable, "needs ../shared"))
  func leNetTable() throws {
    let expected = """
      Net: "LeNet" (phase TRAIN)
      =======================================================
      Layer (type)         Top shape(s)   Params         MACs
      =======================================================
      data (Input)         64x1x28x28          0            0
      conv1 (Convolution)  64x20x24x24       520   18,432,000
      pool1 (Pooling)      64x20x12x12         0      184,320
      conv2 (Convolution)  64x50x8x8      25,050  102,400,000
      pool2 (Pooling)      64x50x4x4           0       51,200
      ip1 (InnerProduct)   64x500        400,500   25,600,000
      relu1 (ReLU)         64x500              0       32,000
      ip2 (InnerProduct)   64x10           5,010      320,000
      prob (Softmax)       64x10               0          640
      =======================================================
      Total params: 431,080
      Trainable params: 431,080
      Non-trainable params: 0
      Total MACs: 147,020,160 (0.147 GMACs)
      Top blobs memory: 5.04 MB (data, float32, each blob once)

      """
    #expect(try Self.table(["--model", Self.leNet]) == expected)
    #expect(Self.run(["--model=\(Self.leNet)", "--phase=TEST"]) == (0, []))
  }

  @Test func phaseStageAndLevelSelectLayers() throws {
    let net = try Self.writeNet(
      """
      name: "staged"
      layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 3 } } }
      layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y"
              inner_product_param { num_output: 2 } }
      layer { name: "staged" type: "ReLU" bottom: "y" top: "y" include { stage: "s1" } }
      layer { name: "leveled" type: "Sigmoid" bottom: "y" top: "y" include { max_level: 1 } }
      layer { name: "tested" type: "TanH" bottom: "y" top: "y" include { phase: TEST } }
      """)
    defer { try? FileManager.default.removeItem(at: net.folder) }
    /// The first word of each row: the lines between the second and third `===` rules.
    func layers(_ arguments: [String]) throws -> [String] {
      let lines = try Self.table(["--model", net.path] + arguments).split(separator: "\n")
      let rules = lines.indices.filter { lines[$0].hasPrefix("===") }
      try #require(rules.count == 3)
      return lines[(rules[1] + 1)..<rules[2]].compactMap { $0.split(separator: " ").first }
        .map(String.init)
    }
    #expect(try layers([]) == ["in", "ip", "leveled"])
    #expect(
      try layers(["--phase", "TEST", "--stage", "a,s1"]) == [
        "in", "ip", "staged", "leveled", "tested",
      ])
    #expect(try layers(["--level", "2"]) == ["in", "ip"])
    #expect(
      try Self.table(["--model", net.path, "--phase", "TEST"]).hasPrefix(
        "Net: \"staged\" (phase TEST)\n"))
  }

  @Test func sharedParametersAreMarked() throws {
    let net = try Self.writeNet(
      """
      layer { name: "in" type: "Input" top: "a" top: "b"
              input_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 3 } } }
      layer { name: "ip_a" type: "InnerProduct" bottom: "a" top: "fa" param { name: "w" }
              inner_product_param { num_output: 5 bias_term: false } }
      layer { name: "ip_b" type: "InnerProduct" bottom: "b" top: "fb" param { name: "w" }
              inner_product_param { num_output: 5 bias_term: false } }
      """)
    defer { try? FileManager.default.removeItem(at: net.folder) }
    let lines = try Self.table(["--model", net.path]).split(separator: "\n").map(String.init)
    // The second top of "in" has a line of its own; the digits stay aligned past the mark.
    let input = try #require(lines.firstIndex { $0.hasPrefix("in (Input)") })
    #expect(lines[input + 1].trimmingCharacters(in: .whitespaces) == "4x3")
    let ipA = try #require(lines.first { $0.hasPrefix("ip_a (InnerProduct)") })
    let ipB = try #require(lines.first { $0.hasPrefix("ip_b (InnerProduct)") })
    let marked = ipA.replacingOccurrences(of: "ip_a", with: "ip_b")
      .replacingOccurrences(of: "15 ", with: "15*")
    #expect(ipB == marked)
    #expect(lines.contains("* shares parameters with an earlier layer; counted once in the totals"))
    #expect(lines.contains("Total params: 15"))
  }

  @Test func missingDataSourceIsOneErrorLine() throws {
    let net = try Self.writeNet(
      """
      layer { name: "mnist" type: "Data" top: "data" top: "label"
              data_param { source: "no_such_lmdb_for_summary" batch_size: 4 backend: LMDB } }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
              inner_product_param { num_output: 2 } }
      layer { name: "silence" type: "Silence" bottom: "label" }
      """)
    defer { try? FileManager.default.removeItem(at: net.folder) }
    let result = Self.run(["--model", net.path])
    #expect(result.status == 1)
    #expect(result.errors.count == 1)
    let error = result.errors.first ?? ""
    #expect(error.hasPrefix("error: cannot summarise \(net.path) without its data"))
    #expect(error.contains("no_such_lmdb_for_summary: no such database"))
  }

  @Test func badFlagsAreErrors() {
    let missing = Self.run([])
    #expect(missing.status == 1)
    #expect(missing.errors == ["error: Need a model definition to summarise (--model)."])
    let phase = Self.run(["--model", "x.prototxt", "--phase", "VAL"])
    #expect(phase.status == 1)
    #expect(phase.errors == ["error: phase must be \"TRAIN\" or \"TEST\" (given \"VAL\")"])
    let file = Self.run(["--model", "/no/such/net.prototxt"])
    #expect(file.status == 1)
    #expect(file.errors.first?.contains("/no/such/net.prototxt") == true)
  }
}
