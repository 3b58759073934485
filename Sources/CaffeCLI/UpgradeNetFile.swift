// The work shared by upgrade_net_proto_text and upgrade_net_proto_binary.

import CaffeProto
import CaffeSupport

/// Upgrades the net read by `read` from `input` and writes it with `write` to `output`, logging
/// as Caffe's upgrade tools do.
///
/// The output is written even when the net was already current (`File already in latest proto
/// format: …`) and even when some V0 field could not be placed; `output` may equal `input`
/// (the file is replaced atomically).
///
/// - Parameters:
///   - input: The file to read.
///   - output: The file to write.
///   - format: "text" or "binary", for the log line.
///   - read: Reads a net as written, without upgrading it.
///   - write: Writes a net.
/// - Throws: what `read`, `write` and `ProtoUpgrade.upgradeNetAsNeeded(_:source:)` throw;
///   `CaffeError.invalidNet` after writing when some V0 field was dropped (the log names it).
func upgradeNetFile(
  input: String, output: String, format: String,
  read: (String) throws -> NetParameter,
  write: (NetParameter, String) throws -> Void
) throws {
  var net = try read(input)
  var isComplete = true
  if ProtoUpgrade.netNeedsUpgrade(net) {
    (net, isComplete) = try ProtoUpgrade.upgradeNetAsNeeded(net, source: input)
    if !isComplete {
      Log.error("Encountered error(s) while upgrading prototxt; see details above.")
    }
  } else {
    Log.error("File already in latest proto format: \(input)")
  }
  try write(net, output)
  Log.info("Wrote upgraded NetParameter \(format) proto to \(output)")
  if !isComplete {
    throw CaffeError.invalidNet(
      reason: "\(input): some legacy fields could not be upgraded (see the log above); "
        + "\(output) was written without them")
  }
}
