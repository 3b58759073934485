// Options: caffe-bench's command-line flags.
import CaffeKernels
import Foundation

/// What caffe-bench times.
enum Mode: String {
  /// The real LeNet `Net` and `SGDSolver` step (module Caffe).
  case net
  /// LeNet's layers through CaffeKernels alone, with hand-made buffers.
  case kernels
  /// Both, net first.
  case all
  /// Reading MNIST from LMDB, LevelDB and JPEG files (see DatabaseReadBenchmark); run alone.
  case db
}

/// The command-line options.
struct Options {
  /// What to time (`--mode net|kernels|all`, default all).
  var mode = Mode.all
  /// Timed iterations per measurement (`--iterations`, default 50).
  var iterations = 50
  /// Untimed iterations before each measurement (`--warmup`, default 5).
  var warmup = 5
  /// The net definition whose Data layers become Input layers (`--model`).
  var model = "examples/mnist/lenet_train_test.prototxt"
  /// The solver whose SGD settings the training step uses (`--solver`).
  var solver = "examples/mnist/lenet_solver.prototxt"
  /// OpenBLAS threads for the LeNet measurements (`--blas-threads`; default 1).
  var blasThreads: Int?
  /// Width of our parallel loops (`--workers`; default every core).
  var workers: Int?
  /// Images per convolution GEMM in the kernel mode (`--chunk`; 1 = Caffe's image-at-a-time).
  var chunk: Int?
  /// Whether the kernel mode also times the whole step under several threading settings.
  var compare = false
  /// The db mode's MNIST digits: an LMDB folder or an IDX image file (`--source`; default the
  /// first present of data/mnist/t10k-images-idx3-ubyte, ../shared/golden/mnist_test_lmdb and
  /// examples/mnist/mnist_test_lmdb).
  var mnistSource =
    [
      "data/mnist/t10k-images-idx3-ubyte", "../shared/golden/mnist_test_lmdb",
      "examples/mnist/mnist_test_lmdb",
    ].first { FileManager.default.fileExists(atPath: $0) } ?? "data/mnist/t10k-images-idx3-ubyte"
  /// Timed passes over each store in the db mode (`--passes`, default 5).
  var passes = 5

  /// Parses `arguments` (without the program name); unknown flags are reported and ignored.
  init(_ arguments: [String]) {
    var rest = arguments[...]
    while let flag = rest.popFirst() {
      switch flag {
      case "--compare": compare = true
      case "--mode":
        let value = rest.popFirst() ?? ""
        if let parsed = Mode(rawValue: value) {
          mode = parsed
        } else {
          print(
            "warning: unknown --mode \(value) (use net, kernels, all or db); using \(mode)")
        }
      case "--iterations": iterations = rest.popFirst().flatMap { Int($0) } ?? iterations
      case "--warmup": warmup = rest.popFirst().flatMap { Int($0) } ?? warmup
      case "--model": model = rest.popFirst() ?? model
      case "--solver": solver = rest.popFirst() ?? solver
      case "--blas-threads": blasThreads = rest.popFirst().flatMap { Int($0) }
      case "--workers": workers = rest.popFirst().flatMap { Int($0) }
      case "--chunk": chunk = rest.popFirst().flatMap { Int($0) }
      case "--source": mnistSource = rest.popFirst() ?? mnistSource
      case "--passes": passes = rest.popFirst().flatMap { Int($0) } ?? passes
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
