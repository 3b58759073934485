// BLAS: thin, row-major wrappers over OpenBLAS's CBLAS interface.
import CBLAS

/// Dense linear algebra on `Float` buffers, row-major, through OpenBLAS.
///
/// Every matrix is row-major and densely packed (the leading dimension is the number of columns
/// as stored). Callers have validated the dimensions; nothing here checks or throws.
public enum BLAS {
  /// General matrix product: `C = alpha · op(A) · op(B) + beta · C`.
  ///
  /// `op(X)` is `X` or its transpose. With `beta == 0` the old contents of `c` are ignored (they
  /// may be uninitialised or NaN); otherwise `c` is scaled and accumulated into.
  ///
  /// - Parameters:
  ///   - transA: whether `op(A)` is `Aᵀ`; `a` is then stored (k, m) instead of (m, k).
  ///   - transB: whether `op(B)` is `Bᵀ`; `b` is then stored (n, k) instead of (k, n).
  ///   - m: rows of `op(A)` and of `C`.
  ///   - n: columns of `op(B)` and of `C`.
  ///   - k: columns of `op(A)`, rows of `op(B)`.
  ///   - alpha: scale of the product.
  ///   - a: (m, k), or (k, m) when `transA`, row-major.
  ///   - b: (k, n), or (n, k) when `transB`, row-major.
  ///   - beta: scale of the old `C` (0 overwrites, 1 accumulates).
  ///   - c: (m, n), row-major; overwritten (`beta == 0`) or accumulated into.
  @inlinable
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float, c: UnsafeMutablePointer<Float>
  ) {
    gemm(
      transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
      a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n, beta: beta, c: c, ldc: n)
  }

  /// General matrix product with explicit leading dimensions (row strides, in elements).
  ///
  /// Same as ``gemm(transA:transB:m:n:k:alpha:a:b:beta:c:)`` but each matrix may be a block of a
  /// wider row-major matrix: row `i` of the stored `a` starts at `a + i·lda`, and so on.
  ///
  /// Products of at least ``parallelFlopThreshold`` operations are split into
  /// ``Parallel/workerCount`` blocks of `C` (along its longer side), one per thread, when OpenBLAS
  /// itself runs single-threaded (the module's default). Called from inside a ``Parallel`` loop
  /// the blocks run one after another on the calling thread; use
  /// ``serialGemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` there.
  ///
  /// - Parameters:
  ///   - transA: whether `op(A)` is `Aᵀ`.
  ///   - transB: whether `op(B)` is `Bᵀ`.
  ///   - m: rows of `op(A)` and of `C`.
  ///   - n: columns of `op(B)` and of `C`.
  ///   - k: columns of `op(A)`, rows of `op(B)`.
  ///   - alpha: scale of the product.
  ///   - a: (m, k), or (k, m) when `transA`, rows `lda` apart.
  ///   - lda: row stride of `a` as stored (≥ k, or ≥ m when `transA`).
  ///   - b: (k, n), or (n, k) when `transB`, rows `ldb` apart.
  ///   - ldb: row stride of `b` as stored (≥ n, or ≥ k when `transB`).
  ///   - beta: scale of the old `C` (0 overwrites, 1 accumulates).
  ///   - c: (m, n), rows `ldc` apart; overwritten (`beta == 0`) or accumulated into.
  ///   - ldc: row stride of `c` (≥ n).
  public static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let workers = Parallel.workerCount
    guard workers > 1, 2 * m * n * k >= parallelFlopThreshold, max(m, n) >= 2 * workers,
      threadCount == 1
    else {
      serialGemm(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
        a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
      return
    }
    Parallel.forEach(count: workers) { part in
      if n >= m {
        // Columns [j0, j1) of C need the same columns of op(B) and all of op(A).
        let columns = Parallel.partition(count: n, parts: workers, part: part)
        let j0 = columns.lowerBound
        serialGemm(
          transA: transA, transB: transB, m: m, n: columns.count, k: k, alpha: alpha,
          a: a, lda: lda, b: transB ? b + j0 * ldb : b + j0, ldb: ldb,
          beta: beta, c: c + j0, ldc: ldc)
      } else {
        // Rows [i0, i1) of C need the same rows of op(A) and all of op(B).
        let rows = Parallel.partition(count: m, parts: workers, part: part)
        let i0 = rows.lowerBound
        serialGemm(
          transA: transA, transB: transB, m: rows.count, n: n, k: k, alpha: alpha,
          a: transA ? a + i0 : a + i0 * lda, lda: lda, b: b, ldb: ldb,
          beta: beta, c: c + i0 * ldc, ldc: ldc)
      }
    }
  }

  /// General matrix product on the calling thread: one OpenBLAS call, never split.
  ///
  /// For use inside ``Parallel`` loops, where each thread already has its own part of the work.
  /// The parameters are those of ``gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
  ///
  /// - Parameters:
  ///   - transA: whether `op(A)` is `Aᵀ`.
  ///   - transB: whether `op(B)` is `Bᵀ`.
  ///   - m: rows of `op(A)` and of `C`.
  ///   - n: columns of `op(B)` and of `C`.
  ///   - k: columns of `op(A)`, rows of `op(B)`.
  ///   - alpha: scale of the product.
  ///   - a: (m, k), or (k, m) when `transA`, rows `lda` apart.
  ///   - lda: row stride of `a`.
  ///   - b: (k, n), or (n, k) when `transB`, rows `ldb` apart.
  ///   - ldb: row stride of `b`.
  ///   - beta: scale of the old `C`.
  ///   - c: (m, n), rows `ldc` apart; overwritten (`beta == 0`) or accumulated into.
  ///   - ldc: row stride of `c`.
  @inlinable
  public static func serialGemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
      beta, c, blasint(ldc))
  }

  /// The smallest product, in floating-point operations (2·m·n·k), that ``gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
  /// splits across threads; smaller ones finish before a second thread would wake up.
  public static let parallelFlopThreshold = 1 << 23

  /// Matrix-vector product: `y = alpha · op(A) · x + beta · y`.
  ///
  /// - Parameters:
  ///   - transA: whether `op(A)` is `Aᵀ`.
  ///   - m: rows of `A` as stored.
  ///   - n: columns of `A` as stored.
  ///   - alpha: scale of the product.
  ///   - a: (m, n), row-major.
  ///   - x: (n) without `transA`, (m) with it.
  ///   - beta: scale of the old `y` (0 overwrites, 1 accumulates).
  ///   - y: (m) without `transA`, (n) with it; overwritten or accumulated into as `beta` says.
  @inlinable
  public static func gemv(
    transA: Bool, m: Int, n: Int, alpha: Float,
    a: UnsafePointer<Float>, x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
  ) {
    guard m > 0, n > 0 else { return }
    cblas_sgemv(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha,
      a, blasint(n), x, 1, beta, y, 1)
  }

  /// `y += alpha · x`, elementwise.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - alpha: scale of `x`.
  ///   - x: (count).
  ///   - y: (count); accumulated into.
  @inlinable
  public static func axpy(
    count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    guard count > 0 else { return }
    cblas_saxpy(blasint(count), alpha, x, 1, y, 1)
  }

  /// `y = alpha · x + beta · y`, elementwise.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - alpha: scale of `x`.
  ///   - x: (count).
  ///   - beta: scale of the old `y`.
  ///   - y: (count); updated in place.
  @inlinable
  public static func axpby(
    count: Int, alpha: Float, x: UnsafePointer<Float>, beta: Float,
    y: UnsafeMutablePointer<Float>
  ) {
    guard count > 0 else { return }
    cblas_saxpby(blasint(count), alpha, x, 1, beta, y, 1)
  }

  /// `x *= alpha`, in place.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - alpha: the factor.
  ///   - x: (count); scaled in place.
  @inlinable
  public static func scale(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
    guard count > 0 else { return }
    cblas_sscal(blasint(count), alpha, x, 1)
  }

  /// The dot product `Σ x[i] · y[i]`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  ///   - y: (count).
  /// - Returns: the dot product.
  @inlinable
  public static func dot(count: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
    guard count > 0 else { return 0 }
    return cblas_sdot(blasint(count), x, 1, y, 1)
  }

  /// The sum of absolute values `Σ |x[i]|`.
  ///
  /// - Parameters:
  ///   - count: number of elements.
  ///   - x: (count).
  /// - Returns: the sum of absolute values.
  @inlinable
  public static func asum(count: Int, x: UnsafePointer<Float>) -> Float {
    guard count > 0 else { return 0 }
    return cblas_sasum(blasint(count), x, 1)
  }

  /// Sets how many threads OpenBLAS itself may use per call (`openblas_set_num_threads`).
  ///
  /// The kernels in this module run their own parallel loops (see ``Parallel``) and expect
  /// OpenBLAS to use one thread, so that the two pools do not fight over the cores; the module
  /// sets that itself on first use (see ``Parallel/workerCount``).
  ///
  /// - Parameter count: threads OpenBLAS may use (at least 1).
  public static func setThreadCount(_ count: Int) {
    // Apply the module's default first, so that it cannot later undo this setting.
    _ = Parallel.workerCount
    applyThreadCount(count)
  }

  /// Calls `openblas_set_num_threads` without touching ``Parallel``.
  static func applyThreadCount(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
  }

  /// The number of threads OpenBLAS currently uses per call.
  public static var threadCount: Int { Int(openblas_get_num_threads()) }

  /// OpenBLAS's build description and the name of the CPU core it tuned for, for benchmarks.
  public static var configuration: String {
    let config = openblas_get_config().map { String(cString: $0) } ?? "?"
    let core = openblas_get_corename().map { String(cString: $0) } ?? "?"
    return "\(config) (core \(core))"
  }
}
