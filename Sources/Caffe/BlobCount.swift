// How many bottom or top blobs a layer type accepts.

/// The number of bottom or top blobs a layer type accepts.
public enum BlobCount: Sendable, Equatable {
  /// Exactly this many.
  case exactly(Int)
  /// This many or more.
  case atLeast(Int)
  /// Any count in the range.
  case range(ClosedRange<Int>)
  /// Any count.
  case any

  /// Whether `count` is accepted.
  public func accepts(_ count: Int) -> Bool {
    switch self {
    case .exactly(let n): return count == n
    case .atLeast(let n): return count >= n
    case .range(let r): return r.contains(count)
    case .any: return true
    }
  }

  /// The accepted counts in words, for error messages ("exactly 2", "at least 1", "1 to 2").
  public var text: String {
    switch self {
    case .exactly(let n): return "exactly \(n)"
    case .atLeast(let n): return "at least \(n)"
    case .range(let r): return "\(r.lowerBound) to \(r.upperBound)"
    case .any: return "any number of"
    }
  }

  /// The smallest accepted count.
  public var minimum: Int {
    switch self {
    case .exactly(let n), .atLeast(let n): return n
    case .range(let r): return r.lowerBound
    case .any: return 0
    }
  }
}
