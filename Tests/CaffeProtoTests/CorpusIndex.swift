// The prototxt table of shared/caffe-corpus/INDEX.md: what BVLC Caffe makes of each file.

import CaffeTestSupport
import Foundation
import Testing

/// One prototxt of the corpus and Caffe's verdict on it.
struct CorpusEntry: Sendable, CustomTestStringConvertible {
  /// What Caffe does with the file.
  enum Verdict: Sendable, Equatable {
    /// Caffe parses it as a net or a solver.
    case parsesAsNet
    case parsesAsSolver
    /// Caffe rejects it when read as a net (`asNet` true) or a solver, at `line`:`column`.
    case rejected(asNet: Bool, line: Int, column: Int, message: String)
  }

  let file: String
  let verdict: Verdict

  var path: String { Golden.path("caffe-corpus/prototxt/\(file)") }
  var testDescription: String { file }
}

/// Reads the prototxt table of `caffe-corpus/INDEX.md`.
enum CorpusIndex {
  /// Every prototxt row, or none when the corpus is absent.
  static let entries: [CorpusEntry] = {
    let index = Golden.path("caffe-corpus/INDEX.md")
    guard let text = try? String(contentsOfFile: index, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap(entry)
  }()

  private static func entry(_ line: Substring) -> CorpusEntry? {
    let cells = line.split(separator: "|", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    guard cells.count >= 8, cells[1].hasPrefix("`"), cells[1].hasSuffix(".prototxt`") else {
      return nil
    }
    let file = String(cells[1].dropFirst().dropLast())
    let kind = cells[4]
    let notes = cells[cells.count - 2]
    if kind.hasPrefix("net") { return CorpusEntry(file: file, verdict: .parsesAsNet) }
    if kind.hasPrefix("solver") { return CorpusEntry(file: file, verdict: .parsesAsSolver) }
    return rejection(file: file, notes: notes)
  }

  /// Reads a note of Caffe's verdict, such as `as NetParameter: 54:5 : Message type …`.
  private static func rejection(file: String, notes: String) -> CorpusEntry? {
    let parts = notes.split(separator: ":", maxSplits: 3).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard parts.count == 4, let line = Int(parts[1]), let column = Int(parts[2]) else { return nil }
    let verdict = CorpusEntry.Verdict.rejected(
      asNet: parts[0] == "as NetParameter", line: line, column: column, message: parts[3])
    return CorpusEntry(file: file, verdict: verdict)
  }
}
