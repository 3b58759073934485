// Walks protobuf binary wire format one field at a time.

/// One field read from the wire: its number and its raw value.
struct WireField {
  /// The value as it travels: a varint, 4 or 8 little-endian bytes, or a length-delimited run.
  enum Value {
    case varint(UInt64)
    case fixed32(UInt32)
    case fixed64(UInt64)
    case lengthDelimited(ArraySlice<UInt8>)
  }

  let number: Int
  let value: Value
}

/// Reads fields from protobuf binary wire format in the order they were written.
///
/// Malformed input ends the walk (`next()` returns nil); the printer only ever reads bytes
/// that swift-protobuf has just written.
struct WireReader {
  private let bytes: ArraySlice<UInt8>
  private var offset: Int

  init(_ bytes: ArraySlice<UInt8>) {
    self.bytes = bytes
    offset = bytes.startIndex
  }

  /// Whether every byte has been read.
  var isAtEnd: Bool { offset >= bytes.endIndex }

  /// The next field, or nil at the end or on malformed input.
  mutating func next() -> WireField? {
    guard !isAtEnd, let tag = readVarint() else { return nil }
    let number = Int(truncatingIfNeeded: tag >> 3)
    switch tag & 7 {
    case 0:
      return readVarint().map { WireField(number: number, value: .varint($0)) }
    case 1:
      return readLittleEndian(count: 8).map { WireField(number: number, value: .fixed64($0)) }
    case 2:
      guard let length = readVarint(), length <= UInt64(bytes.endIndex - offset) else { return nil }
      let end = offset + Int(length)
      defer { offset = end }
      return WireField(number: number, value: .lengthDelimited(bytes[offset..<end]))
    case 5:
      return readLittleEndian(count: 4).map {
        WireField(number: number, value: .fixed32(UInt32(truncatingIfNeeded: $0)))
      }
    default:
      return nil
    }
  }

  /// Reads one varint, as found in packed repeated fields.
  mutating func readVarint() -> UInt64? {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while offset < bytes.endIndex, shift < 64 {
      let byte = bytes[offset]
      offset += 1
      value |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return value }
      shift += 7
    }
    return nil
  }

  /// Reads `count` little-endian bytes, as found in packed repeated fields.
  mutating func readLittleEndian(count: Int) -> UInt64? {
    guard bytes.endIndex - offset >= count else { return nil }
    var value: UInt64 = 0
    for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
    offset += count
    return value
  }
}
