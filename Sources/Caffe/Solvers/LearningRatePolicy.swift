// Learning-rate policies: the rate (per iteration) as a function of the iteration number.

import CaffeProto
import CaffeSupport
import Foundation

/// The learning-rate schedule named by `lr_policy`, with Caffe's formulas and checks.
///
/// With `base_lr` = b, `gamma` = γ, `power` = p, `stepsize` = s and iteration t (0-based):
/// - `fixed`: b
/// - `step`: b · γ^⌊t / s⌋
/// - `exp`: b · γ^t
/// - `inv`: b · (1 + γ·t)^(−p)
/// - `multistep`: b · γ^k, where k (`current_step`) counts the `stepvalue`s already reached
/// - `poly`: b · (1 − t / `max_iter`)^p
/// - `sigmoid`: b / (1 + e^(−γ·(t − s)))
///
/// The arithmetic mirrors Caffe's float/double mix so logged rates print the same digits.
public enum LearningRatePolicy: String, CaseIterable, Sendable {
  case fixed, step, exp, inv, multistep, poly, sigmoid

  /// Reads and validates `lr_policy` and the fields its formula uses.
  ///
  /// - Throws: `CaffeError.invalidSolver` for a missing or unknown policy, `stepsize` ≤ 0 (step,
  ///   sigmoid) or `gamma` < 0 (every policy that uses it).
  public init(_ param: SolverParameter) throws {
    guard let policy = LearningRatePolicy(rawValue: param.lrPolicy) else {
      let problem =
        param.lrPolicy.isEmpty
        ? "The solver sets no lr_policy" : "Unknown learning rate policy: \(param.lrPolicy)"
      throw CaffeError.invalidSolver(
        reason: problem + " (known policies: "
          + Self.allCases.map(\.rawValue).joined(separator: ", ") + ")")
    }
    if policy == .step || policy == .sigmoid, param.stepsize <= 0 {
      throw CaffeError.invalidSolver(
        reason: "lr_policy \"\(policy.rawValue)\" needs stepsize > 0 (given \(param.stepsize))")
    }
    if policy.usesGamma, param.gamma < 0 {
      throw CaffeError.invalidSolver(
        reason: "lr_policy \"\(policy.rawValue)\" needs gamma >= 0 (given "
          + "\(formatG(param.gamma)))")
    }
    self = policy
  }

  private var usesGamma: Bool {
    switch self {
    case .fixed, .poly: return false
    case .step, .exp, .inv, .multistep, .sigmoid: return true
    }
  }

  /// The learning rate for `iteration`.
  ///
  /// - Parameters:
  ///   - param: the solver definition (`base_lr`, `gamma`, `power`, `stepsize`, `stepvalue`,
  ///     `max_iter`).
  ///   - iteration: the 0-based iteration about to update the weights.
  ///   - currentStep: Caffe's `current_step`: set to ⌊t / s⌋ by `step`; advanced (and logged as
  ///     `MultiStep Status: Iteration I, step = S`) by `multistep` when t reaches the next
  ///     `stepvalue`; saved in solver states.
  ///   - log: whether to log the `MultiStep Status` line (false to peek at the rate without
  ///     logging).
  /// - Returns: the rate, in units of the parameter per unit of gradient.
  public func rate(
    param: SolverParameter, iteration: Int, currentStep: inout Int, log: Bool = true
  ) -> Float {
    let base = param.baseLr
    switch self {
    case .fixed:
      return base
    case .step:
      currentStep = iteration / Int(param.stepsize)
      return Float(Double(base) * pow(Double(param.gamma), Double(currentStep)))
    case .exp:
      return Float(Double(base) * pow(Double(param.gamma), Double(iteration)))
    case .inv:
      return base * powf(1 + param.gamma * Float(iteration), -param.power)
    case .multistep:
      if currentStep < param.stepvalue.count, iteration >= Int(param.stepvalue[currentStep]) {
        currentStep += 1
        if log { Log.info("MultiStep Status: Iteration \(iteration), step = \(currentStep)") }
      }
      return Float(Double(base) * pow(Double(param.gamma), Double(currentStep)))
    case .poly:
      return base * powf(1 - Float(iteration) / Float(param.maxIter), param.power)
    case .sigmoid:
      let exponent = -param.gamma * (Float(iteration) - Float(param.stepsize))
      return base * (1 / (1 + expf(exponent)))
    }
  }
}
