// Running a solver from code: loading it from a file, and a callback after every iteration.

import CaffeProto

extension Solver {
  /// Reads a solver .prototxt (legacy fields upgraded, `snapshot_prefix` resolved as Caffe
  /// does) and creates the solver its `type` names, with its train and test nets, as pycaffe's
  /// `caffe.get_solver(path)`.
  ///
  /// Relative net paths in the file are taken from the current directory, as in Caffe.
  /// - Parameter path: The solver definition.
  /// - Returns: The solver, at iteration 0.
  /// - Throws: `CaffeError.io` / `.prototxt` for unreadable files; what
  ///   ``SolverRegistry/makeSolver(_:)`` throws.
  public static func load(prototxt path: String) throws -> Solver {
    try SolverRegistry.makeSolver(try ProtoUpgrade.readSolverText(path: path))
  }

  /// The training loss averaged over the last `average_loss` iterations of the current
  /// ``step(_:)`` call (the value Caffe displays).
  public var smoothedTrainingLoss: Float { smoothedLoss }

  /// Runs `count` iterations as ``step(_:)`` does, calling `body` once after each weight
  /// update (``iteration`` already counts it), before any snapshot of that iteration.
  ///
  /// ```swift
  /// var losses: [Float] = []
  /// try solver.step(100) { solver in
  ///   losses.append(solver.smoothedTrainingLoss)
  ///   return solver.smoothedTrainingLoss < 0.05 ? .stop : .none
  /// }
  /// ```
  /// `body` may ask for a snapshot (`.snapshot`) or an early stop (`.stop`); its answer is
  /// combined with the solver's own ``actionRequest`` (a stop from either wins).
  /// - Parameters:
  ///   - count: The number of iterations.
  ///   - body: Called with this solver after each iteration.
  /// - Throws: What ``step(_:)`` throws, or the first error `body` throws (which stops the run
  ///   after that iteration).
  public func step(_ count: Int, onIteration body: (Solver) throws -> SolverAction) throws {
    try withIterationCallback(body) { try step(count) }
  }

  /// Trains to `max_iter` as ``solve()`` does, calling `body` after each weight update.
  ///
  /// - Parameter body: Called with this solver after each iteration; see
  ///   ``step(_:onIteration:)``.
  /// - Throws: What ``solve()`` throws, or the first error `body` throws.
  public func solve(onIteration body: (Solver) throws -> SolverAction) throws {
    try withIterationCallback(body) { try solve() }
  }

  /// Runs `run` with ``actionRequest`` temporarily wrapped so that `body` sees each iteration
  /// once.
  ///
  /// The solver asks ``actionRequest`` after every update and again before each test batch;
  /// `body` runs only when ``iteration`` has moved since its last call, so test batches do not
  /// call it again.
  private func withIterationCallback(
    _ body: (Solver) throws -> SolverAction, run: () throws -> Void
  ) throws {
    let previous = actionRequest
    var failure: Error?
    try withoutActuallyEscaping(body) { callback in
      defer { actionRequest = previous }
      var lastSeen = iteration
      actionRequest = { [unowned self] in
        let earlier = previous?() ?? .none
        guard iteration != lastSeen, failure == nil else { return earlier }
        lastSeen = iteration
        do {
          let mine = try callback(self)
          return earlier == .stop || mine == .stop ? .stop : (mine == .none ? earlier : mine)
        } catch {
          failure = error
          return .stop
        }
      }
      try run()
    }
    if let failure { throw failure }
  }
}
