// The window file of the WindowData layer: images and their labelled, scored windows.

import CaffeProto
import CaffeSupport
import Foundation

/// A parsed window file, split into foreground and background windows.
///
/// The file is a sequence of whitespace-separated tokens (line breaks only matter for error
/// messages), one block per image:
///
/// ```
/// # image_index
/// image_path
/// channels
/// height
/// width
/// num_windows
/// class_index overlap x1 y1 x2 y2      (num_windows lines)
/// ```
///
/// `image_index` counts blocks from 0; `image_path` is read after `root_folder` is prefixed;
/// channels, height and width are checked to be integers and otherwise unused (the decoded
/// image's own size counts); corners are inclusive pixel indices, x along a row.
struct WindowFile {
  /// One image of the file.
  struct ImageEntry {
    /// `root_folder` + the path as written.
    var path: String
    /// The line of the path, counted from 1.
    var line: Int
  }

  /// One window of an image.
  struct Window {
    /// The index of its image in ``WindowFile/images``.
    var image: Int
    /// The class for foreground windows, 0 for background ones.
    var label: Int
    /// The inclusive corners: columns x1...x2 and rows y1...y2.
    var x1: Int, y1: Int, x2: Int, y2: Int
    /// The line of the window, counted from 1.
    var line: Int
  }

  /// The window file's path, for error messages.
  var source: String
  var images: [ImageEntry] = []
  /// Windows whose overlap is at least `fg_threshold`.
  var foreground: [Window] = []
  /// Windows whose overlap is below `bg_threshold`, with label 0.
  var background: [Window] = []
  /// The number of windows kept per label (0 for background), for the setup log.
  var labelCounts: [Int: Int] = [0: 0]

  /// Reads and splits the window file `param.source`.
  ///
  /// - Throws: `CaffeError.io` when the file cannot be read; `CaffeError.invalidData` naming
  ///   the file and line for an empty file, a missing or malformed token, an image index out of
  ///   sequence, a negative window count, or a foreground window whose class is not positive.
  static func read(_ param: WindowDataParameter, layer: String) throws -> WindowFile {
    let text: String
    do {
      text = try String(contentsOfFile: param.source, encoding: .utf8)
    } catch {
      throw CaffeError.io(path: param.source, reason: "cannot read the window file: \(error)")
    }
    var tokens = WindowFileTokens(text: text, source: param.source, layer: layer)
    var file = WindowFile(source: param.source)
    guard !tokens.atEnd else { throw tokens.error(line: 1, "the window file is empty") }
    while !tokens.atEnd {
      let hash = try tokens.next("\"#\"")
      guard hash.text == "#" else {
        throw tokens.error(
          line: hash.line, "expected \"#\" to start an image, found \"\(hash.text)\"")
      }
      let index = try tokens.integer("the image index")
      guard index.value == file.images.count else {
        throw tokens.error(
          line: index.line,
          "image index \(index.value) is out of sequence; expected "
            + "\(file.images.count) (blocks are numbered from 0)")
      }
      let path = try tokens.next("the image path")
      file.images.append(ImageEntry(path: param.rootFolder + path.text, line: path.line))
      for field in ["channels", "height", "width"] { _ = try tokens.integer("the image \(field)") }
      let count = try tokens.integer("the number of windows")
      guard count.value >= 0 else {
        throw tokens.error(line: count.line, "the number of windows \(count.value) is negative")
      }
      for _ in 0..<count.value {
        let parsed = try tokens.window(image: index.value)
        try file.add(parsed, param, tokens)
      }
    }
    return file
  }

  /// Files a window as foreground, background or neither, by its overlap.
  private mutating func add(
    _ parsed: (window: Window, overlap: Float), _ param: WindowDataParameter,
    _ tokens: WindowFileTokens
  ) throws {
    var window = parsed.window
    if parsed.overlap >= param.fgThreshold {
      guard window.label > 0 else {
        throw tokens.error(
          line: window.line,
          "a foreground window (overlap \(parsed.overlap) ≥ fg_threshold "
            + "\(param.fgThreshold)) needs a positive class, not \(window.label)")
      }
      foreground.append(window)
    } else if parsed.overlap < param.bgThreshold {
      window.label = 0
      background.append(window)
    } else {
      return
    }
    labelCounts[window.label, default: 0] += 1
  }
}

/// The tokens of a window file with their line numbers, read front to back.
struct WindowFileTokens {
  private var tokens: [(text: String, line: Int)] = []
  private var position = 0
  private let source: String
  private let layer: String

  init(text: String, source: String, layer: String) {
    self.source = source
    self.layer = layer
    for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    {
      for word in line.split(whereSeparator: { $0.isWhitespace }) {
        tokens.append((String(word), offset + 1))
      }
    }
  }

  var atEnd: Bool { position == tokens.count }

  /// The error for `line`, naming the window file.
  func error(line: Int, _ reason: String) -> CaffeError {
    .invalidData(layer: layer, reason: "\(source):\(line): \(reason)")
  }

  /// The next token; `what` names it in the error at the end of the file.
  mutating func next(_ what: String) throws -> (text: String, line: Int) {
    guard position < tokens.count else {
      throw error(line: tokens.last?.line ?? 1, "the file ends where \(what) was expected")
    }
    position += 1
    return tokens[position - 1]
  }

  /// The next token as an integer.
  mutating func integer(_ what: String) throws -> (value: Int, line: Int) {
    let token = try next(what)
    guard let value = Int(token.text) else {
      throw error(line: token.line, "\(what) \"\(token.text)\" is not an integer")
    }
    return (value, token.line)
  }

  /// The next `class_index overlap x1 y1 x2 y2` of image `image`, with its overlap.
  mutating func window(image: Int) throws -> (window: WindowFile.Window, overlap: Float) {
    let label = try integer("a window's class_index")
    let overlapToken = try next("a window's overlap")
    guard let overlap = Float(overlapToken.text) else {
      throw error(
        line: overlapToken.line, "the overlap \"\(overlapToken.text)\" is not a number")
    }
    let corners = try ["x1", "y1", "x2", "y2"].map { try integer("a window's \($0)").value }
    let window = WindowFile.Window(
      image: image, label: label.value, x1: corners[0], y1: corners[1], x2: corners[2],
      y2: corners[3], line: label.line)
    return (window, overlap)
  }
}
