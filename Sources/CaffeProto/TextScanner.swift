// Splits protobuf text format into tokens with 1-based line and column positions.

/// A problem found in a prototxt, with the 1-based position of the offending token.
struct TextFormatIssue: Error, Sendable {
  let line: Int
  let column: Int
  let message: String
  /// Set when the problem is an unknown field at the outermost level (used to tell a solver
  /// definition from a net definition).
  var unknownTopLevelField: String? = nil
}

/// One token of protobuf text format.
struct TextToken: Sendable {
  enum Kind: Sendable, Equatable {
    case identifier, integer, float, string, symbol, end
  }

  let kind: Kind
  /// The token as written (for strings: with quotes and escapes).
  let text: String
  /// For strings: the bytes after escapes are resolved.
  let bytes: [UInt8]
  let line: Int
  let column: Int

  /// How error messages quote the token.
  var quoted: String {
    kind == .end ? "end of file" : "\"\(text)\""
  }
}

/// A lazy tokenizer for protobuf text format, following protoc's rules: `#` comments,
/// identifiers, decimal / octal / hex integers, floats (optional `f` suffix), single- or
/// double-quoted strings with C escapes, and single-character symbols.
///
/// Columns count bytes, and a tab advances to the next multiple of 8 (as protoc does), so
/// positions match the ones Caffe reports.
struct TextScanner {
  private let input: [UInt8]
  private var offset = 0
  private var line = 1
  private var column = 1

  init(_ input: [UInt8]) {
    self.input = input
  }

  /// Returns the next token, or a token of kind `.end` at the end of the input.
  ///
  /// - Throws: `TextFormatIssue` for an unterminated string, a bad escape, a control
  ///   character, or a number run into an identifier.
  mutating func next() throws -> TextToken {
    skipSpaceAndComments()
    let startLine = line
    let startColumn = column
    let start = offset
    guard let byte = peek() else {
      return TextToken(kind: .end, text: "", bytes: [], line: line, column: column)
    }
    let kind: TextToken.Kind
    var bytes: [UInt8] = []
    if Self.isLetter(byte) {
      while let next = peek(), Self.isLetter(next) || Self.isDigit(next) { advance() }
      kind = .identifier
    } else if Self.isDigit(byte) || (byte == UInt8(ascii: ".") && Self.isDigit(peek(1) ?? 0)) {
      kind = try scanNumber(line: startLine, column: startColumn)
    } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
      bytes = try scanString(line: startLine, column: startColumn)
      kind = .string
    } else if byte < 0x20 || byte == 0x7F {
      throw TextFormatIssue(
        line: startLine, column: startColumn,
        message: "invalid control character 0x\(String(byte, radix: 16)) in text")
    } else {
      advance()
      while let next = peek(), byte >= 0x80, (0x80...0xBF).contains(next) { advance() }
      kind = .symbol
    }
    let text = String(decoding: input[start..<offset], as: UTF8.self)
    return TextToken(kind: kind, text: text, bytes: bytes, line: startLine, column: startColumn)
  }

  // MARK: - Pieces

  private mutating func skipSpaceAndComments() {
    while let byte = peek() {
      if byte == UInt8(ascii: "#") {
        while let next = peek(), next != UInt8(ascii: "\n") { advance() }
      } else if byte == 0x20 || (0x09...0x0D).contains(byte) {
        advance()
      } else {
        return
      }
    }
  }

  private mutating func scanNumber(line: Int, column: Int) throws -> TextToken.Kind {
    var kind = TextToken.Kind.integer
    if peek() == UInt8(ascii: "0"), let x = peek(1), x | 0x20 == UInt8(ascii: "x") {
      advance(2)
      guard let first = peek(), Self.isHexDigit(first) else {
        throw TextFormatIssue(line: line, column: column, message: "\"0x\" has no hex digits")
      }
      while let next = peek(), Self.isHexDigit(next) { advance() }
    } else {
      while let next = peek(), Self.isDigit(next) { advance() }
      if peek() == UInt8(ascii: ".") {
        kind = .float
        advance()
        while let next = peek(), Self.isDigit(next) { advance() }
      }
      if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
        kind = .float
        advance()
        if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { advance() }
        guard let digit = peek(), Self.isDigit(digit) else {
          throw TextFormatIssue(line: line, column: column, message: "exponent has no digits")
        }
        while let next = peek(), Self.isDigit(next) { advance() }
      }
      if let f = peek(), f == UInt8(ascii: "f") || f == UInt8(ascii: "F") {
        kind = .float
        advance()
      }
    }
    if let next = peek(), Self.isLetter(next) || next == UInt8(ascii: ".") {
      throw TextFormatIssue(
        line: line, column: column,
        message: "a number runs into \"\(Character(Unicode.Scalar(next)))\"")
    }
    return kind
  }

  private mutating func scanString(line: Int, column: Int) throws -> [UInt8] {
    let quote = input[offset]
    advance()
    var bytes: [UInt8] = []
    while true {
      guard let byte = peek(), byte != UInt8(ascii: "\n") else {
        throw TextFormatIssue(
          line: line, column: column, message: "string is not closed on its line")
      }
      advance()
      if byte == quote { return bytes }
      if byte == UInt8(ascii: "\\") {
        try scanEscape(into: &bytes)
      } else {
        bytes.append(byte)
      }
    }
  }

  private mutating func scanEscape(into bytes: inout [UInt8]) throws {
    let escapeLine = line
    let escapeColumn = column - 1
    guard let byte = peek() else {
      throw TextFormatIssue(line: escapeLine, column: escapeColumn, message: "string is not closed")
    }
    advance()
    if let value = Self.simpleEscapes[byte] {
      bytes.append(value)
    } else if (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) {
      var value = UInt32(byte - UInt8(ascii: "0"))
      for _ in 0..<2 {
        guard let next = peek(), (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(next) else {
          break
        }
        value = value * 8 + UInt32(next - UInt8(ascii: "0"))
        advance()
      }
      bytes.append(UInt8(truncatingIfNeeded: value))
    } else if byte == UInt8(ascii: "x") || byte == UInt8(ascii: "X") {
      var value: UInt8 = 0
      var digits = 0
      while digits < 2, let next = peek(), let digit = Self.hexValue(next) {
        value = value * 16 + digit
        digits += 1
        advance()
      }
      guard digits > 0 else {
        throw TextFormatIssue(
          line: escapeLine, column: escapeColumn, message: "\"\\x\" escape has no hex digits")
      }
      bytes.append(value)
    } else {
      throw TextFormatIssue(
        line: escapeLine, column: escapeColumn,
        message: "invalid escape \"\\\(Character(Unicode.Scalar(byte)))\" in string")
    }
  }

  // MARK: - Characters

  /// The one-letter escapes of C (`\n`, `\t`, `\\`, …) and the bytes they stand for.
  private static let simpleEscapes: [UInt8: UInt8] = [
    UInt8(ascii: "a"): 0x07, UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C,
    UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    UInt8(ascii: "v"): 0x0B, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "?"): 0x3F,
    UInt8(ascii: "'"): 0x27, UInt8(ascii: "\""): 0x22,
  ]

  private func peek(_ ahead: Int = 0) -> UInt8? {
    offset + ahead < input.count ? input[offset + ahead] : nil
  }

  private mutating func advance(_ count: Int = 1) {
    for _ in 0..<count where offset < input.count {
      let byte = input[offset]
      offset += 1
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else if byte == UInt8(ascii: "\t") {
        column += 8 - (column - 1) % 8
      } else {
        column += 1
      }
    }
  }

  private static func isLetter(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
      || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
  }

  private static func isDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
  }

  private static func isHexDigit(_ byte: UInt8) -> Bool {
    hexValue(byte) != nil
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
