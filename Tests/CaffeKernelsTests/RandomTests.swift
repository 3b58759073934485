// RandomTests: the seeded generator's sequence, reproducibility and the fills' statistics.
import CaffeKernels
import Testing

@Suite struct RandomTests {
  @Test func generatorFollowsXoshiro256StarStarSeededBySplitMix64() {
    // Reference values from an independent implementation of SplitMix64 + xoshiro256**.
    var generator = SeededGenerator(seed: 1701)
    let first = (0..<3).map { _ in generator.next() }
    #expect(first == Self.reference1701)
  }

  static let reference1701: [UInt64] = [
    0xF472_795B_F5EC_CF88, 0x3A15_CCAD_32F2_80C1, 0x37D0_D6F6_711A_0CE4,
  ]

  @Test func sameSeedGivesSameFills() {
    withArena { arena in
      var first = SeededGenerator(seed: 42)
      var second = SeededGenerator(seed: 42)
      var other = SeededGenerator(seed: 43)
      let a = arena.floats(count: 101)
      let b = arena.floats(count: 101)
      let c = arena.floats(count: 101)
      Random.gaussian(count: 101, mean: 1, std: 2, into: a, using: &first)
      Random.gaussian(count: 101, mean: 1, std: 2, into: b, using: &second)
      Random.gaussian(count: 101, mean: 1, std: 2, into: c, using: &other)
      #expect(array(a, 101) == array(b, 101))
      #expect(array(a, 101) != array(c, 101))
    }
  }

  @Test func gaussianHasTheRequestedMeanAndDeviation() {
    let count = 100_000
    withArena { arena in
      var generator = SeededGenerator(seed: 7)
      let y = arena.floats(count: count)
      Random.gaussian(count: count, mean: 3, std: 0.5, into: y, using: &generator)
      let values = array(y, count).map(Double.init)
      let mean = values.reduce(0, +) / Double(count)
      let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
      #expect(abs(mean - 3) < 0.01)
      #expect(abs(variance.squareRoot() - 0.5) < 0.01)
      let within = values.filter { abs($0 - 3) < 0.5 }.count
      #expect(abs(Double(within) / Double(count) - 0.6827) < 0.01)
    }
  }

  @Test func uniformStaysInRangeWithTheRightMean() {
    let count = 100_000
    withArena { arena in
      var generator = SeededGenerator(seed: 8)
      let y = arena.floats(count: count)
      Random.uniform(count: count, min: -2, max: 6, into: y, using: &generator)
      let values = array(y, count)
      #expect(values.allSatisfy { $0 >= -2 && $0 < 6 })
      let mean = values.map(Double.init).reduce(0, +) / Double(count)
      #expect(abs(mean - 2) < 0.05)
      var lowQuarter = 0
      for value in values where value < 0 { lowQuarter += 1 }
      #expect(abs(Double(lowQuarter) / Double(count) - 0.25) < 0.01)
    }
  }

  @Test(arguments: [Float(0), 0.3, 1])
  func bernoulliHasTheRequestedProbability(probability: Float) {
    let count = 50_000
    withArena { arena in
      var generator = SeededGenerator(seed: 9)
      let y = arena.uint32s(count: count)
      Random.bernoulli(count: count, probability: probability, into: y, using: &generator)
      let values = array(y, count)
      #expect(values.allSatisfy { $0 <= 1 })
      let fraction = Double(values.reduce(0) { $0 + Int($1) }) / Double(count)
      #expect(abs(fraction - Double(probability)) < 0.01)
    }
  }
}
