// HDF5Output layer: writes its two bottoms to an HDF5 file as datasets "data" and "label".

import CaffeData
import CaffeProto
import CaffeSupport

/// "HDF5Output": saves bottom[0] as dataset `data` and bottom[1] as dataset `label` of an HDF5
/// file (Caffe's `HDF5OutputLayer`).
///
/// Parameters:
/// - `hdf5_output_param.file_name`: the file to write; setup creates it (replacing any file
///   there), empty.
///
/// - bottom[0]: (N, C, H, W), written as float32 dataset `data` of shape (N, C, H, W); blobs of
///   fewer axes get trailing 1s as Caffe's legacy 4-D view gives them ((N, D) → (N, D, 1, 1)),
///   blobs of more than 4 axes keep their shape.
/// - bottom[1]: (N, …), written likewise as dataset `label`.
///
/// Each forward replaces the file with the latest batch. (Caffe writes the datasets once and
/// fails on a second forward because they exist; the file then holds the first batch.) No tops;
/// backward does nothing.
///
/// - Throws: `CaffeError.invalidParameter` for a missing file_name; `CaffeError.io` when the file
///   cannot be created or written; `CaffeError.shapeMismatch` when the bottoms' N differ.
public final class HDF5OutputLayer: Layer {
  override public class var type: String { "HDF5Output" }
  override public class var bottomCount: BlobCount { .exactly(2) }
  override public class var topCount: BlobCount { .exactly(0) }

  /// The file the layer writes (`hdf5_output_param.file_name`).
  public var fileName: String { param.hdf5OutputParam.fileName }

  /// Checks `hdf5_output_param`.
  /// - Throws: `CaffeError.invalidParameter` when file_name is missing.
  public required init(_ param: LayerParameter) throws {
    try super.init(param)
    guard !fileName.isEmpty else {
      throw invalid("hdf5_output_param.file_name", "not given; name the .h5 file to write")
    }
  }

  /// Creates the (empty) output file, as Caffe does at setup.
  /// - Throws: `CaffeError.io` when the file cannot be created.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    try HDF5File(creatingAt: fileName).close()
  }

  /// Does nothing: the layer has no tops.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {}

  /// Writes bottom[0] as `data` and bottom[1] as `label`, replacing the file's content.
  /// - Throws: `CaffeError.shapeMismatch` when the bottoms' N differ; `CaffeError.io` when the
  ///   file cannot be written.
  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    guard bottom[0].num == bottom[1].num else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: "label (bottom 1)",
        expected: [bottom[0].num] + bottom[1].shape.dropFirst(),
        actual: bottom[1].shape)
    }
    Log.info("Saving HDF5 file \(fileName)")
    let file = try HDF5File(creatingAt: fileName)
    try file.writeFloats("data", bottom[0].dataArray, shape: Self.savedShape(bottom[0]))
    try file.writeFloats("label", bottom[1].dataArray, shape: Self.savedShape(bottom[1]))
    try file.close()
    Log.info("Successfully saved \(bottom[0].num) rows")
  }

  /// The shape a blob is saved with: its legacy 4-D (N, C, H, W) view, or its own shape when it
  /// has more than 4 axes.
  private static func savedShape(_ blob: Blob) -> [Int] {
    blob.numAxes > 4 ? blob.shape : [blob.num, blob.channels, blob.height, blob.width]
  }
}
