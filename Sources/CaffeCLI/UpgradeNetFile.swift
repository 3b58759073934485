// The work shared by upgrade_net_proto_text and upgrade_net_proto_binary.

import ArgumentParser
import CaffeProto
import CaffeSupport

/// The two file arguments of upgrade_net_proto_text and upgrade_net_proto_binary.
struct UpgradeNetFileArguments: ParsableArguments {
  /// The net to read (.prototxt or .caffemodel, by command), in any old format.
  @Argument(help: ArgumentHelp("The net file to upgrade.", valueName: "v0_net_proto_file_in"))
  var input: String

  /// Where to write the upgraded net; may be the input itself.
  @Argument(help: ArgumentHelp("Where to write the result.", valueName: "net_proto_file_out"))
  var output: String
}

/// Upgrades the net read by `read` from `files.input` and writes it with `write` to
/// `files.output`, logging as Caffe's upgrade tools do.
///
/// The output is written even when the net was already current (`File already in latest proto
/// format: …`) and even when some V0 field could not be placed; the output may equal the input
/// (the file is replaced atomically).
///
/// - Parameters:
///   - files: The file to read and the file to write.
///   - format: "text" or "binary", for the log line.
///   - read: Reads a net as written, without upgrading it.
///   - write: Writes a net.
/// - Throws: what `read`, `write` and `ProtoUpgrade.upgradeNetAsNeeded(_:source:)` throw;
///   `CaffeError.invalidNet` after writing when some V0 field was dropped (the log names it).
func upgradeNetFile(
  _ files: UpgradeNetFileArguments, format: String,
  read: (String) throws -> NetParameter,
  write: (NetParameter, String) throws -> Void
) throws {
  let input = files.input
  let output = files.output
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
