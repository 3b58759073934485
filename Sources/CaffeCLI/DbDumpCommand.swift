// `caffe db dump`: a database's Datum records written out as image files and labels.txt.

import ArgumentParser
import CaffeData
import CaffeProto
import CaffeSupport
import Foundation

/// `caffe db dump DB --to DIR [--limit n] [--backend]`: the records as image files.
///
/// Record i (0-based, in key order) becomes `DIR/<i as %08d>.png`: the Datum's (C, H, W)
/// pixels, BGR as Caffe stores them, with C = 1 (gray) or 3 (colour). `float_data` records are
/// rounded and clamped to 0…255. Encoded records are written as their own bytes, named with
/// their format's extension (`.jpg`, `.png`). `DIR/labels.txt` gets one line `file label` per
/// file, as `convert_imageset` reads list files. Records of another channel count, and values
/// that are not Datums, are skipped with a warning. `DIR` is created when missing and must be
/// empty otherwise, so nothing is ever overwritten.
struct DbDumpCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dump", abstract: "write records as PNG images plus labels.txt")

  @OptionGroup var options: DatabaseOptions

  @Option(name: .customLong("to"), help: "The folder to write (created; must be empty).")
  var folder = ""

  @Option(name: .customLong("limit"), help: "Write at most this many records (0: all).")
  var limit = 0

  func run() throws { print(try dump()) }

  /// Writes the files and returns the summary line `run` prints.
  /// - Throws: `ValidationError` for a missing `--to` or a negative limit; `CaffeError.io` when
  ///   the folder is not empty or a file cannot be written; `CaffeError.database` when the
  ///   database is missing or cannot be read; `CaffeError.invalidFile` when it has records but
  ///   none is an image.
  func dump() throws -> String {
    try require(folder, "Need a folder to write the images to (--to DIR).")
    guard limit >= 0 else { throw ValidationError("--limit must be 0 or more (given \(limit))") }
    let database = try options.open()
    defer { database.close() }
    try prepareFolder()
    var labels: [String] = []
    var index = 0
    var skipped = 0
    try DatabaseOptions.forEachRecord(in: database) { key, value in
      defer { index += 1 }
      let keyText = DatumText.key(key)
      guard let datum = try? Datum(serializedBytes: value) else {
        Log.warning("Skipping record \"\(keyText)\": its value is not a Datum")
        skipped += 1
        return true
      }
      let (bytes, fileExtension) = try fileContents(datum, key: keyText)
      guard let bytes else {
        skipped += 1
        return true
      }
      let name = String(format: "%08d", index) + "." + fileExtension
      try write(bytes, to: name)
      labels.append("\(name) \(datum.label)")
      return limit == 0 || labels.count < limit
    }
    guard !labels.isEmpty || skipped == 0 else {
      throw CaffeError.invalidFile(
        path: options.database,
        reason: "none of its \(skipped) records is a 1- or 3-channel image, so nothing was "
          + "written (feature databases from extract_features: see them with caffe db get)")
    }
    try write(Array(labels.map { $0 + "\n" }.joined().utf8), to: "labels.txt")
    let skippedText = skipped > 0 ? " (\(skipped) records skipped)" : ""
    return "wrote \(labels.count) images and labels.txt to \(folder)\(skippedText)"
  }

  /// The file bytes and extension for `datum`; nil bytes (with a warning logged) when it cannot
  /// be written as an image.
  private func fileContents(_ datum: Datum, key: String) throws -> ([UInt8]?, String) {
    let data = [UInt8](datum.data)
    if datum.encoded {
      let format = try? ImageFormat.detect(data, name: key)
      return (data, format.map { $0 == .jpeg ? "jpg" : "png" } ?? "bin")
    }
    let (channels, height, width) = (Int(datum.channels), Int(datum.height), Int(datum.width))
    let count = channels * height * width
    guard channels == 1 || channels == 3, height > 0, width > 0 else {
      Log.warning(
        "Skipping record \"\(key)\": \(DatumText.shape(datum)) (C x H x W) is not a 1- or "
          + "3-channel image")
      return (nil, "")
    }
    let planar: [UInt8]
    if data.count == count {
      planar = data
    } else if datum.floatData.count == count {
      planar = datum.floatData.map { UInt8(max(0, min(255, $0.rounded()))) }
    } else {
      Log.warning(
        "Skipping record \"\(key)\": it holds \(data.count) bytes and \(datum.floatData.count) "
          + "floats, but \(DatumText.shape(datum)) needs \(count)")
      return (nil, "")
    }
    // Datum pixels are (C, H, W); images interleave them as (H, W, C).
    var pixels = [UInt8](repeating: 0, count: count)
    for c in 0..<channels {
      for i in 0..<(height * width) { pixels[i * channels + c] = planar[c * height * width + i] }
    }
    let image = try Image(height: height, width: width, channels: channels, pixels: pixels)
    return (try image.encoded(as: .png), "png")
  }

  /// Creates the output folder, or checks that it is empty.
  private func prepareFolder() throws {
    let manager = FileManager.default
    var isFolder: ObjCBool = false
    if manager.fileExists(atPath: folder, isDirectory: &isFolder) {
      guard isFolder.boolValue else {
        throw CaffeError.io(path: folder, reason: "is a file; give a folder to dump into")
      }
      let entries = (try? manager.contentsOfDirectory(atPath: folder)) ?? []
      guard entries.isEmpty else {
        throw CaffeError.io(
          path: folder, reason: "is not empty; give a new or empty folder (nothing is overwritten)")
      }
      return
    }
    do {
      try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw CaffeError.io(
        path: folder, reason: "cannot create the folder (\(error.localizedDescription))")
    }
  }

  private func write(_ bytes: [UInt8], to name: String) throws {
    let path = (folder as NSString).appendingPathComponent(name)
    do {
      try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw CaffeError.io(path: path, reason: "cannot write (\(error.localizedDescription))")
    }
  }
}
