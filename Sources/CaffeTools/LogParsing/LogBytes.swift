// Small scanning helpers over the UTF-8 bytes of one log line.

/// Byte-level helpers for reading log lines without regular expressions.
enum LogBytes {
  /// Whether `byte` is ASCII white space (space, tab, CR, LF, vertical tab, form feed).
  static func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (0x09...0x0D).contains(byte)
  }

  /// Whether `byte` is an ASCII digit.
  static func isDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
  }

  /// The non-negative decimal integer spelled by all of `bytes`, or nil when `bytes` is empty,
  /// holds anything but digits, or overflows `Int`.
  static func integer(_ bytes: ArraySlice<UInt8>) -> Int? {
    guard !bytes.isEmpty else { return nil }
    var value = 0
    for byte in bytes {
      guard isDigit(byte) else { return nil }
      let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
      guard !overflow1, !overflow2 else { return nil }
      value = sum
    }
    return value
  }

  /// The indices just past each occurrence of `needle` in `bytes`, first to last.
  static func ends(of needle: String, in bytes: ArraySlice<UInt8>) -> [Int] {
    let pattern = Array(needle.utf8)
    guard let first = pattern.first, bytes.count >= pattern.count else { return [] }
    var result: [Int] = []
    var index = bytes.startIndex
    while index <= bytes.endIndex - pattern.count {
      if bytes[index] == first, bytes[index..<index + pattern.count].elementsEqual(pattern) {
        result.append(index + pattern.count)
      }
      index += 1
    }
    return result
  }

  /// The end of the run of bytes from `start` that satisfy `predicate`.
  static func endOfRun(
    in bytes: ArraySlice<UInt8>, from start: Int, while predicate: (UInt8) -> Bool
  ) -> Int {
    var end = start
    while end < bytes.endIndex, predicate(bytes[end]) { end += 1 }
    return end
  }

  /// Whether `bytes` continues at `index` with `text`.
  static func hasText(_ text: String, in bytes: ArraySlice<UInt8>, at index: Int) -> Bool {
    let pattern = text.utf8
    guard index >= bytes.startIndex, bytes.endIndex - index >= pattern.count else { return false }
    return bytes[index..<index + pattern.count].elementsEqual(pattern)
  }

  /// Reads a number written as C++ streams and glog write them (`0.01`, `1e-05`, `-2.5E+3`,
  /// `nan`, `-inf`) starting at `index`.
  ///
  /// - Returns: The value and the index just past it, or nil when no number starts there.
  static func number(in bytes: ArraySlice<UInt8>, at index: Int) -> (value: Double, end: Int)? {
    var end = index
    if end < bytes.endIndex, bytes[end] == UInt8(ascii: "-") || bytes[end] == UInt8(ascii: "+") {
      end += 1
    }
    for word in ["nan", "inf"] where hasText(word, in: bytes, at: end) {
      let text = String(decoding: bytes[index..<end + 3], as: UTF8.self)
      return Double(text).map { ($0, end + 3) }
    }
    let mantissaStart = end
    end = endOfRun(in: bytes, from: end, while: isDigit)
    if end < bytes.endIndex, bytes[end] == UInt8(ascii: ".") {
      let fractionEnd = endOfRun(in: bytes, from: end + 1, while: isDigit)
      if fractionEnd > end + 1 { end = fractionEnd }
    }
    guard end > mantissaStart else { return nil }
    if end < bytes.endIndex, bytes[end] == UInt8(ascii: "e") || bytes[end] == UInt8(ascii: "E") {
      var exponentStart = end + 1
      if exponentStart < bytes.endIndex,
        bytes[exponentStart] == UInt8(ascii: "-") || bytes[exponentStart] == UInt8(ascii: "+")
      {
        exponentStart += 1
      }
      let exponentEnd = endOfRun(in: bytes, from: exponentStart, while: isDigit)
      if exponentEnd > exponentStart { end = exponentEnd }
    }
    return Double(String(decoding: bytes[index..<end], as: UTF8.self)).map { ($0, end) }
  }
}
