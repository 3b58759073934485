// glog's own flags, which every Caffe tool accepts beside its own (`-minloglevel=2`, `-v=1`).

import ArgumentParser
import CaffeSupport

/// glog's command-line flags, taken out of a command line before the command parses it.
///
/// Caffe's tools link glog, so `caffe train … -minloglevel=1 -logtostderr` works there.
/// `minloglevel` sets ``Log/minimumLevel``. The rest describe where glog writes, and our logs
/// always go to standard error as Caffe's do (Caffe turns `alsologtostderr` on), so they are
/// accepted and have no effect; `log_dir` alone warns that no log files are written.
enum GLogFlags {
  /// Flags that take a value (`--name=value` or `--name value`).
  static let valued: Set<String> = [
    "minloglevel", "stderrthreshold", "v", "vmodule", "log_dir", "max_log_size", "logbuflevel",
    "logbufsecs",
  ]
  /// Boolean flags (`--name`, `--name=false`, `--noname`).
  static let booleans: Set<String> = [
    "logtostderr", "alsologtostderr", "colorlogtostderr", "log_prefix",
    "stop_logging_if_full_disk",
  ]

  /// Removes glog's flags from `arguments` (already passed through ``normalizeGFlags(_:)``, so
  /// long flags start with `--`; `-v` stays single-dashed) and applies `minloglevel`.
  ///
  /// - Returns: the command line without glog's flags, in the same order.
  /// - Throws: `ValidationError` when `minloglevel` is not 0 to 3, or a valued flag ends the
  ///   command line without its value.
  static func apply(_ arguments: [String]) throws -> [String] {
    var result: [String] = []
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if argument == "--" {
        result += arguments[(index - 1)...]
        break
      }
      let flag = argument.drop { $0 == "-" }
      let name = String(flag.prefix { $0 != "=" })
      guard argument.hasPrefix("-") else {
        result.append(argument)
        continue
      }
      if booleans.contains(name)
        || (name.hasPrefix("no") && booleans.contains(String(name.dropFirst(2))))
      {
        continue
      }
      guard valued.contains(name) else {
        result.append(argument)
        continue
      }
      let value: String
      if let equals = flag.firstIndex(of: "=") {
        value = String(flag[flag.index(after: equals)...])
      } else {
        guard index < arguments.count else {
          throw ValidationError("glog flag --\(name) needs a value")
        }
        value = arguments[index]
        index += 1
      }
      try use(name, value)
    }
    return result
  }

  /// Applies one valued flag.
  private static func use(_ name: String, _ value: String) throws {
    switch name {
    case "minloglevel":
      guard let level = Int(value), (0...3).contains(level) else {
        throw ValidationError("--minloglevel must be 0 (INFO) to 3 (FATAL), given '\(value)'")
      }
      Log.minimumLevel = level
    case "log_dir":
      Log.warning("--log_dir=\(value): no log files are written; the log goes to standard error")
    default:
      break
    }
  }
}
