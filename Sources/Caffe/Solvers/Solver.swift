// Solver: the training loop shared by every optimisation method (test, display, update, snapshot).

import CaffeKernels
import CaffeProto
import CaffeSupport

/// What a training run does when the user asks it to (SIGINT or SIGHUP in `caffe train`).
public enum SolverAction: String, CaseIterable, Sendable {
  /// Keep going.
  case none
  /// Snapshot, then stop training (with a final snapshot if `snapshot_after_train`).
  case stop
  /// Write a snapshot and keep going.
  case snapshot
}

/// Trains a net as Caffe's `Solver` does: builds the train and test nets from a
/// `SolverParameter`, then repeats test → forward/backward → update → snapshot.
///
/// Subclasses implement the update rule (``applyUpdate()``) and the history they keep
/// (``saveHistory(into:)``, ``restoreHistory(from:path:)``). Iterations are 0-based and count
/// weight updates: after `max_iter` updates ``iteration`` equals `max_iter`.
open class Solver {
  /// The solver definition (`snapshot_prefix` already resolved).
  public let param: SolverParameter
  /// The net being trained (phase TRAIN).
  public let net: Net
  /// The nets evaluated every `test_interval` iterations (phase TEST), sharing `net`'s weights.
  public let testNets: [Net]
  /// The number of weight updates done so far.
  public internal(set) var iteration = 0
  /// Caffe's `current_step` (the multistep/step stage of the learning rate).
  public var currentStep = 0
  /// Asked after every iteration and before every test batch whether to stop or snapshot.
  public var actionRequest: (() -> SolverAction)?
  /// Set when a stop was requested; the run ends early.
  public internal(set) var requestedEarlyExit = false
  /// The `.solverstate` (or `.solverstate.h5`) last written by ``snapshot()`` or resumed from
  /// by ``restore(from:)``, with its iteration and the training loss then; nil before either.
  public internal(set) var lastSnapshot: (path: String, state: String)?

  var losses: [Float] = []
  var smoothedLoss: Float = 0
  var iterationsLast: Float = 0
  var iterationTimer = Stopwatch()

  /// The solver's type string, such as "SGD".
  open class var type: String { "" }

  /// Whether the update divides by a running magnitude plus `delta` (AdaGrad, RMSProp,
  /// AdaDelta, Adam).
  open class var dividesByDelta: Bool { false }

  /// Builds the train net and the test nets and seeds the random generator.
  ///
  /// Logs `Initializing solver from parameters:` and `Solver scaffolding done.` as Caffe does.
  /// - Throws: `CaffeError.invalidSolver` for inconsistent fields (train net given zero or
  ///   several times, `test_iter` / `test_state` counts, `average_loss` < 1, `iter_size` < 1,
  ///   an unwritable `snapshot_prefix`), or what reading and building the nets throws.
  public init(_ param: SolverParameter) throws {
    Log.info("Initializing solver from parameters: \n" + Prototxt.encode(param))
    self.param = param
    try Self.validate(param)
    try SnapshotWriter.checkWritable(param)
    if param.randomSeed >= 0 {
      Runtime.setRandomSeed(UInt64(param.randomSeed))
    }
    net = try Self.makeTrainNet(param)
    testNets = try Self.makeTestNets(param)
    Log.info("Solver scaffolding done.")
  }

  private static func validate(_ param: SolverParameter) throws {
    guard param.averageLoss >= 1 else {
      throw CaffeError.invalidSolver(
        reason: "average_loss must be at least 1 (given \(param.averageLoss))")
    }
    guard param.iterSize >= 1 else {
      throw CaffeError.invalidSolver(
        reason: "iter_size must be at least 1 (given \(param.iterSize))")
    }
  }

  // MARK: - Hooks for the optimisation methods

  /// Turns the accumulated parameter diffs into an update, applies it and increments
  /// ``iteration``.
  /// - Throws: what the method's checks throw.
  open func applyUpdate() throws {
    throw CaffeError.invalidSolver(reason: "solver type \(Self.type) has no update rule")
  }

  /// Stores the method's history blobs in `state`.
  open func saveHistory(into state: inout SolverState) {}

  /// The number of history blobs the method keeps (0 for a method without history).
  open var historyCount: Int { 0 }

  /// The learning rate the next update will use, without advancing the schedule (`base_lr`
  /// for a method without a schedule).
  open func plannedLearningRate() -> Float { param.baseLr }

  /// Loads the method's history blobs from `state`, read from `path`.
  /// - Throws: `CaffeError.invalidSolver` when the state does not fit this solver.
  open func restoreHistory(from state: SolverState, path: String) throws {}

  // MARK: - Training

  /// Trains from ``iteration`` to `max_iter`, then snapshots (`snapshot_after_train`), shows
  /// the final loss and runs the final test as Caffe does.
  ///
  /// Logs `Solving <net>`, `Learning Rate Policy: <policy>` and, at the end,
  /// `Optimization Done.` (or `Optimization stopped early.`).
  /// - Throws: what the layers, the update or writing snapshots throw.
  public func solve() throws {
    Log.info("Solving \(net.name)")
    Log.info("Learning Rate Policy: \(param.lrPolicy)")
    requestedEarlyExit = false
    let startIteration = iteration
    try step(Int(param.maxIter) - iteration)
    let snapshotInterval = Int(param.snapshot)
    if param.snapshotAfterTrain, snapshotInterval == 0 || iteration % snapshotInterval != 0 {
      try snapshot()
    }
    if requestedEarlyExit {
      Log.info("Optimization stopped early.")
      return
    }
    if param.display > 0, iteration % Int(param.display) == 0 {
      let loss = try net.forward()
      updateSmoothedLoss(loss, startIteration: startIteration)
      Log.info("Iteration \(iteration), loss = \(formatG(smoothedLoss))")
    }
    if param.testInterval > 0, iteration % Int(param.testInterval) == 0 {
      try testAll()
    }
    Log.info("Optimization Done.")
  }

  /// Runs `count` iterations (fewer if a stop is requested).
  /// - Throws: what the layers, the update or writing snapshots throw; `CaffeError.numerical`
  ///   when a loss, gradient or weight becomes NaN or infinite (naming the iteration and the
  ///   first layer it appeared in), before any snapshot of the bad weights is written.
  public func step(_ count: Int) throws {
    let startIteration = iteration
    let stopIteration = iteration + count
    losses.removeAll()
    smoothedLoss = 0
    iterationTimer.restart()
    while iteration < stopIteration {
      net.clearParamDiffs()
      if isTestIteration {
        try testAll()
        if requestedEarlyExit { break }
      }
      let display = param.display > 0 && iteration % Int(param.display) == 0
      net.debugInfo = display && param.debugInfo
      reseedForIteration()
      var loss: Float = 0
      for _ in 0..<Int(param.iterSize) {
        let passLoss = try net.forwardBackward()
        try checkPassIsFinite(loss: passLoss)
        loss += passLoss
      }
      loss /= Float(param.iterSize)
      updateSmoothedLoss(loss, startIteration: startIteration)
      if display { logTrainOutputs() }
      try applyUpdate()
      try checkParametersAreFinite()
      let request = actionRequest?() ?? .none
      let snapshotInterval = Int(param.snapshot)
      if (snapshotInterval > 0 && iteration % snapshotInterval == 0) || request == .snapshot {
        try snapshot()
      }
      if request == .stop {
        requestedEarlyExit = true
        break
      }
    }
  }

  private var isTestIteration: Bool {
    param.testInterval > 0 && iteration % Int(param.testInterval) == 0
      && (iteration > 0 || param.testInitialization)
  }

  /// With a `random_seed`, makes each iteration's randomness (dropout, data transforms drawn
  /// from ``Runtime``) a function of the seed and the iteration alone, so a run resumed from a
  /// snapshot draws exactly what the uninterrupted run drew.
  private func reseedForIteration() {
    guard param.randomSeed >= 0 else { return }
    let seed = UInt64(param.randomSeed) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(iteration)
    Runtime.setRandomSeed(seed)
  }

  /// Averages the last `average_loss` losses with Caffe's float running update.
  func updateSmoothedLoss(_ loss: Float, startIteration: Int) {
    let window = Int(param.averageLoss)
    if losses.count < window {
      losses.append(loss)
      let size = Float(losses.count)
      smoothedLoss = (smoothedLoss * (size - 1) + loss) / size
    } else {
      let index = (iteration - startIteration) % window
      smoothedLoss += (loss - losses[index]) / Float(window)
      losses[index] = loss
    }
  }

  /// Logs `Iteration I (X iter/s, Ys/N iters), loss = L` and one `Train net output` line per
  /// element of each output blob.
  private func logTrainOutputs() {
    let lapse = iterationTimer.seconds
    let perSecond = (Float(iteration) - iterationsLast) / (lapse != 0 ? lapse : 1)
    Log.info(
      "Iteration \(iteration) (\(formatG(perSecond)) iter/s, \(formatG(lapse))s/"
        + "\(param.display) iters), loss = \(formatG(smoothedLoss))")
    iterationTimer.restart()
    iterationsLast = Float(iteration)
    for (index, line) in net.outputLines().enumerated() {
      Log.info("    Train net output #\(index): \(line)")
    }
  }
}
