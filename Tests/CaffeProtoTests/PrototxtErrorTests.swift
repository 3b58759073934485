// Broken prototxt: each problem is reported at its file:line:column, naming what is wrong.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

/// A broken prototxt and where and how the error must point.
struct BrokenPrototxt: Sendable, CustomTestStringConvertible {
  let source: String
  let line: Int
  let column: Int
  let phrases: [String]
  var testDescription: String { source }
}

/// Reads `text` as a net and returns the prototxt error it raises.
private func prototxtError(
  _ read: () throws -> NetParameter
) -> (file: String, line: Int, column: Int, message: String)? {
  do {
    _ = try read()
  } catch let CaffeError.prototxt(file, line, column, message) {
    return (file, line, column, message)
  } catch {
    Issue.record("expected CaffeError.prototxt, got \(error)")
    return nil
  }
  Issue.record("expected CaffeError.prototxt, but the text parsed")
  return nil
}

@Suite("Prototxt errors")
struct PrototxtErrorTests {
  static let fixtures: [BrokenPrototxt] = [
    BrokenPrototxt(
      source: "unknown_field.prototxt", line: 11, column: 5,
      phrases: ["PoolingParameter has no field \"ceil_mode\""]),
    BrokenPrototxt(
      source: "bad_enum.prototxt", line: 5, column: 25,
      phrases: ["\"MAXIMUM\"", "PoolingParameter.PoolMethod", "MAX, AVE, STOCHASTIC"]),
    BrokenPrototxt(
      source: "duplicate_field.prototxt", line: 7, column: 5,
      phrases: ["InnerProductParameter.num_output", "given twice", "6:5"]),
    BrokenPrototxt(
      source: "unclosed_block.prototxt", line: 8, column: 1,
      phrases: ["end of file", "\"{\" opened at 2:7", "\"layer\""]),
    BrokenPrototxt(
      source: "stray_brace.prototxt", line: 6, column: 1,
      phrases: ["unexpected \"}\"", "no block is open"]),
    BrokenPrototxt(
      source: "wrong_value_type.prototxt", line: 6, column: 17,
      phrases: ["ConvolutionParameter.num_output", "integer", "string \"twenty\""]),
  ]

  static let inline: [BrokenPrototxt] = [
    BrokenPrototxt(
      source: "name \"x\"", line: 1, column: 6, phrases: ["expected \":\" after \"name\""]),
    BrokenPrototxt(
      source: "\tname \"x\"", line: 1, column: 14, phrases: ["expected \":\""]),
    BrokenPrototxt(
      source: "layer { name: \"a\" >", line: 1, column: 19,
      phrases: ["expected \"}\"", "opened at 1:7", "found \">\""]),
    BrokenPrototxt(
      source: "layer {\n  name: \"abc\n}", line: 2, column: 9, phrases: ["string is not closed"]),
    BrokenPrototxt(
      source: "layer { name: \"a\\qb\" }", line: 1, column: 17,
      phrases: ["invalid escape \"\\q\""]),
    BrokenPrototxt(
      source: "layer { convolution_param { num_output: 4294967296 } }", line: 1, column: 41,
      phrases: ["4294967296 is out of range for uint32", "ConvolutionParameter.num_output"]),
    BrokenPrototxt(
      source: "layer { convolution_param { num_output: -1 } }", line: 1, column: 41,
      phrases: ["ConvolutionParameter.num_output", "cannot be negative"]),
    BrokenPrototxt(
      source: "layer { convolution_param { num_output: 1.5 } }", line: 1, column: 41,
      phrases: ["expects an integer", "\"1.5\""]),
    BrokenPrototxt(
      source: "layer { convolution_param { kernel_size: 3x } }", line: 1, column: 42,
      phrases: ["number runs into \"x\""]),
    BrokenPrototxt(
      source: "layer { pooling_param { pool: \"MAX\" } }", line: 1, column: 31,
      phrases: ["PoolingParameter.pool", "without quotes"]),
    BrokenPrototxt(
      source: "layer { pooling_param { pool: 7 } }", line: 1, column: 31,
      phrases: ["7 is not a value of PoolingParameter.PoolMethod"]),
    BrokenPrototxt(
      source: "force_backward: yes", line: 1, column: 17,
      phrases: ["NetParameter.force_backward expects true or false", "\"yes\""]),
    BrokenPrototxt(
      source: "layer { clip_param { min: 0 } }", line: 1, column: 9,
      phrases: ["ClipParameter requires field \"max\""]),
    BrokenPrototxt(
      source: "layer { 5: 3 }", line: 1, column: 9,
      phrases: ["expected a field name of LayerParameter"]),
    BrokenPrototxt(
      source: "name: [\"a\"]", line: 1, column: 7, phrases: ["expects a quoted string", "\"[\""]),
    BrokenPrototxt(
      source: "layer { type: \"ReLU\" relu_param { negative_slope: 0.1 }\nrelu_param { }\n}",
      line: 2, column: 1, phrases: ["LayerParameter.relu_param is not repeated"]),
    BrokenPrototxt(
      source: "layer { nmae: \"conv1\" }", line: 1, column: 9,
      phrases: ["LayerParameter has no field \"nmae\"", "did you mean \"name\"?"]),
  ]

  @Test(arguments: fixtures)
  func fixtureErrorPointsAtTheProblem(broken: BrokenPrototxt) throws {
    let path = Golden.fixture("prototxt/\(broken.source)")
    let error = try #require(prototxtError { try Prototxt.readNet(path: path) })
    #expect(error.file == path)
    #expect(error.line == broken.line && error.column == broken.column, "\(error.message)")
    for phrase in broken.phrases {
      #expect(error.message.contains(phrase), "\"\(error.message)\" lacks \(phrase)")
    }
  }

  @Test(arguments: inline)
  func inlineErrorPointsAtTheProblem(broken: BrokenPrototxt) throws {
    let error = try #require(
      prototxtError { try Prototxt.decode(NetParameter.self, text: broken.source, file: "inline") })
    #expect(error.file == "inline")
    #expect(error.line == broken.line && error.column == broken.column, "\(error.message)")
    for phrase in broken.phrases {
      #expect(error.message.contains(phrase), "\"\(error.message)\" lacks \(phrase)")
    }
  }

  @Test func errorDescriptionIsOneLineWithThePosition() throws {
    let path = Golden.fixture("prototxt/unknown_field.prototxt")
    let error = #expect(throws: CaffeError.self) { try Prototxt.readNet(path: path) }
    let description = try #require(error).description
    #expect(description.hasPrefix("\(path):11:5: "))
    #expect(!description.contains("\n"))
  }

  @Test func missingFileIsAnIOError() {
    #expect(throws: CaffeError.io(path: "/nonexistent/net.prototxt", reason: "no such file")) {
      try Prototxt.readNet(path: "/nonexistent/net.prototxt")
    }
  }
}
