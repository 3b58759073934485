// Reads protobuf text format against Caffe's schema and re-encodes it as binary wire format.

/// A descriptor-driven protobuf text-format parser that reports every problem at the
/// offending token.
///
/// It accepts what protoc's C++ parser (and so Caffe) accepts: `field: value`, `field { … }`
/// or `field < … >` (the colon before a block is optional), `[a, b]` lists for repeated
/// fields, `;` or `,` after any field, enum values by name or number, and adjacent strings
/// that concatenate. Like protoc it rejects unknown fields, a non-repeated field given twice
/// and a missing required field. The result is binary wire format for swift-protobuf to decode.
struct TextParser {
  /// A block being parsed: the token that opened it and the field name before it.
  struct Block {
    let open: TextToken
    let owner: TextToken
    var closingText: String { open.text == "<" ? ">" : "}" }
  }

  var scanner: TextScanner
  /// The token under the cursor.
  var current: TextToken
  let schema: ProtoSchema

  /// Starts parsing `input`.
  ///
  /// - Throws: `TextFormatIssue` if the first token is malformed.
  init(_ input: [UInt8], schema: ProtoSchema) throws {
    scanner = TextScanner(input)
    current = try scanner.next()
    self.schema = schema
  }

  /// Parses the whole input as the fields of one `message`.
  ///
  /// - Returns: The message in protobuf binary wire format.
  /// - Throws: `TextFormatIssue` at the first problem.
  mutating func parseDocument(as message: MessageSchema) throws -> [UInt8] {
    try parseFields(of: message, in: nil)
  }

  // MARK: - Messages and fields

  /// Parses fields up to the end of `block` (or of the input when `block` is nil).
  mutating func parseFields(of message: MessageSchema, in block: Block?) throws -> [UInt8] {
    var writer = WireWriter()
    var seen: [Int: TextToken] = [:]
    while true {
      if current.kind == .end {
        if let block {
          throw issue(
            "unexpected end of file: \"\(block.open.text)\" opened at "
              + "\(block.open.line):\(block.open.column) for \"\(block.owner.text)\" is not closed")
        }
        break
      }
      if isSymbol("}") || isSymbol(">") {
        guard let block else {
          throw issue("unexpected \"\(current.text)\": no block is open here")
        }
        guard current.text == block.closingText else {
          throw issue(
            "expected \"\(block.closingText)\" to close \"\(block.open.text)\" opened at "
              + "\(block.open.line):\(block.open.column), found \"\(current.text)\"")
        }
        try advance()
        break
      }
      try parseField(of: message, into: &writer, seen: &seen, topLevel: block == nil)
      if isSymbol(";") || isSymbol(",") { try advance() }
    }
    for field in message.fields where field.isRequired && seen[field.number] == nil {
      let at = block?.owner ?? current
      throw TextFormatIssue(
        line: at.line, column: at.column,
        message: "\(message.name) requires field \"\(field.name)\", which is missing")
    }
    return writer.bytes
  }

  private mutating func parseField(
    of message: MessageSchema, into writer: inout WireWriter, seen: inout [Int: TextToken],
    topLevel: Bool
  ) throws {
    let name = current
    guard name.kind == .identifier else {
      if isSymbol("[") { throw issue("extensions and Any fields are not part of caffe.proto") }
      throw issue("expected a field name of \(message.name), found \(describe(name))")
    }
    guard let field = message.field(named: name.text) else {
      var problem = issue(unknownFieldMessage(name.text, in: message))
      if topLevel { problem.unknownTopLevelField = name.text }
      throw problem
    }
    if !field.isRepeated, let first = seen[field.number] {
      throw issue(
        "\(message.name).\(field.name) is not repeated but is given twice "
          + "(first at \(first.line):\(first.column))")
    }
    seen[field.number] = seen[field.number] ?? name
    try advance()
    if field.kind == .message {
      if isSymbol(":") { try advance() }
    } else {
      guard isSymbol(":") else {
        throw issue("expected \":\" after \"\(field.name)\", found \(describe(current))")
      }
      try advance()
    }
    if field.isRepeated && isSymbol("[") {
      try parseList(field, of: message, owner: name, into: &writer)
    } else {
      try parseValue(field, of: message, owner: name, into: &writer)
    }
  }

  private mutating func parseList(
    _ field: FieldSchema, of message: MessageSchema, owner: TextToken,
    into writer: inout WireWriter
  ) throws {
    let open = current
    try advance()
    if isSymbol("]") { return try advance() }
    while true {
      try parseValue(field, of: message, owner: owner, into: &writer)
      if isSymbol("]") { return try advance() }
      guard isSymbol(",") else {
        if current.kind == .end {
          throw issue(
            "unexpected end of file: \"[\" opened at \(open.line):\(open.column) is not closed")
        }
        throw issue(
          "expected \",\" or \"]\" in the list of \"\(field.name)\", found \(describe(current))")
      }
      try advance()
    }
  }

  private mutating func parseValue(
    _ field: FieldSchema, of message: MessageSchema, owner: TextToken,
    into writer: inout WireWriter
  ) throws {
    guard field.kind == .message else {
      return try parseScalar(field, of: message, into: &writer)
    }
    guard isSymbol("{") || isSymbol("<") else {
      throw issue("expected \"{\" to open \"\(field.name)\", found \(describe(current))")
    }
    guard let nested = schema.messages[field.typeName] else {
      throw issue("caffe.proto schema has no message \(field.typeName)")
    }
    let block = Block(open: current, owner: owner)
    try advance()
    let payload = try parseFields(of: nested, in: block)
    writer.appendLengthDelimited(field: field.number, payload)
  }

  // MARK: - Tokens and errors

  /// Moves to the next token.
  mutating func advance() throws {
    current = try scanner.next()
  }

  /// Whether the current token is the symbol `text`.
  func isSymbol(_ text: String) -> Bool {
    current.kind == .symbol && current.text == text
  }

  /// A problem at the current token.
  func issue(_ message: String) -> TextFormatIssue {
    TextFormatIssue(line: current.line, column: current.column, message: message)
  }

  /// A token as error messages show it: `"abc"`, `string "abc"`, `end of file`.
  func describe(_ token: TextToken) -> String {
    token.kind == .string ? "string \(token.text)" : token.quoted
  }

  private func unknownFieldMessage(_ name: String, in message: MessageSchema) -> String {
    let text = "\(message.name) has no field \"\(name)\""
    let allowed = name.count < 10 ? 1 : 2
    let scored = message.fields.map { (name: $0.name, distance: Self.editDistance($0.name, name)) }
    guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= allowed
    else { return text }
    return text + " (did you mean \"\(best.name)\"?)"
  }

  /// Edit distance between two field names counting insertions, deletions, substitutions and
  /// swaps of neighbours, for "did you mean" hints.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    // d[i][j]: distance between the first i bytes of a and the first j bytes of b.
    var d = (0...a.count).map { i in (0...b.count).map { j in i == 0 ? j : (j == 0 ? i : 0) } }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return d[a.count][b.count]
  }
}
