// The table from solver type strings (`type: "SGD"`) to solver classes.

import CaffeProto
import CaffeSupport

/// Creates solvers from `SolverParameter.type`, as Caffe's SolverRegistry does.
public enum SolverRegistry {
  /// Every registered solver class, one line each, alphabetical.
  static let classes: [SGDSolver.Type] = [
    AdaDeltaSolver.self,
    AdaGradSolver.self,
    AdamSolver.self,
    NesterovSolver.self,
    RMSPropSolver.self,
    SGDSolver.self,
  ]

  /// The registered type strings, sorted.
  public static var knownTypes: [String] { classes.map { $0.type }.sorted() }

  /// The registered types that keep `count` history blobs per learnable parameter, sorted.
  static func types(withHistoryPerParameter count: Int) -> [String] {
    classes.filter { $0.historyPerParameter == count }.map { $0.type }.sorted()
  }

  /// Creates the solver `param.type` names (default "SGD"; a deprecated `solver_type` enum is
  /// upgraded first) and builds its nets.
  /// - Throws: `CaffeError.invalidSolver` for an unknown type (listing the known ones) or a
  ///   `solver_type` that contradicts `type`, or what the solver's initialiser throws.
  public static func makeSolver(_ param: SolverParameter) throws -> Solver {
    let param = try ProtoUpgrade.upgradeSolver(param, source: "solver")
    guard let solverClass = classes.first(where: { $0.type == param.type }) else {
      throw CaffeError.invalidSolver(
        reason: "Unknown solver type: \(param.type) (known types: "
          + knownTypes.joined(separator: ", ") + ")")
    }
    return try solverClass.init(param)
  }
}
