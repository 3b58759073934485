// The hidden files atomic writes go through, and finding those a killed writer left behind.

import Foundation

/// Temporary files written beside a target and then renamed over it, so that a reader sees
/// either the old file or the complete new one.
///
/// A temporary is named `.<target name>.<process id>.<random>.tmp`. A process killed while
/// writing leaves its temporary behind; ``abandoned(in:namePrefix:)`` finds those.
public enum TemporarySibling {
  /// A fresh temporary path in `target`'s folder, named after `target` and this process.
  public static func path(for target: URL) -> URL {
    target.deletingLastPathComponent().appendingPathComponent(
      ".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)."
        + "\(UInt32.random(in: 0...UInt32.max)).tmp")
  }

  /// The temporaries in `folder` for targets whose names start with `namePrefix`, written by
  /// processes that no longer run.
  ///
  /// - Parameters:
  ///   - folder: The folder to look in; an unreadable folder has none.
  ///   - namePrefix: The start of the target file names, such as `lenet_iter_`.
  /// - Returns: Their paths, sorted.
  public static func abandoned(in folder: URL, namePrefix: String) -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { name in
      guard name.hasPrefix("." + namePrefix), let writer = writerProcess(name) else {
        return false
      }
      return !isRunning(writer)
    }.sorted().map { folder.appendingPathComponent($0) }
  }

  /// The process id in a temporary's name, or nil when `name` is not shaped like one.
  private static func writerProcess(_ name: String) -> pid_t? {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count >= 5, parts.last == "tmp", UInt32(parts[parts.count - 2]) != nil else {
      return nil
    }
    return pid_t(parts[parts.count - 3])
  }

  /// Whether process `id` exists (a process of another user counts).
  private static func isRunning(_ id: pid_t) -> Bool {
    id > 0 && (kill(id, 0) == 0 || errno == EPERM)
  }
}
