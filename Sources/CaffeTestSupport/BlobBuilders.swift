// Blob builders: deterministic, seeded blobs for tests.

import Caffe
import CaffeKernels

/// Makes blobs filled from a fixed seed, so that every test run sees the same numbers.
///
/// Each call draws from its own ``SeededGenerator`` and leaves ``Runtime`` untouched.
public enum BlobBuilder {
  /// Caffe's usual test bottom shape: (N, C, H, W) = (2, 3, 6, 4).
  public static let standardShape = [2, 3, 6, 4]

  /// A blob of `shape` with values drawn from N(mean, std²).
  ///
  /// - Parameters:
  ///   - shape: the blob's shape.
  ///   - mean: the mean (default 0).
  ///   - std: the standard deviation (default 1).
  ///   - seed: the generator's seed (default 1701).
  /// - Returns: a new blob of Gaussian samples.
  /// - Throws: `CaffeError.invalidNet` for a bad shape.
  public static func gaussian(
    _ shape: [Int] = standardShape, mean: Float = 0, std: Float = 1, seed: UInt64 = 1701
  ) throws -> Blob {
    let blob = try Blob(shape: shape)
    var generator = SeededGenerator(seed: seed)
    Random.gaussian(count: blob.count, mean: mean, std: std, into: blob.data, using: &generator)
    return blob
  }

  /// A blob of `shape` with values uniform in [min, max).
  ///
  /// - Parameters:
  ///   - shape: the blob's shape.
  ///   - min: the lower bound (default 0).
  ///   - max: the upper bound (default 1).
  ///   - seed: the generator's seed (default 1701).
  /// - Returns: a new blob of uniform samples.
  /// - Throws: `CaffeError.invalidNet` for a bad shape.
  public static func uniform(
    _ shape: [Int] = standardShape, min: Float = 0, max: Float = 1, seed: UInt64 = 1701
  ) throws -> Blob {
    let blob = try Blob(shape: shape)
    var generator = SeededGenerator(seed: seed)
    Random.uniform(count: blob.count, min: min, max: max, into: blob.data, using: &generator)
    return blob
  }

  /// A blob of `shape` holding `values` (row-major).
  ///
  /// - Throws: `CaffeError.invalidNet` if the value count does not match the shape.
  public static func values(_ shape: [Int], _ values: [Float]) throws -> Blob {
    let blob = try Blob(shape: shape)
    try blob.setData(values)
    return blob
  }

  /// A blob of `shape` holding random integer labels in [0, classes), as floats.
  ///
  /// - Parameters:
  ///   - shape: the blob's shape, e.g. (N).
  ///   - classes: the number of classes.
  ///   - seed: the generator's seed (default 1701).
  /// - Returns: a new blob of labels stored as floats.
  /// - Throws: `CaffeError.invalidNet` for a bad shape.
  public static func labels(_ shape: [Int], classes: Int, seed: UInt64 = 1701) throws -> Blob {
    let blob = try Blob(shape: shape)
    var generator = SeededGenerator(seed: seed)
    for i in 0..<blob.count {
      blob.data[i] = Float(Int.random(in: 0..<classes, using: &generator))
    }
    return blob
  }
}
