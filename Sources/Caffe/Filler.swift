// Weight fillers: constant, uniform, gaussian, positive_unitball, xavier, msra, bilinear.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// Fills a parameter blob with initial values as `FillerParameter` describes.
///
/// Formulas follow Caffe's `filler.hpp`: fan_in = count / shape(0), fan_out = count / shape(1);
/// xavier draws U(−√(3/n), √(3/n)) and msra N(0, √(2/n)) with n chosen by `variance_norm`
/// (FAN_IN, FAN_OUT or their AVERAGE). Values come from ``Runtime``'s seeded generator.
public struct Filler {
  /// The filler definition.
  public let param: FillerParameter

  /// Validates `param`.
  /// - Throws: `CaffeError.invalidParameter` for an unknown type or `sparse` on a filler other
  ///   than gaussian.
  public init(_ param: FillerParameter) throws {
    let known = [
      "constant", "uniform", "gaussian", "positive_unitball", "xavier", "msra", "bilinear",
    ]
    guard known.contains(param.type) else {
      throw CaffeError.invalidParameter(
        layer: "", type: "filler", field: "type",
        reason: "unknown filler \"\(param.type)\"; known: \(known.joined(separator: ", "))")
    }
    guard param.sparse == -1 || param.type == "gaussian" else {
      throw CaffeError.invalidParameter(
        layer: "", type: "filler", field: "sparse",
        reason: "sparsity is only supported by the gaussian filler")
    }
    self.param = param
  }

  /// Overwrites `blob.data` with fresh values.
  /// - Throws: `CaffeError.invalidParameter` when the blob's shape does not suit the filler
  ///   (bilinear needs a 4-D blob with square kernels).
  public func fill(_ blob: Blob) throws {
    let count = blob.count
    guard count > 0 else { return }
    let data = blob.data
    switch param.type {
    case "constant":
      Elementwise.set(count: count, value: param.value, into: data)
    case "uniform":
      Runtime.withGenerator {
        Random.uniform(count: count, min: param.min, max: param.max, into: data, using: &$0)
      }
    case "gaussian":
      Runtime.withGenerator {
        Random.gaussian(count: count, mean: param.mean, std: param.std, into: data, using: &$0)
      }
      if param.sparse >= 0 { try sparsify(blob) }
    case "positive_unitball":
      try fillPositiveUnitball(blob)
    case "xavier":
      let limit = (3 / fanNorm(blob)).squareRoot()
      Runtime.withGenerator {
        Random.uniform(count: count, min: -limit, max: limit, into: data, using: &$0)
      }
    case "msra":
      let std = (2 / fanNorm(blob)).squareRoot()
      Runtime.withGenerator {
        Random.gaussian(count: count, mean: 0, std: std, into: data, using: &$0)
      }
    default:
      try fillBilinear(blob)
    }
  }

  /// n for xavier/msra from `variance_norm`.
  private func fanNorm(_ blob: Blob) -> Float {
    let count = Float(blob.count)
    let fanIn = blob.numAxes > 0 ? count / Float(max(blob.shape[0], 1)) : count
    let fanOut = blob.numAxes > 1 ? count / Float(max(blob.shape[1], 1)) : count
    switch param.varianceNorm {
    case .fanOut: return fanOut
    case .average: return (fanIn + fanOut) / 2
    default: return fanIn
    }
  }

  private func sparsify(_ blob: Blob) throws {
    guard blob.numAxes >= 1, blob.shape[0] > 0 else { return }
    let probability = Float(param.sparse) / Float(blob.shape[0])
    let mask = UnsafeMutablePointer<UInt32>.allocate(capacity: blob.count)
    defer { mask.deallocate() }
    Runtime.withGenerator {
      Random.bernoulli(count: blob.count, probability: probability, into: mask, using: &$0)
    }
    for i in 0..<blob.count where mask[i] == 0 { blob.data[i] = 0 }
  }

  private func fillPositiveUnitball(_ blob: Blob) throws {
    let count = blob.count
    Runtime.withGenerator {
      Random.uniform(count: count, min: 0, max: 1, into: blob.data, using: &$0)
    }
    let rows = blob.numAxes > 0 ? max(blob.shape[0], 1) : 1
    let width = count / rows
    for row in 0..<rows {
      let start = blob.data + row * width
      var sum: Float = 0
      for i in 0..<width { sum += start[i] }
      for i in 0..<width { start[i] /= sum }
    }
  }

  private func fillBilinear(_ blob: Blob) throws {
    guard blob.numAxes == 4, blob.shape[2] == blob.shape[3] else {
      throw CaffeError.invalidParameter(
        layer: "", type: "filler", field: "type",
        reason: "bilinear needs a 4-D blob with a square kernel, got shape \(blob.shape)")
    }
    let kernel = blob.shape[3]
    let factor = Float((kernel + 1) / 2)
    let center = Float(kernel - 1) / (2 * factor)
    for i in 0..<blob.count {
      let x = Float(i % kernel)
      let y = Float((i / kernel) % kernel)
      blob.data[i] = (1 - abs(x / factor - center)) * (1 - abs(y / factor - center))
    }
  }
}
