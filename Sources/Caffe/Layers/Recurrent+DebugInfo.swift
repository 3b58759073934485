// Recurrent debug_info: per-step mean absolute values, named after Caffe's unrolled net.

import CaffeKernels
import CaffeSupport

extension RecurrentLayer {
  /// The unrolled net's name for a blob or layer of this layer: prefixed with the layer's name.
  private func unrolledName(_ base: String) -> String { name.isEmpty ? base : "\(name)_\(base)" }

  private func meanAbs(_ values: UnsafePointer<Float>, _ count: Int) -> String {
    formatG(count > 0 ? BLAS.asum(count: count, x: values) / Float(count) : 0)
  }

  /// Logs each step's states as Caffe's unrolled net would: `[Forward] Layer <name>_unit_t, top
  /// blob h_t data: <mean |h_t|>`.
  func logForward(top: [Blob]) {
    let size = streams * numOutput
    for step in 0..<timesteps {
      let layer = unrolledName("\(Self.stepNames.layer)_\(step + 1)")
      for (index, state) in Self.stateNames.enumerated() {
        let values = stateHistory(index, top: top) + step * size
        Log.info(
          "    [Forward] Layer \(layer), top blob \(state)_\(step + 1) data: "
            + meanAbs(values, size))
      }
    }
  }

  /// Logs each step's gate gradient (`[Backward] Layer <name>_unit_t, bottom blob gate_input_t
  /// diff: <mean |d gate_t|>`) and each parameter's diff.
  func logBackward() {
    let size = streams * gateCount
    for step in stride(from: timesteps - 1, through: 0, by: -1) {
      let layer = unrolledName("\(Self.stepNames.layer)_\(step + 1)")
      Log.info(
        "    [Backward] Layer \(layer), bottom blob \(Self.stepNames.input)_\(step + 1) diff: "
          + meanAbs(gates.diff + step * size, size))
    }
    for (index, blob) in blobs.enumerated() where propagatesToParameter(index) {
      Log.info(
        "    [Backward] Layer \(name), param blob \(index) diff: "
          + meanAbs(blob.diff, blob.count))
    }
  }
}
