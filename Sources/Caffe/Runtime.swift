// Process-wide settings Caffe keeps in its `Caffe` singleton: the random generator.

import CaffeKernels
import Foundation

/// The random generator shared by fillers, dropout and data shuffling.
///
/// Set ``setRandomSeed(_:)`` (the solver's `random_seed`) before building nets to make runs
/// reproducible. Each thread has its own generator (as Caffe keeps its RNG per thread), so a
/// training thread, a data-prefetch thread and tests running side by side never draw from each
/// other's sequence. Background components derive their own with ``makeGenerator()``.
public enum Runtime {
  private final class Box {
    var generator: SeededGenerator
    init(_ generator: SeededGenerator) { self.generator = generator }
  }

  private static let key = "org.swift-caffe.Runtime.generator"

  private static var box: Box {
    let dictionary = Thread.current.threadDictionary
    if let existing = dictionary[key] as? Box { return existing }
    let fresh = Box(SeededGenerator(seed: freshSeed()))
    dictionary[key] = fresh
    return fresh
  }

  /// Reseeds the calling thread's generator.
  public static func setRandomSeed(_ seed: UInt64) {
    box.generator = SeededGenerator(seed: seed)
  }

  /// Runs `body` with the calling thread's generator.
  public static func withGenerator<T>(_ body: (inout SeededGenerator) throws -> T) rethrows -> T {
    let current = box
    return try body(&current.generator)
  }

  /// A new generator seeded from the calling thread's one, for a component that draws on its own.
  public static func makeGenerator() -> SeededGenerator {
    let current = box
    return SeededGenerator(seed: current.generator.next())
  }

  private static func freshSeed() -> UInt64 {
    UInt64(UInt32(truncatingIfNeeded: getpid())) &* 0x9E37_79B9_7F4A_7C15
      ^ UInt64(Date().timeIntervalSince1970 * 1e6)
  }
}
