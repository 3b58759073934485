// Solver states in HDF5: Caffe's `.solverstate.h5` layout, to and from a SolverState message.

import CaffeData
import CaffeProto
import CaffeSupport

/// Converts between ``SolverState`` and Caffe's HDF5 solver state (`snapshot_format: HDF5`,
/// files `<prefix>_iter_<I>.solverstate.h5`).
///
/// Layout (Caffe's `SGDSolver::SnapshotSolverStateToHDF5`):
/// - `iter`: int, 1-D of one value;
/// - `learned_net`: fixed-length string, the weights file (optional when reading);
/// - `current_step`: int, 1-D of one value;
/// - group `history`: float32 datasets `"0"`, `"1"`, … with each history blob's shape.
///
/// Also written, and ignored by Caffe: group `data_position` with one int dataset per Data layer
/// (named like the layer) holding ``SolverState``'s `data_position` record count.
public enum SolverStateHDF5 {
  /// Reads the solver state at `path`.
  ///
  /// The history blobs come back as BlobProtos with `shape` and float `data`; their count is
  /// the number of members of `history`, which must be the datasets `"0"` … `"n-1"`. Checking
  /// them against a solver (count, shapes) is the caller's job, as for binary states.
  /// - Throws: `CaffeError.io` / `.invalidFile` naming the file and the dataset for a missing,
  ///   non-HDF5 or damaged file, or a missing `iter`, `current_step` or `history`;
  ///   `CaffeError.invalidSolver` when `iter` or `current_step` is negative.
  public static func read(path: String) throws -> SolverState {
    let file = try HDF5File(openingAt: path)
    var state = SolverState()
    state.iter = try readCounter("iter", file)
    if file.contains("learned_net") { state.learnedNet = try file.readString("learned_net") }
    state.currentStep = try readCounter("current_step", file)
    let history = try file.openGroup("history")
    let count = try history.memberNames().count
    state.history = try (0..<count).map { index in
      let blob = try history.readFloats("\(index)")
      var proto = BlobProto()
      proto.shape.dim = blob.shape.map(Int64.init)
      proto.data = blob.values
      return proto
    }
    if file.containsGroup("data_position") {
      let positions = try file.openGroup("data_position")
      state.dataPosition = try positions.memberNames().map { layer in
        var position = Caffe_DataSourcePosition()
        position.layer = layer
        position.record = UInt64(max(0, try positions.readInt(layer)))
        return position
      }
    }
    return state
  }

  /// Writes `state` to `path` in Caffe's layout, atomically (a temporary file renamed over
  /// `path`).
  ///
  /// History BlobProtos may use `shape` or the legacy num/channels/height/width fields, and
  /// float or double data; they are written as float32 datasets.
  /// - Throws: `CaffeError.io` when the file cannot be written (the previous file, if any, is
  ///   left as it was); `CaffeError.invalidSolver` when a history blob's value count does not
  ///   match its shape, or a data position does not fit in 32 bits or its layer name holds "/".
  public static func write(_ state: SolverState, to path: String) throws {
    let history = try state.history.enumerated().map { index, proto in
      let shape = Blob.shape(of: proto)
      let values = proto.doubleData.isEmpty ? proto.data : proto.doubleData.map { Float($0) }
      guard shape.reduce(1, *) == values.count else {
        throw CaffeError.invalidSolver(
          reason: "\(path): history blob \(index) holds \(values.count) values for shape "
            + CaffeError.shapeText(shape))
      }
      return (shape, values)
    }
    for position in state.dataPosition
    where position.record > UInt64(Int32.max) || position.layer.contains("/") {
      throw CaffeError.invalidSolver(
        reason: "\(path): cannot store the position \(position.record) of data layer "
          + "'\(position.layer)' in an HDF5 solver state (at most \(Int32.max), no \"/\" in the "
          + "name); use snapshot_format: BINARYPROTO")
    }
    try HDF5File.writeAtomically(to: path) { file in
      try file.writeInt("iter", Int(state.iter))
      try file.writeString("learned_net", state.learnedNet)
      try file.writeInt("current_step", Int(state.currentStep))
      let group = try file.createGroup("history")
      for (index, blob) in history.enumerated() {
        try group.writeFloats("\(index)", blob.1, shape: blob.0)
      }
      guard !state.dataPosition.isEmpty else { return }
      let positions = try file.createGroup("data_position")
      for position in state.dataPosition {
        try positions.writeInt(position.layer, Int(position.record))
      }
    }
  }

  /// Reads a non-negative int32 counter (`iter`, `current_step`).
  private static func readCounter(_ name: String, _ file: HDF5File) throws -> Int32 {
    let value = try file.readInt(name)
    guard value >= 0 else {
      throw CaffeError.invalidSolver(
        reason: "\(file.filePath): \(name) is \(value); it must not be negative")
    }
    return Int32(value)
  }
}
