// Caffe's gflags-style command lines (`-backend=leveldb`), rewritten for swift-argument-parser.

/// Rewrites gflags-style single-dash flags as the double-dash flags swift-argument-parser reads.
///
/// Caffe's tools accept `-name=value`, `-name value`, `--name=value` and `--name value`;
/// swift-argument-parser reads only the double-dash forms. So `-name=value` becomes
/// `--name=value` and `-name value` becomes `--name value`. Left as they are:
/// - arguments already starting with `--`, and everything after a bare `--`;
/// - single-letter flags such as `-h`;
/// - negative numbers (`-1`, `-0.5`, `-.5`, `-1e-3`) and a lone `-`; a negative number right
///   after a long flag without `=` becomes that flag's value (`-iterations -5` becomes
///   `--iterations=-5`), since swift-argument-parser would take it for a short flag.
///
/// - Parameter arguments: the command line without the program name.
/// - Returns: the rewritten command line, in the same order.
public func normalizeGFlags(_ arguments: [String]) -> [String] {
  var result: [String] = []
  result.reserveCapacity(arguments.count)
  var afterTerminator = false
  for argument in arguments {
    if afterTerminator || argument == "--" {
      afterTerminator = true
      result.append(argument)
    } else if isSingleDashLongFlag(argument) {
      result.append("-" + argument)
    } else if Double(argument) != nil, argument.hasPrefix("-"), let flag = result.last,
      flag.count > 2, flag.hasPrefix("--"), !flag.contains("=")
    {
      result[result.count - 1] = flag + "=" + argument
    } else {
      result.append(argument)
    }
  }
  return result
}

/// Whether `argument` is `-name` or `-name=value` with a name of at least two characters that
/// starts with a letter or underscore (so not a negative number or a short flag).
private func isSingleDashLongFlag(_ argument: String) -> Bool {
  guard argument.hasPrefix("-"), !argument.hasPrefix("--") else { return false }
  let name = argument.dropFirst().prefix { $0 != "=" }
  guard name.count >= 2, let first = name.first, first.isLetter || first == "_" else {
    return false
  }
  return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
}

/// A command with gflags booleans, which Caffe's tools also accept as `--name=true`,
/// `--name=false` or `--noname`; swift-argument-parser's `@Flag` reads only `--name`.
public protocol GFlagsBooleans {
  /// The names of the command's boolean flags, without dashes.
  static var booleanFlags: Set<String> { get }
}

/// Rewrites gflags' spellings of the boolean flags `names` for swift-argument-parser.
///
/// `--name=true` (or `t`, `yes`, `y`, `1`, any case) becomes `--name`; `--name=false` (or `f`,
/// `no`, `n`, `0`) and `--noname` are dropped, leaving the flag at its default, false. Other
/// values are left for the parser to reject, and so is everything after a bare `--`.
///
/// - Parameters:
///   - arguments: a command line already passed through ``normalizeGFlags(_:)``.
///   - names: the boolean flags' names, without dashes.
/// - Returns: the rewritten command line, in the same order.
public func normalizeGFlagsBooleans(_ arguments: [String], names: Set<String>) -> [String] {
  var result: [String] = []
  var afterTerminator = false
  for argument in arguments {
    afterTerminator = afterTerminator || argument == "--"
    guard !afterTerminator, argument.hasPrefix("--") else {
      result.append(argument)
      continue
    }
    let flag = argument.dropFirst(2)
    let name = String(flag.prefix { $0 != "=" })
    if name.hasPrefix("no"), names.contains(String(name.dropFirst(2))), !flag.contains("=") {
      continue
    }
    guard names.contains(name), flag.contains("=") else {
      result.append(argument)
      continue
    }
    switch flag.drop(while: { $0 != "=" }).dropFirst().lowercased() {
    case "true", "t", "yes", "y", "1": result.append("--" + name)
    case "false", "f", "no", "n", "0": continue
    default: result.append(argument)
    }
  }
  return result
}
