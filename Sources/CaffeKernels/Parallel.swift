// Parallel: the data-parallel loop that every kernel in this module uses for the work BLAS
// does not cover.
import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Splits loops across the cores with `DispatchQueue.concurrentPerform`.
///
/// The module's threading model: OpenBLAS runs single-threaded (``configureDefaultThreading()``)
/// and the kernels split their work into pieces that ``workerCount`` threads take in turn, each
/// piece calling BLAS on its own part. Two thread pools that both spin on two cores slow each
/// other down, so only one of them should be active at a time.
///
/// Loops are cut into up to ``piecesPerWorker`` pieces per thread and `concurrentPerform` hands
/// the pieces out as threads become free, so a thread that starts late (another process holds its
/// core) does not hold up the loop: the others take its share.
///
/// The settings are process-wide and meant to be set once at start-up (the benchmark changes them
/// between measurements); they are not synchronised.
public enum Parallel {
  /// How many threads a parallel loop may use; 1 makes every loop serial.
  ///
  /// Defaults to ``onlineProcessorCount``. The first use of this property (which every parallel
  /// kernel and every ``BLAS`` call makes) also sets OpenBLAS to one thread, so the module's
  /// threading model holds without any set-up call.
  nonisolated(unsafe) public static var workerCount: Int = initialWorkerCount()

  /// Applies the default threading once, on first use of ``workerCount``.
  private static func initialWorkerCount() -> Int {
    BLAS.applyThreadCount(1)
    return onlineProcessorCount
  }

  /// How many pieces per thread a loop is cut into, for load balancing.
  public static let piecesPerWorker = 4

  /// The number of processors this process may run on.
  ///
  /// On Linux this counts the CPU affinity mask, so `taskset` and container CPU sets are
  /// respected; elsewhere it is the number of online processors.
  public static var onlineProcessorCount: Int {
    #if os(Linux)
      if let allowed = allowedProcessorCount() { return allowed }
    #endif
    #if canImport(Glibc) || canImport(Darwin)
      return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
      return 1
    #endif
  }

  #if os(Linux)
    /// The size of this process's CPU affinity set, read from the `Cpus_allowed_list` line of
    /// `/proc/self/status` (`sched_getaffinity` needs `_GNU_SOURCE`, which Swift's Glibc lacks).
    private static func allowedProcessorCount() -> Int? {
      guard let file = fopen("/proc/self/status", "r") else { return nil }
      defer { fclose(file) }
      var line = [CChar](repeating: 0, count: 4096)
      let key = "Cpus_allowed_list:"
      while fgets(&line, Int32(line.count), file) != nil {
        let text = String(cString: line)
        guard text.hasPrefix(key) else { continue }
        // A list such as "0-3,8,10-11".
        var count = 0
        for part in text.dropFirst(key.count).split(separator: ",") {
          let bounds = part.split(separator: "-").compactMap {
            Int(String($0.filter { $0.isNumber }))
          }
          if bounds.count == 2 {
            count += bounds[1] - bounds[0] + 1
          } else if bounds.count == 1 {
            count += 1
          }
        }
        return count > 0 ? count : nil
      }
      return nil
    }
  #endif

  /// Sets the module's default threading: OpenBLAS on one thread, our loops on every core.
  ///
  /// This is what `caffe-bench` measured to be fastest for LeNet-sized layers on two cores, and
  /// what the module sets on first use; call this to restore it after overriding
  /// ``BLAS/setThreadCount(_:)`` or ``workerCount``.
  public static func configureDefaultThreading() {
    BLAS.setThreadCount(1)
    workerCount = onlineProcessorCount
  }

  /// Runs `body(i)` for every `i` in `0..<count`, across up to ``workerCount`` threads.
  ///
  /// Each index is one piece of work; threads take the next index as they become free, and the
  /// call returns when all are done. Runs serially, in order, when `count < 2` or ``workerCount``
  /// is 1. `body` must be safe to call concurrently for different indices (each index writes its
  /// own part of the output).
  ///
  /// - Parameters:
  ///   - count: number of iterations.
  ///   - body: the work for one index.
  @inlinable
  public static func forEach(count: Int, _ body: (Int) -> Void) {
    if count < 2 || workerCount < 2 {
      for index in 0..<count { body(index) }
      return
    }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
  }

  /// Splits `0..<count` into contiguous ranges of at least `minimumPerRange` items and runs
  /// `body` on each, concurrently.
  ///
  /// Use it for element-wise loops, where a contiguous range keeps the inner loop vectorised. The
  /// loop stays serial (one call with `0..<count`) when `count < 2 · minimumPerRange`, because
  /// waking a thread costs more than a small loop; otherwise it makes up to
  /// ``piecesPerWorker`` · ``workerCount`` ranges.
  ///
  /// - Parameters:
  ///   - count: number of items.
  ///   - minimumPerRange: the smallest range worth handing to another thread.
  ///   - body: the work for one contiguous range of items.
  @inlinable
  public static func forEachRange(
    count: Int, minimumPerRange: Int, _ body: (Range<Int>) -> Void
  ) {
    guard count > 0 else { return }
    let ranges =
      workerCount < 2 ? 1 : min(workerCount * piecesPerWorker, count / max(1, minimumPerRange))
    if ranges <= 1 {
      body(0..<count)
      return
    }
    DispatchQueue.concurrentPerform(iterations: ranges) { part in
      body(partition(count: count, parts: ranges, part: part))
    }
  }

  /// The `part`-th of `parts` near-equal contiguous ranges that cover `0..<count`.
  ///
  /// - Parameters:
  ///   - count: number of items.
  ///   - parts: number of ranges (≥ 1).
  ///   - part: which range, in `0..<parts`.
  /// - Returns: the range; the first `count % parts` ranges hold one extra item.
  @inlinable
  public static func partition(count: Int, parts: Int, part: Int) -> Range<Int> {
    let base = count / parts
    let extra = count % parts
    let start = part * base + min(part, extra)
    return start..<(start + base + (part < extra ? 1 : 0))
  }
}
