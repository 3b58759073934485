// DataTransformer: turns a stored Datum into network input (crop, mirror, mean, scale).

import CaffeData
import CaffeKernels
import CaffeProto
import CaffeSupport

/// Turns one `Datum` into a (C, H', W') float image, as Caffe's `DataTransformer`.
///
/// Each output value is `(x − mean) · scale`, where `x` is the datum's pixel (its uint8 `data`,
/// or `float_data` when `data` is empty) and `mean` is the mean file's value at the same
/// uncropped position, the channel's `mean_value`, or 0. Parameters (`transform_param`):
/// - `scale` (default 1): applied after the mean is subtracted;
/// - `mean_file`: a BlobProto (`.binaryproto`, as `compute_image_mean` writes) whose C, H and W
///   equal the datum's; the mean is cropped together with the image;
/// - `mean_value` (repeated): one value for every channel or one per channel; excludes
///   `mean_file`;
/// - `crop_size` (default 0, no crop): an H' = W' = `crop_size` window, at a random offset in
///   TRAIN and centred in TEST;
/// - `mirror` (default false): a horizontal flip with probability ½, in both phases (as Caffe);
/// - `force_color`, `force_gray` (default false, not both): how an encoded datum (a JPEG or PNG
///   file, as `convert_imageset --encoded` stores) is decoded: 3 channels (BGR), 1 gray channel,
///   or, with neither, the file's own channel count (see ``decode(_:)``). Raw datums ignore them.
///
/// Randomness (mirror, TRAIN crop offsets) comes from the generator the caller passes. The
/// ``transform(_:into:record:)`` form derives that generator from ``seed`` and the record's
/// position in the data stream, so a record is always transformed the same way, whichever
/// thread does it and however often prefetching restarts.
public struct DataTransformer: Sendable {
  /// The phase, which decides between random (TRAIN) and centred (TEST) crops.
  public let phase: Phase
  /// The factor applied after the mean is subtracted.
  public let scale: Float
  /// The side of the square crop in pixels; 0 for no crop.
  public let cropSize: Int
  /// Whether images are flipped horizontally at random.
  public let mirror: Bool
  /// The seed that ``transform(_:into:record:)`` combines with record positions.
  public var seed: UInt64

  private let layer: String
  private let layerType: String
  private let mean: Mean
  private let forceColor: Bool
  private let forceGray: Bool

  /// What is subtracted before scaling.
  private enum Mean: Sendable {
    case none
    /// One value per channel (or one for all), from `mean_value`.
    case values([Float])
    /// A (C, H, W) image from `mean_file`.
    case image(values: [Float], shape: [Int], path: String)
  }

  /// Reads `param` and loads its mean file, if any.
  ///
  /// - Parameters:
  ///   - param: the layer's `transform_param`.
  ///   - phase: TRAIN (random crops) or TEST (centred crops).
  ///   - layer: the layer's name, for error messages.
  ///   - layerType: the layer's type string, for error messages.
  ///   - seed: the seed for ``transform(_:into:record:)``. When nil and the transform is random
  ///     (``needsRandom``), one value is drawn from `Runtime`'s generator, as Caffe seeds its
  ///     transformer from the global generator.
  /// - Throws: `CaffeError.invalidParameter` when both `mean_file` and `mean_value` are given;
  ///   `CaffeError.io` or `CaffeError.invalidFile` when the mean file cannot be read.
  public init(
    _ param: TransformationParameter, phase: Phase, layer: String = "",
    layerType: String = "Data", seed: UInt64? = nil
  ) throws {
    self.phase = phase
    self.scale = param.scale
    self.cropSize = Int(param.cropSize)
    self.mirror = param.mirror
    self.layer = layer
    self.layerType = layerType
    if param.hasMeanFile {
      guard param.meanValue.isEmpty else {
        throw CaffeError.invalidParameter(
          layer: layer, type: layerType, field: "transform_param.mean_value",
          reason: "cannot be given together with mean_file; keep one of them")
      }
      Log.info("Loading mean file from: \(param.meanFile)")
      mean = try Self.loadMean(path: param.meanFile)
    } else if !param.meanValue.isEmpty {
      mean = .values(param.meanValue)
    } else {
      mean = .none
    }
    forceColor = param.forceColor
    forceGray = param.forceGray
    let random = param.mirror || (phase == .train && param.cropSize > 0)
    self.seed = seed ?? (random ? Runtime.withGenerator { $0.next() } : 0)
  }

  /// Whether transforms draw random numbers (mirror, or a crop in TRAIN).
  public var needsRandom: Bool { mirror || (phase == .train && cropSize > 0) }

  /// Decodes an encoded datum's image (Caffe's `DecodeDatumToCVMat` and
  /// `DecodeDatumToCVMatNative`); a raw datum comes back unchanged.
  ///
  /// The image gets 3 BGR channels with `force_color`, 1 gray channel with `force_gray`, and
  /// the file's own channel count otherwise.
  ///
  /// Decode once and pass the result to ``outputShape(for:)`` and the `transform` methods,
  /// which otherwise decode an encoded datum each time.
  /// - Throws: `CaffeError.invalidParameter` when both `force_color` and `force_gray` are set;
  ///   `CaffeError.invalidData` when the bytes are not a readable JPEG or PNG image.
  public func decode(_ datum: Datum) throws -> Datum {
    guard datum.encoded else { return datum }
    guard !(forceColor && forceGray) else {
      throw CaffeError.invalidParameter(
        layer: layer, type: layerType, field: "transform_param.force_color",
        reason: "cannot be set together with force_gray; keep at most one of them")
    }
    let color: ImageColorMode = forceColor ? .color : forceGray ? .gray : .native
    do {
      return try datum.decoded(color: color, name: "the encoded datum")
    } catch let error as CaffeError {
      throw CaffeError.invalidData(layer: layer, reason: error.description)
    }
  }

  /// The shape one transformed datum takes: (1, C, H', W'), with H' = W' = `crop_size` when
  /// cropping and the datum's own H and W otherwise (after decoding, for an encoded datum).
  ///
  /// - Throws: `CaffeError.invalidData` for a datum with no channels or an encoded one that
  ///   cannot be decoded; `CaffeError.invalidParameter` when `crop_size` exceeds the datum's
  ///   height or width.
  public func outputShape(for datum: Datum) throws -> [Int] {
    let (channels, height, width) = try checkedSize(of: try decode(datum))
    if cropSize > 0 { return [1, channels, cropSize, cropSize] }
    return [1, channels, height, width]
  }

  /// The generator that ``transform(_:into:record:)`` uses for the record at stream position
  /// `record`: a function of ``seed`` and `record` only.
  public func generator(forRecord record: Int) -> SeededGenerator {
    SeededGenerator(seed: Self.mix(seed ^ Self.mix(UInt64(bitPattern: Int64(record)))))
  }

  /// Transforms `datum` with randomness derived from ``seed`` and its stream position `record`.
  ///
  /// - Parameters:
  ///   - datum: the record, raw or encoded (see ``decode(_:)``).
  ///   - output: C·H'·W' floats, (C, H', W') row-major (see ``outputShape(for:)``); overwritten.
  ///   - record: the record's position in the data stream (0 for the first record read, counting
  ///     on across passes over the database).
  /// - Throws: see ``transform(_:into:generator:)``.
  public func transform(_ datum: Datum, into output: UnsafeMutablePointer<Float>, record: Int)
    throws
  {
    var generator = generator(forRecord: record)
    try transform(datum, into: output, generator: &generator)
  }

  /// Transforms `datum`, drawing the mirror flip (first) and the TRAIN crop offsets (then
  /// height, then width) from `generator`, in Caffe's order.
  ///
  /// - Parameters:
  ///   - datum: the record, raw or encoded (see ``decode(_:)``).
  ///   - output: C·H'·W' floats, (C, H', W') row-major (see ``outputShape(for:)``); overwritten.
  ///   - generator: the source of randomness; not advanced when nothing is random.
  /// - Throws: what ``decode(_:)`` throws; `CaffeError.invalidData` for a datum with no
  ///   channels or one whose pixel count disagrees with its C·H·W; `CaffeError.invalidParameter` when `crop_size`
  ///   exceeds the datum, when the mean file's size differs from the datum's, or when
  ///   `mean_value` has neither 1 nor C values.
  public func transform(
    _ datum: Datum, into output: UnsafeMutablePointer<Float>, generator: inout SeededGenerator
  ) throws {
    let datum = try decode(datum)
    let (channels, height, width) = try checkedSize(of: datum)
    let means = try meanSource(channels: channels, height: height, width: width)
    let flip = mirror && Self.draw(2, &generator) == 1
    var window = Window(
      channels: channels, height: height, width: width, outHeight: height, outWidth: width,
      top: 0, left: 0, flip: flip)
    if cropSize > 0 {
      window.outHeight = cropSize
      window.outWidth = cropSize
      if phase == .train {
        window.top = Self.draw(height - cropSize + 1, &generator)
        window.left = Self.draw(width - cropSize + 1, &generator)
      } else {
        window.top = (height - cropSize) / 2
        window.left = (width - cropSize) / 2
      }
    }
    let count = channels * height * width
    if !datum.data.isEmpty {
      guard datum.data.count == count else {
        throw sizeError(datum, given: datum.data.count, field: "data bytes")
      }
      datum.data.withUnsafeBytes { raw in
        window.copy(raw.bindMemory(to: UInt8.self), means: means, scale: scale, into: output)
      }
    } else {
      guard datum.floatData.count == count else {
        throw sizeError(datum, given: datum.floatData.count, field: "float_data values")
      }
      datum.floatData.withUnsafeBufferPointer { source in
        window.copy(source, means: means, scale: scale, into: output)
      }
    }
  }

  // MARK: - Checks

  /// The raw datum's (C, H, W), checked against `crop_size`.
  private func checkedSize(of datum: Datum) throws -> (Int, Int, Int) {
    let channels = Int(datum.channels)
    let height = Int(datum.height)
    let width = Int(datum.width)
    guard channels > 0, height >= 0, width >= 0 else {
      throw CaffeError.invalidData(
        layer: layer,
        reason: "the datum has size \(channels) × \(height) × \(width) (C × H × W); "
          + "it needs at least one channel")
    }
    guard height >= cropSize, width >= cropSize else {
      throw CaffeError.invalidParameter(
        layer: layer, type: layerType, field: "transform_param.crop_size",
        reason: "\(cropSize) is larger than the datum (\(height) × \(width), H × W); use a "
          + "crop_size of at most \(min(height, width))")
    }
    return (channels, height, width)
  }

  /// The per-position or per-channel mean for a (C, H, W) datum.
  private func meanSource(channels: Int, height: Int, width: Int) throws -> MeanSource {
    switch mean {
    case .none:
      return .none
    case .values(let values):
      if values.count == 1 { return .channels(Array(repeating: values[0], count: channels)) }
      guard values.count == channels else {
        throw CaffeError.invalidParameter(
          layer: layer, type: layerType, field: "transform_param.mean_value",
          reason: "given \(values.count) values for a datum with \(channels) channels; give "
            + "either 1 value or \(channels)")
      }
      return .channels(values)
    case .image(let values, let shape, let path):
      guard shape == [channels, height, width] else {
        throw CaffeError.invalidParameter(
          layer: layer, type: layerType, field: "transform_param.mean_file",
          reason: "\(path) holds a mean of size \(shape.map(String.init).joined(separator: " × "))"
            + " but the datum is \(channels) × \(height) × \(width) (C × H × W); compute the "
            + "mean over this database with compute_image_mean, or use mean_value instead")
      }
      return .image(values)
    }
  }

  private func sizeError(_ datum: Datum, given: Int, field: String) -> CaffeError {
    .invalidData(
      layer: layer,
      reason: "corrupt datum: it holds \(given) \(field) but its size \(datum.channels) × "
        + "\(datum.height) × \(datum.width) (C × H × W) needs "
        + "\(Int(datum.channels) * Int(datum.height) * Int(datum.width))")
  }

  // MARK: - Mean file

  /// Reads a BlobProto mean image and returns it as (C, H, W) values.
  private static func loadMean(path: String) throws -> Mean {
    let proto = try BinaryProto.read(BlobProto.self, path: path)
    let blob = Blob()
    do {
      try blob.load(from: proto)
    } catch let error as CaffeError {
      throw CaffeError.invalidFile(path: path, reason: "\(error)")
    }
    // Caffe reads the mean through its legacy (N, C, H, W) view: pad to 4 axes, drop N.
    let padded = Array(repeating: 1, count: max(0, 4 - blob.numAxes)) + blob.shape
    guard padded.count == 4, padded[0] == 1 else {
      throw CaffeError.invalidFile(
        path: path,
        reason: "a mean file holds one (C, H, W) image, but this one has shape "
          + CaffeError.shapeText(blob.shape))
    }
    return .image(values: blob.dataArray, shape: Array(padded[1...]), path: path)
  }

  // MARK: - Arithmetic

  /// Caffe's `Rand(n)`: a value in 0..<n (n ≥ 1).
  private static func draw(_ n: Int, _ generator: inout SeededGenerator) -> Int {
    Int(generator.next() % UInt64(n))
  }

  /// SplitMix64's finaliser: spreads the bits of `value` so nearby inputs give unrelated seeds.
  private static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// The mean to subtract, resolved for one datum size.
private enum MeanSource {
  case none
  /// One value per channel.
  case channels([Float])
  /// A (C, H, W) image, indexed like the uncropped datum.
  case image([Float])
}

/// A pixel element a datum can store.
private protocol DatumElement {
  var floatValue: Float { get }
}

extension UInt8: DatumElement {
  var floatValue: Float { Float(self) }
}

extension Float: DatumElement {
  var floatValue: Float { self }
}

/// The window of a (C, H, W) datum that becomes the (C, H', W') output.
private struct Window {
  var channels: Int
  var height: Int
  var width: Int
  var outHeight: Int
  var outWidth: Int
  /// The window's first row and column in the datum.
  var top: Int
  var left: Int
  var flip: Bool

  /// Writes `(source − mean) · scale` for the window into `output`, flipping columns if asked.
  func copy<Element: DatumElement>(
    _ source: UnsafeBufferPointer<Element>, means: MeanSource, scale: Float,
    into output: UnsafeMutablePointer<Float>
  ) {
    let meanImage: [Float]
    if case .image(let values) = means { meanImage = values } else { meanImage = [] }
    for c in 0..<channels {
      var channelMean: Float = 0
      if case .channels(let values) = means { channelMean = values[c] }
      for h in 0..<outHeight {
        // source row: (c, top + h, left...) in the (C, H, W) datum; output row: (c, h) in
        // (C, H', W').
        let sourceRow = (c * height + top + h) * width + left
        let outputRow = (c * outHeight + h) * outWidth
        for w in 0..<outWidth {
          let mean = meanImage.isEmpty ? channelMean : meanImage[sourceRow + w]
          let column = flip ? outWidth - 1 - w : w
          output[outputRow + column] = (source[sourceRow + w].floatValue - mean) * scale
        }
      }
    }
  }
}
