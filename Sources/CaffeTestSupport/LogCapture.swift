// Capturing the log lines one test writes, while other tests log from other threads.

import CaffeSupport
import Foundation

/// Collects the messages (without glog's prefix) logged on the calling thread while a body runs.
///
/// `Log.sink` is global and tests run in parallel, so one process-wide lock lets one capture run
/// at a time, and lines from other threads are passed on to the sink installed before (or to
/// standard error) instead of being captured.
public final class LogCapture: @unchecked Sendable {
  private static let exclusive = NSLock()
  private let lock = NSLock()
  private var lines: [String] = []

  /// Creates an empty capture.
  public init() {}

  /// The messages captured so far.
  public var messages: [String] { lock.withLock { lines } }

  /// Runs `body`, capturing what the calling thread logs meanwhile.
  ///
  /// - Returns: what `body` returns.
  /// - Throws: what `body` throws.
  public func capture<T>(_ body: () throws -> T) rethrows -> T {
    Self.exclusive.lock()
    defer { Self.exclusive.unlock() }
    let thread = pthread_self()
    let previous = Log.sink
    Log.sink = { [self] line in
      guard pthread_equal(pthread_self(), thread) != 0 else {
        if let previous {
          previous(line)
        } else {
          FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        return
      }
      let message = line.split(separator: "] ", maxSplits: 1).last.map(String.init) ?? line
      lock.withLock { lines.append(message) }
    }
    defer { Log.sink = previous }
    return try body()
  }
}
