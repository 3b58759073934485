// The date and time at the start of a glog line, in both prefixes glog has written.

/// The time stamp that starts a glog line: `I1129 20:00:45.429296 …` (month and day) or, since
/// glog 0.6, `I20261129 20:00:45.429296 …` (year, month and day).
///
/// The first character is the severity (I, W, E or F). Leading white space is skipped, as
/// Caffe's `extract_seconds.py` strips lines first. Lines with any other start (prototxt dumps,
/// `/usr/bin/time` output, shell traces) have no time stamp.
public struct GlogTimestamp: Equatable, Sendable {
  /// The year, when the prefix carries one (glog 0.6 and later); nil for `I1129`.
  public var year: Int?
  /// The month, 1...12.
  public var month: Int
  /// The day of the month, 1...31 (checked against the month when a year is known).
  public var day: Int
  /// Hours, 0...23.
  public var hour: Int
  /// Minutes, 0...59.
  public var minute: Int
  /// Seconds, 0...59.
  public var second: Int
  /// Microseconds, 0...999 999 (the digits after the point, read as an integer, as Caffe does).
  public var microsecond: Int

  /// Reads the time stamp at the start of `line`.
  ///
  /// Fails (gives nil) when the line does not start with a valid glog prefix.
  ///
  /// - Parameter line: One log line, as UTF-8 bytes.
  public init?(line: ArraySlice<UInt8>) {
    var tokens = line.split(whereSeparator: LogBytes.isSpace).makeIterator()
    guard let date = tokens.next(), let time = tokens.next(), date.count == 5 || date.count == 9,
      let severity = date.first, "IWEF".utf8.contains(severity),
      let digits = LogBytes.integer(date.dropFirst())
    else { return nil }
    if date.count == 9 {
      (year, month, day) = (digits / 10_000, digits / 100 % 100, digits % 100)
    } else {
      (year, month, day) = (nil, digits / 100, digits % 100)
    }
    let fields = time.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
    let secondParts =
      fields.last?.split(
        separator: UInt8(ascii: "."), omittingEmptySubsequences: false) ?? []
    guard fields.count == 3, secondParts.count == 2, let hour = LogBytes.integer(fields[0]),
      let minute = LogBytes.integer(fields[1]), let second = LogBytes.integer(secondParts[0]),
      let microsecond = LogBytes.integer(secondParts[1])
    else { return nil }
    (self.hour, self.minute, self.second, self.microsecond) = (hour, minute, second, microsecond)
    guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year ?? 2000),
      hour < 24, minute < 60, second < 60, microsecond < 1_000_000
    else { return nil }
  }

  /// Microseconds since 1970-01-01 00:00:00 of this time stamp in `year` (or in its own year,
  /// when the prefix has one), or nil when the day does not exist in that year (29 February).
  ///
  /// - Parameter fallbackYear: The year of a prefix without one.
  /// - Returns: The microseconds, or nil when the day does not exist in that year.
  public func microsecondsSinceEpoch(fallbackYear: Int) -> Int64? {
    let year = self.year ?? fallbackYear
    guard day <= Self.daysIn(month: month, year: year) else { return nil }
    let days = Int64(Self.daysSinceEpoch(year: year, month: month, day: day))
    let seconds = ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60 + Int64(second)
    return seconds * 1_000_000 + Int64(microsecond)
  }

  /// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar.
  static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
    // Counts from 1 March of year 0, so that the leap day ends each 4-year cycle.
    let shiftedYear = month <= 2 ? year - 1 : year
    let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
    let yearOfEra = shiftedYear - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The number of days in `month` of `year`.
  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2:
      let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
      return leap ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }
}
