// Writing a log table as parse_log.py's CSV.

import CaffeSupport
import Foundation

extension LogTable {
  /// The table as CSV text: a header line, then one line per row, each ending in a newline.
  ///
  /// Numbers are written as Python's `repr` writes floats, so values match parse_log.py's files
  /// character for character (`500.0`, `2.455301`, `1e-05`, `nan`); a missing output is an empty
  /// field. A field holding the delimiter or a quote is quoted, as Python's csv module does.
  ///
  /// - Parameter delimiter: The column separator.
  /// - Returns: The CSV text.
  public func csv(delimiter: Character = ",") -> String {
    var lines = [columns.map { Self.quoted($0, delimiter: delimiter) }]
    for row in rows {
      let outputs = outputNames.map { row.outputs[$0].map(Self.pythonRepr) ?? "" }
      let fixed = [Double(row.iteration), row.seconds, row.learningRate].map(Self.pythonRepr)
      lines.append(fixed + outputs)
    }
    let separator = String(delimiter)
    return lines.map { $0.joined(separator: separator) + "\n" }.joined()
  }

  /// `value` as Python's `repr` writes a float: the shortest text that reads back the same
  /// value (which Swift's `description` also gives), and `nan` for every NaN.
  static func pythonRepr(_ value: Double) -> String {
    value.isNaN ? "nan" : value.description
  }

  /// `field`, quoted with doubled inner quotes when it holds `delimiter`, a quote or a newline.
  private static func quoted(_ field: String, delimiter: Character) -> String {
    guard field.contains(where: { $0 == delimiter || $0 == "\"" || $0.isNewline }) else {
      return field
    }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

extension TrainingLog {
  /// Writes `<name>.train` and `<name>.test` into `folder`, as parse_log.py does; a table with
  /// no rows is not written.
  ///
  /// - Parameters:
  ///   - folder: The output folder; created if missing.
  ///   - name: The file name stem, normally the log's file name (`caffe.INFO`).
  ///   - delimiter: The column separator.
  /// - Returns: The paths written.
  /// - Throws: `CaffeError.io` when the folder cannot be created or a file cannot be written.
  @discardableResult
  public func writeCSV(into folder: String, name: String, delimiter: Character = ",") throws
    -> [String]
  {
    do {
      try FileManager.default.createDirectory(
        atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw CaffeError.io(path: folder, reason: "cannot create the output folder")
    }
    var written: [String] = []
    for (table, suffix) in [(train, "train"), (test, "test")] where !table.rows.isEmpty {
      let path = URL(fileURLWithPath: folder).appendingPathComponent("\(name).\(suffix)").path
      let data = Data(table.csv(delimiter: delimiter).utf8)
      guard FileManager.default.createFile(atPath: path, contents: data) else {
        throw CaffeError.io(path: path, reason: "cannot be written")
      }
      written.append(path)
    }
    return written
  }
}
