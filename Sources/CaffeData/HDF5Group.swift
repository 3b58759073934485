// A group inside an HDF5 file: its members, and the groups below it.

import CHDF5
import CaffeSupport

/// A group of an open HDF5 file: a folder of named datasets and groups.
///
/// ``HDF5File`` is itself the root group `/`. Member names may be paths relative to the group
/// (`"data/conv1/0"`). Every failure throws a `CaffeError` naming the file and the member;
/// libhdf5's own messages are never printed to stderr. A group keeps its file open while it
/// lives. Not thread-safe: use a file from one thread at a time.
public class HDF5Group {
  /// The path of the HDF5 file the group belongs to.
  public let filePath: String
  /// The group's absolute path inside the file, such as `/` or `/history`.
  public let path: String
  /// The libhdf5 identifier of the group (of the file, for the root); -1 once closed.
  var id: hid_t
  /// Keeps the file (and so its identifier) alive while the group is used.
  private let file: HDF5Group?

  init(id: hid_t, filePath: String, path: String, file: HDF5Group?) {
    self.id = id
    self.filePath = filePath
    self.path = path
    self.file = file
  }

  deinit {
    if id >= 0 && file != nil { H5Gclose(id) }
  }

  /// The absolute path of member `name`, for messages.
  func memberPath(_ name: String) -> String {
    path.hasSuffix("/") ? path + name : path + "/" + name
  }

  /// Throws when the group (or its file) has been closed.
  func requireOpen() throws {
    guard id >= 0 else {
      throw CaffeError.io(path: filePath, reason: "the HDF5 file is already closed")
    }
  }

  /// The names of the group's direct members (datasets and groups), in name order.
  ///
  /// Names sort as strings: "0", "1", "10", "2".
  /// - Throws: `CaffeError.invalidFile` when libhdf5 cannot list the group.
  public func memberNames() throws -> [String] {
    try requireOpen()
    HDF5Library.silence()
    var info = H5G_info_t()
    guard H5Gget_info(id, &info) >= 0 else {
      throw CaffeError.invalidFile(
        path: filePath, reason: HDF5Library.reason("cannot list the members of group \(path)"))
    }
    var names: [String] = []
    for index in 0..<info.nlinks {
      let length = H5Lget_name_by_idx(
        id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default())
      guard length >= 0 else {
        throw CaffeError.invalidFile(
          path: filePath, reason: HDF5Library.reason("cannot read member \(index) of \(path)"))
      }
      var buffer = [CChar](repeating: 0, count: length + 1)
      _ = H5Lget_name_by_idx(
        id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1, chdf5_p_default())
      names.append(
        String(
          decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) },
          as: UTF8.self))
    }
    return names
  }

  /// Whether the group has a member (dataset or group) at `name`, which may be a relative path.
  ///
  /// Never throws: a closed file, a missing intermediate group or a malformed name give false.
  public func contains(_ name: String) -> Bool {
    guard id >= 0, !name.isEmpty else { return false }
    HDF5Library.silence()
    var prefix = ""
    for component in name.split(separator: "/", omittingEmptySubsequences: true) {
      prefix += prefix.isEmpty ? String(component) : "/" + component
      guard H5Lexists(id, prefix, chdf5_p_default()) > 0 else {
        HDF5Library.silence()
        return false
      }
    }
    return !prefix.isEmpty
  }

  /// Whether member `name` exists and is a group (false for datasets and missing members).
  public func containsGroup(_ name: String) -> Bool {
    guard contains(name) else { return false }
    guard let object = HDF5Handle(H5Oopen(id, name, chdf5_p_default()), close: H5Oclose) else {
      HDF5Library.silence()
      return false
    }
    return H5Iget_type(object.id) == H5I_GROUP
  }

  /// Opens the existing group `name` (a relative path is allowed).
  ///
  /// - Throws: `CaffeError.invalidFile` naming the file and the group when it is missing (the
  ///   message lists this group's members) or is a dataset.
  public func openGroup(_ name: String) throws -> HDF5Group {
    try requireOpen()
    try requireMember(name, kind: "group")
    guard containsGroup(name) else {
      throw CaffeError.invalidFile(
        path: filePath, reason: "\(memberPath(name)) is a dataset, not a group")
    }
    let groupID = H5Gopen2(id, name, chdf5_p_default())
    guard groupID >= 0 else {
      throw CaffeError.invalidFile(
        path: filePath, reason: HDF5Library.reason("cannot open group \(memberPath(name))"))
    }
    return HDF5Group(
      id: groupID, filePath: filePath, path: memberPath(name), file: file ?? self)
  }

  /// Creates the group `name`, which must not exist yet (its parent groups must).
  ///
  /// - Throws: `CaffeError.io` naming the file and the group when it exists already or cannot be
  ///   created (the file is open read-only, a parent group is missing).
  public func createGroup(_ name: String) throws -> HDF5Group {
    try requireOpen()
    try requireNew(name)
    HDF5Library.silence()
    let groupID = H5Gcreate2(
      id, name, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
    guard groupID >= 0 else {
      throw CaffeError.io(
        path: filePath, reason: HDF5Library.reason("cannot create group \(memberPath(name))"))
    }
    return HDF5Group(
      id: groupID, filePath: filePath, path: memberPath(name), file: file ?? self)
  }

  /// Throws `CaffeError.invalidFile` when member `name` is missing, listing the members of the
  /// group that should hold it (or saying that group is missing).
  func requireMember(_ name: String, kind: String) throws {
    guard !contains(name) else { return }
    var parentName = ""
    if let slash = name.lastIndex(of: "/") { parentName = String(name[..<slash]) }
    let parent = parentName.isEmpty ? self : try? openGroup(parentName)
    let listing: String
    if let parent {
      let members = (try? parent.memberNames()) ?? []
      listing =
        "\(parent.path) "
        + (members.isEmpty
          ? "is empty"
          : "holds: "
            + members.joined(separator: ", "))
    } else {
      listing = "there is no group \(memberPath(parentName))"
    }
    throw CaffeError.invalidFile(
      path: filePath, reason: "no \(kind) \(memberPath(name)) in the HDF5 file; \(listing)")
  }

  /// Throws `CaffeError.io` when member `name` exists already.
  func requireNew(_ name: String) throws {
    guard !contains(name) else {
      throw CaffeError.io(
        path: filePath, reason: "\(memberPath(name)) exists already in the HDF5 file")
    }
  }
}
