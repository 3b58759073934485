// Calls into libhdf5: silencing its error printing, reading its error stack, closing handles.

import CHDF5

/// Helpers shared by the HDF5 types: libhdf5's error stack becomes the text of a `CaffeError`.
enum HDF5Library {
  /// Turns off libhdf5's automatic printing of errors to stderr for the calling thread (the
  /// library is built thread-safe, so the setting is per thread) and clears its error stack.
  static func silence() {
    H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
    H5Eclear2(hid_t(H5E_DEFAULT))
  }

  /// A one-line summary of the calling thread's error stack (empty when it is empty), which is
  /// then cleared: the operating system's error text when libhdf5 recorded one (`No such file
  /// or directory`), else the outermost and the innermost descriptions.
  static func takeErrorMessage() -> String {
    var messages: [String] = []
    withUnsafeMutablePointer(to: &messages) { pointer in
      _ = H5Ewalk2(
        hid_t(H5E_DEFAULT), H5E_WALK_DOWNWARD,
        { _, error, context in
          guard let error, let context, let text = error.pointee.desc else { return 0 }
          let message = String(cString: text).split(whereSeparator: \.isNewline)
            .joined(separator: " ")
          if !message.isEmpty {
            context.assumingMemoryBound(to: [String].self).pointee.append(message)
          }
          return 0
        }, pointer)
    }
    H5Eclear2(hid_t(H5E_DEFAULT))
    let marker = "error message = '"
    for message in messages.reversed() {
      guard let start = message.range(of: marker)?.upperBound,
        let end = message[start...].firstIndex(of: "'")
      else { continue }
      return String(message[start..<end])
    }
    guard let first = messages.first, let last = messages.last else { return "" }
    return first == last ? first : "\(first); \(last)"
  }

  /// `reason`, followed by libhdf5's own explanation when it gave one.
  static func reason(_ reason: String) -> String {
    let detail = takeErrorMessage()
    return detail.isEmpty ? reason : "\(reason) (HDF5: \(detail))"
  }
}

/// An HDF5 identifier (dataset, dataspace, datatype) closed when the value is released.
final class HDF5Handle {
  /// The identifier, non-negative.
  let id: hid_t
  private let close: (hid_t) -> herr_t

  /// Wraps `id`, or returns nil when libhdf5 reported failure with a negative id.
  init?(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
    guard id >= 0 else { return nil }
    self.id = id
    self.close = close
  }

  deinit { _ = close(id) }
}
