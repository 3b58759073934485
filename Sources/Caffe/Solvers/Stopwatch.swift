// Wall-clock timing with the whole-unit resolution of Caffe's CPU Timer.

import Foundation

/// Measures elapsed wall-clock time from a monotonic clock.
///
/// Caffe's CPU timer reports whole milliseconds and whole microseconds; ``milliseconds`` and
/// ``microseconds`` truncate the same way, so logged times have Caffe's digits
/// (`2.504s/100 iters`, `28 ms.`).
public struct Stopwatch: Sendable {
  private var start: UInt64

  /// Starts timing now.
  public init() { start = DispatchTime.now().uptimeNanoseconds }

  /// Restarts timing from now.
  public mutating func restart() { start = DispatchTime.now().uptimeNanoseconds }

  /// Whole milliseconds since the start.
  public var milliseconds: Int { Int(elapsedNanoseconds / 1_000_000) }

  /// Whole microseconds since the start.
  public var microseconds: Int { Int(elapsedNanoseconds / 1_000) }

  /// Seconds since the start, from whole milliseconds (Caffe's `Timer::Seconds`).
  public var seconds: Float { Float(milliseconds) / 1000 }

  private var elapsedNanoseconds: UInt64 {
    DispatchTime.now().uptimeNanoseconds &- start
  }
}
