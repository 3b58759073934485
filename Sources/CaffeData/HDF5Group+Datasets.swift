// Datasets of an HDF5 group: N-D float arrays, int scalars and strings, in Caffe's layouts.

import CHDF5
import CaffeSupport

extension HDF5Group {
  /// Reads a numeric dataset as 32-bit floats with its shape, as Caffe's `hdf5_load_nd_dataset`
  /// does.
  ///
  /// float32 is read as is; float64 and integer datasets are converted to Float by libhdf5
  /// (float64 rounds to nearest). A scalar dataset has shape `[]` and one value.
  /// - Parameter name: the dataset's name or path relative to the group.
  /// - Returns: the values in row-major order and the shape (count = product of the shape).
  /// - Throws: `CaffeError.invalidFile` naming the file and the dataset when it is missing, is a
  ///   group, holds strings or another non-numeric type, or cannot be read.
  public func readFloats(_ name: String) throws -> (values: [Float], shape: [Int]) {
    let dataset = try openDataset(name)
    try requireClass(of: dataset, name, [H5T_FLOAT, H5T_INTEGER], "a numeric (float or integer)")
    let shape = try datasetShape(of: dataset, name)
    var values = [Float](repeating: 0, count: shape.reduce(1, *))
    try withExtendedLifetime(dataset) {
      guard !values.isEmpty else { return }
      guard
        H5Dread(
          dataset.id, chdf5_native_float(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
          &values) >= 0
      else { throw readError(name) }
    }
    return (values, shape)
  }

  /// The shape of dataset `name` without reading its values (`[]` for a scalar).
  ///
  /// - Throws: `CaffeError.invalidFile` naming the file and the dataset when it is missing or is
  ///   a group.
  public func datasetShape(_ name: String) throws -> [Int] {
    try datasetShape(of: try openDataset(name), name)
  }

  /// Writes a float32 dataset of `shape` holding `values` (row-major).
  ///
  /// This is the layout of Caffe's `hdf5_save_nd_dataset`. The dataset must not exist yet.
  ///
  /// - Parameters:
  ///   - name: the new dataset's name or relative path (its parent groups must exist).
  ///   - values: exactly `shape.reduce(1, *)` values.
  ///   - shape: the dimensions; `[]` writes a scalar.
  /// - Throws: `CaffeError.io` naming the file and the dataset when the count does not match the
  ///   shape, a dimension is negative, the dataset exists, or libhdf5 cannot write it.
  public func writeFloats(_ name: String, _ values: [Float], shape: [Int]) throws {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
      throw CaffeError.io(
        path: filePath,
        reason: "cannot write \(memberPath(name)): \(values.count) values do not "
          + "fill shape \(CaffeError.shapeText(shape))")
    }
    let dataset = try createDataset(name, type: chdf5_native_float(), shape: shape)
    try withExtendedLifetime(dataset) {
      guard !values.isEmpty else { return }
      guard
        H5Dwrite(
          dataset.id, chdf5_native_float(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
          values) >= 0
      else { throw writeError(name) }
    }
  }

  /// Reads an integer dataset holding exactly one value (Caffe's `iter`, `current_step`).
  ///
  /// - Throws: `CaffeError.invalidFile` naming the file and the dataset when it is missing, is
  ///   not of an integer type, holds other than one value, or cannot be read.
  public func readInt(_ name: String) throws -> Int {
    let dataset = try openDataset(name)
    try requireClass(of: dataset, name, [H5T_INTEGER], "an integer")
    let shape = try datasetShape(of: dataset, name)
    guard shape.reduce(1, *) == 1 else {
      throw CaffeError.invalidFile(
        path: filePath,
        reason: "dataset \(memberPath(name)) has shape "
          + "\(CaffeError.shapeText(shape)); one integer is required")
    }
    var value: Int32 = 0
    try withExtendedLifetime(dataset) {
      guard
        H5Dread(
          dataset.id, chdf5_native_int(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &value)
          >= 0
      else { throw readError(name) }
    }
    return Int(value)
  }

  /// Writes `value` as a 1-D dataset of one 32-bit int, the layout of Caffe's `hdf5_save_int`.
  ///
  /// - Throws: `CaffeError.io` naming the file and the dataset when `value` does not fit in 32
  ///   bits, the dataset exists, or libhdf5 cannot write it.
  public func writeInt(_ name: String, _ value: Int) throws {
    guard var stored = Int32(exactly: value) else {
      throw CaffeError.io(
        path: filePath,
        reason: "cannot write \(memberPath(name)): \(value) does not fit in a "
          + "32-bit int")
    }
    let dataset = try createDataset(name, type: chdf5_native_int(), shape: [1])
    try withExtendedLifetime(dataset) {
      guard
        H5Dwrite(
          dataset.id, chdf5_native_int(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(),
          &stored) >= 0
      else { throw writeError(name) }
    }
  }

  /// Reads a fixed-length string dataset, as Caffe's `hdf5_load_string` does (the text ends at
  /// the first NUL).
  ///
  /// - Throws: `CaffeError.invalidFile` naming the file and the dataset when it is missing, is
  ///   not a single fixed-length string, or cannot be read.
  public func readString(_ name: String) throws -> String {
    let dataset = try openDataset(name)
    try requireClass(of: dataset, name, [H5T_STRING], "a string")
    guard let type = HDF5Handle(H5Dget_type(dataset.id), close: H5Tclose) else {
      throw readError(name)
    }
    guard H5Tis_variable_str(type.id) == 0 else {
      throw CaffeError.invalidFile(
        path: filePath,
        reason: "dataset \(memberPath(name)) holds a variable-length string; "
          + "only fixed-length strings (as Caffe writes them) are supported")
    }
    guard try datasetShape(of: dataset, name).reduce(1, *) == 1 else {
      throw CaffeError.invalidFile(
        path: filePath,
        reason: "dataset \(memberPath(name)) holds several strings; one is "
          + "required")
    }
    var buffer = [UInt8](repeating: 0, count: H5Tget_size(type.id) + 1)
    try withExtendedLifetime((dataset, type)) {
      guard
        H5Dread(dataset.id, type.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &buffer)
          >= 0
      else { throw readError(name) }
    }
    let end = buffer.firstIndex(of: 0) ?? buffer.count
    return String(decoding: buffer[..<end], as: UTF8.self)
  }

  /// Writes `value` as a scalar fixed-length, NUL-terminated string dataset, the layout of
  /// Caffe's `hdf5_save_string` (H5LTmake_dataset_string).
  ///
  /// - Throws: `CaffeError.io` naming the file and the dataset when the dataset exists or
  ///   libhdf5 cannot write it.
  public func writeString(_ name: String, _ value: String) throws {
    let bytes = Array(value.utf8) + [0]
    guard let type = HDF5Handle(H5Tcopy(chdf5_c_s1()), close: H5Tclose) else {
      throw writeError(name)
    }
    try withExtendedLifetime(type) {
      guard H5Tset_size(type.id, bytes.count) >= 0, H5Tset_strpad(type.id, H5T_STR_NULLTERM) >= 0
      else { throw writeError(name) }
      let dataset = try createDataset(name, type: type.id, shape: nil)
      try withExtendedLifetime(dataset) {
        guard
          H5Dwrite(dataset.id, type.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), bytes)
            >= 0
        else { throw writeError(name) }
      }
    }
  }

  // MARK: - Helpers

  /// Opens dataset `name`, throwing `CaffeError.invalidFile` when it is missing or a group.
  private func openDataset(_ name: String) throws -> HDF5Handle {
    try requireOpen()
    try requireMember(name, kind: "dataset")
    guard !containsGroup(name) else {
      throw CaffeError.invalidFile(
        path: filePath, reason: "\(memberPath(name)) is a group, not a dataset")
    }
    HDF5Library.silence()
    guard let dataset = HDF5Handle(H5Dopen2(id, name, chdf5_p_default()), close: H5Dclose)
    else {
      throw CaffeError.invalidFile(
        path: filePath, reason: HDF5Library.reason("cannot open dataset \(memberPath(name))"))
    }
    return dataset
  }

  /// Creates dataset `name` of `type`; `shape` nil makes a scalar, `[]` too.
  private func createDataset(_ name: String, type: hid_t, shape: [Int]?) throws -> HDF5Handle {
    try requireOpen()
    try requireNew(name)
    HDF5Library.silence()
    let dims = (shape ?? []).map { hsize_t($0) }
    let spaceID =
      dims.isEmpty
      ? H5Screate(H5S_SCALAR)
      : H5Screate_simple(
        Int32(dims.count), dims, nil)
    guard let space = HDF5Handle(spaceID, close: H5Sclose) else { throw writeError(name) }
    return try withExtendedLifetime(space) {
      guard
        let dataset = HDF5Handle(
          H5Dcreate2(
            id, name, type, space.id, chdf5_p_default(), chdf5_p_default(), chdf5_p_default()),
          close: H5Dclose)
      else { throw writeError(name) }
      return dataset
    }
  }

  /// Throws unless the dataset's type class is one of `classes`.
  private func requireClass(
    of dataset: HDF5Handle, _ name: String, _ classes: [H5T_class_t], _ wanted: String
  ) throws {
    guard let type = HDF5Handle(H5Dget_type(dataset.id), close: H5Tclose) else {
      throw readError(name)
    }
    let typeClass = H5Tget_class(type.id)
    guard classes.contains(typeClass) else {
      throw CaffeError.invalidFile(
        path: filePath,
        reason: "dataset \(memberPath(name)) holds \(Self.describe(typeClass)) "
          + "values; \(wanted) dataset is required")
    }
  }

  /// The dimensions of an open dataset's dataspace.
  private func datasetShape(of dataset: HDF5Handle, _ name: String) throws -> [Int] {
    guard let space = HDF5Handle(H5Dget_space(dataset.id), close: H5Sclose) else {
      throw readError(name)
    }
    return try withExtendedLifetime(space) {
      let rank = H5Sget_simple_extent_ndims(space.id)
      guard rank >= 0 else { throw readError(name) }
      var dims = [hsize_t](repeating: 0, count: Int(rank))
      guard rank == 0 || H5Sget_simple_extent_dims(space.id, &dims, nil) == rank else {
        throw readError(name)
      }
      return dims.map { Int($0) }
    }
  }

  private func readError(_ name: String) -> CaffeError {
    .invalidFile(
      path: filePath, reason: HDF5Library.reason("cannot read dataset \(memberPath(name))"))
  }

  private func writeError(_ name: String) -> CaffeError {
    .io(path: filePath, reason: HDF5Library.reason("cannot write dataset \(memberPath(name))"))
  }

  /// A readable name for an HDF5 type class.
  private static func describe(_ typeClass: H5T_class_t) -> String {
    switch typeClass {
    case H5T_INTEGER: return "integer"
    case H5T_FLOAT: return "float"
    case H5T_STRING: return "string"
    case H5T_COMPOUND: return "compound"
    case H5T_ENUM: return "enum"
    case H5T_ARRAY: return "array"
    case H5T_VLEN: return "variable-length"
    case H5T_OPAQUE: return "opaque"
    case H5T_REFERENCE: return "reference"
    case H5T_BITFIELD: return "bitfield"
    case H5T_TIME: return "time"
    default: return "unknown-type"
    }
  }
}
