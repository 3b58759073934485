// The zero-initialised float buffer behind a blob's data or diff.

/// A growable, zero-initialised buffer of floats, shared by reference between blobs.
///
/// Capacity only grows: shrinking a blob keeps its memory, as Caffe's `SyncedMemory` does.
final class BlobStorage {
  private(set) var pointer: UnsafeMutablePointer<Float>
  private(set) var capacity: Int

  init(capacity: Int = 0) {
    self.capacity = capacity
    pointer = .allocate(capacity: max(capacity, 1))
    pointer.initialize(repeating: 0, count: max(capacity, 1))
  }

  deinit { pointer.deallocate() }

  /// Makes room for `count` floats; new memory is zeroed and old contents are kept.
  func reserve(_ count: Int) {
    guard count > capacity else { return }
    let grown = UnsafeMutablePointer<Float>.allocate(capacity: count)
    grown.initialize(repeating: 0, count: count)
    grown.update(from: pointer, count: capacity)
    pointer.deallocate()
    pointer = grown
    capacity = count
  }
}
