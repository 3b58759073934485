// A bounded, seeded fuzz of the decoders and Net: mutated prototxt, caffemodels and solverstates
// must throw or work, never trap.

import Caffe
import CaffeData
import CaffeKernels
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

/// Seeded byte mutations: bit flips, replaced bytes, deleted and duplicated runs, truncations.
struct Mutator {
  var generator: SeededGenerator
  /// The bytes a replacement draws from.
  let alphabet: [UInt8]

  init(seed: UInt64, alphabet: [UInt8]) {
    generator = SeededGenerator(seed: seed)
    self.alphabet = alphabet
  }

  /// `bytes` with one to three random edits.
  mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    for _ in 0..<Int.random(in: 1...3, using: &generator) where !out.isEmpty {
      let at = Int.random(in: 0..<out.count, using: &generator)
      let end = min(out.count, at + Int.random(in: 1...16, using: &generator))
      switch Int.random(in: 0..<5, using: &generator) {
      case 0: out[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
      case 1: out[at] = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
      case 2: out.removeSubrange(at..<end)
      case 3:
        let run = Array(out[at..<end])
        out.insert(contentsOf: run, at: Int.random(in: 0...out.count, using: &generator))
      default: out.removeSubrange(at...)
      }
    }
    return out
  }

  /// `text` with one line deleted, duplicated, or with its first value replaced by one of
  /// `values` (a number, an enum word or a quoted string), so most results still parse.
  mutating func mutateLine(_ text: [UInt8], values: [String]) -> [UInt8] {
    var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let at = Int.random(in: 0..<lines.count, using: &generator)
    switch Int.random(in: 0..<4, using: &generator) {
    case 0: lines.remove(at: at)
    case 1: lines.insert(lines[at], at: Int.random(in: 0...lines.count, using: &generator))
    default:
      let line = lines[at]
      let space = UInt8(ascii: " ")
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { break }
      let valueStart = line[(colon + 1)...].firstIndex { $0 != space } ?? line.endIndex
      let valueEnd = line[valueStart...].firstIndex(of: space) ?? line.endIndex
      let replacement = values[Int.random(in: 0..<values.count, using: &generator)]
      let edited = Array(line[..<colon]) + Array(": \(replacement)".utf8) + line[valueEnd...]
      lines[at] = edited[...]
    }
    return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
  }
}

/// Mutated net definitions and weights must make the readers and `Net` throw or succeed; a trap
/// would kill the test process, which is how a failure shows here.
@Suite("Fuzzed prototxt and caffemodel")
struct DecoderFuzzTests {
  static func fixture(_ name: String) -> String { Golden.fixture("bad/\(name)") }

  /// Values a line mutation writes after a field name.
  static let interestingValues = [
    "0", "1", "2", "3", "16", "-1", "-7", "0.5", "-0.5", "1e-3", "1e40", "nan", "2147483648",
    "99999999999999999999", "MAX", "AVE", "TRAIN", "\"\"", "\"data\"", "\"ip1\"", "\"label\"",
    "\"Pooling\"", "\"Convolution\"", "\"InnerProduct\"", "\"Softmax\"", "\"Input\"",
  ]

  /// Whether every number written in `text` is at most 16, so a net built from it stays small.
  static func hasOnlySmallNumbers(_ text: [UInt8]) -> Bool {
    text.split { !(48...57).contains($0) }.allSatisfy {
      $0.count <= 2 && Int(String(decoding: $0, as: UTF8.self)) ?? 99 <= 16
    }
  }

  @Test(arguments: ["fuzz_seed.prototxt", "fuzz_seed_v1.prototxt"])
  func mutatedPrototxtThrowsOrBuilds(seedName: String) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("fuzz.prototxt").path
    let seed = Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixture(seedName))))
    var mutator = Mutator(seed: 1701, alphabet: Array("0123456789-.e{}:\"# \nabc".utf8))
    var outcomes = (unreadable: 0, invalid: 0, ran: 0)
    for round in 0..<100 {
      let text =
        round.isMultiple(of: 2)
        ? mutator.mutate(seed) : mutator.mutateLine(seed, values: Self.interestingValues)
      try Data(text).write(to: URL(fileURLWithPath: path))
      guard let definition = try? ProtoUpgrade.readNetText(path: path) else {
        outcomes.unreadable += 1
        continue
      }
      guard Self.hasOnlySmallNumbers(text) else { continue }
      do {
        _ = try Net(definition).forwardBackward()
        outcomes.ran += 1
      } catch {
        outcomes.invalid += 1
      }
    }
    #expect(outcomes.unreadable >= 10 && outcomes.invalid >= 3 && outcomes.ran >= 10, "\(outcomes)")
  }

  @Test func mutatedCaffemodelThrowsOrLoads() throws {
    let definition = try ProtoUpgrade.readNetText(path: Self.fixture("fuzz_seed.prototxt"))
    let net = try Net(definition)
    let model: [UInt8] = try net.toProto().serializedBytes()
    var mutator = Mutator(seed: 1702, alphabet: [0, 1, 0x08, 0x0a, 0x12, 0x7f, 0x80, 0xff])
    var outcomes = (rejected: 0, loaded: 0)
    for _ in 0..<200 {
      do {
        let weights = try BinaryProto.decode(
          NetParameter.self, data: Data(mutator.mutate(model)), path: "fuzz.caffemodel")
        try net.copyTrainedLayers(
          from: try ProtoUpgrade.upgradeNet(weights, source: "fuzz.caffemodel"))
        _ = try net.forward()
        outcomes.loaded += 1
      } catch {
        outcomes.rejected += 1
      }
    }
    #expect(outcomes.rejected > 10 && outcomes.loaded > 10, "\(outcomes)")
  }

  /// Solver states of a tiny net (multistep learning rate), with mutated bytes or with one
  /// field set to an odd value: restoring and taking a step throws or works.
  @Test func mutatedSolverStateThrowsOrRestores() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try BadInputFolder.writeDigits(in: folder, labels: [1, 2, 3, 4], lmdb: "ok_lmdb")
    let param = try Self.tinySolver(in: folder)
    try SolverRegistry.makeSolver(param).solve()
    let state = try BinaryProto.read(
      SolverState.self, path: folder.appendingPathComponent("tiny_iter_2.solverstate").path)
    let bytes: [UInt8] = try state.serializedBytes()
    let path = folder.appendingPathComponent("fuzz.solverstate").path
    var mutator = Mutator(seed: 1704, alphabet: [0, 1, 0x08, 0x0a, 0x12, 0x7f, 0x80, 0xff])
    var outcomes = (rejected: 0, restored: 0)
    for round in 0..<150 {
      if round.isMultiple(of: 2) {
        try Data(mutator.mutate(bytes)).write(to: URL(fileURLWithPath: path))
      } else {
        try BinaryProto.write(Self.oddField(state, round / 2), path: path)
      }
      do {
        let solver = try SolverRegistry.makeSolver(param)
        try solver.restore(from: path)
        try solver.step(1)
        outcomes.restored += 1
      } catch {
        outcomes.rejected += 1
      }
    }
    #expect(outcomes.rejected >= 30 && outcomes.restored >= 10, "\(outcomes)")
  }

  /// Data (the 4 digits of `ok_lmdb`, batches of 2) → InnerProduct (10) → SoftmaxWithLoss,
  /// trained 4 iterations with a multistep rate and snapshots every 2 as `tiny_iter_<n>`.
  static func tinySolver(in folder: URL) throws -> SolverParameter {
    let netText = """
      layer {
        name: "data" type: "Data" top: "data" top: "label"
        data_param {
          source: "\(folder.appendingPathComponent("ok_lmdb").path)" batch_size: 2 backend: LMDB
        }
      }
      layer {
        name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 10 weight_filler { type: "xavier" } }
      }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
      """
    var param = SolverParameter()
    param.netParam = try Prototxt.decode(NetParameter.self, text: netText)
    param.baseLr = 0.01
    param.lrPolicy = "multistep"
    param.stepvalue = [1, 3]
    param.gamma = 0.5
    param.momentum = 0.9
    param.maxIter = 4
    param.snapshot = 2
    param.snapshotPrefix = folder.appendingPathComponent("tiny").path
    return param
  }

  /// `state` with field `round % 6` (iter, current_step, history count, a history shape, a data
  /// position, learned_net) set to one of a few odd values.
  static func oddField(_ state: SolverState, _ round: Int) -> SolverState {
    let odd: [Int64] = [-1, 0, 3, Int64(Int32.max), Int64(Int32.min), 1 << 40]
    let value = odd[(round / 6) % odd.count]
    var copy = state
    switch round % 6 {
    case 0: copy.iter = Int32(truncatingIfNeeded: value)
    case 1: copy.currentStep = Int32(truncatingIfNeeded: value)
    case 2:
      copy.history = value < 0 ? Array(state.history.dropLast()) : state.history + state.history
    case 3: copy.history[0].shape.dim[0] = value
    case 4:
      var position = Caffe_DataSourcePosition()
      position.layer = value == 3 ? "missing" : "data"
      position.record = UInt64(bitPattern: value)
      copy.dataPosition = [position]
    default:
      copy.learnedNet = ["", "/", ".", "missing.caffemodel", "\u{0}", "/dev/null"][round / 6 % 6]
    }
    return copy
  }

  /// Caffe's LeNet weights cut at 16 places and flipped at 16 bytes of their first 4 KB (the
  /// layer names, types and blob shapes), loaded into LeNet.
  @Test(.enabled(if: Golden.isAvailable, "needs ../shared/golden"))
  func damagedCaffeWeightsThrowOrLoad() throws {
    let definition = try ProtoUpgrade.readNetText(
      path: Golden.path("caffe-corpus/prototxt/bvlc--ex-mnist--lenet.prototxt"))
    let net = try Net(definition)
    let weights = Array(try Data(contentsOf: URL(fileURLWithPath: BadInputFolder.weights)))
    var generator = SeededGenerator(seed: 1703)
    var damaged = (0..<16).map { Array(weights.prefix(weights.count * $0 / 16 + 1)) }
    for _ in 0..<16 {
      var copy = weights
      copy[Int.random(in: 0..<4_096, using: &generator)] ^= UInt8.random(
        in: 1...255, using: &generator)
      damaged.append(copy)
    }
    var rejected = 0
    for bytes in damaged {
      do {
        let source = try BinaryProto.decode(NetParameter.self, data: Data(bytes), path: "lenet")
        try net.copyTrainedLayers(from: try ProtoUpgrade.upgradeNet(source, source: "lenet"))
      } catch {
        rejected += 1
      }
    }
    #expect(rejected >= 16)
  }
}
