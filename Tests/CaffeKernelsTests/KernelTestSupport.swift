// KernelTestSupport: seeded inputs, owned pointer buffers and tolerant comparison for kernel tests.
import CaffeKernels
import Testing

/// Owns the raw buffers of one test and frees them all when released.
///
/// Kernels take raw pointers; an arena keeps each test free of nested `withUnsafe…` closures.
/// Use it through ``withArena(_:)``, which keeps it alive until the test body returns.
final class Arena {
  private var allocations: [UnsafeMutableRawPointer] = []

  /// A new buffer holding `values`.
  func floats(_ values: [Float]) -> UnsafeMutablePointer<Float> {
    let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, values.count))
    pointer.initialize(from: values, count: values.count)
    allocations.append(UnsafeMutableRawPointer(pointer))
    return pointer
  }

  /// A new buffer of `count` copies of `value` (NaN by default, so unwritten output shows).
  func floats(count: Int, value: Float = .nan) -> UnsafeMutablePointer<Float> {
    floats([Float](repeating: value, count: count))
  }

  /// A new `Int32` buffer of `count` elements, filled with `value`.
  func int32s(count: Int, value: Int32 = -7) -> UnsafeMutablePointer<Int32> {
    let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, count))
    pointer.initialize(repeating: value, count: count)
    allocations.append(UnsafeMutableRawPointer(pointer))
    return pointer
  }

  /// A new `UInt32` buffer of `count` zeros.
  func uint32s(count: Int) -> UnsafeMutablePointer<UInt32> {
    let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, count))
    pointer.initialize(repeating: 0, count: count)
    allocations.append(UnsafeMutableRawPointer(pointer))
    return pointer
  }

  deinit {
    for pointer in allocations { pointer.deallocate() }
  }
}

/// Runs `body` with a fresh arena whose buffers stay valid until `body` returns.
func withArena<R>(_ body: (Arena) throws -> R) rethrows -> R {
  let arena = Arena()
  return try withExtendedLifetime(arena) { try body(arena) }
}

/// The first `count` elements at `pointer`, as an array.
func array<T>(_ pointer: UnsafePointer<T>, _ count: Int) -> [T] {
  Array(UnsafeBufferPointer(start: pointer, count: count))
}

/// The first `count` elements at `pointer`, as an array.
func array<T>(_ pointer: UnsafeMutablePointer<T>, _ count: Int) -> [T] {
  Array(UnsafeBufferPointer(start: pointer, count: count))
}

/// `count` values from N(0, 1), reproducible from `seed`.
func gaussianValues(_ count: Int, seed: UInt64) -> [Float] {
  var generator = SeededGenerator(seed: seed)
  var values = [Float](repeating: 0, count: count)
  values.withUnsafeMutableBufferPointer { buffer in
    guard let base = buffer.baseAddress else { return }
    Random.gaussian(count: count, mean: 0, std: 1, into: base, using: &generator)
  }
  return values
}

/// Expects `actual` and `expected` to agree element-wise within `tolerance` relative to
/// max(1, |expected|), as Caffe's tests compare.
func expectClose(
  _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.count == expected.count, sourceLocation: sourceLocation)
  var mismatches = 0
  for (index, (a, e)) in zip(actual, expected).enumerated() {
    let scale = max(1, abs(e))
    if !(abs(a - e) <= tolerance * scale) {
      mismatches += 1
      if mismatches <= 5 {
        Issue.record(
          "element \(index): got \(a), expected \(e)", sourceLocation: sourceLocation)
      }
    }
  }
  #expect(mismatches == 0, "\(mismatches) mismatches", sourceLocation: sourceLocation)
}
