// Image lists: the "path label" text files convert_imageset and the ImageData layer read.

import CaffeSupport
import Foundation

/// One line of an image list: `path label`, split at the **last** space, so that paths may
/// hold spaces (as Caffe since PR #4059).
public struct ImageListEntry: Equatable, Sendable {
  /// The 1-based line number in the list file.
  public var line: Int
  /// Everything before the last space (the whole line when it has none).
  public var path: String
  /// The text after the last space (empty when the line has none).
  public var labelText: String

  /// The label, when ``labelText`` is an integer (surrounding white space, such as the `\r` of
  /// a Windows line end, ignored); nil otherwise, where Caffe's `atoi` would silently give 0.
  public var label: Int32? { Int32(labelText.trimmingCharacters(in: .whitespacesAndNewlines)) }

  /// Splits one line at its last space.
  ///
  /// - Parameters:
  ///   - line: the 1-based line number, for messages.
  ///   - text: the line without its newline.
  public init(line: Int, text: String) {
    self.line = line
    if let space = text.lastIndex(of: " ") {
      path = String(text[..<space])
      labelText = String(text[text.index(after: space)...])
    } else {
      path = text
      labelText = ""
    }
  }

  /// Reads every line of a list file; a final newline does not make an extra, empty line.
  ///
  /// - Throws: `CaffeError.io` naming `path` when it cannot be read as UTF-8 text.
  public static func read(_ path: String) throws -> [ImageListEntry] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw CaffeError.io(
        path: path, reason: "cannot read the image list (\(error.localizedDescription))")
    }
    // `\.isNewline` also splits at "\r\n", which Swift keeps as one Character (Windows files).
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
      .map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines.enumerated().map { ImageListEntry(line: $0.offset + 1, text: $0.element) }
  }
}
