// Prints protobuf text format the way Caffe's C++ writer does.

import Foundation

/// Prints binary wire format as protobuf text format, as protoc's C++ printer does.
///
/// That printer is what Caffe's tools use: fields in number order, one value per line (repeated
/// values too), blocks as `name {` … `}` indented by two spaces, floats in the shortest `%g` form
/// that reads back exactly (`1`, `0.01`, `1e-08`), strings with C escapes and octal for non-ASCII
/// bytes. Fields the schema does not know are printed by number.
struct TextPrinter {
  let schema: ProtoSchema
  private(set) var output = ""

  init(schema: ProtoSchema) {
    self.schema = schema
  }

  /// Appends the fields in `bytes`, read as `message`, at nesting depth `depth`.
  mutating func printFields(_ bytes: ArraySlice<UInt8>, as message: MessageSchema, depth: Int) {
    var reader = WireReader(bytes)
    let indent = String(repeating: "  ", count: depth)
    while let wireField = reader.next() {
      guard let field = message.field(number: wireField.number) else {
        output += indent + "\(wireField.number): " + Self.unknownValue(wireField.value) + "\n"
        continue
      }
      switch wireField.value {
      case .lengthDelimited(let payload) where field.kind == .message:
        guard let nested = schema.messages[field.typeName] else { continue }
        output += indent + field.name + " {\n"
        printFields(payload, as: nested, depth: depth + 1)
        output += indent + "}\n"
      case .lengthDelimited(let payload) where field.kind != .string && field.kind != .bytes:
        for value in Self.unpack(payload, kind: field.kind) {
          output += indent + field.name + ": " + format(value, field: field) + "\n"
        }
      default:
        output += indent + field.name + ": " + format(wireField.value, field: field) + "\n"
      }
    }
  }

  // MARK: - Values

  private func format(_ value: WireField.Value, field: FieldSchema) -> String {
    switch value {
    case .varint(let raw): return formatVarint(raw, field: field)
    case .fixed32(let raw):
      switch field.kind {
      case .float: return Self.shortest(Float(bitPattern: raw))
      case .sfixed32: return String(Int32(bitPattern: raw))
      default: return String(raw)
      }
    case .fixed64(let raw):
      switch field.kind {
      case .double: return Self.shortest(Double(bitPattern: raw))
      case .sfixed64: return String(Int64(bitPattern: raw))
      default: return String(raw)
      }
    case .lengthDelimited(let bytes): return "\"" + Self.escaped(bytes) + "\""
    }
  }

  private func formatVarint(_ raw: UInt64, field: FieldSchema) -> String {
    switch field.kind {
    case .int32: return String(Int32(truncatingIfNeeded: raw))
    case .int64: return String(Int64(bitPattern: raw))
    case .uint32: return String(UInt32(truncatingIfNeeded: raw))
    case .sint32, .sint64: return String(Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
    case .bool: return raw != 0 ? "true" : "false"
    case .enumeration:
      let number = Int32(truncatingIfNeeded: raw)
      let name = schema.enums[field.typeName]?.values.first { $0.number == number }?.name
      return name ?? String(number)
    default: return String(raw)
    }
  }

  /// Splits a packed repeated field into its values.
  private static func unpack(_ payload: ArraySlice<UInt8>, kind: FieldKind) -> [WireField.Value] {
    var reader = WireReader(payload)
    var values: [WireField.Value] = []
    while !reader.isAtEnd {
      let value: WireField.Value?
      switch kind {
      case .float, .fixed32, .sfixed32:
        value = reader.readLittleEndian(count: 4).map { .fixed32(UInt32(truncatingIfNeeded: $0)) }
      case .double, .fixed64, .sfixed64:
        value = reader.readLittleEndian(count: 8).map { .fixed64($0) }
      default:
        value = reader.readVarint().map { .varint($0) }
      }
      guard let value else { break }
      values.append(value)
    }
    return values
  }

  private static func unknownValue(_ value: WireField.Value) -> String {
    switch value {
    case .varint(let raw): return String(raw)
    case .fixed32(let raw): return String(format: "0x%08x", raw)
    case .fixed64(let raw): return String(format: "0x%016llx", raw)
    case .lengthDelimited(let bytes): return "\"" + escaped(bytes) + "\""
    }
  }

  /// `%.6g`, or `%.9g` when six digits do not read back as the same float.
  static func shortest(_ value: Float) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    let short = String(format: "%.6g", Double(value))
    return Float(short) == value ? short : String(format: "%.9g", Double(value))
  }

  /// `%.15g`, or `%.17g` when fifteen digits do not read back as the same double.
  static func shortest(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    let short = String(format: "%.15g", value)
    return Double(short) == value ? short : String(format: "%.17g", value)
  }

  /// C escapes: `\n`, `\r`, `\t`, `\"`, `\'`, `\\`, and three-digit octal for any other byte
  /// outside printable ASCII.
  static func escaped(_ bytes: ArraySlice<UInt8>) -> String {
    var text = ""
    for byte in bytes {
      switch byte {
      case 0x0A: text += "\\n"
      case 0x0D: text += "\\r"
      case 0x09: text += "\\t"
      case 0x22: text += "\\\""
      case 0x27: text += "\\'"
      case 0x5C: text += "\\\\"
      case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
      default:
        let octal = String(byte, radix: 8)
        text += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
      }
    }
    return text
  }
}
