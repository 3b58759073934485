// The convert_imageset command: a list of JPEG/PNG images and labels to a Caffe LMDB or LevelDB.

import ArgumentParser
import Caffe
import CaffeData
import CaffeSupport
import Foundation

/// `convert_imageset [FLAGS] ROOTFOLDER/ LISTFILE DB_NAME`, as Caffe's `tools/convert_imageset`.
///
/// Each line of LISTFILE is `path label`, split at the **last** space (so paths may hold spaces);
/// the image read is ROOTFOLDER + path (joined as written: end ROOTFOLDER with `/`). Record `i`
/// (0-based line index, after `--shuffle`) is stored under the key `%08d_<path>` as a Datum:
/// raw (C, H, W) bytes in BGR order, or with `--encoded` the image file itself (see
/// `ImageDatum`). Records are committed every 1 000, logging `Processed N files.`, and at the
/// end. An image that is missing or cannot be decoded, a line whose label is not an integer,
/// and (with `--encoded`) a path whose encoding cannot be guessed are each logged as an error
/// naming the list line, and skipped; their index is not reused. The output must not exist.
public struct ConvertImageset: ParsableCommand, GFlagsBooleans {
  /// The boolean flags, which may also be written `--gray=true` or `--nogray` as in Caffe.
  public static let booleanFlags: Set<String> = ["gray", "shuffle", "check_size", "encoded"]

  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "convert_imageset",
    abstract: "Converts a set of images to the LMDB or LevelDB format Caffe's Data layer reads.",
    discussion: """
      Each line of LISTFILE is "path label"; the last space separates them. Images are JPEG or \
      PNG files, recognised by their content.
      """)

  /// The folder the list's paths are relative to, ending in `/`.
  @Argument(help: ArgumentHelp("The folder the listed paths start from.", valueName: "ROOTFOLDER/"))
  public var rootFolder: String

  /// The list of `path label` lines.
  @Argument(help: ArgumentHelp("The list of \"path label\" lines.", valueName: "LISTFILE"))
  public var listFile: String

  /// The database folder to create; it must not exist.
  @Argument(help: ArgumentHelp("The database folder to create.", valueName: "DB_NAME"))
  public var database: String

  /// Decode images as one gray channel instead of three (BGR).
  @Flag(name: .customLong("gray"), help: "Treat images as grayscale ones.")
  public var gray = false

  /// Shuffle the lines (with the process's random generator) before converting.
  @Flag(name: .customLong("shuffle"), help: "Randomly shuffle the order of images and labels.")
  public var shuffle = false

  /// The storage engine, `lmdb` (default) or `leveldb`.
  @Option(name: .customLong("backend"), help: "The backend {lmdb, leveldb} for the result.")
  public var backend = DatabaseBackend.lmdb.rawValue

  /// The width images are resized to; 0 (or either size 0) keeps the size.
  @Option(name: .customLong("resize_width"), help: "Width images are resized to.")
  public var resizeWidth: Int32 = 0

  /// The height images are resized to; 0 (or either size 0) keeps the size.
  @Option(name: .customLong("resize_height"), help: "Height images are resized to.")
  public var resizeHeight: Int32 = 0

  /// Stop with an error when a record's C·H·W differs from the first one's.
  @Flag(name: .customLong("check_size"), help: "Check that all the datums have the same size.")
  public var checkSize = false

  /// Store the image files (encoded) instead of their pixels.
  @Flag(name: .customLong("encoded"), help: "Store the encoded image in the datum.")
  public var encoded = false

  /// The format encoded records are stored in (`jpg` or `png`); empty: each file's extension.
  @Option(
    name: .customLong("encode_type"),
    help: "What type to encode the image as ('png', 'jpg'); implies --encoded.")
  public var encodeType = ""

  /// Makes a command with the defaults (swift-argument-parser fills it in).
  public init() {}

  /// Rejects an unknown backend or encode type before any file is read.
  ///
  /// - Throws: `ValidationError` naming the known values.
  public func validate() throws {
    guard DatabaseBackend(rawValue: backend) != nil else {
      let known = DatabaseBackend.allCases.map(\.rawValue).joined(separator: ", ")
      throw ValidationError("unknown backend \"\(backend)\" (known backends: \(known))")
    }
    guard encodeType.isEmpty || ImageFormat(fileExtension: encodeType) != nil else {
      throw ValidationError("unknown encode_type \"\(encodeType)\"; use jpg or png")
    }
  }

  /// Converts the listed images.
  ///
  /// - Throws: `CaffeError.io` for an unreadable list file; `CaffeError.database` when the
  ///   output exists or cannot be written; `CaffeError.invalidFile` naming the list line when
  ///   `--check_size` finds a record of another size, when the list is empty, or when no image
  ///   could be converted. A database this run created is removed when the run fails.
  public func run() throws {
    if (resizeHeight > 0) != (resizeWidth > 0) {
      Log.warning(
        "Only one of --resize_height (\(resizeHeight)) and --resize_width (\(resizeWidth)) is "
          + "set: images keep their size, as in Caffe, which resizes only when both are")
    }
    var entries = try ImageListEntry.read(listFile)
    if shuffle {
      Log.info("Shuffling data")
      Runtime.withGenerator { entries.shuffle(using: &$0) }
    }
    Log.info("A total of \(entries.count) images.")
    guard !entries.isEmpty else {
      throw CaffeError.invalidFile(path: listFile, reason: "lists no images; nothing to convert")
    }
    if !encodeType.isEmpty && !encoded {
      Log.info("encode_type specified, assuming encoded=true.")
    }
    let db = try openDatabase(
      backend: try DatabaseBackend(parsing: backend), path: database, mode: .new)
    let count: Int
    do {
      count = try convert(entries, into: db)
      db.close()
    } catch {
      db.close()
      try? FileManager.default.removeItem(atPath: database)
      Log.info("Removed the unfinished database \(database)")
      throw error
    }
    guard count > 0 else {
      try? FileManager.default.removeItem(atPath: database)
      throw CaffeError.invalidFile(
        path: listFile,
        reason: "none of its \(entries.count) images could be converted (see the errors above); "
          + "no database was written")
    }
    if count < entries.count {
      Log.warning(
        "Skipped \(entries.count - count) of \(entries.count) images (see the errors above).")
    }
  }

  /// Writes the entries' Datums into `db`, committing every 1 000, and returns how many were
  /// written.
  /// - Throws: `CaffeError.invalidFile` when `--check_size` finds an image of another size;
  ///   `CaffeError.database` when a record cannot be encoded or written.
  private func convert(_ entries: [ImageListEntry], into db: any Database) throws -> Int {
    let transaction = try db.transaction()
    var count = 0
    var firstShape: [Int]?
    for (index, entry) in entries.enumerated() {
      guard let record = read(entry) else { continue }
      if checkSize {
        let size = record.shape.reduce(1, *)
        if let firstShape, firstShape.reduce(1, *) != size {
          throw CaffeError.invalidFile(
            path: "\(listFile):\(entry.line)",
            reason: "\(entry.path) holds \(sizeText(record.shape)) = \(size) values but the "
              + "first image holds \(sizeText(firstShape)); give --resize_height and "
              + "--resize_width to make all images one size")
        }
        firstShape = firstShape ?? record.shape
      }
      let key = String(format: "%08d", index) + "_" + entry.path
      transaction.put(key, try record.datum.serializedValue(key: Array(key.utf8), source: database))
      count += 1
      if count % 1_000 == 0 {
        try transaction.commit()
        Log.info("Processed \(count) files.")
      }
    }
    if count % 1_000 != 0 {
      try transaction.commit()
      Log.info("Processed \(count) files.")
    }
    return count
  }

  /// The Datum for one list entry, or nil (after logging why) when it cannot be made.
  private func read(_ entry: ImageListEntry) -> ImageDatum? {
    let place = "\(listFile):\(entry.line)"
    guard let label = entry.label else {
      Log.error("\(place): the label \"\(entry.labelText)\" is not an integer; line skipped")
      return nil
    }
    var encoding: String?
    if !encodeType.isEmpty {
      encoding = encodeType
    } else if encoded {
      let guessed = (entry.path as NSString).pathExtension.lowercased()
      guard !guessed.isEmpty else {
        Log.error(
          "\(place): cannot guess the encoding of '\(entry.path)' (no extension); give "
            + "--encode_type; line skipped")
        return nil
      }
      encoding = guessed
    }
    do {
      return try ImageDatum(
        file: rootFolder + entry.path, label: label, height: Int(max(0, resizeHeight)),
        width: Int(max(0, resizeWidth)), isColor: !gray, encoding: encoding)
    } catch {
      Log.error("\(place): could not read image: \(error); line skipped")
      return nil
    }
  }

  private func sizeText(_ shape: [Int]) -> String {
    shape.map(String.init).joined(separator: " × ") + " (C × H × W)"
  }
}
