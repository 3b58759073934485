// NetStep: the real training net and SGD solver step (module Caffe), fed from memory.
import Caffe
import CaffeKernels
import CaffeProto
import CaffeSupport

/// A net built by module Caffe from a training prototxt, with its `Data` layers replaced by
/// `Input` layers filled once from a seeded generator, and the `SGDSolver` that updates it.
///
/// So no database is read and the timings are those of the net and the solver alone: a training
/// step is `clearParamDiffs`, `forwardBackward` and `applyUpdate`, as in `Solver.step` without the
/// data prefetch, tests, display and snapshots.
///
/// Each `Data` layer becomes an `Input` layer with the same name, tops and phase rules, whose tops
/// are MNIST-shaped: data (batch, 1, 28, 28) with values uniform in [0, 1) (the scaled pixels) and
/// label (batch) with classes 0…9, batch being the layer's `data_param.batch_size`.
final class NetStep {
  /// The solver; its `net` is the net being timed.
  let solver: SGDSolver
  /// The net (phase TRAIN).
  var net: Net { solver.net }
  /// Images per step: the first dimension of the net's first input.
  let batch: Int

  /// Builds the net and the solver.
  ///
  /// - Parameters:
  ///   - modelPath: the net's prototxt (e.g. `examples/mnist/lenet_train_test.prototxt`).
  ///   - solverPath: the solver prototxt whose learning-rate, momentum and decay settings apply;
  ///     its net, test and snapshot fields are replaced.
  /// - Throws: `CaffeError` for unreadable files or an invalid net or solver.
  init(modelPath: String, solverPath: String) throws {
    var definition = try ProtoUpgrade.readNetText(path: modelPath)
    definition.layer = definition.layer.map(Self.inputInsteadOfData)
    var param = try ProtoUpgrade.readSolverText(path: solverPath)
    param.clearNet()
    param.clearTrainNet()
    param.clearTrainNetParam()
    param.netParam = definition
    param.testNet = []
    param.testNetParam = []
    param.testIter = []
    param.testState = []
    param.testInterval = 0
    param.display = 0
    param.snapshot = 0
    param.snapshotAfterTrain = false
    solver = try SGDSolver(param)
    batch = solver.net.inputBlobs.first?.shape.first ?? 0
    fillInputs()
  }

  /// `layer` itself, or for a `Data` layer an `Input` layer with MNIST-shaped tops.
  private static func inputInsteadOfData(_ layer: LayerParameter) -> LayerParameter {
    guard layer.type == "Data" else { return layer }
    let batch = Int64(layer.dataParam.batchSize)
    var input = LayerParameter()
    input.name = layer.name
    input.type = "Input"
    input.top = layer.top
    input.include = layer.include
    input.exclude = layer.exclude
    var image = BlobShape()
    image.dim = [batch, 1, 28, 28]
    var label = BlobShape()
    label.dim = [batch]
    input.inputParam.shape = Array([image, label].prefix(layer.top.count))
    return input
  }

  /// Fills the inputs: 4-D blobs (images) uniform in [0, 1), others (labels) with 0…9.
  private func fillInputs() {
    var generator = SeededGenerator(seed: 1701)
    for blob in net.inputBlobs {
      if blob.numAxes == 4 {
        Random.uniform(count: blob.count, min: 0, max: 1, into: blob.data, using: &generator)
      } else {
        for i in 0..<blob.count { blob.data[i] = Float(Int.random(in: 0..<10, using: &generator)) }
      }
    }
  }

  // MARK: - Passes

  /// One training step: zero the parameter diffs, forward, backward, SGD update.
  /// - Returns: the loss of the forward pass.
  /// - Throws: what the layers or the solver throw.
  @discardableResult
  func trainingStep() throws -> Float {
    net.clearParamDiffs()
    let loss = try net.forwardBackward()
    try solver.applyUpdate()
    return loss
  }

  // MARK: - Measuring

  /// The rows of one measurement run.
  struct Rows {
    /// Per layer, in net order: its forward row, then its backward row.
    var layers: [Measurement]
    /// Forward, forward+backward, training step, update alone.
    var passes: [Measurement]
    /// The loss before the timed training steps and after them.
    var losses: (before: Float, after: Float)
  }

  /// Times the layers one by one (as `caffe time` does, but taking medians), then the whole
  /// passes: forward, forward+backward, the training step and the update alone.
  ///
  /// - Parameter benchmark: iteration counts, and where the rows are recorded.
  /// - Returns: the rows.
  /// - Throws: what the layers or the solver throw.
  func measure(_ benchmark: inout Benchmark) throws -> Rows {
    let layerRows = try measureLayers(&benchmark)
    var passes: [Measurement] = []
    let forwardFlops = net.layers.indices.map { LayerFlops.forward(net, layer: $0) }
      .reduce(0, +)
    let backwardFlops = net.layers.indices.map { LayerFlops.backward(net, layer: $0) }
      .reduce(0, +)
    passes.append(
      try benchmark.measure(name: "forward", flops: forwardFlops) { try net.forward() })
    passes.append(
      try benchmark.measure(name: "forward+backward", flops: forwardFlops + backwardFlops) {
        try net.forwardBackward()
      })
    let before = try net.forward()
    passes.append(
      try benchmark.measure(name: "training step", flops: forwardFlops + backwardFlops) {
        try trainingStep()
      })
    let after = try net.forward()
    passes.append(try benchmark.measure(name: "update alone") { try solver.applyUpdate() })
    return Rows(layers: layerRows, passes: passes, losses: (before, after))
  }

  /// Times each layer's forward and backward inside whole training iterations.
  private func measureLayers(_ benchmark: inout Benchmark) throws -> [Measurement] {
    let count = net.layers.count
    var forwardTimes = Array(repeating: [Double](), count: count)
    var backwardTimes = Array(repeating: [Double](), count: count)
    let clock = ContinuousClock()
    for iteration in 0..<(benchmark.warmup + benchmark.iterations) {
      let timed = iteration >= benchmark.warmup
      net.clearParamDiffs()
      for i in 0..<count {
        let start = clock.now
        try net.forward(from: i, to: i)
        if timed { forwardTimes[i].append(Benchmark.milliseconds(clock.now - start)) }
      }
      for i in stride(from: count - 1, through: 0, by: -1) {
        let start = clock.now
        try net.backward(from: i, to: i)
        if timed { backwardTimes[i].append(Benchmark.milliseconds(clock.now - start)) }
      }
      try solver.applyUpdate()
    }
    var rows: [Measurement] = []
    for i in 0..<count {
      let name = net.layerNames[i]
      rows.append(
        benchmark.record(
          name: "\(name) forward", flops: LayerFlops.forward(net, layer: i),
          times: forwardTimes[i]))
      rows.append(
        benchmark.record(
          name: "\(name) backward", flops: LayerFlops.backward(net, layer: i),
          times: backwardTimes[i]))
    }
    return rows
  }
}
