// Rendering DOT text to an image file with Graphviz's `dot` program.

import CaffeSupport
import Foundation

/// Runs Graphviz's `dot` program to lay out and draw DOT text (Debian package `graphviz`).
public enum Graphviz {
  /// The file extensions written as DOT text instead of being drawn (`.raw` is what Caffe's
  /// draw.py suggests for raw text).
  public static let textExtensions: Set<String> = ["dot", "gv", "raw"]

  /// The `dot` executable on the search path, or nil when there is none.
  ///
  /// - Parameter searchPath: a `PATH`-style list of folders separated by `:` (by default the
  ///   process's `PATH`).
  /// - Returns: the path of the first executable `dot` found, or nil.
  public static func dotProgram(
    searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? ""
  ) -> String? {
    for folder in searchPath.split(separator: ":") where !folder.isEmpty {
      let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("dot").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Writes `dot` to `path`: as text when the extension is one of ``textExtensions``, otherwise
  /// drawn by `dot -T<extension>` (`png`, `svg`, `pdf`, or any other format Graphviz knows).
  ///
  /// - Parameters:
  ///   - dot: the graph in DOT.
  ///   - path: the file to write; its extension chooses the format.
  ///   - searchPath: where to look for `dot` (see ``dotProgram(searchPath:)``).
  /// - Throws: `CaffeError.io` naming `path` for a missing extension or a failed write, naming
  ///   `dot` when the program is not installed, and with Graphviz's own message when it fails.
  public static func write(
    _ dot: String, to path: String,
    searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? ""
  ) throws {
    let format = URL(fileURLWithPath: path).pathExtension.lowercased()
    guard !format.isEmpty, format.allSatisfy({ $0.isLetter || $0.isNumber }) else {
      throw CaffeError.io(
        path: path,
        reason: "the file name needs an extension that names the format "
          + "(.png, .svg, .pdf, or .dot for the graph as text)")
    }
    if textExtensions.contains(format) {
      try writeText(dot, to: path)
      return
    }
    guard let program = dotProgram(searchPath: searchPath) else {
      throw CaffeError.io(
        path: "dot",
        reason: "Graphviz's dot program is not installed or not on PATH; install "
          + "it (apt-get install graphviz) or write the graph as text (OUT.dot)")
    }
    let source = FileManager.default.temporaryDirectory
      .appendingPathComponent("draw_net-\(UUID().uuidString).dot").path
    try writeText(dot, to: source)
    defer { try? FileManager.default.removeItem(atPath: source) }
    try run(program, arguments: ["-T\(format)", "-o", path, source], output: path)
  }

  /// Runs `program` and waits for it.
  ///
  /// - Throws: `CaffeError.io` naming `output` with the program's first line of error output
  ///   when it cannot start or exits with a non-zero status.
  private static func run(_ program: String, arguments: [String], output: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw CaffeError.io(path: program, reason: "cannot be started (\(error))")
    }
    // Reading to the end first, so a chatty dot never blocks on a full pipe.
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let first = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
      throw CaffeError.io(
        path: output,
        reason: "Graphviz's dot failed with status \(process.terminationStatus)"
          + (first.isEmpty ? "" : ": \(first)"))
    }
  }

  /// Writes `text` as UTF-8 to `path`.
  ///
  /// - Throws: `CaffeError.io` naming `path`.
  private static func writeText(_ text: String, to path: String) throws {
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw CaffeError.io(path: path, reason: "cannot be written (\(error.localizedDescription))")
    }
  }
}
