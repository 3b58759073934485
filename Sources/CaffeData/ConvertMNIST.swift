// The conversion behind the convert_mnist_data tool: IDX files to a database of Datums.

import CaffeProto
import CaffeSupport
import Foundation

/// Converts an MNIST image file and its label file into a new database, as Caffe's
/// `convert_mnist_data` does.
///
/// Record `i` (0-based) has the key `String(format: "%08d", i)` and a ``Datum`` value with
/// channels 1, height H, width W (28 × 28 for MNIST), the H·W pixel bytes and the label. Records
/// are committed every 1 000 and at the end. Logs `A total of N items.`, `Rows: H Cols: W` and
/// `Processed N files.` as Caffe does. With the same input, the keys and values are byte-identical
/// to Caffe's.
///
/// - Parameters:
///   - imageFile: an IDX image file (magic 2051), uncompressed.
///   - labelFile: an IDX label file (magic 2049), uncompressed.
///   - outputPath: the database folder to create; it must not exist.
///   - backend: the storage engine.
/// - Returns: the number of records written.
/// - Throws: `CaffeError.io` / `.invalidFile` for unreadable or malformed input files (wrong
///   magic, size, image and label counts that differ); `CaffeError.database` when the output
///   exists or cannot be written.
@discardableResult
public func convertMNIST(
  imageFile: String, labelFile: String, outputPath: String, backend: DatabaseBackend
) throws -> Int {
  let images = try MNISTImages(path: imageFile)
  let labels = try MNISTLabels(path: labelFile)
  guard images.count == labels.count else {
    throw CaffeError.invalidFile(
      path: labelFile,
      reason: "holds \(labels.count) labels but \(imageFile) holds \(images.count) images; "
        + "give the matching pair (train-* with train-*, t10k-* with t10k-*)")
  }
  guard let height = Int32(exactly: images.rows), let width = Int32(exactly: images.columns) else {
    throw CaffeError.invalidFile(path: imageFile, reason: "image sizes too large for a Datum")
  }
  let database = try openDatabase(backend: backend, path: outputPath, mode: .new)
  defer { database.close() }
  let transaction = try database.transaction()
  Log.info("A total of \(images.count) items.")
  Log.info("Rows: \(height) Cols: \(width)")
  let commitInterval = 1_000
  for index in 0..<images.count {
    let key = Array(String(format: "%08d", index).utf8)
    let datum = Datum(
      channels: 1, height: height, width: width, bytes: Array(images.image(index)),
      label: Int32(labels.labels[index]))
    transaction.put(key, try datum.serializedValue(key: key, source: outputPath))
    if (index + 1) % commitInterval == 0 { try transaction.commit() }
  }
  if images.count % commitInterval != 0 { try transaction.commit() }
  Log.info("Processed \(images.count) files.")
  return images.count
}
