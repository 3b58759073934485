// Every solver's update in double precision, written out from the formulas (Caffe's
// sgd_solvers.hpp docs and test_gradient_based_solver.cpp), plus the gradients of the two test
// problems: the tiny softmax net and Caffe's least-squares net.

import Caffe
import CaffeProto
import Foundation

/// A solver in doubles over flat parameter arrays, one per learnable parameter.
struct ReferenceSolver {
  let type: String
  let param: SolverParameter
  var parameters: [[Double]]
  /// `historyPerParameter` arrays per parameter: all first ones, then all second ones.
  var history: [[Double]]
  let lrMults: [Double]
  let decayMults: [Double]
  var iteration = 0

  /// Starts from the net's current weights, with zero history, for `param.type`.
  init(param: SolverParameter, net: Net) {
    type = param.type
    self.param = param
    let weights = net.learnableParams.map { $0.dataArray.map(Double.init) }
    let perParameter = ["AdaDelta", "Adam"].contains(type) ? 2 : 1
    parameters = weights
    history = (0..<perParameter).flatMap { _ in weights.map { $0.map { _ in 0.0 } } }
    lrMults = net.paramsLr.map(Double.init)
    decayMults = net.paramsWeightDecay.map(Double.init)
  }

  /// One update from the summed gradients of the `iter_size` passes (fixed rate).
  mutating func step(gradients: [[Double]]) {
    var gradients = gradients.map { $0.map { $0 / Double(param.iterSize) } }
    let norm = gradients.joined().map { $0 * $0 }.reduce(0, +).squareRoot()
    let clip = Double(param.clipGradients)
    if clip >= 0, norm > clip { gradients = gradients.map { $0.map { $0 * clip / norm } } }
    for i in parameters.indices {
      let decay = Double(param.weightDecay) * decayMults[i]
      for j in parameters[i].indices {
        let w = parameters[i][j]
        let regulariser = param.regularizationType == "L1" ? (w > 0 ? 1 : (w < 0 ? -1 : 0)) : w
        let g = gradients[i][j] + decay * regulariser
        parameters[i][j] -= updateValue(i, j, g: g, rate: Double(param.baseLr) * lrMults[i])
      }
    }
    iteration += 1
  }

  /// The value subtracted from parameter i's element j, updating the history.
  private mutating func updateValue(_ i: Int, _ j: Int, g: Double, rate: Double) -> Double {
    let momentum = Double(param.momentum)
    let delta = Double(param.delta)
    let h = history[i][j]
    let second = history.count > parameters.count ? history[parameters.count + i][j] : 0
    switch type {
    case "Nesterov":
      history[i][j] = momentum * h + rate * g
      return (1 + momentum) * history[i][j] - momentum * h
    case "AdaGrad":
      history[i][j] = h + g * g
      return rate * g / (history[i][j].squareRoot() + delta)
    case "RMSProp":
      let decay = Double(param.rmsDecay)
      history[i][j] = decay * h + (1 - decay) * g * g
      return rate * g / (history[i][j].squareRoot() + delta)
    case "AdaDelta":
      history[i][j] = momentum * h + (1 - momentum) * g * g
      let step = g * ((second + delta) / (history[i][j] + delta)).squareRoot()
      history[parameters.count + i][j] = momentum * second + (1 - momentum) * step * step
      return rate * step
    case "Adam":
      let beta2 = Double(param.momentum2)
      let t = Double(iteration + 1)
      history[i][j] = momentum * h + (1 - momentum) * g
      history[parameters.count + i][j] = beta2 * second + (1 - beta2) * g * g
      let correction = (1 - pow(beta2, t)).squareRoot() / (1 - pow(momentum, t))
      return rate * correction * history[i][j]
        / (history[parameters.count + i][j].squareRoot() + delta)
    default:
      history[i][j] = momentum * h + rate * g
      return history[i][j]
    }
  }
}

/// Gradients of the two test problems with respect to [weights (K·D, row-major), bias (K)].
enum ReferenceGradient {
  /// The rows of a (N, D) blob and the values of a (N) blob, as doubles.
  static func rows(_ blob: Blob) -> [[Double]] {
    let d = blob.count / blob.shape[0]
    let values = blob.dataArray.map(Double.init)
    return (0..<blob.shape[0]).map { n in Array(values[(n * d)..<((n + 1) * d)]) }
  }

  /// Softmax loss of x·Wᵀ + b averaged over the N rows, with integer labels y.
  static func softmax(x: [[Double]], y: [Int], parameters: [[Double]]) -> [[Double]] {
    let (weights, bias) = (parameters[0], parameters[1])
    let d = x.first?.count ?? 0
    var gw = weights.map { _ in 0.0 }
    var gb = bias.map { _ in 0.0 }
    for (row, label) in zip(x, y) {
      let z = bias.indices.map { k in
        (0..<d).map { weights[k * d + $0] * row[$0] }.reduce(0, +) + bias[k]
      }
      let top = z.max() ?? 0
      let e = z.map { exp($0 - top) }
      let sum = e.reduce(0, +)
      for k in z.indices {
        let dz = (e[k] / sum - (k == label ? 1 : 0)) / Double(x.count)
        gb[k] += dz
        for j in 0..<d { gw[k * d + j] += dz * row[j] }
      }
    }
    return [gw, gb]
  }

  /// Euclidean loss ‖x·w + b − y‖² / (2N) of a single output (Caffe's least-squares test).
  static func leastSquares(x: [[Double]], y: [Double], parameters: [[Double]]) -> [[Double]] {
    let (weights, bias) = (parameters[0], parameters[1][0])
    var gw = weights.map { _ in 0.0 }
    var gb = 0.0
    for (row, target) in zip(x, y) {
      let residual = (zip(weights, row).map(*).reduce(0, +) + bias - target) / Double(x.count)
      gb += residual
      for j in row.indices { gw[j] += residual * row[j] }
    }
    return [gw, [gb]]
  }
}
