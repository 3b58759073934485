// SGDSolver: stochastic gradient descent with momentum, and the base of every other method.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// Caffe's `SGD` solver: gradient descent with momentum, weight decay and gradient clipping,
/// and the base class of the other methods (Nesterov, AdaGrad, RMSProp, AdaDelta, Adam).
///
/// For each learnable parameter w with gradient g (its diff),
///
///     v ← momentum · v + lr · lr_mult · g,    w ← w − v
///
/// where v is the parameter's history blob and lr comes from ``LearningRatePolicy``. Before
/// that, gradients are clipped globally (`clip_gradients`), divided by `iter_size`, and
/// regularised: L2 adds `weight_decay · decay_mult · w`, L1 adds
/// `weight_decay · decay_mult · sign(w)`. Subclasses replace only
/// ``computeUpdateValue(_:rate:)``.
open class SGDSolver: Solver {
  override open class var type: String { "SGD" }

  /// How many history blobs the method keeps per learnable parameter (1; 2 for AdaDelta and
  /// Adam).
  ///
  /// History blob `k · P + i` (P learnable parameters) is the k-th one of parameter i,
  /// the order Caffe writes to solver states.
  open class var historyPerParameter: Int { 1 }

  /// The learning-rate schedule.
  public let policy: LearningRatePolicy
  /// ``historyPerParameter`` blobs per learnable parameter, each shaped like it (for SGD the
  /// momentum term v).
  public private(set) var history: [Blob] = []
  /// Scratch blobs shaped like each learnable parameter (Caffe's `update_`).
  var updateBuffers: [Blob] = []
  /// More scratch blobs shaped like each learnable parameter (Caffe's `temp_`).
  var tempBuffers: [Blob] = []

  /// Builds the nets (see ``Solver/init(_:)``) and zeroed history blobs.
  /// - Throws: what ``Solver/init(_:)`` throws, or `CaffeError.invalidSolver` for an unknown
  ///   `lr_policy` or `regularization_type`, or bad policy fields.
  public override required init(_ param: SolverParameter) throws {
    policy = try LearningRatePolicy(param)
    guard ["L1", "L2"].contains(param.regularizationType) else {
      throw CaffeError.invalidSolver(
        reason: "Unknown regularization type: \(param.regularizationType) (known: L1, L2)")
    }
    try super.init(param)
    for _ in 0..<Self.historyPerParameter {
      for blob in net.learnableParams { history.append(try Blob(shape: blob.shape)) }
    }
    for blob in net.learnableParams {
      updateBuffers.append(try Blob(shape: blob.shape))
      tempBuffers.append(try Blob(shape: blob.shape))
    }
  }

  /// The learning rate for the current iteration (updates ``Solver/currentStep``).
  public func learningRate() -> Float {
    policy.rate(param: param, iteration: iteration, currentStep: &currentStep)
  }

  override open func plannedLearningRate() -> Float {
    var step = currentStep
    return policy.rate(param: param, iteration: iteration, currentStep: &step, log: false)
  }

  /// Computes the rate, clips, then for each parameter normalises, regularises and computes the
  /// update value, applies all updates and increments the iteration.
  ///
  /// Display iterations log `Iteration I, lr = R` and, with `debug_info`, the `[Update]` lines
  /// (``Net/logUpdateDebugInfo()``).
  override open func applyUpdate() throws {
    let rate = learningRate()
    let display = param.display > 0 && iteration % Int(param.display) == 0
    if display {
      Log.info("Iteration \(iteration), lr = \(formatG(rate))")
    }
    clipGradients()
    for index in net.learnableParams.indices {
      normalize(index)
      regularize(index)
      computeUpdateValue(index, rate: rate)
    }
    if display && param.debugInfo { net.logUpdateDebugInfo() }
    net.update()
    iteration += 1
  }

  /// Scales all diffs by `clip_gradients / ‖g‖₂` when their global L2 norm exceeds
  /// `clip_gradients` (off when negative).
  func clipGradients() {
    let threshold = param.clipGradients
    guard threshold >= 0 else { return }
    var sumsq: Float = 0
    for blob in net.learnableParams { sumsq += blob.sumsqDiff }
    let norm = sumsq.squareRoot()
    guard norm > threshold else { return }
    let factor = threshold / norm
    Log.info(
      "Gradient clipping: scaling down gradients (L2 norm \(formatG(norm)) > "
        + "\(formatG(threshold))) by scale factor \(formatG(factor))")
    for blob in net.learnableParams { blob.scaleDiff(factor) }
  }

  /// Divides the accumulated diff by `iter_size`.
  func normalize(_ index: Int) {
    guard param.iterSize != 1 else { return }
    net.learnableParams[index].scaleDiff(1 / Float(param.iterSize))
  }

  /// Adds the weight-decay gradient: `decay · w` (L2) or `decay · sign(w)` (L1), with
  /// decay = `weight_decay · decay_mult`.
  func regularize(_ index: Int) {
    let blob = net.learnableParams[index]
    let decay = param.weightDecay * net.paramsWeightDecay[index]
    guard decay != 0 else { return }
    if param.regularizationType == "L2" {
      BLAS.axpy(count: blob.count, alpha: decay, x: blob.data, y: blob.diff)
    } else {
      let signs = tempBuffers[index].data
      Elementwise.sign(count: blob.count, x: blob.data, into: signs)
      BLAS.axpy(count: blob.count, alpha: decay, x: signs, y: blob.diff)
    }
  }

  /// Turns parameter `index`'s gradient (normalised, regularised, in its diff) into its update.
  ///
  /// The update is the value `net.update()` subtracts from the data. SGD:
  /// v ← momentum · v + rate · lr_mult · g, then the diff becomes v.
  open func computeUpdateValue(_ index: Int, rate: Float) {
    let blob = net.learnableParams[index]
    let localRate = rate * net.paramsLr[index]
    let velocity = history[index].data
    BLAS.axpby(count: blob.count, alpha: localRate, x: blob.diff, beta: param.momentum, y: velocity)
    blob.diff.update(from: velocity, count: blob.count)
  }

  // MARK: - Snapshots

  override open var historyCount: Int { history.count }

  override open func saveHistory(into state: inout SolverState) {
    state.history = history.map { $0.toProto() }
  }

  override open func restoreHistory(from state: SolverState, path: String) throws {
    try checkHistoryCount(state.history.count, path: path)
    Log.info("SGDSolver: restoring history")
    for (index, (blob, proto)) in zip(history, state.history).enumerated() {
      guard blob.shapeEquals(proto) else {
        throw CaffeError.invalidSolver(
          reason: "\(path): history blob \(index) has shape "
            + "\(CaffeError.shapeText(Blob.shape(of: proto))), the net's parameter has "
            + blob.shapeString)
      }
      try blob.load(from: proto, reshape: false)
    }
  }

  /// Checks that a state with `count` history blobs fits this method and net.
  /// - Throws: `CaffeError.invalidSolver` naming the count found, the count this solver needs,
  ///   and which methods the found count would fit.
  func checkHistoryCount(_ count: Int, path: String) throws {
    guard count != history.count else { return }
    let parameters = net.learnableParams.count
    var hint = ""
    if count == 0 {
      hint = " — did you pass a .caffemodel to --snapshot?"
    } else if parameters > 0, count % parameters == 0 {
      let perParameter = count / parameters
      let fitting = SolverRegistry.types(withHistoryPerParameter: perParameter)
      if let last = fitting.last {
        let names = fitting.dropLast().joined(separator: ", ") + (fitting.count > 1 ? " or " : "")
        hint = " — it fits \(names + last); set the solver's type to the one that wrote it"
      }
    }
    throw CaffeError.invalidSolver(
      reason: "\(path) has \(count) history blobs, \(Self.type) needs \(history.count) ("
        + (Self.historyPerParameter == 1 ? "one" : "\(Self.historyPerParameter)")
        + " per learnable parameter, \(parameters) parameters)" + hint)
  }
}
