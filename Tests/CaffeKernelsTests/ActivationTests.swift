// ActivationTests: ReLU, sigmoid and tanh against their formulas.
import CaffeKernels
import Foundation
import Testing

@Suite struct ActivationTests {
  static let x: [Float] = [-3, -0.5, 0, 0.25, 2, -1e-3, 7]
  static let dy: [Float] = [1, -2, 3, 0.5, -1, 4, 0.1]

  @Test(arguments: [Float(0), 0.1])
  func reluForwardAndBackward(slope: Float) {
    withArena { arena in
      let y = arena.floats(count: 7)
      Activation.reluForward(count: 7, negativeSlope: slope, x: arena.floats(Self.x), into: y)
      expectClose(array(y, 7), Self.x.map { $0 > 0 ? $0 : slope * $0 })
      let dx = arena.floats(count: 7)
      Activation.reluBackward(
        count: 7, negativeSlope: slope, x: arena.floats(Self.x), outputDiff: arena.floats(Self.dy),
        into: dx)
      expectClose(array(dx, 7), zip(Self.x, Self.dy).map { $0 > 0 ? $1 : slope * $1 })
    }
  }

  /// Caffe's std::max/std::min keep a NaN, and 0 · min(−∞, 0) is NaN; a NaN passes no
  /// gradient back.
  @Test(arguments: [Float(0), 0.1])
  func reluKeepsNaNAsCaffeDoes(slope: Float) {
    let x: [Float] = [.nan, -.infinity, .infinity]
    withArena { arena in
      let y = arena.floats(count: 3)
      Activation.reluForward(count: 3, negativeSlope: slope, x: arena.floats(x), into: y)
      let out = array(y, 3)
      #expect(out[0].isNaN)
      #expect(slope == 0 ? out[1].isNaN : out[1] == -.infinity)
      #expect(out[2] == .infinity)
      let dx = arena.floats(count: 3)
      Activation.reluBackward(
        count: 3, negativeSlope: slope, x: arena.floats(x), outputDiff: arena.floats([1, 1, 1]),
        into: dx)
      #expect(array(dx, 3) == [0, slope, 1])
    }
  }

  @Test func sigmoidForwardAndBackward() {
    let expected = Self.x.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }
    withArena { arena in
      let y = arena.floats(count: 7)
      Activation.sigmoidForward(count: 7, x: arena.floats(Self.x), into: y)
      expectClose(array(y, 7), expected)
      let dx = arena.floats(Self.dy)
      Activation.sigmoidBackward(count: 7, y: y, outputDiff: dx, into: dx)
      expectClose(array(dx, 7), zip(expected, Self.dy).map { $1 * $0 * (1 - $0) })
    }
  }

  @Test func tanhForwardAndBackward() {
    let expected = Self.x.map { Float(Foundation.tanh(Double($0))) }
    withArena { arena in
      let y = arena.floats(Self.x)
      Activation.tanhForward(count: 7, x: y, into: y)
      expectClose(array(y, 7), expected)
      let dx = arena.floats(count: 7)
      Activation.tanhBackward(count: 7, y: y, outputDiff: arena.floats(Self.dy), into: dx)
      expectClose(array(dx, 7), zip(expected, Self.dy).map { $1 * (1 - $0 * $0) })
    }
  }
}
