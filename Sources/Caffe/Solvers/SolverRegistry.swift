// The table from solver type strings (`type: "SGD"`) to solver classes.

import CaffeProto
import CaffeSupport

/// Creates solvers from `SolverParameter.type`, as Caffe's SolverRegistry does.
public enum SolverRegistry {
  /// Makes a solver (and its nets) from its definition.
  typealias Factory = (SolverParameter) throws -> Solver

  /// Every registered solver type, one line each.
  static let entries: [(type: String, make: Factory)] = [
    (SGDSolver.type, { try SGDSolver($0) })
  ]

  /// The registered type strings, sorted.
  public static var knownTypes: [String] { entries.map(\.type).sorted() }

  /// Creates the solver `param.type` names (default "SGD") and builds its nets.
  /// - Throws: `CaffeError.invalidSolver` for an unknown type (listing the known ones), or what
  ///   the solver's initialiser throws.
  public static func makeSolver(_ param: SolverParameter) throws -> Solver {
    guard let entry = entries.first(where: { $0.type == param.type }) else {
      throw CaffeError.invalidSolver(
        reason: "Unknown solver type: \(param.type) (known types: "
          + knownTypes.joined(separator: ", ") + ")")
    }
    return try entry.make(param)
  }
}
