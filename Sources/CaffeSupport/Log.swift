// Logging in glog's line format, so Caffe's log tools (parse_log.py and friends) read our logs.

import Foundation

/// Writes log lines as glog does: `I1129 19:42:03.123456  1234 Net.swift:88] message`.
///
/// Severity letter, month and day, wall-clock time with microseconds, the process id padded to
/// five columns, the Swift file and line, then the message. Lines go to standard error unless a
/// test installs a ``sink``. Safe to call from several threads.
public enum Log {
  /// A log line's severity, printed as its first letter (I, W, E).
  public enum Severity: String, Sendable {
    case info = "I"
    case warning = "W"
    case error = "E"
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var sinkStorage: (@Sendable (String) -> Void)?
  nonisolated(unsafe) private static var minimumLevelStorage =
    Int(ProcessInfo.processInfo.environment["GLOG_minloglevel"] ?? "") ?? 0

  /// Receives each formatted line (without the trailing newline) instead of standard error.
  public static var sink: (@Sendable (String) -> Void)? {
    get { lock.withLock { sinkStorage } }
    set { lock.withLock { sinkStorage = newValue } }
  }

  /// glog's `minloglevel`: the lowest severity written.
  ///
  /// 0 keeps info, warning and error lines, 1 drops info, 2 keeps errors only, 3 drops all.
  /// Starts from the `GLOG_minloglevel` environment variable, as in Caffe, else 0.
  public static var minimumLevel: Int {
    get { lock.withLock { minimumLevelStorage } }
    set { lock.withLock { minimumLevelStorage = newValue } }
  }

  /// Logs an informational line.
  public static func info(
    _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
  ) {
    if minimumLevel > 0 { return }
    write(.info, message(), file: file, line: line)
  }

  /// Logs a warning line.
  public static func warning(
    _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
  ) {
    if minimumLevel > 1 { return }
    write(.warning, message(), file: file, line: line)
  }

  /// Logs an error line.
  public static func error(
    _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
  ) {
    if minimumLevel > 2 { return }
    write(.error, message(), file: file, line: line)
  }

  /// Formats one line in glog's layout; `date` defaults to now.
  public static func format(
    _ severity: Severity, _ message: String, file: String, line: UInt, date: Date = Date()
  ) -> String {
    var time = timeval()
    time.tv_sec = Int(date.timeIntervalSince1970)
    let micros = Int((date.timeIntervalSince1970 - Double(time.tv_sec)) * 1_000_000)
    var parts = tm()
    localtime_r(&time.tv_sec, &parts)
    let stamp = String(
      format: "%@%02d%02d %02d:%02d:%02d.%06d %5d", severity.rawValue, parts.tm_mon + 1,
      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, micros, Int(getpid()))
    let base = file.split(separator: "/").last.map(String.init) ?? file
    return "\(stamp) \(base):\(line)] \(message)"
  }

  private static func write(_ severity: Severity, _ message: String, file: StaticString, line: UInt)
  {
    let text = format(severity, message, file: "\(file)", line: line)
    lock.withLock {
      if let sink = sinkStorage {
        sink(text)
      } else {
        let line = text.hasSuffix("\n") ? text : text + "\n"
        FileHandle.standardError.write(Data(line.utf8))
      }
    }
  }
}
