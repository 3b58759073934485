// Builds protobuf binary wire format, field by field.

/// Appends protobuf-encoded fields to a byte buffer.
///
/// The prototxt parser writes what it reads through this type, then lets swift-protobuf decode
/// the bytes, so the parser needs no knowledge of the generated Swift types.
struct WireWriter {
  /// The encoding so far.
  private(set) var bytes: [UInt8] = []

  /// Appends a varint-encoded field (int32, int64, uint32, uint64, bool, enum).
  ///
  /// Negative int32 and enum values must be passed sign-extended to 64 bits, as protobuf does.
  mutating func appendVarint(field number: Int, _ value: UInt64) {
    appendTag(number, wireType: 0)
    appendVarint(value)
  }

  /// Appends a 32-bit fixed-width field (float, fixed32, sfixed32), little-endian.
  mutating func appendFixed32(field number: Int, _ value: UInt32) {
    appendTag(number, wireType: 5)
    for shift in stride(from: 0, to: 32, by: 8) {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
    }
  }

  /// Appends a 64-bit fixed-width field (double, fixed64, sfixed64), little-endian.
  mutating func appendFixed64(field number: Int, _ value: UInt64) {
    appendTag(number, wireType: 1)
    for shift in stride(from: 0, to: 64, by: 8) {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
    }
  }

  /// Appends a length-delimited field (string, bytes, embedded message).
  mutating func appendLengthDelimited(field number: Int, _ payload: [UInt8]) {
    appendTag(number, wireType: 2)
    appendVarint(UInt64(payload.count))
    bytes.append(contentsOf: payload)
  }

  private mutating func appendTag(_ number: Int, wireType: UInt64) {
    appendVarint(UInt64(number) << 3 | wireType)
  }

  private mutating func appendVarint(_ value: UInt64) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }
}
