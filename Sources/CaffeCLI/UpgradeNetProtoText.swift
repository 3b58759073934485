// The upgrade_net_proto_text command: a legacy text net definition rewritten in the current format.

import ArgumentParser
import CaffeProto

/// `upgrade_net_proto_text v0_net_proto_file_in net_proto_file_out`, as Caffe's tool of that name.
///
/// Reads a net definition (.prototxt) in any old format (V0 `layers { layer { … } }`, V1
/// `layers { type: ENUM }`, net-level `input` fields, old transformation fields, three-param
/// BatchNorm), applies every upgrade Caffe applies on reading, and writes the result as text.
/// A current file is written back unchanged.
public struct UpgradeNetProtoText: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "upgrade_net_proto_text",
    abstract: "Upgrades a net definition (.prototxt) written in a deprecated format.")

  /// The file to read and the file to write.
  @OptionGroup var files: UpgradeNetFileArguments

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Upgrades the file.
  ///
  /// - Throws: `CaffeError` when the input cannot be read, parsed or upgraded, or the output
  ///   cannot be written.
  public func run() throws {
    try upgradeNetFile(
      files, format: "text",
      read: { try Prototxt.readNet(path: $0) },
      write: { try Prototxt.write($0, path: $1) })
  }
}
