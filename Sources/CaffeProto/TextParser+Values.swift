// Scalar values of protobuf text format: integers, floats, bools, strings and enum names.

extension TextParser {
  /// Parses one scalar value of `field` and appends it to `writer`.
  ///
  /// - Throws: `TextFormatIssue` when the token does not fit the field's type or range.
  mutating func parseScalar(
    _ field: FieldSchema, of message: MessageSchema, into writer: inout WireWriter
  ) throws {
    let number = field.number
    switch field.kind {
    case .int32, .sfixed32, .sint32:
      let value = try signedInteger(field, of: message, bits: 32)
      append(value, kind: field.kind, field: number, into: &writer)
    case .int64, .sfixed64, .sint64:
      let value = try signedInteger(field, of: message, bits: 64)
      append(value, kind: field.kind, field: number, into: &writer)
    case .uint32, .fixed32:
      let value = try unsignedInteger(field, of: message, maximum: UInt64(UInt32.max))
      if field.kind == .fixed32 {
        writer.appendFixed32(field: number, UInt32(value))
      } else {
        writer.appendVarint(field: number, value)
      }
    case .uint64, .fixed64:
      let value = try unsignedInteger(field, of: message, maximum: UInt64.max)
      if field.kind == .fixed64 {
        writer.appendFixed64(field: number, value)
      } else {
        writer.appendVarint(field: number, value)
      }
    case .float:
      let value = try floatingPoint(field, of: message)
      writer.appendFixed32(field: number, Float(value).bitPattern)
    case .double:
      writer.appendFixed64(field: number, try floatingPoint(field, of: message).bitPattern)
    case .bool:
      writer.appendVarint(field: number, try boolean(field, of: message) ? 1 : 0)
    case .string, .bytes:
      writer.appendLengthDelimited(field: number, try string(field, of: message))
    case .enumeration:
      let value = try enumeration(field, of: message)
      writer.appendVarint(field: number, UInt64(bitPattern: Int64(value)))
    case .message:
      throw issue("\(message.name).\(field.name) is a message and needs a { } block")
    }
  }

  // MARK: - Numbers

  private func append(_ value: Int64, kind: FieldKind, field: Int, into writer: inout WireWriter) {
    switch kind {
    case .sfixed32: writer.appendFixed32(field: field, UInt32(bitPattern: Int32(value)))
    case .sfixed64: writer.appendFixed64(field: field, UInt64(bitPattern: value))
    case .sint32, .sint64:
      writer.appendVarint(field: field, UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    default: writer.appendVarint(field: field, UInt64(bitPattern: value))
    }
  }

  private mutating func signedInteger(
    _ field: FieldSchema, of message: MessageSchema, bits: Int
  ) throws -> Int64 {
    let negative = isSymbol("-")
    if negative { try advance() }
    let magnitude = try integerToken(field, of: message)
    let limit = UInt64(1) << (bits - 1)
    guard negative ? magnitude <= limit : magnitude < limit else {
      throw issue(
        "\(negative ? "-" : "")\(current.text) is out of range for \(field.kind.protoName) "
          + "field \(message.name).\(field.name)")
    }
    try advance()
    return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
  }

  private mutating func unsignedInteger(
    _ field: FieldSchema, of message: MessageSchema, maximum: UInt64
  ) throws -> UInt64 {
    if isSymbol("-") {
      throw issue(
        "\(message.name).\(field.name) is a \(field.kind.protoName) and cannot be negative")
    }
    let value = try integerToken(field, of: message)
    guard value <= maximum else {
      throw issue(
        "\(current.text) is out of range for \(field.kind.protoName) "
          + "field \(message.name).\(field.name)")
    }
    try advance()
    return value
  }

  /// The value of the current integer token (decimal, octal with a leading 0, or 0x hex),
  /// without moving past it.
  private func integerToken(_ field: FieldSchema, of message: MessageSchema) throws -> UInt64 {
    guard current.kind == .integer else {
      throw issue(
        "\(message.name).\(field.name) expects an integer (\(field.kind.protoName)), "
          + "found \(describe(current))")
    }
    guard let value = Self.integerValue(current.text) else {
      throw issue("\"\(current.text)\" is not a valid integer (too large, or a bad octal number)")
    }
    return value
  }

  /// Reads an integer literal as protoc does: `0x…` is hex, a leading `0` means octal.
  static func integerValue(_ text: String) -> UInt64? {
    if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
    if text.count > 1 && text.hasPrefix("0") { return UInt64(text.dropFirst(), radix: 8) }
    return UInt64(text, radix: 10)
  }

  private mutating func floatingPoint(_ field: FieldSchema, of message: MessageSchema) throws
    -> Double
  {
    let negative = isSymbol("-")
    if negative { try advance() }
    let value: Double
    switch current.kind {
    case .integer:
      value = Double(try integerToken(field, of: message))
    case .float:
      let digits =
        current.text.hasSuffix("f") || current.text.hasSuffix("F")
        ? String(current.text.dropLast()) : current.text
      guard let parsed = Double(digits) else {
        throw issue("\"\(current.text)\" is not a valid number")
      }
      value = parsed
    case .identifier where ["inf", "infinity"].contains(current.text.lowercased()):
      value = .infinity
    case .identifier where current.text.lowercased() == "nan":
      value = .nan
    default:
      throw issue(
        "\(message.name).\(field.name) expects a number (\(field.kind.protoName)), "
          + "found \(describe(current))")
    }
    try advance()
    return negative ? -value : value
  }

  // MARK: - Bools, strings and enums

  private mutating func boolean(_ field: FieldSchema, of message: MessageSchema) throws -> Bool {
    let text = current.text
    let value: Bool?
    switch current.kind {
    case .identifier:
      value =
        ["true", "True", "t"].contains(text)
        ? true
        : ["false", "False", "f"].contains(text) ? false : nil
    case .integer: value = text == "1" ? true : text == "0" ? false : nil
    default: value = nil
    }
    guard let value else {
      throw issue("\(message.name).\(field.name) expects true or false, found \(describe(current))")
    }
    try advance()
    return value
  }

  private mutating func string(_ field: FieldSchema, of message: MessageSchema) throws -> [UInt8] {
    guard current.kind == .string else {
      throw issue(
        "\(message.name).\(field.name) expects a quoted string, found \(describe(current))")
    }
    let start = current
    var bytes: [UInt8] = []
    while current.kind == .string {
      bytes += current.bytes
      try advance()
    }
    if field.kind == .string && !String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes) {
      throw TextFormatIssue(
        line: start.line, column: start.column,
        message: "\(message.name).\(field.name) is not valid UTF-8 text")
    }
    return bytes
  }

  private mutating func enumeration(_ field: FieldSchema, of message: MessageSchema) throws -> Int32
  {
    guard let type = schema.enums[field.typeName] else {
      throw issue("caffe.proto schema has no enum \(field.typeName)")
    }
    let allowed = type.values.map(\.name).joined(separator: ", ")
    if current.kind == .identifier {
      guard let value = type.number(named: current.text) else {
        throw issue(
          "\"\(current.text)\" is not a value of \(type.name) for \(message.name).\(field.name) "
            + "(allowed: \(allowed))")
      }
      try advance()
      return value
    }
    if current.kind == .integer || isSymbol("-") {
      let start = current
      let value = Int32(try signedInteger(field, of: message, bits: 32))
      guard type.contains(number: value) else {
        throw TextFormatIssue(
          line: start.line, column: start.column,
          message: "\(value) is not a value of \(type.name) (allowed: \(allowed))")
      }
      return value
    }
    let hint = current.kind == .string ? " (enum values are written without quotes)" : ""
    throw issue(
      "\(message.name).\(field.name) expects one of \(allowed), found \(describe(current))\(hint)")
  }
}
