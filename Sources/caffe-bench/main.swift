// caffe-bench: times LeNet training (the real Net and SGD step, and its kernels alone) and prints
// ms, GFLOP/s and the share of a large sgemm measured in the same run.
//
// Usage: caffe-bench [--mode net|kernels|all|db] [--iterations N] [--warmup N] [--model PROTOTXT]
//                    [--solver PROTOTXT] [--blas-threads N] [--workers N] [--chunk N] [--compare]
//                    [--source MNIST] [--passes N]
//   --mode: net = the Net built from --model (Data layers replaced by in-memory Input layers) and
//     the SGDSolver step from --solver; kernels = LeNet's layers through CaffeKernels alone;
//     all (default) = both. Run from the repository root (the default paths are relative).
//   --iterations, --warmup: timed and untimed iterations per row (default 50 and 5); rows are
//     medians.
//   --blas-threads, --workers: OpenBLAS threads and our parallel-loop width (default: the
//     module's default threading, Parallel.configureDefaultThreading()).
//   --chunk N: images per convolution GEMM in the kernel mode (1 = Caffe's image-at-a-time).
//   --compare: the kernel mode also times the whole step under several threading settings.
//   --mode db: alone, times reading 10 000 MNIST digits (--source: an LMDB folder or IDX image
//     file) from LMDB, LevelDB and JPEG files, --passes times each (default 5); images/second.
import Caffe
import CaffeKernels
import CaffeSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Times the real net: per-layer rows, then the whole passes.
func runNetMode(_ options: Options, reference: Measurement) throws {
  var benchmark = Benchmark(iterations: options.iterations, warmup: options.warmup)
  let step = try NetStep(modelPath: options.model, solverPath: options.solver)
  print(
    "Net \(step.net.name) from \(options.model), batch \(step.batch), SGD settings from "
      + "\(options.solver)\nOpenBLAS threads \(BLAS.threadCount), workers "
      + "\(Parallel.workerCount); medians of \(options.iterations) iterations after "
      + "\(options.warmup) untimed")
  let rows = try step.measure(&benchmark)
  Benchmark.printTable(rows.layers, reference: reference.gigaflopsPerSecond, title: "layer")
  print("")
  Benchmark.printTable(rows.passes, reference: reference.gigaflopsPerSecond, title: "pass")
  print(
    "loss \(Benchmark.format(Double(rows.losses.before), 4)) before the timed training steps, "
      + "\(Benchmark.format(Double(rows.losses.after), 4)) after (same batch each step)")
}

/// Times LeNet's kernels alone, as before the net existed.
func runKernelMode(_ options: Options, reference: Measurement) {
  var benchmark = Benchmark(iterations: options.iterations)
  let lenet = LeNetKernels(imagesPerChunk: options.chunk)
  print(
    "LeNet kernels, batch \(lenet.batch): OpenBLAS threads \(BLAS.threadCount), workers "
      + "\(Parallel.workerCount), parts \(lenet.conv2.parts), images per GEMM conv1 "
      + "\(lenet.conv1.imagesPerChunk) conv2 \(lenet.conv2.imagesPerChunk)")
  Benchmark.printTable(lenet.measureStep(&benchmark), reference: reference.gigaflopsPerSecond)
  guard options.compare else { return }
  print("\nWhole LeNet kernel step by threading setting:")
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
  Benchmark.printTable(rows, reference: reference.gigaflopsPerSecond)
  options.applyThreading()
}

/// The process's peak resident memory so far, in MB (10⁶ bytes), or nil where unknown.
func peakResidentMegabytes() -> Double? {
  #if canImport(Glibc)
    var usage = rusage()
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
    // Linux reports kilobytes (KiB).
    return Double(usage.ru_maxrss) * 1024 / 1e6
  #else
    return nil
  #endif
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
Log.minimumLevel = 1
Parallel.configureDefaultThreading()
if options.mode == .db {
  do {
    try runDatabaseMode(options)
    exit(0)
  } catch {
    print("error: the database benchmark failed: \(error)")
    exit(1)
  }
}
print("OpenBLAS: \(BLAS.configuration); \(Parallel.onlineProcessorCount) cores")
var referenceBenchmark = Benchmark(iterations: 10, warmup: 2)
let reference = measureReferenceGemm(size: 1024, benchmark: &referenceBenchmark)
Benchmark.printTable(
  [reference.single, reference.parallel], reference: reference.parallel.gigaflopsPerSecond,
  title: "reference")
print("(ratios below are to the \(reference.parallel.name) row)\n")

options.applyThreading()
var failed = false
if options.mode != .kernels {
  do {
    try runNetMode(options, reference: reference.parallel)
  } catch {
    print("error: the net benchmark failed: \(error)")
    failed = true
  }
  print("")
}
if options.mode != .net {
  runKernelMode(options, reference: reference.parallel)
}
if let peak = peakResidentMegabytes() {
  print("\npeak resident memory of caffe-bench: \(Benchmark.format(peak, 1)) MB")
}
if failed { exit(1) }
