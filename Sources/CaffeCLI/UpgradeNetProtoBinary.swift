// The upgrade_net_proto_binary command: a legacy binary net (.caffemodel) in the current format.

import ArgumentParser
import CaffeProto

/// `upgrade_net_proto_binary v0_net_proto_file_in net_proto_file_out`, as Caffe's tool of that
/// name.
///
/// Reads trained weights (a binary NetParameter, .caffemodel) in any old format, applies every
/// upgrade Caffe applies on reading (blobs are carried over, their shapes as stored), and writes
/// the result in binary. A current file is written back unchanged.
public struct UpgradeNetProtoBinary: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "upgrade_net_proto_binary",
    abstract: "Upgrades trained weights (.caffemodel) written in a deprecated format.")

  /// The file to read and the file to write.
  @OptionGroup var files: UpgradeNetFileArguments

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Upgrades the file.
  ///
  /// - Throws: `CaffeError` when the input cannot be read, decoded or upgraded, or the output
  ///   cannot be written.
  public func run() throws {
    try upgradeNetFile(
      files, format: "binary",
      read: { try BinaryProto.read(NetParameter.self, path: $0) },
      write: { try BinaryProto.write($0, path: $1) })
  }
}
