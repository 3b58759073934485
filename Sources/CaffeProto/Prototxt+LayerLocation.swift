// Where a layer is written in a prototxt, for errors found after parsing (an unknown layer type).

extension Prototxt {
  /// Finds the top-level `layer` (or V1 `layers`) block whose own `name` and `type` fields are
  /// `name` and `type`, for errors found when the net is built rather than when it is read.
  ///
  /// Only fields of the block itself count, not those of nested messages. Scanning stops
  /// quietly at the first token the scanner rejects.
  ///
  /// - Parameters:
  ///   - name: The layer's `name`.
  ///   - type: The layer's `type` as written (a string, or a V1 enum word).
  ///   - text: The prototxt's bytes.
  /// - Returns: The 1-based line and column of the block's `layer` keyword, or nil when no
  ///   block matches.
  public static func location(
    ofLayer name: String, type: String, in text: [UInt8]
  ) -> (line: Int, column: Int)? {
    var scanner = TextScanner(text)
    var depth = 0
    var block: (start: TextToken, fields: [String: String])?
    var recent: [TextToken] = []
    while let token = try? scanner.next(), token.kind != .end {
      defer { recent = Array((recent + [token]).suffix(2)) }
      if token.kind == .symbol && (token.text == "{" || token.text == "<") {
        let keyword = recent.last?.text == ":" ? recent.first : recent.last
        if depth == 0, let keyword, ["layer", "layers"].contains(keyword.text) {
          block = (keyword, [:])
        }
        depth += 1
      } else if token.kind == .symbol && (token.text == "}" || token.text == ">") {
        depth -= 1
        if depth == 0, let found = block, found.fields["name"] == name,
          found.fields["type"] == type
        {
          return (found.start.line, found.start.column)
        }
      } else if depth == 1, recent.count == 2, recent[1].text == ":",
        recent[0].kind == .identifier, token.kind == .string || token.kind == .identifier
      {
        let value =
          token.kind == .string ? String(decoding: token.bytes, as: UTF8.self) : token.text
        block?.fields[recent[0].text] = value
      }
    }
    return nil
  }
}
