// The `name = value (* weight = weighted loss)` lines Caffe's tools log for a net's outputs.

import CaffeSupport

extension Net {
  /// One line per element of each output blob, in output order: `name = v`, followed by
  /// ` (* w = w·v loss)` when the blob carries loss weight w.
  ///
  /// - Parameter values: the values to report in place of the blobs' current data (for
  ///   example means over test batches), one per output element; `nil` reports the data.
  /// - Returns: the lines, without trailing newlines.
  public func outputLines(values: [Float]? = nil) -> [String] {
    var lines: [String] = []
    for (j, blob) in outputBlobs.enumerated() {
      let blobIndex = outputBlobIndices[j]
      let weight = lossWeight(ofBlob: blobIndex)
      for k in 0..<blob.count {
        let value = values?[lines.count] ?? blob.data[k]
        var line = "\(blobNames[blobIndex]) = \(formatG(value))"
        if weight != 0 { line += " (* \(formatG(weight)) = \(formatG(weight * value)) loss)" }
        lines.append(line)
      }
    }
    return lines
  }
}
