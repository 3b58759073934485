// BLASTests: the row-major BLAS wrappers against naive loops.
import CaffeKernels
import CaffeTestSupport
import Testing

@Suite struct BLASTests {
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func gemmMatchesNaiveForEveryTransposition(transA: Bool, transB: Bool) {
    let (m, n, k) = (5, 7, 3)
    let a = gaussianValues(m * k, seed: 1)
    let b = gaussianValues(k * n, seed: 2)
    let c = gaussianValues(m * n, seed: 3)
    let expected = NaiveKernels.gemm(
      transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5, a: a, b: b, beta: 0.5, c: c)
    withArena { arena in
      let result = arena.floats(c)
      BLAS.gemm(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5,
        a: arena.floats(a), b: arena.floats(b), beta: 0.5, c: result)
      expectClose(array(result, m * n), expected)
    }
  }

  @Test func gemmWithZeroBetaIgnoresOldContents() {
    let a = gaussianValues(6, seed: 4)
    let b = gaussianValues(6, seed: 5)
    let expected = NaiveKernels.gemm(
      transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1, a: a, b: b, beta: 0,
      c: [0, 0, 0, 0])
    withArena { arena in
      let result = arena.floats(count: 4, value: .nan)
      BLAS.gemm(
        transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1,
        a: arena.floats(a), b: arena.floats(b), beta: 0, c: result)
      expectClose(array(result, 4), expected)
    }
  }

  @Test func gemmWithLeadingDimensionsReadsAndWritesBlocks() {
    // A is the left 2×3 block of a 2×5 matrix; C is the right 2×2 block of a 2×4 matrix.
    let wideA = gaussianValues(10, seed: 6)
    let b = gaussianValues(6, seed: 7)
    let a = [0, 1, 2, 5, 6, 7].map { wideA[$0] }
    let product = NaiveKernels.gemm(
      transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1, a: a, b: b, beta: 0,
      c: [0, 0, 0, 0])
    withArena { arena in
      let c = arena.floats(count: 8, value: 9)
      BLAS.gemm(
        transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1,
        a: arena.floats(wideA), lda: 5, b: arena.floats(b), ldb: 2, beta: 0, c: c + 2, ldc: 4)
      expectClose(array(c, 8), [9, 9, product[0], product[1], 9, 9, product[2], product[3]])
    }
  }

  @Test(arguments: [false, true])
  func gemvMatchesNaive(transA: Bool) {
    let (m, n) = (4, 6)
    let a = gaussianValues(m * n, seed: 8)
    let x = gaussianValues(transA ? m : n, seed: 9)
    let y = gaussianValues(transA ? n : m, seed: 10)
    // y = alpha·op(A)·x + beta·y is a GEMM with one column.
    let expected = NaiveKernels.gemm(
      transA: transA, transB: false, m: transA ? n : m, n: 1, k: transA ? m : n, alpha: 2,
      a: a, b: x, beta: -1, c: y)
    withArena { arena in
      let result = arena.floats(y)
      BLAS.gemv(
        transA: transA, m: m, n: n, alpha: 2, a: arena.floats(a), x: arena.floats(x), beta: -1,
        y: result)
      expectClose(array(result, y.count), expected)
    }
  }

  @Test func levelOneRoutinesMatchTheirDefinitions() {
    let x = gaussianValues(37, seed: 11)
    let y = gaussianValues(37, seed: 12)
    withArena { arena in
      let px = arena.floats(x)
      let axpy = arena.floats(y)
      BLAS.axpy(count: 37, alpha: 0.5, x: px, y: axpy)
      expectClose(array(axpy, 37), zip(x, y).map { 0.5 * $0 + $1 })

      let axpby = arena.floats(y)
      BLAS.axpby(count: 37, alpha: 2, x: px, beta: -3, y: axpby)
      expectClose(array(axpby, 37), zip(x, y).map { 2 * $0 - 3 * $1 })

      let scaled = arena.floats(x)
      BLAS.scale(count: 37, alpha: -4, x: scaled)
      expectClose(array(scaled, 37), x.map { -4 * $0 })

      let dot = BLAS.dot(count: 37, x: px, y: arena.floats(y))
      expectClose([dot], [zip(x, y).map { $0 * $1 }.reduce(0, +)])
      expectClose([BLAS.asum(count: 37, x: px)], [x.map { abs($0) }.reduce(0, +)])
    }
  }

  @Test func threadCountCanBeSet() {
    // The module's default (and what every test may assume) is one OpenBLAS thread.
    BLAS.setThreadCount(1)
    #expect(BLAS.threadCount == 1)
  }

  @Test(arguments: [
    (false, false, 40, 400), (true, true, 40, 400), (false, true, 400, 40),
    (true, false, 400, 40),
  ])
  func largeProductsSplitAcrossThreadsGiveTheSerialResult(
    transA: Bool, transB: Bool, m: Int, n: Int
  ) {
    // 2·m·n·k is above the parallel threshold, so with OpenBLAS on one thread the product is
    // split along n (first two cases) or m (last two).
    Parallel.configureDefaultThreading()
    let k = 300
    #expect(2 * m * n * k >= BLAS.parallelFlopThreshold)
    let a = gaussianValues(m * k, seed: 13)
    let b = gaussianValues(k * n, seed: 14)
    let c = gaussianValues(m * n, seed: 15)
    withArena { arena in
      let split = arena.floats(c)
      let serial = arena.floats(c)
      BLAS.gemm(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
        a: arena.floats(a), b: arena.floats(b), beta: 2, c: split)
      BLAS.serialGemm(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
        a: arena.floats(a), lda: transA ? m : k, b: arena.floats(b), ldb: transB ? k : n,
        beta: 2, c: serial, ldc: n)
      expectClose(array(split, m * n), array(serial, m * n), tolerance: 1e-5)
    }
  }
}
