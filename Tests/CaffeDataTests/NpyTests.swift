// NpyArray: reading NumPy's .npy versions and element types, writing float32, and the errors.

import CaffeData
import CaffeSupport
import CaffeTestSupport
import Foundation
import Testing

@Suite struct NpyTests {
  /// The bytes of a `.npy` file with `header` (padded as NumPy pads it) and `body`.
  static func file(version: UInt8 = 1, header: String, body: [UInt8]) -> [UInt8] {
    let prefix = version == 1 ? 10 : 12
    let total = prefix + header.utf8.count + 1
    let length = (total + 63) / 64 * 64 - prefix
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    for i in 0..<(prefix - 8) { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * i))) }
    bytes += Array(header.utf8)
    bytes += [UInt8](repeating: 0x20, count: length - header.utf8.count - 1) + [0x0A]
    return bytes + body
  }

  /// The little-endian bytes of `values`, each `T`.
  static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in
      (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value.littleEndian >> (8 * $0)) }
    }
  }

  static func header(_ descr: String, _ shape: String, fortran: Bool = false) -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
  }

  /// Whether `error` is `CaffeError.invalidFile` for `path` whose message contains `words`.
  static func isInvalid(_ error: any Error, path: String, _ words: String) -> Bool {
    guard case CaffeError.invalidFile(let errorPath, let reason) = error else { return false }
    return errorPath == path && reason.contains(words)
  }

  @Test(.enabled(if: Golden.isAvailable, "needs ../shared"))
  func readsCaffeGoldenInput() throws {
    let array = try NpyArray(path: Golden.path("caffe-corpus/opencv-layer-goldens/blob.npy"))
    #expect(array.shape == [2, 6, 75, 113])
    #expect(array.values.count == 2 * 6 * 75 * 113)
    // The first body bytes, b6 27 1c bf, are -0.60998094 (as numpy.load reads them).
    #expect(array.values[0] == -0.60998094)
  }

  @Test func writesFloat32VersionOneWithTheDataAtAMultipleOf64Bytes() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("a.npy").path
    let array = NpyArray(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-7, -1e30])
    try array.write(to: path)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    // 10 bytes of magic, version and length, then the header padded to 128: as numpy.save.
    #expect(bytes.count == 128 + 6 * 4)
    #expect(Array(bytes[6..<8]) == [1, 0])
    let header = String(decoding: bytes[10..<128], as: UTF8.self)
    #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
    #expect(header.hasSuffix(" \n"))
    #expect(Array(bytes[128..<132]) == [0, 0, 0x80, 0x3F])
    #expect(try NpyArray(path: path) == array)
  }

  @Test(arguments: [[Int](), [5], [1, 2, 3, 4, 1]])
  func roundTripsShapes(shape: [Int]) throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("a.npy").path
    let count = shape.reduce(1, *)
    let array = NpyArray(shape: shape, values: (0..<count).map { Float($0) * 0.25 - 1 })
    try array.write(to: path)
    #expect(try NpyArray(path: path) == array)
  }

  @Test func writeReplacesAnExistingFileAndRefusesAWrongCount() throws {
    let folder = try Golden.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("a.npy").path
    try NpyArray(shape: [3], values: [1, 2, 3]).write(to: path)
    try NpyArray(shape: [1], values: [7]).write(to: path)
    #expect(try NpyArray(path: path).values == [7])
    #expect {
      try NpyArray(shape: [2, 2], values: [1]).write(to: path)
    } throws: { error in
      guard case CaffeError.io(let errorPath, let reason) = error else { return false }
      return errorPath == path && reason.contains("needs 4 values")
    }
    #expect(try NpyArray(path: path).values == [7])
  }

  @Test(arguments: [UInt8(2), 3])
  func readsVersionsTwoAndThree(version: UInt8) throws {
    let bytes = Self.file(
      version: version, header: Self.header("<f4", "(2,)"),
      body: Self.littleEndian([Float(1.5).bitPattern, Float(-2).bitPattern]))
    let array = try NpyArray(bytes: bytes)
    #expect(array.shape == [2])
    #expect(array.values == [1.5, -2])
  }

  @Test func convertsOtherElementTypesToFloat() throws {
    let doubles = Self.file(
      header: Self.header("<f8", "(2,)"),
      body: Self.littleEndian([(0.1).bitPattern, (-3.0).bitPattern]))
    #expect(try NpyArray(bytes: doubles).values == [Float(0.1), -3])
    let longs = Self.file(
      header: Self.header("<i8", "(3,)"), body: Self.littleEndian([Int64(-7), 0, 42]))
    #expect(try NpyArray(bytes: longs).values == [-7, 0, 42])
    let ints = Self.file(header: Self.header("<i4", "(1,)"), body: Self.littleEndian([Int32(-5)]))
    #expect(try NpyArray(bytes: ints).values == [-5])
    let bytes = Self.file(header: Self.header("|u1", "(1, 3)"), body: [0, 128, 255])
    let read = try NpyArray(bytes: bytes)
    #expect(read.shape == [1, 3])
    #expect(read.values == [0, 128, 255])
    let signed = Self.file(header: Self.header("|i1", "(2,)"), body: [0xFF, 0x80])
    #expect(try NpyArray(bytes: signed).values == [-1, -128])
  }

  @Test func refusesFortranOrderNamingTheFile() {
    let bytes = Self.file(
      header: Self.header("<f4", "(1, 1)", fortran: true), body: Self.littleEndian([UInt32(0)]))
    #expect {
      try NpyArray(bytes: bytes, path: "f.npy")
    } throws: { Self.isInvalid($0, path: "f.npy", "Fortran") && "\($0)".hasPrefix("f.npy: ") }
  }

  @Test func refusesBadFiles() {
    let cases: [([UInt8], String)] = [
      (Array("not numpy at all".utf8), "\\x93NUMPY"),
      ([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 4, 0, 0, 0], "version 4.0"),
      (Self.file(header: Self.header(">f4", "(1,)"), body: [0, 0, 0, 0]), "'>f4'"),
      (Self.file(header: Self.header("<c8", "(1,)"), body: []), "'<c8'"),
      (Self.file(header: Self.header("<f4", "(2, 3)"), body: [0, 0, 0, 0]), "truncated"),
      (Self.file(header: "{'descr': '<f4'}", body: []), "lacks"),
      (Self.file(header: Self.header("<f4", "(2, x)"), body: []), "bad dimension"),
      (Array(Self.file(header: Self.header("<f4", "(1,)"), body: []).prefix(20)), "truncated"),
    ]
    for (bytes, words) in cases {
      #expect {
        try NpyArray(bytes: bytes, path: "bad.npy")
      } throws: { Self.isInvalid($0, path: "bad.npy", words) }
    }
  }

  @Test func missingFileIsAnIOErrorNamingIt() {
    #expect {
      try NpyArray(path: "/nonexistent/x.npy")
    } throws: { error in
      guard case CaffeError.io(let path, _) = error else { return false }
      return path == "/nonexistent/x.npy"
    }
  }
}
