// Learning-rate policies against their formulas, and their parameter checks.

import Caffe
import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct SolverLearningRateTests {
  private func solverParam(_ policy: String, _ edit: (inout SolverParameter) -> Void = { _ in })
    -> SolverParameter
  {
    var param = SolverParameter()
    param.lrPolicy = policy
    param.baseLr = 0.01
    param.gamma = 0.1
    param.power = 0.75
    param.stepsize = 100
    param.maxIter = 1000
    edit(&param)
    return param
  }

  private func rate(_ param: SolverParameter, _ iteration: Int, step: inout Int) throws -> Double {
    Double(
      try LearningRatePolicy(param).rate(param: param, iteration: iteration, currentStep: &step))
  }

  @Test(arguments: [0, 1, 99, 100, 250, 999])
  func policiesFollowTheirFormulas(iteration: Int) throws {
    let t = Double(iteration)
    let expected: [(String, Double)] = [
      ("fixed", 0.01),
      ("step", 0.01 * pow(0.1, floor(t / 100))),
      ("exp", 0.01 * pow(0.1, t)),
      ("inv", 0.01 * pow(1 + 0.1 * t, -0.75)),
      ("poly", 0.01 * pow(1 - t / 1000, 0.75)),
      ("sigmoid", 0.01 / (1 + exp(-0.1 * (t - 100)))),
    ]
    for (policy, value) in expected {
      var step = 0
      let actual = try rate(solverParam(policy), iteration, step: &step)
      // poly computes 1 − t/max_iter in float, as Caffe does: near max_iter that cancels.
      let tolerance = policy == "poly" ? 1e-4 : 1e-6
      // Rates below float's smallest normal number underflow, in Caffe as here.
      let floor = Double(Float.leastNormalMagnitude)
      #expect(abs(actual - value) <= tolerance * abs(value) + floor, "\(policy) at \(iteration)")
    }
  }

  @Test func stepSetsCurrentStep() throws {
    var step = 0
    _ = try rate(solverParam("step"), 250, step: &step)
    #expect(step == 2)
  }

  @Test func multistepAdvancesOneStepPerStepValueReached() throws {
    let param = solverParam("multistep") { $0.stepvalue = [10, 20] }
    var step = 0
    var rates: [Double] = []
    for iteration in [0, 9, 10, 11, 20, 30] {
      rates.append(try rate(param, iteration, step: &step))
    }
    #expect(step == 2)
    let expected = [0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001]
    for (actual, value) in zip(rates, expected) {
      #expect(abs(actual - value) <= 1e-9)
    }
  }

  @Test func multistepLogsItsStatus() throws {
    let lines = LogCapture()
    let param = solverParam("multistep") { $0.stepvalue = [5] }
    var step = 0
    lines.capture { _ = try? rate(param, 5, step: &step) }
    #expect(lines.messages.contains("MultiStep Status: Iteration 5, step = 1"))
  }

  @Test func inverseDecayPrintsCaffesDigits() throws {
    let param = solverParam("inv") { $0.gamma = 0.0001 }
    var step = 0
    let value = try LearningRatePolicy(param).rate(param: param, iteration: 100, currentStep: &step)
    #expect(formatG(value) == "0.00992565")
  }

  @Test func unknownPolicyIsRejected() {
    #expect(throws: CaffeError.self) { try LearningRatePolicy(solverParam("cosine")) }
    do {
      _ = try LearningRatePolicy(solverParam("cosine"))
    } catch {
      #expect("\(error)".hasPrefix("Unknown learning rate policy: cosine"))
    }
  }

  @Test(arguments: ["step", "sigmoid"])
  func stepsizeMustBePositive(policy: String) {
    #expect(throws: CaffeError.self) {
      try LearningRatePolicy(solverParam(policy) { $0.stepsize = 0 })
    }
  }

  @Test(arguments: ["step", "exp", "inv", "multistep", "sigmoid"])
  func gammaMustNotBeNegative(policy: String) {
    #expect(throws: CaffeError.self) {
      try LearningRatePolicy(solverParam(policy) { $0.gamma = -1 })
    }
  }
}
