// Random: a seedable generator and the uniform / Gaussian / Bernoulli fills built on it.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A fast, seedable 64-bit generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same sequence on every platform and run, so fills and data
/// shuffles are reproducible. Not for cryptography.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  /// Creates a generator whose whole sequence is determined by `seed`.
  ///
  /// - Parameter seed: any 64-bit value (0 is fine: SplitMix64 spreads it).
  public init(seed: UInt64) {
    var mixer = seed
    func splitMix() -> UInt64 {
      mixer &+= 0x9E37_79B9_7F4A_7C15
      var z = mixer
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = rotate(state.1 &* 5, 7) &* 9
    let shifted = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= shifted
    state.3 = rotate(state.3, 45)
    return result
  }

  private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// Fills buffers with random numbers from a caller-owned generator.
///
/// Each fill draws from `generator` in a fixed order, so a given generator state always gives
/// the same values.
public enum Random {
  /// Fills `y` with values uniform in `[min, max)`.
  ///
  /// One 64-bit draw per element.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - min: the lower bound (included).
  ///   - max: the upper bound (excluded).
  ///   - y: (count); overwritten.
  ///   - generator: the source of randomness, advanced by `count` draws.
  public static func uniform<G: RandomNumberGenerator>(
    count: Int, min: Float, max: Float, into y: UnsafeMutablePointer<Float>,
    using generator: inout G
  ) {
    let range = Double(max) - Double(min)
    for i in 0..<count {
      let value = Float(Double(min) + range * unitInterval(&generator))
      // Rounding to Float can land on `max`; keep the bound excluded.
      y[i] = value < max ? value : min
    }
  }

  /// Fills `y` with normally distributed values (Box–Muller).
  ///
  /// Two 64-bit draws give two values; for an odd count the last pair's second value is
  /// dropped.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - mean: the distribution's mean.
  ///   - std: its standard deviation (≥ 0).
  ///   - y: (count); overwritten.
  ///   - generator: the source of randomness, advanced by 2·⌈count/2⌉ draws.
  public static func gaussian<G: RandomNumberGenerator>(
    count: Int, mean: Float, std: Float, into y: UnsafeMutablePointer<Float>,
    using generator: inout G
  ) {
    var i = 0
    while i < count {
      // u1 in (0, 1] so that the logarithm is finite.
      let u1 = 1 - unitInterval(&generator)
      let u2 = unitInterval(&generator)
      let radius = (-2 * log(u1)).squareRoot()
      let angle = 2 * Double.pi * u2
      y[i] = mean + std * Float(radius * cos(angle))
      if i + 1 < count { y[i + 1] = mean + std * Float(radius * sin(angle)) }
      i += 2
    }
  }

  /// Fills `y` with 1 (probability `probability`) or 0.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - probability: the chance of a 1, in [0, 1].
  ///   - y: (count); overwritten with 0 or 1.
  ///   - generator: the source of randomness, advanced by `count` draws.
  public static func bernoulli<G: RandomNumberGenerator>(
    count: Int, probability: Float, into y: UnsafeMutablePointer<UInt32>,
    using generator: inout G
  ) {
    let p = Double(probability)
    for i in 0..<count { y[i] = unitInterval(&generator) < p ? 1 : 0 }
  }

  /// A uniform value in [0, 1) with 53 random bits.
  @inline(__always)
  private static func unitInterval<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
    Double(generator.next() >> 11) * 0x1p-53
  }
}
