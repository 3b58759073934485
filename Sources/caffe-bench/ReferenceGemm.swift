// ReferenceGemm: the large sgemm that every other rate is compared with.
import CaffeKernels

/// Times square sgemms of side `size`: one OpenBLAS call on one thread, and the same product
/// split across ``Parallel/workerCount`` threads by ``BLAS`` (OpenBLAS itself stays on one
/// thread, as in the rest of the module).
///
/// - Parameters:
///   - size: the side of the square matrices (1024 gives 2.1 GFLOP per product).
///   - benchmark: where the rows are recorded.
/// - Returns: the one-thread row and the all-cores row.
func measureReferenceGemm(size: Int, benchmark: inout Benchmark) -> (
  single: Measurement, parallel: Measurement
) {
  let count = size * size
  let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
  let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
  let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
  defer {
    a.deallocate()
    b.deallocate()
    c.deallocate()
  }
  var generator = SeededGenerator(seed: 1)
  Random.uniform(count: count, min: -1, max: 1, into: a, using: &generator)
  Random.uniform(count: count, min: -1, max: 1, into: b, using: &generator)
  let flops = 2 * Double(size) * Double(size) * Double(size)
  let single = benchmark.measure(name: "sgemm \(size)³ 1 thread", flops: flops, iterations: 10) {
    BLAS.serialGemm(
      transA: false, transB: false, m: size, n: size, k: size, alpha: 1, a: a, lda: size, b: b,
      ldb: size, beta: 0, c: c, ldc: size)
  }
  let parallel = benchmark.measure(
    name: "sgemm \(size)³ \(Parallel.workerCount) threads", flops: flops, iterations: 10
  ) {
    BLAS.gemm(
      transA: false, transB: false, m: size, n: size, k: size, alpha: 1, a: a, lda: size, b: b,
      ldb: size, beta: 0, c: c, ldc: size)
  }
  return (single, parallel)
}
