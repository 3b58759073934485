// Benchmark: timing loops and the table that caffe-bench prints.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One timed piece of work: its median time per iteration and its arithmetic rate.
struct Measurement {
  /// What was measured, such as "conv2 backward".
  var name: String
  /// Floating-point operations per iteration (0 when not meaningful).
  var flops: Double
  /// Median wall time per iteration, in milliseconds.
  var milliseconds: Double
  /// Mean CPU time of the whole process (all threads) per iteration, in milliseconds.
  ///
  /// Nil when not measured. Near `milliseconds` when the run got one core, near twice it with two.
  var cpuMilliseconds: Double? = nil

  /// GFLOP/s, or 0 when `flops` is 0.
  var gigaflopsPerSecond: Double { milliseconds > 0 ? flops / milliseconds / 1e6 : 0 }
}

/// Times closures and collects the results into a table.
///
/// Each `measure` runs its body `warmup` times untimed, then times `iterations` calls one by one
/// and records the median. Results are printed with their share of a reference rate (the large
/// sgemm), so numbers from different machines or runs can be compared as ratios.
struct Benchmark {
  /// Timed iterations per measurement.
  var iterations: Int
  /// Untimed iterations before timing.
  var warmup: Int
  /// The measurements so far, in order.
  private(set) var results: [Measurement] = []

  /// Creates an empty benchmark.
  ///
  /// - Parameters:
  ///   - iterations: timed iterations per measurement.
  ///   - warmup: untimed iterations first (default 3).
  init(iterations: Int, warmup: Int = 3) {
    self.iterations = iterations
    self.warmup = warmup
  }

  /// Times `body` and records it under `name`.
  ///
  /// - Parameters:
  ///   - name: the row label.
  ///   - flops: floating-point operations per call of `body`.
  ///   - iterations: overrides the benchmark's iteration count for this row.
  ///   - body: the work to time.
  /// - Returns: the measurement, also appended to ``results``.
  /// - Throws: what `body` throws.
  @discardableResult
  mutating func measure(
    name: String, flops: Double = 0, iterations: Int? = nil, _ body: () throws -> Void
  ) rethrows -> Measurement {
    let count = max(1, iterations ?? self.iterations)
    for _ in 0..<warmup { try body() }
    let clock = ContinuousClock()
    var times: [Double] = []
    times.reserveCapacity(count)
    let cpuStart = Self.processCPUMilliseconds()
    for _ in 0..<count {
      let start = clock.now
      try body()
      times.append(Self.milliseconds(clock.now - start))
    }
    let cpu = (Self.processCPUMilliseconds() - cpuStart) / Double(count)
    return record(name: name, flops: flops, times: times, cpuMilliseconds: cpu)
  }

  /// Records a row from times taken elsewhere: their median.
  ///
  /// - Parameters:
  ///   - name: the row label.
  ///   - flops: floating-point operations per timed call.
  ///   - times: the time of each call, in milliseconds (at least one).
  ///   - cpuMilliseconds: the process's mean CPU time per call, if measured.
  /// - Returns: the measurement, also appended to ``results``.
  @discardableResult
  mutating func record(
    name: String, flops: Double = 0, times: [Double], cpuMilliseconds: Double? = nil
  ) -> Measurement {
    // The median resists the other processes that share the cores.
    let measurement = Measurement(
      name: name, flops: flops, milliseconds: Self.median(times), cpuMilliseconds: cpuMilliseconds)
    results.append(measurement)
    return measurement
  }

  /// The median of `times` (the upper one of the middle two for an even count; 0 when empty).
  static func median(_ times: [Double]) -> Double {
    guard !times.isEmpty else { return 0 }
    return times.sorted()[times.count / 2]
  }

  /// CPU time used so far by every thread of this process, in milliseconds.
  static func processCPUMilliseconds() -> Double {
    var time = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return 0 }
    return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) * 1e-6
  }

  /// `duration` in milliseconds.
  static func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
  }

  /// Records the sum of earlier rows as one row, such as a whole network pass.
  ///
  /// - Parameters:
  ///   - name: the row label.
  ///   - rows: the measurements to add up.
  /// - Returns: the total.
  @discardableResult
  mutating func total(name: String, of rows: [Measurement]) -> Measurement {
    let sum = Measurement(
      name: name, flops: rows.map(\.flops).reduce(0, +),
      milliseconds: rows.map(\.milliseconds).reduce(0, +))
    results.append(sum)
    return sum
  }

  /// Prints `rows` as a table: milliseconds, GFLOP/s, the ratio to `reference` GFLOP/s and, when
  /// measured, the process's CPU milliseconds per iteration.
  ///
  /// - Parameters:
  ///   - rows: the measurements to print.
  ///   - reference: the GFLOP/s that ratios are taken against (the large sgemm's).
  ///   - title: the heading of the first column.
  static func printTable(_ rows: [Measurement], reference: Double, title: String = "kernel") {
    print(
      pad(title, 28) + pad("ms", 10, right: true) + pad("GFLOP/s", 10, right: true)
        + pad("of sgemm", 10, right: true) + pad("cpu ms", 10, right: true))
    for row in rows {
      let rate = row.gigaflopsPerSecond
      let ratio = reference > 0 && rate > 0 ? format(rate / reference * 100, 1) + "%" : "-"
      print(
        pad(row.name, 28) + pad(format(row.milliseconds, 3), 10, right: true)
          + pad(rate > 0 ? format(rate, 1) : "-", 10, right: true) + pad(ratio, 10, right: true)
          + pad(row.cpuMilliseconds.map { format($0, 3) } ?? "-", 10, right: true))
    }
  }

  /// `value` with `decimals` digits after the point, without Foundation.
  static func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(abs(scaled) - abs(Double(whole)) * scale)
    guard decimals > 0 else { return String(whole) }
    let digits = String(fraction)
    let sign = value < 0 && whole == 0 ? "-" : ""
    return sign + String(whole) + "." + String(repeating: "0", count: decimals - digits.count)
      + digits
  }

  /// `text` padded with spaces to `width` columns, on the right or (for numbers) the left.
  static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
  }
}
