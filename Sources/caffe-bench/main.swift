// caffe-bench: times CaffeKernels (a large sgemm, then LeNet's layers) and prints ms and GFLOP/s.
//
// Usage: caffe-bench [--iterations N] [--blas-threads N] [--workers N] [--chunk N] [--compare]
//   --blas-threads, --workers: OpenBLAS threads and our parallel-loop width (default: the module's
//     default threading, Parallel.configureDefaultThreading()).
//   --chunk N: images per convolution GEMM (1 = Caffe's image-at-a-time).
//   --compare: also time the whole LeNet step under every threading setting.
import CaffeKernels

/// The command-line options.
struct Options {
  var iterations = 50
  var blasThreads: Int?
  var workers: Int?
  var chunk: Int?
  var compare = false

  /// Parses `arguments` (without the program name); unknown flags are reported and ignored.
  init(_ arguments: [String]) {
    var rest = arguments[...]
    while let flag = rest.popFirst() {
      switch flag {
      case "--compare": compare = true
      case "--iterations": iterations = rest.popFirst().flatMap { Int($0) } ?? iterations
      case "--blas-threads": blasThreads = rest.popFirst().flatMap { Int($0) }
      case "--workers": workers = rest.popFirst().flatMap { Int($0) }
      case "--chunk": chunk = rest.popFirst().flatMap { Int($0) }
      default: print("warning: ignoring unknown argument \(flag)")
      }
    }
  }

  /// Applies the threading options on top of the module's default.
  func applyThreading() {
    Parallel.configureDefaultThreading()
    if let blasThreads { BLAS.setThreadCount(blasThreads) }
    if let workers { Parallel.workerCount = workers }
  }
}

/// Times a square sgemm of side `size` with OpenBLAS's current thread count.
func measureSgemm(size: Int, benchmark: inout Benchmark) -> Measurement {
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
  return benchmark.measure(name: "sgemm \(size)³", flops: flops, iterations: 10) {
    // One OpenBLAS call, so OpenBLAS's own thread count decides the threads.
    BLAS.serialGemm(
      transA: false, transB: false, m: size, n: size, k: size, alpha: 1, a: a, lda: size, b: b,
      ldb: size, beta: 0, c: c, ldc: size)
  }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
var benchmark = Benchmark(iterations: options.iterations)
print("OpenBLAS: \(BLAS.configuration); \(Parallel.onlineProcessorCount) cores")

BLAS.setThreadCount(Parallel.onlineProcessorCount)
let sgemm = measureSgemm(size: 1024, benchmark: &benchmark)
BLAS.setThreadCount(1)
let sgemmSingle = measureSgemm(size: 1024, benchmark: &benchmark)
Benchmark.printTable([sgemm], reference: sgemm.gigaflopsPerSecond)
print(
  "(one thread: \(Benchmark.format(sgemmSingle.gigaflopsPerSecond, 1)) GFLOP/s)\n")

options.applyThreading()
let lenet = LeNetKernels(imagesPerChunk: options.chunk)
print(
  "LeNet, batch \(lenet.batch): OpenBLAS threads \(BLAS.threadCount), workers "
    + "\(Parallel.workerCount), parts \(lenet.conv2.parts), images per GEMM conv1 "
    + "\(lenet.conv1.imagesPerChunk) conv2 \(lenet.conv2.imagesPerChunk)")
Benchmark.printTable(lenet.measureStep(&benchmark), reference: sgemm.gigaflopsPerSecond)

if options.compare {
  print("\nWhole LeNet step by threading setting:")
  var rows: [Measurement] = []
  for (blasThreads, workers, chunk) in [
    (1, 1, nil), (2, 1, nil), (1, 2, nil), (2, 2, nil), (2, 1, 1), (1, 2, 1), (1, 2, 2),
    (1, 2, 4), (1, 2, 8), (1, 2, 32), (2, 1, 64),
  ] as [(Int, Int, Int?)] {
    BLAS.setThreadCount(blasThreads)
    Parallel.workerCount = workers
    let net = LeNetKernels(imagesPerChunk: chunk)
    var quiet = Benchmark(iterations: options.iterations)
    let step = net.measureStep(&quiet).last
    let label = "blas \(blasThreads) workers \(workers)" + (chunk.map { " chunk \($0)" } ?? "")
    rows.append(
      Measurement(
        name: label, flops: step?.flops ?? 0, milliseconds: step?.milliseconds ?? 0))
  }
  Benchmark.printTable(rows, reference: sgemm.gigaflopsPerSecond)
  options.applyThreading()
}
