// ElementwiseTests: the element-wise kernels against Swift's scalar functions.
import CaffeKernels
import Foundation
import Testing

@Suite struct ElementwiseTests {
  static let a: [Float] = (0..<41).map { Float($0) * 0.37 - 6 }
  static let b: [Float] = (0..<41).map { Float($0 % 7) + 0.5 }

  @Test func binaryOperations() {
    withArena { arena in
      let pa = arena.floats(Self.a)
      let pb = arena.floats(Self.b)
      let y = arena.floats(count: 41)
      Elementwise.add(count: 41, a: pa, b: pb, into: y)
      expectClose(array(y, 41), zip(Self.a, Self.b).map(+))
      Elementwise.sub(count: 41, a: pa, b: pb, into: y)
      expectClose(array(y, 41), zip(Self.a, Self.b).map(-))
      Elementwise.mul(count: 41, a: pa, b: pb, into: y)
      expectClose(array(y, 41), zip(Self.a, Self.b).map(*))
      Elementwise.div(count: 41, a: pa, b: pb, into: y)
      expectClose(array(y, 41), zip(Self.a, Self.b).map(/))
    }
  }

  @Test func unaryOperations() {
    let positive = Self.b
    withArena { arena in
      let x = arena.floats(Self.a)
      let p = arena.floats(positive)
      let y = arena.floats(count: 41)
      Elementwise.exp(count: 41, x: x, into: y)
      expectClose(array(y, 41), Self.a.map { Foundation.exp($0) })
      Elementwise.log(count: 41, x: p, into: y)
      expectClose(array(y, 41), positive.map { Foundation.log($0) })
      Elementwise.abs(count: 41, x: x, into: y)
      expectClose(array(y, 41), Self.a.map { Swift.abs($0) })
      Elementwise.sqr(count: 41, x: x, into: y)
      expectClose(array(y, 41), Self.a.map { $0 * $0 })
      Elementwise.sqrt(count: 41, x: p, into: y)
      expectClose(array(y, 41), positive.map { $0.squareRoot() })
      Elementwise.powx(count: 41, x: p, power: 1.5, into: y)
      expectClose(array(y, 41), positive.map { Foundation.pow($0, 1.5) })
      Elementwise.sign(count: 3, x: arena.floats([-2, 0, 3]), into: y)
      #expect(array(y, 3) == [-1, 0, 1])
    }
  }

  @Test func scalarOperationsFillAndCopy() {
    withArena { arena in
      let y = arena.floats(Self.a)
      Elementwise.addScalar(count: 41, value: 2.5, into: y)
      expectClose(array(y, 41), Self.a.map { $0 + 2.5 })
      Elementwise.scale(count: 41, alpha: -2, x: arena.floats(Self.a), into: y)
      expectClose(array(y, 41), Self.a.map { -2 * $0 })
      Elementwise.set(count: 41, value: 3, into: y)
      #expect(array(y, 41) == [Float](repeating: 3, count: 41))
      Elementwise.copy(count: 41, from: arena.floats(Self.b), into: y)
      #expect(array(y, 41) == Self.b)
    }
  }

  @Test(arguments: [0, 1, 15, 16, 17, 100, 300_000])
  func sumMatchesSequentialSum(count: Int) {
    let values = (0..<count).map { Float($0 % 13) - 6 }
    withArena { arena in
      let total = Elementwise.sum(count: count, x: arena.floats(values))
      #expect(total == Float(values.reduce(0, +)))
    }
  }

  @Test func largeBuffersTakeTheParallelPath() {
    let count = 4 * Elementwise.parallelThreshold + 3
    let x = (0..<count).map { Float($0 % 101) }
    withArena { arena in
      let y = arena.floats(count: count)
      Elementwise.scale(count: count, alpha: 2, x: arena.floats(x), into: y)
      #expect(array(y, count) == x.map { 2 * $0 })
    }
  }
}
