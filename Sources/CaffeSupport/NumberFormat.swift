// Numbers printed as C++ iostreams print them by default (six significant digits, %g style).

import Foundation

/// Formats `value` as C++'s `operator<<` does with default settings (`%g`, 6 significant digits),
/// so that our log lines match Caffe's character for character: 0.01, 1e-05, 0.9897, 100.
public func formatG(_ value: Double) -> String {
  String(format: "%g", value)
}

/// Formats a `Float` like ``formatG(_:)-(Double)``.
public func formatG(_ value: Float) -> String {
  formatG(Double(value))
}
