// Recurrent: the shared base of LSTM and RNN (inputs, parameters, carried state, transforms).

import CaffeKernels
import CaffeProto
import CaffeSupport

/// The base of Caffe's recurrent layers (`RecurrentLayer`): T timesteps of N independent streams,
/// computed step by step in place of Caffe's unrolled internal net.
///
/// Both subclasses compute, for t = 1…T, the gate pre-activations
///
///     gate_t = W_rec · (cont_t ⊙ h_{t−1}) + (W_x · x_t + b) + W_static · x_static
///
/// (G wide: 4D for LSTM, D for RNN) and then their own step from `gate_t`. A `cont_t = 0` starts
/// a new sequence in that stream: h_{t−1} (and, in the LSTM, the forget gate) is multiplied by 0.
///
/// Parameters (`recurrent_param`): `num_output` D (required, > 0), `weight_filler` and
/// `bias_filler` (default constant 0), `debug_info` (default false: when true, every forward and
/// backward logs the mean absolute value of each step's states and gate diffs, named after the
/// blobs of Caffe's unrolled net), `expose_hidden` (default false).
///
/// - bottom[0]: (T, N, …) x; the axes after the second are flattened into K inputs.
/// - bottom[1]: (T, N) cont, the continuation indicators (normally 0 or 1).
/// - bottom[2] (optional): (N, …) x_static, the same for every timestep; K_s inputs per stream.
/// - then, with `expose_hidden`: (1, N, D) each initial state (h_0, and c_0 for the LSTM).
/// - top[0]: (T, N, D), the output of every timestep.
/// - then, with `expose_hidden`: (1, N, D) each final state (h_T, and c_T for the LSTM).
///
/// Without `expose_hidden` the final states of one forward are the initial states of the next
/// (zero before the first), so a long sequence may be fed in chunks of T steps. As in Caffe, the
/// state blobs carry data only: backward ignores the diffs of h_T/c_T and writes zeros to those
/// of h_0/c_0, so gradients never flow from one chunk to the next.
///
/// Backward overwrites the diffs of x and x_static and accumulates into the parameter diffs.
public class RecurrentLayer: Layer {
  override public class var bottomCount: BlobCount { .range(2...(3 + stateNames.count)) }
  override public class var topCount: BlobCount { .range(1...(1 + stateNames.count)) }

  /// The recurrent states in bottom and top order: "h", then "c" for the LSTM.
  class var stateNames: [String] { ["h"] }
  /// G / D: the gate pre-activations per hidden unit (4 for the LSTM, 1 for the RNN).
  class var gateMultiplier: Int { 1 }
  /// The names of the input weight, input bias, static weight and recurrent weight.
  class var coreParameterNames: [String] { [] }
  /// The unrolled net's name for one step's layer and its input blob, for `debug_info`.
  class var stepNames: (layer: String, input: String) { ("", "") }

  /// D: `recurrent_param.num_output`.
  let numOutput: Int
  /// `recurrent_param.expose_hidden`.
  let exposeHidden: Bool
  /// `recurrent_param.debug_info`.
  let debugInfo: Bool
  /// T: timesteps, fixed at setup.
  private(set) var timesteps = 0
  /// N: independent streams.
  private(set) var streams = 0
  /// K: inputs per timestep and stream, fixed at setup.
  private var inputCount = 0
  /// K_s: static inputs per stream, or nil without x_static.
  private var staticCount: Int?

  /// (1, N, D) each: the states before the first timestep (h_0, c_0).
  private(set) var initialState: [Blob] = []
  /// (1, N, D) each: the states after the last timestep (h_T, c_T), kept for the next forward.
  private var finalState: [Blob] = []
  /// (T, N, G): data the gate pre-activations, diff their gradient.
  let gates = Blob()
  /// (T, N, D): the gradient at each h_t, completed step by step from T down to 1.
  let hiddenDiff = Blob()
  /// (T, N, D): cont_t ⊙ h_{t−1}, the recurrent weight's input at each step.
  private let contedHidden = Blob()
  /// (N, G): data W_static · x_static, diff its gradient summed over the timesteps.
  private let staticGates = Blob()
  /// (N, D): the gradient at cont_t ⊙ h_{t−1} of one step.
  private let contedDiff = Blob()
  /// (T·N) ones, to add and sum biases over rows with BLAS.
  let ones = Blob()

  /// G: gate pre-activations per stream.
  var gateCount: Int { Self.gateMultiplier * numOutput }
  /// The index in ``Layer/blobs`` of the recurrent weight (after W_static when there is one).
  private var recurrentIndex: Int { staticCount == nil ? 2 : 3 }
  /// The index in ``Layer/blobs`` of the first subclass-specific parameter.
  var extraParameterIndex: Int { recurrentIndex + 1 }
  /// The index of the first exposed initial state among the bottoms.
  private var stateBottomOffset: Int { staticCount == nil ? 2 : 3 }

  /// Reads `recurrent_param`.
  /// - Throws: `CaffeError.invalidParameter` if `num_output` is 0.
  public required init(_ param: LayerParameter) throws {
    let recurrent = param.recurrentParam
    numOutput = Int(recurrent.numOutput)
    exposeHidden = recurrent.exposeHidden
    debugInfo = recurrent.debugInfo
    try super.init(param)
    guard numOutput > 0 else { throw invalid("num_output", "must be positive, got 0") }
  }

  /// x, x_static and the states may be forced to compute diffs, not cont (bottom 1).
  override public func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

  // MARK: - Subclass hooks

  /// Parameters after the recurrent weight: (name, shape, whether it is a bias).
  func extraParameters() -> [(name: String, shape: [Int], isBias: Bool)] { [] }

  /// Shapes the subclass's own buffers for the current T and N.
  func reshapeBuffers() throws {}

  /// The (T, N, D) history of state `index` (0: h, 1: c) written by forward.
  func stateHistory(_ index: Int, top: [Blob]) -> UnsafeMutablePointer<Float> { top[0].data }

  /// Computes step t's states from its complete gate pre-activations.
  func forwardStep(_ t: Int, cont: UnsafePointer<Float>, top: [Blob]) {}

  /// Runs after the last step (the RNN's output transform).
  func finishForward(top: [Blob]) {}

  /// Overwrites ``hiddenDiff`` with the gradient the tops send to each h_t.
  func startBackward(top: [Blob]) {}

  /// Computes step t's gate gradient (into ``gates``' diff) once ``hiddenDiff`` is complete at t.
  func backwardStep(_ t: Int, cont: UnsafePointer<Float>, top: [Blob]) {}

  // MARK: - Setup and shapes

  /// Fixes T, K and K_s from the bottoms and creates (or checks) the parameters.
  /// - Throws: `CaffeError.blobCount` for a blob count that does not suit `expose_hidden`;
  ///   `CaffeError.invalidNet` / `.shapeMismatch` for bad bottom shapes;
  ///   `CaffeError.invalidParameter` for a bad filler or stored blobs in the wrong number.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let exposed = exposeHidden ? Self.stateNames.count : 0
    guard bottom.count == 2 + exposed || bottom.count == 3 + exposed else {
      throw CaffeError.blobCount(
        layer: name, type: typeName, side: "bottom", expected: "\(2 + exposed) to \(3 + exposed)",
        actual: bottom.count)
    }
    guard top.count == 1 + exposed else {
      throw CaffeError.blobCount(
        layer: name, type: typeName, side: "top", expected: "exactly \(1 + exposed)",
        actual: top.count)
    }
    try checkSequence(bottom, atSetUp: true)
    Log.info(
      "Initializing recurrent layer: assuming input batch contains \(timesteps) timesteps of "
        + "\(streams) independent streams.")
    inputCount = bottom[0].count(from: 2)
    if bottom.count == 3 + exposed {
      guard bottom[2].numAxes >= 1, bottom[2].shape[0] == streams else {
        throw CaffeError.shapeMismatch(
          layer: name, blob: bottomName(2), expected: [streams] + bottom[2].shape.dropFirst(),
          actual: bottom[2].shape)
      }
      staticCount = bottom[2].count(from: 1)
    } else {
      staticCount = nil
    }
    initialState = Self.stateNames.map { _ in Blob() }
    finalState = Self.stateNames.map { _ in Blob() }
    try setUpParameters()
  }

  /// Checks the bottoms against T, K and K_s and shapes the tops and buffers for the current N.
  /// - Throws: `CaffeError.invalidNet` for a changed T or an x with fewer than 2 axes;
  ///   `CaffeError.shapeMismatch` for a cont other than (T, N), a changed K or K_s, or an exposed
  ///   state other than (1, N, D).
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    try checkSequence(bottom, atSetUp: false)
    let (t, n, d) = (timesteps, streams, numOutput)
    guard bottom[0].count(from: 2) == inputCount else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(0), expected: [t, n, inputCount], actual: bottom[0].shape)
    }
    if let staticCount {
      let given = bottom[2]
      guard given.numAxes >= 1, given.shape[0] == n, given.count(from: 1) == staticCount else {
        throw CaffeError.shapeMismatch(
          layer: name, blob: bottomName(2), expected: [n, staticCount], actual: given.shape)
      }
    }
    if exposeHidden {
      for index in Self.stateNames.indices {
        let given = bottom[stateBottomOffset + index]
        guard given.shape == [1, n, d] else {
          throw CaffeError.shapeMismatch(
            layer: name, blob: bottomName(stateBottomOffset + index), expected: [1, n, d],
            actual: given.shape)
        }
      }
    }
    for state in initialState + finalState { try state.reshape([1, n, d]) }
    try gates.reshape([t, n, gateCount])
    try hiddenDiff.reshape([t, n, d])
    try contedHidden.reshape([t, n, d])
    try staticGates.reshape([n, gateCount])
    try contedDiff.reshape([n, d])
    if ones.count != t * n {
      try ones.reshape([t * n])
      Elementwise.set(count: t * n, value: 1, into: ones.data)
    }
    try top[0].reshape([t, n, d])
    for index in 1..<top.count { try top[index].reshape([1, n, d]) }
    try reshapeBuffers()
  }

  /// Checks x (T, N, …) and cont (T, N); at setup records T and N, later only N.
  private func checkSequence(_ bottom: [Blob], atSetUp: Bool) throws {
    let x = bottom[0]
    guard x.numAxes >= 2 else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)): bottom \"\(bottomName(0))\" must have at "
          + "least 2 axes, (T timesteps, N streams, ...); it has shape \(x.shape)")
    }
    if atSetUp {
      guard x.shape[0] > 0 else {
        throw CaffeError.invalidNet(
          reason: "layer \"\(name)\" (\(typeName)): bottom \"\(bottomName(0))\" has no "
            + "timesteps (shape \(x.shape)); T must be at least 1")
      }
      timesteps = x.shape[0]
    } else if x.shape[0] != timesteps {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)): the number of timesteps of bottom "
          + "\"\(bottomName(0))\" changed from \(timesteps) at setup to \(x.shape[0]) "
          + "(shape \(x.shape)); T is fixed when the layer is set up")
    }
    streams = x.shape[1]
    guard bottom[1].shape == [timesteps, streams] else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(1), expected: [timesteps, streams],
        actual: bottom[1].shape)
    }
  }

  /// Creates and fills the parameters in Caffe's order, or checks those the definition carries.
  private func setUpParameters() throws {
    let names = Self.coreParameterNames
    let (g, d) = (gateCount, numOutput)
    var specs: [(name: String, shape: [Int], isBias: Bool)] = [
      (names[0], [g, inputCount], false), (names[1], [g], true),
    ]
    if let staticCount { specs.append((names[2], [g, staticCount], false)) }
    specs.append((names[3], [g, d], false))
    specs += extraParameters()
    if blobs.isEmpty {
      let recurrent = param.recurrentParam
      for spec in specs {
        let blob = try Blob(shape: spec.shape)
        if spec.isBias {
          try fill(blob, with: recurrent.biasFiller, field: "recurrent_param.bias_filler")
        } else {
          try fill(blob, with: recurrent.weightFiller, field: "recurrent_param.weight_filler")
        }
        blobs.append(blob)
      }
    } else {
      guard blobs.count == specs.count else {
        throw invalid(
          "blobs",
          "the definition carries \(blobs.count) parameter blobs; the layer needs "
            + "\(specs.count) (\(specs.map(\.name).joined(separator: ", ")))")
      }
      for (blob, spec) in zip(blobs, specs) where blob.shape != spec.shape {
        throw CaffeError.shapeMismatch(
          layer: name, blob: spec.name, expected: spec.shape, actual: blob.shape)
      }
    }
    resetParamPropagateDown()
  }

  // MARK: - Forward

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    for (index, state) in initialState.enumerated() {
      let source = exposeHidden ? bottom[stateBottomOffset + index] : finalState[index]
      Elementwise.copy(count: state.count, from: source.data, into: state.data)
    }
    let (t, n, d, g) = (timesteps, streams, numOutput, gateCount)
    // gates (T·N, G) = x (T·N, K) · W_xᵀ (K, G) + ones (T·N, 1) · b (1, G).
    BLAS.gemm(
      transA: false, transB: true, m: t * n, n: g, k: inputCount, alpha: 1, a: bottom[0].data,
      b: blobs[0].data, beta: 0, c: gates.data)
    BLAS.gemm(
      transA: false, transB: false, m: t * n, n: g, k: 1, alpha: 1, a: ones.data,
      b: blobs[1].data, beta: 1, c: gates.data)
    if let staticCount {
      // static (N, G) = x_static (N, K_s) · W_staticᵀ (K_s, G).
      BLAS.gemm(
        transA: false, transB: true, m: n, n: g, k: staticCount, alpha: 1, a: bottom[2].data,
        b: blobs[2].data, beta: 0, c: staticGates.data)
    }
    let cont = bottom[1].data
    for step in 0..<t {
      let previous = previousState(0, at: step, top: top)
      let conted = contedHidden.data + step * n * d
      for stream in 0..<n {
        Elementwise.scale(
          count: d, alpha: cont[step * n + stream], x: previous + stream * d,
          into: conted + stream * d)
      }
      // gate_t (N, G) += conted (N, D) · W_recᵀ (D, G), then the static part, in Caffe's order.
      let gate = gates.data + step * n * g
      BLAS.gemm(
        transA: false, transB: true, m: n, n: g, k: d, alpha: 1, a: conted,
        b: blobs[recurrentIndex].data, beta: 1, c: gate)
      if staticCount != nil {
        BLAS.axpy(count: n * g, alpha: 1, x: staticGates.data, y: gate)
      }
      forwardStep(step, cont: cont + step * n, top: top)
    }
    finishForward(top: top)
    for (index, state) in finalState.enumerated() {
      let last = stateHistory(index, top: top) + (t - 1) * n * d
      Elementwise.copy(count: n * d, from: last, into: state.data)
      if exposeHidden {
        Elementwise.copy(count: n * d, from: last, into: top[1 + index].data)
      }
    }
    if debugInfo { logForward(top: top) }
  }

  /// State `index` before step `t`: the initial state for t = 0, else the history at t − 1.
  func previousState(_ index: Int, at t: Int, top: [Blob]) -> UnsafeMutablePointer<Float> {
    t == 0
      ? initialState[index].data : stateHistory(index, top: top) + (t - 1) * streams * numOutput
  }

  // MARK: - Backward

  /// Backpropagates through time, from step T down to 1.
  /// - Throws: `CaffeError.invalidNet` if asked to propagate to cont (bottom 1).
  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard !propagateDown[1] else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (\(typeName)) cannot backpropagate to the sequence "
          + "indicators \"\(bottomName(1))\"")
    }
    let (n, d, g) = (streams, numOutput, gateCount)
    let cont = bottom[1].data
    let recurrent = blobs[recurrentIndex]
    startBackward(top: top)
    for step in stride(from: timesteps - 1, through: 0, by: -1) {
      backwardStep(step, cont: cont + step * n, top: top)
      let gateDiff = gates.diff + step * n * g
      if propagatesToParameter(recurrentIndex) {
        // dW_rec (G, D) += dgate_tᵀ (G, N) · conted (N, D).
        BLAS.gemm(
          transA: true, transB: false, m: g, n: d, k: n, alpha: 1, a: gateDiff,
          b: contedHidden.data + step * n * d, beta: 1, c: recurrent.diff)
      }
      guard step > 0 else { continue }
      // dconted (N, D) = dgate_t (N, G) · W_rec (G, D); dh_{t−1} += cont_t ⊙ dconted.
      BLAS.gemm(
        transA: false, transB: false, m: n, n: d, k: g, alpha: 1, a: gateDiff,
        b: recurrent.data, beta: 0, c: contedDiff.data)
      let previousDiff = hiddenDiff.data + (step - 1) * n * d
      for stream in 0..<n {
        BLAS.axpy(
          count: d, alpha: cont[step * n + stream], x: contedDiff.data + stream * d,
          y: previousDiff + stream * d)
      }
    }
    backwardInputs(propagateDown: propagateDown, bottom: bottom)
    if exposeHidden {
      for index in initialState.indices where propagateDown[stateBottomOffset + index] {
        let state = bottom[stateBottomOffset + index]
        Elementwise.set(count: state.count, value: 0, into: state.diff)
      }
    }
    if debugInfo { logBackward() }
  }

  /// The gradients of W_x, b, x and, with a static input, W_static and x_static.
  private func backwardInputs(propagateDown: [Bool], bottom: [Blob]) {
    let (rows, g) = (timesteps * streams, gateCount)
    if propagatesToParameter(0) {
      // dW_x (G, K) += dgatesᵀ (G, T·N) · x (T·N, K).
      BLAS.gemm(
        transA: true, transB: false, m: g, n: inputCount, k: rows, alpha: 1, a: gates.diff,
        b: bottom[0].data, beta: 1, c: blobs[0].diff)
    }
    if propagatesToParameter(1) {
      // db (G) += dgatesᵀ (G, T·N) · ones (T·N).
      BLAS.gemv(
        transA: true, m: rows, n: g, alpha: 1, a: gates.diff, x: ones.data, beta: 1,
        y: blobs[1].diff)
    }
    if propagateDown[0] {
      // dx (T·N, K) = dgates (T·N, G) · W_x (G, K).
      BLAS.gemm(
        transA: false, transB: false, m: rows, n: inputCount, k: g, alpha: 1, a: gates.diff,
        b: blobs[0].data, beta: 0, c: bottom[0].diff)
    }
    guard let staticCount, propagateDown[2] || propagatesToParameter(2) else { return }
    // dstatic (N, G) = Σ_t dgate_t.
    let (n, perStep) = (streams, streams * g)
    Elementwise.set(count: perStep, value: 0, into: staticGates.diff)
    for step in 0..<timesteps {
      BLAS.axpy(count: perStep, alpha: 1, x: gates.diff + step * perStep, y: staticGates.diff)
    }
    if propagatesToParameter(2) {
      // dW_static (G, K_s) += dstaticᵀ (G, N) · x_static (N, K_s).
      BLAS.gemm(
        transA: true, transB: false, m: g, n: staticCount, k: n, alpha: 1, a: staticGates.diff,
        b: bottom[2].data, beta: 1, c: blobs[2].diff)
    }
    if propagateDown[2] {
      // dx_static (N, K_s) = dstatic (N, G) · W_static (G, K_s).
      BLAS.gemm(
        transA: false, transB: false, m: n, n: staticCount, k: g, alpha: 1,
        a: staticGates.diff, b: blobs[2].data, beta: 0, c: bottom[2].diff)
    }
  }
}
