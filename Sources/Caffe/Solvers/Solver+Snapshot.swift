// Snapshots (.caffemodel + .solverstate) and resuming from them.

import CaffeProto
import CaffeSupport
import Foundation

/// File names and the start-of-training write check for `snapshot_prefix`.
enum SnapshotWriter {
  /// `<prefix>_iter_<iteration><suffix>`, such as `examples/mnist/lenet_iter_5000.caffemodel`.
  static func filename(prefix: String, iteration: Int, suffix: String) -> String {
    "\(prefix)_iter_\(iteration)\(suffix)"
  }

  /// Checks, before any training, that snapshots can be written where `snapshot_prefix` says,
  /// by creating and removing a probe file there.
  /// - Throws: `CaffeError.invalidSolver` when `snapshot` is set without `snapshot_prefix`, or
  ///   when the probe cannot be written.
  static func checkWritable(_ param: SolverParameter) throws {
    guard param.snapshot > 0 || param.snapshotAfterTrain else { return }
    guard param.hasSnapshotPrefix || param.snapshot == 0 else {
      throw CaffeError.invalidSolver(
        reason: "In solver params, snapshot is specified but snapshot_prefix is not")
    }
    let probe = filename(prefix: param.snapshotPrefix, iteration: 0, suffix: ".tempfile")
    guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
      throw CaffeError.invalidSolver(
        reason: "Cannot write to snapshot prefix '\(param.snapshotPrefix)'. Make sure that the "
          + "directory exists and is writable.")
    }
    try? FileManager.default.removeItem(atPath: probe)
    removeAbandonedFiles(prefix: param.snapshotPrefix)
  }

  /// Removes the temporary snapshot files of a run killed while it wrote a snapshot (the
  /// snapshot it was writing never replaced anything, so they hold nothing of value).
  private static func removeAbandonedFiles(prefix: String) {
    let stem = URL(fileURLWithPath: filename(prefix: prefix, iteration: 0, suffix: ""))
    let namePrefix = String(stem.lastPathComponent.dropLast())
    for file in TemporarySibling.abandoned(
      in: stem.deletingLastPathComponent(), namePrefix: namePrefix)
    {
      Log.warning("Removing \(file.path), left by a run killed while it wrote a snapshot")
      try? FileManager.default.removeItem(at: file)
    }
  }
}

extension Solver {
  /// Writes `<prefix>_iter_<I>.caffemodel` (the train net's weights, with diffs if
  /// `snapshot_diff`) and then `<prefix>_iter_<I>.solverstate` — with `snapshot_format: HDF5`
  /// `.caffemodel.h5` and `.solverstate.h5` in Caffe's HDF5 layouts — each atomically, logging
  /// Caffe's two `Snapshotting …` lines.
  /// - Throws: `CaffeError.io` when a file cannot be written; `CaffeError.invalidSolver` when the
  ///   iteration or step does not fit the state's 32-bit fields; `CaffeError.numerical` (and
  ///   writes nothing) when a weight is NaN or infinite.
  public func snapshot() throws {
    if let place = net.firstNonFiniteParameter() {
      throw numericalError("refusing to snapshot: \(place) is not finite")
    }
    guard let iter = Int32(exactly: iteration), let step = Int32(exactly: currentStep) else {
      throw CaffeError.invalidSolver(
        reason: "iteration \(iteration) (current_step \(currentStep)) is too large to be saved "
          + "in a solver state")
    }
    let hdf5 = param.snapshotFormat == .hdf5
    let format = hdf5 ? "HDF5" : "binary proto"
    let modelPath = SnapshotWriter.filename(
      prefix: param.snapshotPrefix, iteration: iteration,
      suffix: hdf5 ? ".caffemodel.h5" : ".caffemodel")
    Log.info("Snapshotting to \(format) file \(modelPath)")
    if hdf5 {
      try net.saveHDF5(to: modelPath, writeDiff: param.snapshotDiff)
    } else {
      try BinaryProto.write(net.toProto(writeDiff: param.snapshotDiff), path: modelPath)
    }
    let statePath = SnapshotWriter.filename(
      prefix: param.snapshotPrefix, iteration: iteration,
      suffix: hdf5 ? ".solverstate.h5" : ".solverstate")
    var state = SolverState()
    state.iter = iter
    state.learnedNet = modelPath
    state.currentStep = step
    saveHistory(into: &state)
    state.dataPosition = dataLayers.map { name, layer in
      var position = Caffe_DataSourcePosition()
      position.layer = name
      position.record = UInt64(layer.recordsConsumed)
      return position
    }
    Log.info("Snapshotting solver state to \(format) file \(statePath)")
    if hdf5 {
      try SolverStateHDF5.write(state, to: statePath)
    } else {
      try BinaryProto.write(state, path: statePath)
    }
    lastSnapshot = (statePath, "iteration \(iteration), training loss \(formatG(smoothedLoss))")
  }

  /// Resumes from a `.solverstate` (or, for a path ending in `.h5`, an HDF5 `.solverstate.h5`):
  /// loads its `learned_net` weights, iteration, `current_step`, history and data positions,
  /// then logs `Restored <path>: iteration I, learning rate R, N history blobs (<type>)`.
  ///
  /// A relative `learned_net` is tried as written (relative to the current directory, as in
  /// Caffe), then as a file next to the solver state.
  /// - Throws: `CaffeError.io` / `.invalidFile` for unreadable files, `.invalidSolver` when the
  ///   state does not fit this solver or net (negative iter or current_step, wrong history
  ///   count, unknown data layer).
  public func restore(from path: String) throws {
    let state =
      path.hasSuffix(".h5")
      ? try SolverStateHDF5.read(path: path) : try BinaryProto.read(SolverState.self, path: path)
    guard state.iter >= 0, state.currentStep >= 0 else {
      throw CaffeError.invalidSolver(
        reason: "\(path): iter (\(state.iter)) and current_step (\(state.currentStep)) must not "
          + "be negative")
    }
    iteration = Int(state.iter)
    if state.hasLearnedNet {
      try net.copyTrainedLayers(fromFile: try Self.locate(state.learnedNet, nextTo: path))
    }
    currentStep = Int(state.currentStep)
    try restoreHistory(from: state, path: path)
    try restoreDataPositions(state.dataPosition, path: path)
    lastSnapshot = (path, "iteration \(iteration), the state this run resumed from")
    Log.info(
      "Restored \(path): iteration \(iteration), learning rate "
        + "\(formatG(plannedLearningRate())), \(historyCount) history blobs (\(Self.type))")
  }

  /// The train net's Data layers with their names, in net order.
  private var dataLayers: [(String, DataLayer)] {
    net.layers.enumerated().compactMap { index, layer in
      (layer as? DataLayer).map { (net.layerNames[index], $0) }
    }
  }

  private func restoreDataPositions(_ positions: [Caffe_DataSourcePosition], path: String) throws {
    let layers = Dictionary(dataLayers, uniquingKeysWith: { first, _ in first })
    for position in positions {
      guard let layer = layers[position.layer] else {
        throw CaffeError.invalidSolver(
          reason: "\(path) records a position for data layer '\(position.layer)', which the "
            + "train net does not have")
      }
      guard let record = Int(exactly: position.record) else {
        throw CaffeError.invalidSolver(
          reason: "\(path): data layer '\(position.layer)' position \(position.record) is too "
            + "large")
      }
      try layer.seek(toRecord: record)
    }
  }

  /// `learnedNet` if it exists, else the file of that name in the folder of `statePath`.
  /// - Throws: `CaffeError.io` naming both places when neither exists.
  static func locate(_ learnedNet: String, nextTo statePath: String) throws -> String {
    let files = FileManager.default
    if learnedNet.hasPrefix("/") || files.fileExists(atPath: learnedNet) { return learnedNet }
    let folder = URL(fileURLWithPath: statePath).deletingLastPathComponent()
    let beside = folder.appendingPathComponent(
      URL(fileURLWithPath: learnedNet).lastPathComponent
    ).path
    guard files.fileExists(atPath: beside) else {
      throw CaffeError.io(
        path: learnedNet,
        reason: "the weights named by solver state \(statePath) were found neither there "
          + "nor at \(beside)")
    }
    return beside
  }
}
