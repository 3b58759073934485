// Solvers: the deprecated `solver_type` enum turned into the `type` string.

import CaffeSupport

extension ProtoUpgrade {
  /// Whether `solver` sets the deprecated `solver_type` enum.
  public static func solverNeedsUpgrade(_ solver: SolverParameter) -> Bool {
    solver.hasSolverType
  }

  /// Replaces `solver_type: ENUM` by the equivalent `type` string (`ADAGRAD` → "AdaGrad"),
  /// logging as Caffe does; a solver without `solver_type` comes back unchanged.
  ///
  /// Caffe refuses a solver that sets both fields; here both are accepted when they name the
  /// same solver.
  ///
  /// - Parameters:
  ///   - solver: The solver as read.
  ///   - source: The file it came from, for the log lines and errors.
  /// - Returns: The solver with `type` set and `solver_type` cleared.
  /// - Throws: `CaffeError.invalidSolver` when `solver_type` and `type` name different solvers.
  public static func upgradeSolver(
    _ solver: SolverParameter, source: String
  ) throws -> SolverParameter {
    guard solverNeedsUpgrade(solver) else { return solver }
    Log.info(
      "Attempting to upgrade input file specified using deprecated 'solver_type' field (enum)': "
        + source)
    let name = solverTypeName(solver.solverType)
    if solver.hasType && solver.type != name {
      throw CaffeError.invalidSolver(
        reason: "\(source): Failed to upgrade solver: the deprecated solver_type field "
          + "(\(name)) and the type field (\"\(solver.type)\") name different solvers; "
          + "remove solver_type")
    }
    var result = solver
    result.type = name
    result.clearSolverType()
    Log.info(
      "Successfully upgraded file specified using deprecated 'solver_type' field (enum) to "
        + "'type' field (string).")
    Log.warning(
      "Note that future Caffe releases will only support 'type' field (string) for a solver's "
        + "type.")
    return result
  }

  /// The `type` string of a deprecated `solver_type` value (`RMSPROP` → "RMSProp").
  static func solverTypeName(_ type: SolverParameter.SolverType) -> String {
    switch type {
    case .sgd: return "SGD"
    case .nesterov: return "Nesterov"
    case .adagrad: return "AdaGrad"
    case .rmsprop: return "RMSProp"
    case .adadelta: return "AdaDelta"
    case .adam: return "Adam"
    }
  }
}
