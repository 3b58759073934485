// Round tick values for a chart axis (1, 2 or 5 times a power of ten).

import Foundation

/// The range and tick marks of one axis: the data range widened to whole steps, where the step is
/// 1, 2 or 5 times a power of ten (Heckbert's "nice numbers", Graphics Gems I).
public struct AxisTicks: Equatable, Sendable {
  /// The axis start, a multiple of `step` at or below the smallest value.
  public var lower: Double
  /// The axis end, a multiple of `step` at or above the largest value.
  public var upper: Double
  /// The distance between ticks.
  public var step: Double

  /// Ticks for values from `minimum` to `maximum`, about `count` of them.
  ///
  /// A range of one value is widened to half that value either side (or to -1...1 around 0).
  /// Non-finite bounds give 0...1.
  ///
  /// - Parameters:
  ///   - minimum: The smallest value to show.
  ///   - maximum: The largest value to show.
  ///   - count: The wished-for number of ticks (at least 2).
  public init(minimum: Double, maximum: Double, count: Int = 6) {
    var (low, high) = minimum.isFinite && maximum.isFinite ? (minimum, maximum) : (0, 1)
    if low > high { (low, high) = (high, low) }
    if high - low <= abs(high) * 1e-12 {
      let half = low == 0 ? 1 : abs(low) / 2
      (low, high) = (low - half, high + half)
    }
    step = Self.niceStep((high - low) / Double(max(count, 2) - 1))
    // The 1e-9 keeps a bound that is a whole step count, up to rounding, from gaining a step.
    lower = (low / step + 1e-9).rounded(.down) * step
    upper = (high / step - 1e-9).rounded(.up) * step
  }

  /// The tick values from `lower` to `upper`, `step` apart.
  public var values: [Double] {
    let count = Int(((upper - lower) / step).rounded())
    return (0...count).map { lower + Double($0) * step }
  }

  /// The label of tick `value`: as many decimals as the step needs (`0.2`, `2000`, `0.0005`),
  /// or `%g` form for very large or very small steps.
  public func label(_ value: Double) -> String {
    let decimals = max(0, Int(-(log10(step) + 1e-9).rounded(.down)))
    let largest = max(abs(lower), abs(upper))
    let text =
      decimals > 6 || largest >= 1e7
      ? String(format: "%g", value) : String(format: "%.\(decimals)f", value)
    return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
  }

  /// The nice number nearest to `rough`: 1, 2 or 5 times a power of ten.
  static func niceStep(_ rough: Double) -> Double {
    let exponent = log10(rough).rounded(.down)
    let power = pow(10, exponent)
    let fraction = rough / power
    let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
    return nice * power
  }
}
