// Npy: a reader for NumPy's .npy files (float32 and float64, C order).

import CaffeSupport
import Foundation

/// An array read from a NumPy `.npy` file (format versions 1.0–3.0).
///
/// Only little-endian `<f4` and `<f8` arrays in C order are supported; float64 values are
/// rounded to Float.
public struct Npy {
  /// The dimensions, outermost first.
  public var shape: [Int]
  /// The values, row-major.
  public var values: [Float]

  /// Reads the file at `path`.
  /// - Throws: `CaffeError.io` if the file cannot be read, `CaffeError.invalidFile` if it is not
  ///   a supported `.npy` file.
  public init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CaffeError.io(path: path, reason: "cannot be read")
    }
    try self.init(data: [UInt8](data), path: path)
  }

  /// Parses the bytes of an `.npy` file; `path` names it in errors.
  /// - Throws: `CaffeError.invalidFile` if the bytes are not a supported `.npy` file.
  public init(data bytes: [UInt8], path: String = "<memory>") throws {
    func fail(_ reason: String) -> CaffeError { .invalidFile(path: path, reason: reason) }
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw fail("not a .npy file (no \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let lengthBytes = major == 1 ? 2 : 4
    guard (1...3).contains(major), bytes.count >= 8 + lengthBytes else {
      throw fail("unsupported .npy version \(major)")
    }
    var headerLength = 0
    for i in (0..<lengthBytes).reversed() { headerLength = headerLength << 8 | Int(bytes[8 + i]) }
    let start = 8 + lengthBytes
    guard bytes.count >= start + headerLength else { throw fail("truncated header") }
    let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
    guard !header.contains("'fortran_order': True") else {
      throw fail("Fortran-order arrays are not supported")
    }
    let isDouble = header.contains("'<f8'")
    guard isDouble || header.contains("'<f4'") else {
      throw fail("only little-endian float32 or float64 arrays are supported: \(header)")
    }
    shape = try Self.parseShape(header, fail)
    let count = shape.reduce(1, *)
    let body = start + headerLength
    let width = isDouble ? 8 : 4
    guard bytes.count >= body + count * width else {
      throw fail("holds \(bytes.count - body) data bytes; shape \(shape) needs \(count * width)")
    }
    values = bytes.withUnsafeBytes { raw in
      (0..<count).map { i in
        let offset = body + i * width
        if isDouble {
          let bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
          return Float(Double(bitPattern: UInt64(littleEndian: bits)))
        }
        let bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return Float(bitPattern: UInt32(littleEndian: bits))
      }
    }
  }

  /// The integers inside `'shape': (…)`.
  private static func parseShape(_ header: String, _ fail: (String) -> CaffeError) throws
    -> [Int]
  {
    guard let key = header.range(of: "'shape':"),
      let open = header[key.upperBound...].firstIndex(of: "("),
      let close = header[open...].firstIndex(of: ")")
    else { throw fail("no shape in header \(header)") }
    let inside = header[header.index(after: open)..<close]
    return try inside.split(separator: ",").compactMap { part in
      let text = part.trimmingCharacters(in: .whitespaces)
      guard !text.isEmpty else { return nil }
      guard let value = Int(text), value >= 0 else { throw fail("bad dimension \(text)") }
      return value
    }
  }
}
