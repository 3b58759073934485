// SGDSolver: stochastic gradient descent with momentum, weight decay and gradient clipping.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// Caffe's `SGD` solver: gradient descent with momentum, weight decay and gradient clipping.
///
/// For each learnable parameter w with gradient g (its diff),
///
///     v ← momentum · v + lr · lr_mult · g,    w ← w − v
///
/// where v is the parameter's history blob and lr comes from ``LearningRatePolicy``. Before
/// that, gradients are clipped globally (`clip_gradients`), divided by `iter_size`, and
/// regularised: L2 adds `weight_decay · decay_mult · w`, L1 adds
/// `weight_decay · decay_mult · sign(w)`.
open class SGDSolver: Solver {
  override open class var type: String { "SGD" }

  /// The learning-rate schedule.
  public let policy: LearningRatePolicy
  /// One history blob (the momentum term v) per learnable parameter, shaped like it.
  public private(set) var history: [Blob] = []
  private var signBuffers: [Blob] = []

  /// Builds the nets (see ``Solver/init(_:)``) and zeroed history blobs.
  /// - Throws: what ``Solver/init(_:)`` throws, or `CaffeError.invalidSolver` for an unknown
  ///   `lr_policy` or `regularization_type`, or bad policy fields.
  public override init(_ param: SolverParameter) throws {
    policy = try LearningRatePolicy(param)
    guard ["L1", "L2"].contains(param.regularizationType) else {
      throw CaffeError.invalidSolver(
        reason: "Unknown regularization type: \(param.regularizationType) (known: L1, L2)")
    }
    try super.init(param)
    for blob in net.learnableParams {
      history.append(try Blob(shape: blob.shape))
      signBuffers.append(try Blob(shape: param.regularizationType == "L1" ? blob.shape : []))
    }
  }

  /// The learning rate for the current iteration (updates ``Solver/currentStep``).
  public func learningRate() -> Float {
    policy.rate(param: param, iteration: iteration, currentStep: &currentStep)
  }

  /// Computes the rate, logs it on display iterations (`Iteration I, lr = R`), clips, then
  /// for each parameter normalises, regularises and computes the momentum update, applies
  /// all updates and increments the iteration.
  override open func applyUpdate() throws {
    let rate = learningRate()
    if param.display > 0, iteration % Int(param.display) == 0 {
      Log.info("Iteration \(iteration), lr = \(formatG(rate))")
    }
    clipGradients()
    for index in net.learnableParams.indices {
      normalize(index)
      regularize(index)
      computeUpdateValue(index, rate: rate)
    }
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
      let signs = signBuffers[index].data
      Elementwise.sign(count: blob.count, x: blob.data, into: signs)
      BLAS.axpy(count: blob.count, alpha: decay, x: signs, y: blob.diff)
    }
  }

  /// v ← momentum · v + rate · lr_mult · g, then the diff becomes v.
  func computeUpdateValue(_ index: Int, rate: Float) {
    let blob = net.learnableParams[index]
    let localRate = rate * net.paramsLr[index]
    let velocity = history[index].data
    BLAS.axpby(count: blob.count, alpha: localRate, x: blob.diff, beta: param.momentum, y: velocity)
    blob.diff.update(from: velocity, count: blob.count)
  }

  // MARK: - Snapshots

  override open func saveHistory(into state: inout SolverState) {
    state.history = history.map { $0.toProto() }
  }

  override open func restoreHistory(from state: SolverState, path: String) throws {
    guard state.history.count == history.count else {
      throw CaffeError.invalidSolver(
        reason: "\(path) has \(state.history.count) history blobs, \(Self.type) needs "
          + "\(history.count) (one per learnable parameter)"
          + (state.history.isEmpty ? " — did you pass a .caffemodel to --snapshot?" : ""))
    }
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
}
