// NpyArray: NumPy's `.npy` array files, read and written as Float arrays in C order.

import CaffeSupport
import Foundation

/// An n-dimensional array of Float in C (row-major) order, read from or written to a NumPy
/// `.npy` file, so blobs can be exchanged with NumPy, PyTorch and pycaffe.
///
/// Reading accepts format versions 1.0, 2.0 and 3.0 and these element types (NumPy `descr`),
/// all converted to Float: `<f4` (float32, exact), `<f8` (float64, rounded to nearest),
/// `<i4`, `<i8`, `|u1`/`<u1` and `|i1` (integers, exact up to 2²⁴). Big-endian data and
/// Fortran-order (column-major) arrays are refused with an error that says how to convert them.
///
/// Writing always produces version 1.0 (2.0 only if the header would not fit 1.0's 64 KiB),
/// `<f4` little-endian float32 in C order, with the header padded so the data starts at a
/// multiple of 64 bytes, as NumPy itself writes.
public struct NpyArray: Equatable, Sendable {
  /// The dimensions, outermost first; empty for a 0-d (scalar) array.
  public var shape: [Int]
  /// The values in C order: the last dimension varies fastest.
  ///
  /// Their count is the product of ``shape`` (1 for a 0-d array).
  public var values: [Float]

  /// Makes an array of `values` with `shape`.
  ///
  /// - Parameters:
  ///   - shape: the dimensions, outermost first; each 0 or more.
  ///   - values: the values in C order; the caller keeps their count equal to the product of
  ///     `shape` (``write(to:)`` checks it).
  public init(shape: [Int], values: [Float]) {
    self.shape = shape
    self.values = values
  }

  /// Reads the `.npy` file at `path`.
  ///
  /// - Throws: `CaffeError.io` naming `path` when it cannot be read; `CaffeError.invalidFile`
  ///   naming `path` when it is not a `.npy` file this reader supports (see ``NpyArray``).
  public init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      let reason =
        FileManager.default.fileExists(atPath: path)
        ? "cannot be read; check its permissions" : "no such file"
      throw CaffeError.io(path: path, reason: reason)
    }
    try self.init(bytes: [UInt8](data), path: path)
  }

  /// Parses the bytes of a `.npy` file.
  ///
  /// - Parameters:
  ///   - bytes: the whole file.
  ///   - path: the file's name, for error messages.
  /// - Throws: `CaffeError.invalidFile` naming `path`: no NumPy magic, an unknown version, a
  ///   truncated header or body, an unsupported element type, or Fortran order.
  public init(bytes: [UInt8], path: String = "<memory>") throws {
    func fail(_ reason: String) -> CaffeError { .invalidFile(path: path, reason: reason) }
    guard bytes.count >= 10, Array(bytes[0..<6]) == Self.magic else {
      throw fail("not a NumPy .npy file (it does not start with \\x93NUMPY)")
    }
    let major = bytes[6]
    guard (1...3).contains(major) else {
      throw fail("unsupported .npy format version \(major).\(bytes[7]) (1.0 to 3.0 are read)")
    }
    let lengthBytes = major == 1 ? 2 : 4
    guard bytes.count >= 8 + lengthBytes else { throw fail("truncated .npy header") }
    var headerLength = 0
    for i in (0..<lengthBytes).reversed() { headerLength = headerLength << 8 | Int(bytes[8 + i]) }
    let headerStart = 8 + lengthBytes
    guard bytes.count - headerStart >= headerLength else {
      throw fail("truncated .npy header (\(headerLength) bytes announced)")
    }
    let header = try NpyHeader(
      String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self),
      fail: fail)
    let count = try Self.elementCount(header.shape, fail: fail)
    let body = headerStart + headerLength
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.type.width)
    guard !overflow, bytes.count - body >= byteCount else {
      throw fail(
        "holds \(bytes.count - body) data bytes but shape \(Self.tupleText(header.shape)) "
          + "of '\(header.type.descr)' needs \(overflow ? "more" : String(byteCount)); "
          + "the file is truncated")
    }
    shape = header.shape
    values = bytes.withUnsafeBytes { raw in
      header.type.decode(raw, from: body, count: count)
    }
  }

  /// Writes the array to `path` as a `.npy` file: version 1.0, `<f4`, C order.
  ///
  /// The file is written to a temporary name beside `path` and renamed, so an existing file is
  /// replaced whole or not at all.
  /// - Throws: `CaffeError.io` naming `path` when it cannot be written, or when the count of
  ///   ``values`` differs from the product of ``shape``.
  public func write(to path: String) throws {
    let count = try Self.elementCount(shape) { CaffeError.io(path: path, reason: $0) }
    guard count == values.count else {
      throw CaffeError.io(
        path: path,
        reason: "not written: shape \(Self.tupleText(shape)) needs \(count) values but the "
          + "array holds \(values.count)")
    }
    do {
      try Data(encoded).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw CaffeError.io(
        path: path, reason: "cannot write the .npy file (\(error.localizedDescription))")
    }
  }

  /// The bytes of the `.npy` file: the magic, version 1.0 (2.0 when the header would exceed
  /// 1.0's 64 KiB), the header padded with spaces so the data starts at a multiple of 64 bytes,
  /// then the values as little-endian float32.
  var encoded: [UInt8] {
    let dictionary =
      "{'descr': '<f4', 'fortran_order': False, 'shape': \(Self.tupleText(shape)), }"
    var major: UInt8 = 1
    var prefix = 10
    if (prefix + dictionary.utf8.count + 1 + 63) / 64 * 64 - prefix > Int(UInt16.max) {
      major = 2
      prefix = 12
    }
    let total = prefix + dictionary.utf8.count + 1
    let padded = (total + 63) / 64 * 64
    let headerLength = padded - prefix
    var bytes = Self.magic + [major, 0]
    for i in 0..<(prefix - 8) { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
    bytes += Array(dictionary.utf8)
    bytes += [UInt8](repeating: 0x20, count: padded - total)
    bytes.append(0x0A)
    bytes.reserveCapacity(bytes.count + 4 * values.count)
    for value in values {
      let bits = value.bitPattern.littleEndian
      for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * i))) }
    }
    return bytes
  }

  // MARK: - Format details

  /// `\x93NUMPY`, the first six bytes of every `.npy` file.
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

  /// A shape as Python writes a tuple: `()`, `(5,)`, `(2, 3)`.
  static func tupleText(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }

  /// The product of `shape`, refusing negative dimensions and overflow.
  static func elementCount(_ shape: [Int], fail: (String) -> CaffeError) throws -> Int {
    var count = 1
    for dimension in shape {
      guard dimension >= 0 else {
        throw fail("negative dimension \(dimension) in shape \(tupleText(shape))")
      }
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw fail("shape \(tupleText(shape)) is too large") }
      count = product
    }
    return count
  }
}

/// The element types ``NpyArray`` reads, by NumPy `descr`.
enum NpyElementType: CaseIterable {
  case float32, float64, int8, uint8, int32, int64

  /// The `descr` strings that name this type (byte order `<`, or `|` for one-byte types).
  var descrs: [String] {
    switch self {
    case .float32: return ["<f4"]
    case .float64: return ["<f8"]
    case .int8: return ["|i1", "<i1"]
    case .uint8: return ["|u1", "<u1"]
    case .int32: return ["<i4"]
    case .int64: return ["<i8"]
    }
  }

  /// The canonical `descr`.
  var descr: String { descrs[0] }

  /// Bytes per element.
  var width: Int {
    switch self {
    case .int8, .uint8: return 1
    case .float32, .int32: return 4
    case .float64, .int64: return 8
    }
  }

  /// Converts `count` little-endian elements starting at byte `offset` of `raw` to Float.
  func decode(_ raw: UnsafeRawBufferPointer, from offset: Int, count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
      for i in 0..<count {
        let at = offset + i * width
        switch self {
        case .float32:
          let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
          buffer[i] = Float(bitPattern: bits)
        case .float64:
          let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
          buffer[i] = Float(Double(bitPattern: bits))
        case .int8:
          buffer[i] = Float(Int8(bitPattern: raw[at]))
        case .uint8:
          buffer[i] = Float(raw[at])
        case .int32:
          buffer[i] = Float(
            Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        case .int64:
          buffer[i] = Float(
            Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)))
        }
      }
      initialized = count
    }
  }
}

/// The header dictionary of a `.npy` file: `{'descr': '<f4', 'fortran_order': False,
/// 'shape': (2, 3), }`, a Python literal.
struct NpyHeader {
  /// The element type.
  let type: NpyElementType
  /// The dimensions, outermost first.
  let shape: [Int]

  /// Parses the header text.
  /// - Throws: what `fail` makes, for a malformed header, an unsupported `descr` or Fortran
  ///   order.
  init(_ text: String, fail: (String) -> CaffeError) throws {
    let entries = try Self.entries(text, fail: fail)
    guard let descr = entries["descr"], let fortran = entries["fortran_order"],
      let shapeText = entries["shape"]
    else {
      throw fail("the .npy header lacks 'descr', 'fortran_order' or 'shape': \(text)")
    }
    let name = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    guard let type = NpyElementType.allCases.first(where: { $0.descrs.contains(name) }) else {
      let known = NpyElementType.allCases.map(\.descr).joined(separator: ", ")
      throw fail(
        "unsupported element type '\(name)' (supported: \(known)); convert it in NumPy, "
          + "for example with a.astype('<f4')")
    }
    guard fortran == "False" else {
      throw fail(
        "the array is in Fortran (column-major) order; only C order is supported: save "
          + "numpy.ascontiguousarray(a) instead")
    }
    let inside = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
    shape = try inside.split(separator: ",").compactMap { part in
      let number = part.trimmingCharacters(in: .whitespaces)
      guard !number.isEmpty else { return nil }
      guard let value = Int(number), value >= 0 else {
        throw fail("bad dimension '\(number)' in the .npy header's shape \(shapeText)")
      }
      return value
    }
    self.type = type
  }

  /// Splits `{'key': value, …}` into its entries; values are kept as written (a quoted string,
  /// `True`/`False`, or a parenthesised tuple).
  private static func entries(_ text: String, fail: (String) -> CaffeError) throws
    -> [String: String]
  {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard trimmed.hasPrefix("{"), trimmed.hasSuffix("}") else {
      throw fail("the .npy header is not a dictionary: \(trimmed)")
    }
    var entries: [String: String] = [:]
    var rest = Substring(trimmed.dropFirst().dropLast())
    while true {
      rest = rest.drop { $0.isWhitespace || $0 == "," }
      guard let quote = rest.first else { break }
      guard quote == "'" || quote == "\"", let keyEnd = rest.dropFirst().firstIndex(of: quote),
        let colon = rest[keyEnd...].firstIndex(of: ":")
      else { throw fail("malformed .npy header: \(trimmed)") }
      let key = String(rest[rest.index(after: rest.startIndex)..<keyEnd])
      rest = rest[rest.index(after: colon)...].drop { $0.isWhitespace }
      let end: Substring.Index
      if rest.first == "(" {
        guard let close = rest.firstIndex(of: ")") else {
          throw fail("malformed .npy header: \(trimmed)")
        }
        end = rest.index(after: close)
      } else {
        end = rest.firstIndex(of: ",") ?? rest.endIndex
      }
      entries[key] = rest[..<end].trimmingCharacters(in: .whitespaces)
      rest = rest[end...]
    }
    return entries
  }
}
