// Benchmark: timing loops and the table that caffe-bench prints.

/// One timed piece of work: its mean time per iteration and its arithmetic rate.
struct Measurement {
  /// What was measured, such as "conv2 backward".
  var name: String
  /// Floating-point operations per iteration (0 when not meaningful).
  var flops: Double
  /// Median wall time per iteration, in milliseconds.
  var milliseconds: Double

  /// GFLOP/s, or 0 when `flops` is 0.
  var gigaflopsPerSecond: Double { milliseconds > 0 ? flops / milliseconds / 1e6 : 0 }
}

/// Times closures and collects the results into a table.
///
/// Each `measure` runs its body `warmup` times untimed, then times `iterations` calls one by one
/// and records the median. Results are printed with their share of a reference rate (the large sgemm), so numbers
/// from different machines or runs can be compared as ratios.
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
  @discardableResult
  mutating func measure(
    name: String, flops: Double = 0, iterations: Int? = nil, _ body: () -> Void
  ) -> Measurement {
    let count = max(1, iterations ?? self.iterations)
    for _ in 0..<warmup { body() }
    let clock = ContinuousClock()
    var times: [Double] = []
    times.reserveCapacity(count)
    for _ in 0..<count {
      let start = clock.now
      body()
      let elapsed = clock.now - start
      times.append(
        Double(elapsed.components.seconds) * 1000
          + Double(elapsed.components.attoseconds) * 1e-15)
    }
    times.sort()
    // The median resists the other processes that share the cores.
    let measurement = Measurement(name: name, flops: flops, milliseconds: times[count / 2])
    results.append(measurement)
    return measurement
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

  /// Prints `rows` as a table: milliseconds, GFLOP/s and the ratio to `reference` GFLOP/s.
  ///
  /// - Parameters:
  ///   - rows: the measurements to print.
  ///   - reference: the GFLOP/s that ratios are taken against (the large sgemm's).
  static func printTable(_ rows: [Measurement], reference: Double) {
    print(
      pad("kernel", 28) + pad("ms", 10, right: true) + pad("GFLOP/s", 10, right: true)
        + pad("of sgemm", 10, right: true))
    for row in rows {
      let rate = row.gigaflopsPerSecond
      let ratio = reference > 0 && rate > 0 ? format(rate / reference * 100, 1) + "%" : "-"
      print(
        pad(row.name, 28) + pad(format(row.milliseconds, 3), 10, right: true)
          + pad(rate > 0 ? format(rate, 1) : "-", 10, right: true) + pad(ratio, 10, right: true))
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
