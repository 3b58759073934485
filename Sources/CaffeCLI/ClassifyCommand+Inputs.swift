// classify's inputs: images read as pycaffe's load_image reads them, and the mean to subtract.

import Caffe
import CaffeData
import CaffeProto
import CaffeSupport
import CaffeTools
import Foundation

/// The images `classify` reads: one file, a folder's `*.<ext>` files or a `.npy` array.
enum ClassifyInputs {
  /// One image to classify and the name it is reported under.
  struct Input {
    /// The file (or `file.npy[i]`) the image came from.
    var name: String
    /// The image, (H, W, K) in 0…1.
    var image: FloatImage
  }

  /// Reads the inputs at `path`.
  ///
  /// - Parameters:
  ///   - path: an image file, a folder, or a `.npy` file of shape (N, H, W, K) or (H, W, K).
  ///   - ext: the extension of the images read from a folder (without the dot; any case).
  ///   - channels: the net input's C: 1 reads images as gray, otherwise as RGB.
  /// - Returns: the images, named by file (or `file.npy[i]`).
  /// - Throws: `CaffeError` for unreadable files, an empty folder or a `.npy` of another shape.
  static func load(_ path: String, ext: String, channels: Int) throws -> [Input] {
    if path.lowercased().hasSuffix(".npy") {
      print("Loading file: \(path)")
      return try loadArray(path)
    }
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      throw CaffeError.io(path: path, reason: "no such file or folder")
    }
    guard isFolder.boolValue else {
      print("Loading file: \(path)")
      return [Input(name: path, image: try image(at: path, channels: channels))]
    }
    print("Loading folder: \(path)")
    let suffix = "." + ext.lowercased()
    let files = try FileManager.default.contentsOfDirectory(atPath: path)
      .filter { $0.lowercased().hasSuffix(suffix) }.sorted()
    guard !files.isEmpty else {
      throw CaffeError.io(path: path, reason: "holds no *\(suffix) files (see --ext)")
    }
    return try files.map { file in
      let full = URL(fileURLWithPath: path).appendingPathComponent(file).path
      return Input(name: full, image: try image(at: full, channels: channels))
    }
  }

  /// An image file as pycaffe's `load_image` gives it: values in 0…1, channels R, G, B (or
  /// one gray channel when `channels` is 1).
  ///
  /// - Throws: `CaffeError` when the file cannot be read or decoded.
  static func image(at path: String, channels: Int) throws -> FloatImage {
    let decoded = try Image(contentsOfFile: path, color: channels == 1 ? .gray : .color)
    let k = decoded.channels
    var values = [Float](repeating: 0, count: decoded.pixels.count)
    for pixel in 0..<decoded.height * decoded.width {
      for c in 0..<k {
        // Decoded colour pixels are B, G, R; load_image gives R, G, B.
        values[pixel * k + c] = Float(decoded.pixels[pixel * k + (k - 1 - c)]) / 255
      }
    }
    return try FloatImage(
      height: decoded.height, width: decoded.width, channels: k, values: values)
  }

  /// The images of a `.npy` array (N, H, W, K) or (H, W, K).
  ///
  /// - Throws: `CaffeError.invalidFile` for another shape.
  private static func loadArray(_ path: String) throws -> [Input] {
    let array = try NpyArray(path: path)
    let shape = array.shape.count == 3 ? [1] + array.shape : array.shape
    guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
      throw CaffeError.invalidFile(
        path: path, reason: "holds an array of shape \(array.shape); images are (N, H, W, K)")
    }
    let size = shape[1] * shape[2] * shape[3]
    return try (0..<shape[0]).map { index in
      Input(
        name: "\(path)[\(index)]",
        image: try FloatImage(
          height: shape[1], width: shape[2], channels: shape[3],
          values: Array(array.values[index * size..<(index + 1) * size])))
    }
  }
}

/// The mean `classify` subtracts, from a `.binaryproto` or `.npy` file.
enum ClassifyMean {
  /// The mean values for `transformer`: nil for no file, C values (one per channel), or
  /// C·H·W values when the file's mean image has the net input's H × W.
  ///
  /// A mean image of another size is averaged to one value per channel, as Caffe's
  /// `cpp_classification` does (pycaffe would refuse it).
  /// - Throws: `CaffeError` for an unreadable file or a mean whose channel count differs from
  ///   the net input's.
  static func load(_ path: String, for transformer: Transformer) throws -> [Float]? {
    guard !path.isEmpty else { return nil }
    let (shape, values) = try read(path)
    let channels = transformer.channels
    let dims = shape.count == 4 && shape[0] == 1 ? Array(shape.dropFirst()) : shape
    if values.count == channels { return values }
    guard dims.count == 3, dims[0] == channels else {
      throw CaffeError.invalidFile(
        path: path,
        reason: "holds a mean of shape \(shape); the net input needs (C) or "
          + "(C, H, W) with C = \(channels)")
    }
    if dims[1] == transformer.height && dims[2] == transformer.width { return values }
    Log.info(
      "Mean \(path) is \(dims[1]) × \(dims[2]), the net input \(transformer.height) × "
        + "\(transformer.width): subtracting its per-channel average")
    let plane = dims[1] * dims[2]
    return (0..<channels).map { c in
      values[c * plane..<(c + 1) * plane].reduce(0, +) / Float(plane)
    }
  }

  /// The shape and values of a `.npy` array or a BlobProto (`.binaryproto`).
  private static func read(_ path: String) throws -> (shape: [Int], values: [Float]) {
    if path.lowercased().hasSuffix(".npy") {
      let array = try NpyArray(path: path)
      return (array.shape, array.values)
    }
    let proto = try BinaryProto.read(BlobProto.self, path: path)
    return (Blob.shape(of: proto), proto.data)
  }
}
