// Converting blobs to and from BlobProto, the serialised form in caffemodels and binaryprotos.

import CaffeProto
import CaffeSupport

extension Blob {
  /// The shape a BlobProto describes: its `shape.dim`, or the legacy (num, channels, height,
  /// width) fields when any of them is set.
  public static func shape(of proto: BlobProto) -> [Int] {
    if proto.hasLegacyShape {
      return [proto.num, proto.channels, proto.height, proto.width].map(Int.init)
    }
    return proto.shape.dim.map { Int($0) }
  }

  /// Whether `proto` has this blob's shape, using Caffe's rule for legacy 4-D protos: leading
  /// axes of size 1 are ignored (a (1, 1, 10, 20) proto fits a (10, 20) blob).
  public func shapeEquals(_ proto: BlobProto) -> Bool {
    guard proto.hasLegacyShape else { return shape == Self.shape(of: proto) }
    guard numAxes <= 4 else { return false }
    let padded = Array(repeating: 1, count: 4 - numAxes) + shape
    return padded == Self.shape(of: proto)
  }

  /// Loads the values (and diffs, when present) of `proto`.
  ///
  /// - Parameters:
  ///   - proto: the serialized blob to read.
  ///   - reshape: adopt the proto's shape; when false the shapes must match
  ///     (``shapeEquals(_:)``).
  /// - Throws: `CaffeError.invalidFile` when the shapes or the value counts disagree.
  public func load(from proto: BlobProto, reshape: Bool = true) throws {
    if reshape {
      try self.reshape(Self.shape(of: proto))
    } else if !shapeEquals(proto) {
      throw CaffeError.invalidFile(
        path: "BlobProto",
        reason: "shape mismatch: blob is \(CaffeError.shapeText(shape)), proto is "
          + CaffeError.shapeText(Self.shape(of: proto)))
    }
    try load(proto.data, doubles: proto.doubleData, into: data, what: "data")
    if !proto.diff.isEmpty || !proto.doubleDiff.isEmpty {
      try load(proto.diff, doubles: proto.doubleDiff, into: diff, what: "diff")
    }
  }

  private func load(
    _ floats: [Float], doubles: [Double], into target: UnsafeMutablePointer<Float>, what: String
  ) throws {
    let given = doubles.isEmpty ? floats.count : doubles.count
    guard given == count else {
      throw CaffeError.invalidFile(
        path: "BlobProto",
        reason: "\(what) holds \(given) values for shape \(CaffeError.shapeText(shape))")
    }
    if doubles.isEmpty {
      floats.withUnsafeBufferPointer { source in
        if let base = source.baseAddress { target.update(from: base, count: count) }
      }
    } else {
      for i in 0..<count { target[i] = Float(doubles[i]) }
    }
  }

  /// The blob as a BlobProto with `shape` set and float data (and diff if `writeDiff`).
  public func toProto(writeDiff: Bool = false) -> BlobProto {
    var proto = BlobProto()
    proto.shape.dim = shape.map(Int64.init)
    proto.data = dataArray
    if writeDiff { proto.diff = diffArray }
    return proto
  }
}

extension BlobProto {
  /// Whether any of the legacy num/channels/height/width fields is set.
  var hasLegacyShape: Bool { hasNum || hasChannels || hasHeight || hasWidth }
}
