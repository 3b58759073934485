// The convert_mnist_data command: MNIST IDX files to a Caffe LMDB or LevelDB.

import ArgumentParser
import CaffeData

/// `convert_mnist_data [--backend lmdb|leveldb] input_image_file input_label_file output_db_file`,
/// as Caffe's `examples/mnist/convert_mnist_data`.
///
/// Writes one Datum per digit (1 × 28 × 28 bytes and the label) under the keys `00000000`,
/// `00000001`, …, committing every 1 000 records; the output must not exist yet. The flag may be
/// written gflags-style too: `-backend=leveldb` (see ``normalizeGFlags(_:)``).
public struct ConvertMNISTData: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "convert_mnist_data",
    abstract: "Converts the MNIST dataset to the LMDB or LevelDB format Caffe's Data layer reads.",
    discussion: """
      The input files are the uncompressed IDX files that data/mnist/get_mnist.sh fetches; \
      examples/mnist/create_mnist.sh runs this tool for the training and test sets.
      """)

  /// The IDX image file (magic 2051), such as `data/mnist/train-images-idx3-ubyte`.
  @Argument(help: ArgumentHelp("The IDX image file.", valueName: "input_image_file"))
  public var inputImageFile: String

  /// The IDX label file (magic 2049), such as `data/mnist/train-labels-idx1-ubyte`.
  @Argument(help: ArgumentHelp("The IDX label file.", valueName: "input_label_file"))
  public var inputLabelFile: String

  /// The database folder to create; it must not exist.
  @Argument(help: ArgumentHelp("The database folder to create.", valueName: "output_db_file"))
  public var outputDBFile: String

  /// The storage engine, `lmdb` (default) or `leveldb`, as Caffe's `--backend` flag.
  @Option(help: ArgumentHelp("The backend for storing the result: lmdb or leveldb."))
  public var backend: String = DatabaseBackend.lmdb.rawValue

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Rejects an unknown backend before any file is read.
  ///
  /// - Throws: `ValidationError` naming the known backends.
  public func validate() throws {
    guard DatabaseBackend(rawValue: backend) != nil else {
      let known = DatabaseBackend.allCases.map(\.rawValue).joined(separator: ", ")
      throw ValidationError("unknown backend \"\(backend)\" (known backends: \(known))")
    }
  }

  /// Converts the files.
  ///
  /// - Throws: `CaffeError` for unreadable or malformed input files and for an output path that
  ///   exists or cannot be written.
  public func run() throws {
    try convertMNIST(
      imageFile: inputImageFile, labelFile: inputLabelFile, outputPath: outputDBFile,
      backend: DatabaseBackend(parsing: backend))
  }
}
