// LSTM and RNN layers: shapes, parameters, forward against the equations and stepwise, cont
// resets, exposed hidden state, gradients, errors and use in a net (after Caffe's
// test_lstm_layer and test_rnn_layer).

import CaffeKernels
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@testable import Caffe

/// Caffe's recurrent test fixture: D = 7, x (T, N, 3, 2) uniform in [−1, 1], cont (T, N),
/// x_static (N, 2, 3, 4), gaussian weights (std 0.2) and biases (std 0.1).
enum RecurrentFixture {
  static let numOutput = 7

  /// A recurrent layer of `type` ("LSTM" or "RNN") named "rec".
  static func make(_ type: String, exposeHidden: Bool = false, extra: String = "") throws
    -> Layer
  {
    var definition = try LayerFixture.param(
      """
      name: "rec" type: "\(type)" recurrent_param { num_output: \(numOutput)
        weight_filler { type: "gaussian" std: 0.2 } bias_filler { type: "gaussian" std: 0.1 }
        expose_hidden: \(exposeHidden) \(extra) }
      """)
    definition.phase = .test
    return try LayerRegistry.makeLayer(definition)
  }

  /// The number of recurrent states of `type`: h (and c for the LSTM).
  static func stateCount(_ type: String) -> Int { type == "LSTM" ? 2 : 1 }

  /// x (T, N, 3, 2), uniform in [−1, 1].
  static func sequence(_ t: Int, _ n: Int, seed: UInt64 = 1701) throws -> Blob {
    try BlobBuilder.uniform([t, n, 3, 2], min: -1, max: 1, seed: seed)
  }

  /// cont (T, N) with `value(t, n)`.
  static func cont(_ t: Int, _ n: Int, _ value: (Int, Int) -> Float) throws -> Blob {
    try BlobBuilder.values([t, n], (0..<t * n).map { value($0 / n, $0 % n) })
  }

  /// x_static (N, 2, 3, 4), uniform in [−1, 1].
  static func staticInput(_ n: Int) throws -> Blob {
    try BlobBuilder.uniform([n, 2, 3, 4], min: -1, max: 1, seed: 7)
  }

  /// Copies every parameter of `source` into `target` (Runtime's seed is shared between tests
  /// that run in parallel, so equal seeds do not guarantee equal weights).
  static func copyParameters(from source: Layer, to target: Layer) throws {
    for (from, to) in zip(source.blobs, target.blobs) { try to.copy(from: from) }
  }

  /// Whether `error` is `CaffeError.blobCount` for layer "rec" on `side` with `actual` blobs.
  static func isBlobCount(_ error: any Error, side: String, actual: Int) -> Bool {
    guard case CaffeError.blobCount(let layer, _, let errorSide, _, let given) = error else {
      return false
    }
    return layer == "rec" && errorSide == side && given == actual
  }
}

// MARK: - Naive references

/// Caffe's LSTM and RNN equations, written out with Double loops over one timestep at a time.
enum NaiveRecurrent {
  /// Inputs of one sequence: sizes and values, row-major.
  struct Input {
    var t: Int
    var n: Int
    var k: Int
    var d: Int
    var x: [Float]
    var cont: [Float]
    var xStatic: [Float]?
    var staticK = 0
    var h0: [Float]
    var c0: [Float]
  }

  static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

  /// `out[r] = Σ_c w[r, c] · v[c]` for a (rows, cols) matrix.
  static func matVec(_ w: [Float], _ v: ArraySlice<Double>, rows: Int, cols: Int) -> [Double] {
    let start = v.startIndex
    return (0..<rows).map { r in
      (0..<cols).reduce(0.0) { $0 + Double(w[r * cols + $1]) * v[start + $1] }
    }
  }

  /// The pre-activations W_rec·(cont·h) + W_x·x_t + b [+ W_s·x_s] of stream n at step t.
  static func preActivation(
    _ input: Input, _ params: [[Float]], width: Int, h: [Double], step: Int, stream: Int
  ) -> [Double] {
    let (k, d) = (input.k, input.d)
    let hasStatic = input.xStatic != nil
    let cont = Double(input.cont[step * input.n + stream])
    let xRow = (step * input.n + stream) * k
    let x = input.x[xRow..<xRow + k].map(Double.init)
    let conted = h[stream * d..<(stream + 1) * d].map { cont * $0 }
    var gate = matVec(params[0], x[...], rows: width, cols: k)
    let recurrent = matVec(params[hasStatic ? 3 : 2], conted[...], rows: width, cols: d)
    for j in 0..<width { gate[j] += Double(params[1][j]) + recurrent[j] }
    if let xStatic = input.xStatic {
      let row = stream * input.staticK
      let s = xStatic[row..<row + input.staticK].map(Double.init)
      let part = matVec(params[2], s[...], rows: width, cols: input.staticK)
      for j in 0..<width { gate[j] += part[j] }
    }
    return gate
  }

  /// The LSTM's h (T, N, D), h_T and c_T.
  static func lstm(_ input: Input, _ params: [[Float]]) -> (h: [Float], hT: [Float], cT: [Float]) {
    let (n, d) = (input.n, input.d)
    var h = input.h0.map(Double.init)
    var c = input.c0.map(Double.init)
    var out: [Float] = []
    for step in 0..<input.t {
      var nextH = h
      var nextC = c
      for stream in 0..<n {
        let gate = preActivation(input, params, width: 4 * d, h: h, step: step, stream: stream)
        let cont = Double(input.cont[step * n + stream])
        for j in 0..<d {
          let i = sigmoid(gate[j])
          let f = cont * sigmoid(gate[d + j])
          let o = sigmoid(gate[2 * d + j])
          let g = tanh(gate[3 * d + j])
          let cell = f * c[stream * d + j] + i * g
          nextC[stream * d + j] = cell
          nextH[stream * d + j] = o * tanh(cell)
        }
      }
      h = nextH
      c = nextC
      out += h.map(Float.init)
    }
    return (out, h.map(Float.init), c.map(Float.init))
  }

  /// The RNN's o (T, N, D) and h_T.
  static func rnn(_ input: Input, _ params: [[Float]]) -> (o: [Float], hT: [Float]) {
    let (n, d) = (input.n, input.d)
    let outputIndex = input.xStatic == nil ? 3 : 4
    var h = input.h0.map(Double.init)
    var out: [Float] = []
    for step in 0..<input.t {
      var next = h
      for stream in 0..<n {
        let gate = preActivation(input, params, width: d, h: h, step: step, stream: stream)
        for j in 0..<d { next[stream * d + j] = tanh(gate[j]) }
      }
      h = next
      for stream in 0..<n {
        let o = matVec(params[outputIndex], h[stream * d..<(stream + 1) * d], rows: d, cols: d)
        out += (0..<d).map { Float(tanh(o[$0] + Double(params[outputIndex + 1][$0]))) }
      }
    }
    return (out, h.map(Float.init))
  }
}

// MARK: - LSTM and RNN

@Suite struct RecurrentTests {
  static let types = ["LSTM", "RNN"]

  /// The parameter shapes Caffe's unrolled net gives, in its order, for K = 6 and D = 7.
  func expectedParameterShapes(_ type: String, staticK: Int?) -> [[Int]] {
    let d = RecurrentFixture.numOutput
    let g = type == "LSTM" ? 4 * d : d
    let staticShape = staticK.map { [[g, $0]] } ?? []
    let extra = type == "LSTM" ? [] : [[d, d], [d]]
    return [[g, 6], [g]] + staticShape + [[g, d]] + extra
  }

  @Test(arguments: types)
  func setUpShapesTheOutputAndParameters(_ type: String) throws {
    let layer = try RecurrentFixture.make(type)
    let top = LayerFixture.tops(1)
    let bottom = [
      try RecurrentFixture.sequence(3, 2), try RecurrentFixture.cont(3, 2) { _, _ in 1 },
    ]
    try layer.setUp(bottom: bottom, top: top)
    #expect(top[0].shape == [3, 2, 7])
    #expect(layer.blobs.map(\.shape) == expectedParameterShapes(type, staticK: nil))
    #expect(layer.paramPropagateDown.allSatisfy { $0 })
    try bottom[0].reshape([3, 5, 6])
    try bottom[1].reshape([3, 5])
    try layer.forward(bottom: bottom, top: top)
    #expect(top[0].shape == [3, 5, 7])
  }

  @Test(arguments: types)
  func staticInputAddsItsWeightBeforeTheRecurrentOne(_ type: String) throws {
    let layer = try RecurrentFixture.make(type)
    let bottom = [
      try RecurrentFixture.sequence(2, 2), try RecurrentFixture.cont(2, 2) { _, _ in 1 },
      try RecurrentFixture.staticInput(2),
    ]
    try layer.setUp(bottom: bottom, top: LayerFixture.tops(1))
    #expect(layer.blobs.map(\.shape) == expectedParameterShapes(type, staticK: 24))
  }

  @Test(arguments: types)
  func exposedHiddenAddsStateBottomsAndTops(_ type: String) throws {
    let layer = try RecurrentFixture.make(type, exposeHidden: true)
    let states = RecurrentFixture.stateCount(type)
    let bottom =
      [try RecurrentFixture.sequence(3, 2), try RecurrentFixture.cont(3, 2) { _, _ in 1 }]
      + (try (0..<states).map { _ in try Blob(shape: [1, 2, 7]) })
    let top = LayerFixture.tops(1 + states)
    try layer.setUp(bottom: bottom, top: top)
    #expect(top.map(\.shape) == [[3, 2, 7]] + Array(repeating: [1, 2, 7], count: states))
  }

  /// Runs the layer once on a sequence with mid-sequence resets, a static input and random
  /// initial states, and compares with the naive equations.
  @Test(arguments: types)
  func forwardFollowsCaffesEquations(_ type: String) throws {
    let (t, n, d) = (3, 2, RecurrentFixture.numOutput)
    let layer = try RecurrentFixture.make(type, exposeHidden: true)
    let states = RecurrentFixture.stateCount(type)
    let contValues: [Float] = [1, 0, 1, 1, 0, 1]
    let initial = try (0..<states).map {
      try BlobBuilder.uniform([1, n, d], min: -1, max: 1, seed: UInt64(20 + $0))
    }
    let bottom =
      [
        try RecurrentFixture.sequence(t, n), try BlobBuilder.values([t, n], contValues),
        try RecurrentFixture.staticInput(n),
      ] + initial
    let top = LayerFixture.tops(1 + states)
    try layer.setUp(bottom: bottom, top: top)
    try layer.forward(bottom: bottom, top: top)
    let input = NaiveRecurrent.Input(
      t: t, n: n, k: 6, d: d, x: bottom[0].dataArray, cont: contValues,
      xStatic: bottom[2].dataArray, staticK: 24, h0: initial[0].dataArray,
      c0: initial.last?.dataArray ?? [])
    let params = layer.blobs.map(\.dataArray)
    if type == "LSTM" {
      let expected = NaiveRecurrent.lstm(input, params)
      #expect(LayerFixture.maxDifference(top[0].dataArray, expected.h) < 1e-5)
      #expect(LayerFixture.maxDifference(top[1].dataArray, expected.hT) < 1e-5)
      #expect(LayerFixture.maxDifference(top[2].dataArray, expected.cT) < 1e-5)
    } else {
      let expected = NaiveRecurrent.rnn(input, params)
      #expect(LayerFixture.maxDifference(top[0].dataArray, expected.o) < 1e-5)
      #expect(LayerFixture.maxDifference(top[1].dataArray, expected.hT) < 1e-5)
    }
  }

  /// Caffe's TestForward: one forward over T = 3 equals three forwards of T = 1, the state
  /// carried inside the layer; with cont = 0 at every step only the first step agrees.
  @Test(arguments: types)
  func forwardMatchesStepwiseAndContZeroResets(_ type: String) throws {
    let (t, n) = (3, 3)
    let full = try RecurrentFixture.make(type)
    let sequence = try BlobBuilder.gaussian([t, n, 3, 2], seed: 1)
    let fullTop = LayerFixture.tops(1)
    let fullBottom = [sequence, try RecurrentFixture.cont(t, n) { step, _ in step > 0 ? 1 : 0 }]
    try full.setUp(bottom: fullBottom, top: fullTop)
    try full.forward(bottom: fullBottom, top: fullTop)
    let expected = fullTop[0].dataArray
    let stepSize = n * RecurrentFixture.numOutput

    for resetEveryStep in [false, true] {
      let stepwise = try RecurrentFixture.make(type)
      let x = try Blob(shape: [1, n, 3, 2])
      let cont = try Blob(shape: [1, n])
      let top = LayerFixture.tops(1)
      try stepwise.setUp(bottom: [x, cont], top: top)
      try RecurrentFixture.copyParameters(from: full, to: stepwise)
      for step in 0..<t {
        try x.setData(Array(sequence.dataArray[(step * n * 6)..<((step + 1) * n * 6)]))
        try cont.setData(Array(repeating: step > 0 && !resetEveryStep ? 1 : 0, count: n))
        try stepwise.forward(bottom: [x, cont], top: top)
        let want = Array(expected[(step * stepSize)..<((step + 1) * stepSize)])
        if resetEveryStep && step > 0 {
          #expect(zip(top[0].dataArray, want).allSatisfy { $0 != $1 }, "step \(step)")
        } else {
          #expect(LayerFixture.maxDifference(top[0].dataArray, want) < 1e-5, "step \(step)")
        }
      }
    }
  }

  /// With `expose_hidden`, feeding each step's final states back as the next step's initial
  /// states reproduces the full sequence.
  @Test(arguments: types)
  func exposedHiddenCarriesTheStateBetweenChunks(_ type: String) throws {
    let (t, n, d) = (3, 2, RecurrentFixture.numOutput)
    let states = RecurrentFixture.stateCount(type)
    let full = try RecurrentFixture.make(type, exposeHidden: true)
    let sequence = try RecurrentFixture.sequence(t, n)
    let initial = try (0..<states).map {
      try BlobBuilder.uniform([1, n, d], min: -1, max: 1, seed: UInt64(30 + $0))
    }
    let fullBottom = [sequence, try RecurrentFixture.cont(t, n) { _, _ in 1 }] + initial
    let fullTop = LayerFixture.tops(1 + states)
    try full.setUp(bottom: fullBottom, top: fullTop)
    try full.forward(bottom: fullBottom, top: fullTop)

    let stepwise = try RecurrentFixture.make(type, exposeHidden: true)
    let x = try Blob(shape: [1, n, 3, 2])
    let cont = try RecurrentFixture.cont(1, n) { _, _ in 1 }
    let carried = try (0..<states).map { _ in try Blob(shape: [1, n, d]) }
    for (blob, start) in zip(carried, initial) { try blob.copy(from: start) }
    let top = LayerFixture.tops(1 + states)
    try stepwise.setUp(bottom: [x, cont] + carried, top: top)
    try RecurrentFixture.copyParameters(from: full, to: stepwise)
    for step in 0..<t {
      try x.setData(Array(sequence.dataArray[(step * n * 6)..<((step + 1) * n * 6)]))
      try stepwise.forward(bottom: [x, cont] + carried, top: top)
      let want = Array(fullTop[0].dataArray[(step * n * d)..<((step + 1) * n * d)])
      #expect(LayerFixture.maxDifference(top[0].dataArray, want) < 1e-5, "step \(step)")
      for (blob, final) in zip(carried, top.dropFirst()) { try blob.copy(from: final) }
    }
    for (index, final) in fullTop.dropFirst().enumerated() {
      #expect(LayerFixture.maxDifference(carried[index].dataArray, final.dataArray) < 1e-5)
    }
  }

  // Caffe's TestGradient, TestGradientNonZeroContBufferSize2 and ...WithStaticInput:
  // GradientChecker(1e-2, 1e-3), exhaustive, on x (and x_static) and every parameter. cont is 0
  // at the first step, so the state carried from the checker's earlier forwards cannot matter.
  @Test(arguments: types, [false, true])
  func gradientIsExact(_ type: String, _ twoSteps: Bool) throws {
    let (t, n) = twoSteps ? (2, 2) : (1, 3)
    let layer = try RecurrentFixture.make(type)
    let bottom = [
      try RecurrentFixture.sequence(t, n),
      try RecurrentFixture.cont(t, n) { step, stream in
        step * n + stream > 2 ? 1 : 0
      },
    ]
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: bottom, top: LayerFixture.tops(1), checkBottom: 0)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: types, [0, 2])
  func gradientWithStaticInputIsExact(_ type: String, _ checkBottom: Int) throws {
    let layer = try RecurrentFixture.make(type)
    let bottom = [
      try RecurrentFixture.sequence(2, 2),
      try RecurrentFixture.cont(2, 2) { step, stream in step * 2 + stream > 2 ? 1 : 0 },
      try RecurrentFixture.staticInput(2),
    ]
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    let failures = try checker.checkGradientExhaustive(
      layer, bottom: bottom, top: LayerFixture.tops(1), checkBottom: checkBottom)
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  /// With given initial states and cont = 1 throughout, the gradient of each output element
  /// through the recurrence is exact. (As in Caffe, h_T and c_T pass no gradient, so only
  /// top[0]'s elements are objectives.)
  @Test(arguments: types)
  func gradientThroughGivenInitialStateIsExact(_ type: String) throws {
    let (t, n) = (2, 2)
    let states = RecurrentFixture.stateCount(type)
    let layer = try RecurrentFixture.make(type, exposeHidden: true)
    let bottom =
      [try RecurrentFixture.sequence(t, n), try RecurrentFixture.cont(t, n) { _, _ in 1 }]
      + (try (0..<states).map {
        try BlobBuilder.uniform([1, n, 7], min: -1, max: 1, seed: UInt64(40 + $0))
      })
    let top = LayerFixture.tops(1 + states)
    try layer.setUp(bottom: bottom, top: top)
    let checker = GradientChecker(stepSize: 1e-2, threshold: 1e-3)
    var failures: [GradientChecker.Failure] = []
    for element in 0..<top[0].count {
      failures += try checker.checkGradientSingle(
        layer, bottom: bottom, top: top, checkBottom: 0, topID: 0, topDataID: element)
    }
    #expect(failures.isEmpty, "\(failures.prefix(5))")
  }

  @Test(arguments: types)
  func initialStateBottomsGetZeroDiffs(_ type: String) throws {
    let states = RecurrentFixture.stateCount(type)
    let layer = try RecurrentFixture.make(type, exposeHidden: true)
    let bottom =
      [try RecurrentFixture.sequence(2, 2), try RecurrentFixture.cont(2, 2) { _, _ in 1 }]
      + (try (0..<states).map { _ in try BlobBuilder.uniform([1, 2, 7], seed: 3) })
    let top = LayerFixture.tops(1 + states)
    try layer.setUp(bottom: bottom, top: top)
    try layer.forward(bottom: bottom, top: top)
    for blob in top + bottom { Elementwise.set(count: blob.count, value: 1, into: blob.diff) }
    let propagate = [true, false] + Array(repeating: true, count: states)
    try layer.backward(top: top, propagateDown: propagate, bottom: bottom)
    for state in bottom.dropFirst(2) { #expect(state.diffArray.allSatisfy { $0 == 0 }) }
  }

  // MARK: Errors

  /// A set-up layer and its bottoms: x (3, 2, 3, 2), cont (3, 2).
  func setUpLayer(_ type: String) throws -> (Layer, [Blob], [Blob]) {
    let layer = try RecurrentFixture.make(type)
    let bottom = [
      try RecurrentFixture.sequence(3, 2), try RecurrentFixture.cont(3, 2) { _, _ in 0 },
    ]
    let top = LayerFixture.tops(1)
    try layer.setUp(bottom: bottom, top: top)
    return (layer, bottom, top)
  }

  @Test(arguments: types, [[3, 3], [2, 2], [3, 2, 1], [6]])
  func contOtherThanTByNIsRejected(_ type: String, _ contShape: [Int]) throws {
    let layer = try RecurrentFixture.make(type)
    let bottom = [try RecurrentFixture.sequence(3, 2), try Blob(shape: contShape)]
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "rec", expected: [3, 2], actual: contShape)
    }
    let (ready, good, top) = try setUpLayer(type)
    #expect {
      try ready.forward(bottom: [good[0], try Blob(shape: contShape)], top: top)
    } throws: {
      LayerFixture.isShapeMismatch($0, layer: "rec", expected: [3, 2], actual: contShape)
    }
  }

  @Test(arguments: types)
  func sequenceWithOneAxisIsRejected(_ type: String) throws {
    let layer = try RecurrentFixture.make(type)
    let bottom = [try Blob(shape: [3]), try Blob(shape: [3, 1])]
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(1)) } throws: {
      guard case CaffeError.invalidNet(let reason) = $0 else { return false }
      return reason.contains("\"rec\"") && reason.contains("at least 2 axes")
    }
  }

  @Test(arguments: types)
  func changedTimestepsOrInputSizeAreRejected(_ type: String) throws {
    let (layer, bottom, top) = try setUpLayer(type)
    try bottom[0].reshape([4, 2, 3, 2])
    try bottom[1].reshape([4, 2])
    #expect { try layer.forward(bottom: bottom, top: top) } throws: {
      guard case CaffeError.invalidNet(let reason) = $0 else { return false }
      return reason.contains("\"rec\"") && reason.contains("from 3 at setup to 4")
    }
    try bottom[0].reshape([3, 2, 5])
    try bottom[1].reshape([3, 2])
    #expect { try layer.forward(bottom: bottom, top: top) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "rec", expected: [3, 2, 6], actual: [3, 2, 5])
    }
  }

  @Test(arguments: types)
  func staticInputForOtherStreamsIsRejected(_ type: String) throws {
    let layer = try RecurrentFixture.make(type)
    let bottom = [
      try RecurrentFixture.sequence(2, 2), try RecurrentFixture.cont(2, 2) { _, _ in 0 },
      try RecurrentFixture.staticInput(3),
    ]
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "rec", expected: [2, 2, 3, 4], actual: [3, 2, 3, 4])
    }
  }

  @Test(arguments: types)
  func exposedStateOfTheWrongShapeIsRejected(_ type: String) throws {
    let states = RecurrentFixture.stateCount(type)
    let layer = try RecurrentFixture.make(type, exposeHidden: true)
    let bottom =
      [try RecurrentFixture.sequence(2, 2), try RecurrentFixture.cont(2, 2) { _, _ in 0 }]
      + (try (0..<states).map { _ in try Blob(shape: [1, 2, 6]) })
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(1 + states)) } throws: {
      LayerFixture.isShapeMismatch($0, layer: "rec", expected: [1, 2, 7], actual: [1, 2, 6])
    }
  }

  @Test(arguments: types)
  func blobCountsFollowExposeHidden(_ type: String) throws {
    let states = RecurrentFixture.stateCount(type)
    let exposed = try RecurrentFixture.make(type, exposeHidden: true)
    let bottom = [
      try RecurrentFixture.sequence(2, 2), try RecurrentFixture.cont(2, 2) { _, _ in 0 },
    ]
    #expect { try exposed.setUp(bottom: bottom, top: LayerFixture.tops(1 + states)) } throws: {
      RecurrentFixture.isBlobCount($0, side: "bottom", actual: 2)
    }
    let hidden = try RecurrentFixture.make(type)
    #expect { try hidden.setUp(bottom: bottom, top: LayerFixture.tops(2)) } throws: {
      RecurrentFixture.isBlobCount($0, side: "top", actual: 2)
    }
  }

  @Test(arguments: types)
  func missingNumOutputIsRejected(_ type: String) throws {
    #expect {
      try LayerRegistry.makeLayer(try LayerFixture.param("name: \"rec\" type: \"\(type)\""))
    } throws: {
      LayerFixture.isInvalid($0, layer: "rec", field: "num_output")
    }
  }

  @Test(arguments: types)
  func backwardToContIsRejected(_ type: String) throws {
    let (layer, bottom, top) = try setUpLayer(type)
    try layer.forward(bottom: bottom, top: top)
    #expect(!layer.allowForceBackward(bottomIndex: 1))
    #expect { try layer.backward(top: top, propagateDown: [true, true], bottom: bottom) } throws: {
      guard case CaffeError.invalidNet(let reason) = $0 else { return false }
      return reason.contains("\"rec\"") && reason.contains("sequence indicators")
    }
  }

  @Test(arguments: types)
  func storedParametersInTheWrongNumberAreRejected(_ type: String) throws {
    var definition = try LayerFixture.param(
      "name: \"rec\" type: \"\(type)\" recurrent_param { num_output: 7 }")
    definition.blobs = [try Blob(shape: [7, 6]).toProto()]
    let layer = try LayerRegistry.makeLayer(definition)
    let bottom = [
      try RecurrentFixture.sequence(2, 2), try RecurrentFixture.cont(2, 2) { _, _ in 0 },
    ]
    #expect { try layer.setUp(bottom: bottom, top: LayerFixture.tops(1)) } throws: {
      LayerFixture.isInvalid($0, layer: "rec", field: "blobs")
    }
  }

  // MARK: In a net

  /// An LSTM between an Input layer and a loss: the net learns its parameters in Caffe's order
  /// and a second net given the first one's weights computes the same loss.
  @Test func netBackpropagatesIntoTheLSTMAndReloadsItsWeights() throws {
    let definition = try Prototxt.decode(
      NetParameter.self,
      text: """
        layer { name: "in" type: "Input" top: "x" top: "cont"
          input_param { shape { dim: 3 dim: 2 dim: 4 } shape { dim: 3 dim: 2 } } }
        layer { name: "lstm" type: "LSTM" bottom: "x" bottom: "cont" top: "h"
          recurrent_param { num_output: 2 weight_filler { type: "uniform" min: -1 max: 1 } } }
        layer { name: "loss" type: "Reduction" bottom: "h" top: "loss" loss_weight: 1 }
        """, file: "<net>")
    let nets = [try Net(definition), try Net(definition)]
    let lstm = try #require(nets[0].layer(named: "lstm"))
    #expect(lstm.blobs.map(\.shape) == [[8, 4], [8], [8, 2]])
    try nets[1].copyTrainedLayers(from: nets[0].toProto())
    var losses: [Float] = []
    for net in nets {
      try #require(net.blob(named: "x")).setData((0..<24).map { Float($0 % 5) / 5 - 0.4 })
      try #require(net.blob(named: "cont")).setData([0, 0, 1, 1, 1, 0])
      losses.append(try net.forwardBackward())
    }
    #expect(losses[0] == losses[1])
    #expect(lstm.blobs.allSatisfy { $0.asumDiff > 0 })
  }

  // MARK: Debug info

  @Test func debugInfoLogsEachStepUnderCaffesUnrolledNames() throws {
    let layer = try RecurrentFixture.make("LSTM", extra: "debug_info: true")
    let bottom = [
      try RecurrentFixture.sequence(2, 1), try RecurrentFixture.cont(2, 1) { _, _ in 1 },
    ]
    let top = LayerFixture.tops(1)
    let capture = LogCapture()
    try capture.capture {
      try layer.setUp(bottom: bottom, top: top)
      try layer.forward(bottom: bottom, top: top)
      Elementwise.set(count: top[0].count, value: 1, into: top[0].diff)
      try layer.backward(top: top, propagateDown: [true, false], bottom: bottom)
    }
    let lines = capture.messages
    #expect(
      lines.contains {
        $0.hasPrefix(
          "Initializing recurrent layer: assuming input batch "
            + "contains 2 timesteps of 1 independent streams.")
      })
    #expect(lines.contains { $0.contains("[Forward] Layer rec_unit_2, top blob c_2 data: ") })
    #expect(
      lines.contains { $0.contains("[Backward] Layer rec_unit_1, bottom blob gate_input_1 diff: ") }
    )
  }
}
