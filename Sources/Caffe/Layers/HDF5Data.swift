// HDF5Data layer: rows of datasets named like the tops, read from the .h5 files of a list.

import CaffeData
import CaffeKernels
import CaffeProto
import CaffeSupport
import Foundation

/// "HDF5Data": outputs batches of rows from HDF5 files, one dataset per top, named like the top
/// (Caffe's `HDF5DataLayer`).
///
/// Parameters:
/// - `hdf5_data_param.source`: a text file listing .h5 paths separated by white space (relative
///   paths are relative to the working directory, as in Caffe). An .h5 file given here directly
///   is refused with the list of its datasets;
/// - `hdf5_data_param.batch_size`: N, the rows per batch (positive);
/// - `hdf5_data_param.shuffle` (default false): shuffles the order of the files at each pass and
///   the order of each file's rows each time the file is (re)started, with `Runtime`'s seeded
///   generator. Rows of different files are never interleaved.
/// - `transform_param` is refused: the layer does not transform data.
///
/// - top[k]: (N, D1, D2, …): rows of dataset `top[k]`, whose shape is (R, D1, D2, …) in every
///   file; float32, float64 and integer datasets are read as Float.
///
/// One file is held in memory at a time. After the last row of a file the next file is loaded;
/// after the last file the first one again. A single listed file is loaded once. Backward does
/// nothing: the layer has no bottoms.
///
/// - Throws: `CaffeError.invalidParameter` for a missing source, a zero batch_size, a
///   transform_param, a list that names no file, or an .h5 source; `CaffeError.io` /
///   `.invalidFile` for unreadable files or a listed file lacking a top's dataset;
///   `CaffeError.invalidData` when tops' row counts differ, a file has no rows, or a later file's
///   row shape differs from the first file's.
public final class HDF5DataLayer: Layer {
  override public class var type: String { "HDF5Data" }
  override public class var bottomCount: BlobCount { .exactly(0) }
  override public class var topCount: BlobCount { .atLeast(1) }

  private let batchSize: Int
  private let shuffle: Bool
  private var fileNames: [String] = []
  /// The order in which the files are read in the current pass.
  private var filePermutation: [Int] = []
  /// The position in `filePermutation` of the loaded file.
  private var currentFile = 0
  /// The position in `rowPermutation` of the next row to output.
  private var currentRow = 0
  /// One array per top: the loaded file's dataset, (R, D1, D2, …) row-major.
  private var datasets: [[Float]] = []
  /// The shape of one row of each top, (D1, D2, …), fixed by the first file.
  private var rowShapes: [[Int]] = []
  /// R, the rows of the loaded file.
  private var rowCount = 0
  /// The order in which the loaded file's rows are output.
  private var rowPermutation: [Int] = []
  private var generator = SeededGenerator(seed: 0)

  /// Checks `hdf5_data_param`.
  /// - Throws: `CaffeError.invalidParameter` for a missing source, a zero batch_size or a
  ///   transform_param.
  public required init(_ param: LayerParameter) throws {
    let hdf5 = param.hdf5DataParam
    batchSize = Int(hdf5.batchSize)
    shuffle = hdf5.shuffle
    try super.init(param)
    guard !param.hasTransformParam else {
      throw invalid("transform_param", "HDF5Data does not transform data; remove it")
    }
    guard !hdf5.source.isEmpty else {
      throw invalid("hdf5_data_param.source", "not given; name a text file listing .h5 files")
    }
    guard batchSize > 0 else {
      throw invalid("hdf5_data_param.batch_size", "must be positive; give the rows per batch")
    }
  }

  /// Reads the list of files, loads the first one and shapes the tops (N, D1, D2, …).
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    generator = Runtime.makeGenerator()
    let source = param.hdf5DataParam.source
    Log.info("Loading list of HDF5 filenames from: \(source)")
    fileNames = try readFileList(source)
    Log.info("Number of HDF5 files: \(fileNames.count)")
    filePermutation = Array(fileNames.indices)
    if shuffle { filePermutation.shuffle(using: &generator) }
    currentFile = 0
    rowShapes = []
    try loadFile(fileNames[filePermutation[0]])
    currentRow = 0
    for (index, blob) in top.enumerated() { try blob.reshape([batchSize] + rowShapes[index]) }
  }

  /// Does nothing: the tops keep the shape set up from the first file.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Copies the next `batch_size` rows of every dataset into the tops, moving on to the next
  /// file when a file's rows are used up.
  /// - Throws: what loading the next file throws.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    for item in 0..<batchSize {
      let row = rowPermutation[currentRow]
      for (index, blob) in top.enumerated() {
        let rowSize = blob.count / batchSize
        datasets[index].withUnsafeBufferPointer { source in
          guard let base = source.baseAddress else { return }
          Elementwise.copy(
            count: rowSize, from: base + row * rowSize, into: blob.data + item * rowSize)
        }
      }
      try advance()
    }
  }

  /// Moves to the next row, loading the next file (and reshuffling) at the end of a file.
  private func advance() throws {
    currentRow += 1
    guard currentRow == rowCount else { return }
    if fileNames.count > 1 {
      currentFile += 1
      if currentFile == fileNames.count {
        currentFile = 0
        if shuffle { filePermutation.shuffle(using: &generator) }
      }
      try loadFile(fileNames[filePermutation[currentFile]])
    }
    currentRow = 0
    if shuffle { rowPermutation.shuffle(using: &generator) }
  }

  /// The paths listed in `source`, separated by white space.
  private func readFileList(_ source: String) throws -> [String] {
    if let file = try? HDF5File(openingAt: source) {
      let datasets = (try? file.memberNames())?.joined(separator: ", ") ?? ""
      throw invalid(
        "hdf5_data_param.source",
        "\(source) is an HDF5 file (datasets: \(datasets)); source must be a text file listing "
          + ".h5 files, one per line: write \(source) into such a file and give its path")
    }
    let text: String
    do {
      text = try String(contentsOfFile: source, encoding: .utf8)
    } catch {
      throw CaffeError.io(path: source, reason: "cannot read the list of HDF5 files")
    }
    let names = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    guard !names.isEmpty else {
      throw invalid("hdf5_data_param.source", "\(source) lists no HDF5 file; list at least one")
    }
    return names
  }

  /// Loads every top's dataset from `path` and resets the row order.
  private func loadFile(_ path: String) throws {
    let file = try HDF5File(openingAt: path)
    var loaded: [[Float]] = []
    var shapes: [[Int]] = []
    for topName in param.top {
      guard file.contains(topName) else {
        let members = (try? file.memberNames())?.joined(separator: ", ") ?? ""
        throw CaffeError.invalidFile(
          path: path,
          reason: "no dataset \"\(topName)\" for top \"\(topName)\" of layer "
            + "\"\(name)\" (HDF5Data reads one dataset per top, named like the top; the file "
            + "holds: \(members))")
      }
      let dataset = try file.readFloats(topName)
      loaded.append(dataset.values)
      shapes.append(dataset.shape)
    }
    try checkShapes(shapes, path: path)
    datasets = loaded
    rowCount = shapes[0][0]
    if rowShapes.isEmpty { rowShapes = shapes.map { Array($0.dropFirst()) } }
    rowPermutation = Array(0..<rowCount)
    if shuffle { rowPermutation.shuffle(using: &generator) }
  }

  /// Throws unless every dataset has rows, the same row count, and the row shape of the first
  /// file.
  private func checkShapes(_ shapes: [[Int]], path: String) throws {
    let tops = param.top
    for (index, shape) in shapes.enumerated() {
      guard let rows = shape.first, rows > 0 else {
        throw CaffeError.invalidData(
          layer: name,
          reason: "dataset \"\(tops[index])\" in \(path) has shape "
            + "\(CaffeError.shapeText(shape)); at least 1 axis and 1 row are required")
      }
      guard rows == shapes[0][0] else {
        throw CaffeError.invalidData(
          layer: name,
          reason: "datasets in \(path) have different row counts: "
            + "\"\(tops[0])\" has \(shapes[0][0]), \"\(tops[index])\" has \(rows); every top's "
            + "dataset needs the same first dimension")
      }
      if !rowShapes.isEmpty, Array(shape.dropFirst()) != rowShapes[index] {
        throw CaffeError.invalidData(
          layer: name,
          reason: "dataset \"\(tops[index])\" in \(path) has rows of shape "
            + "\(CaffeError.shapeText(Array(shape.dropFirst()))) but the first file's rows are "
            + "\(CaffeError.shapeText(rowShapes[index])); all files need the same row shape")
      }
    }
  }
}
