// Crop and Tile: cutting a box out of a blob, and repeating a blob along an axis.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Crop": cuts bottom 0 down to bottom 1's size on the axes from `axis` on (FCN's alignment of
/// upsampled scores with the input, for example).
///
/// Parameters (`crop_param`):
/// - `axis` (default 2, the first spatial axis; negative counts from the end): axes before it
///   keep bottom 0's size.
/// - `offset`: where the crop starts on each cropped axis. None: 0; one value: the same on every
///   cropped axis; otherwise one value per axis from `axis` on.
///
/// - bottom[0]: (d₀, …, dₙ₋₁), the data.
/// - bottom[1]: a blob with at least n axes; only its shape is used.
/// - top[0]: dᵢ for i < axis, bottom 1's size for i ≥ axis.
///
/// Backward overwrites `bottom[0].diff`: the top's diff inside the crop, 0 outside it. Bottom 1
/// gets no gradient.
///
/// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis`, a wrong number of offsets,
///   a bottom 1 with too few axes, or a crop that leaves bottom 0.
public final class CropLayer: Layer {
  override public class var type: String { "Crop" }
  override public class var bottomCount: BlobCount { .exactly(2) }
  override public class var topCount: BlobCount { .exactly(1) }

  /// Where the crop starts, one entry per axis of bottom 0.
  private var offsets: [Int] = []

  /// Checks the number of offsets against the cropped axes.
  /// - Throws: `CaffeError.invalidParameter` for a bad `axis` or offset count.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let crop = param.cropParam
    let start = try axisIndex(Int(crop.axis), of: bottom[0], field: "axis")
    let cropped = bottom[0].numAxes - start
    guard crop.offset.count <= 1 || crop.offset.count == cropped else {
      throw invalid(
        "offset",
        "given \(crop.offset.count) values for the \(cropped) axes cropped from axis \(start) "
          + "of bottom \"\(bottomName(0))\" (shape \(bottom[0].shape)); give one value, one "
          + "per cropped axis, or none")
    }
  }

  /// Computes the offsets and the top shape.
  /// - Throws: `CaffeError.invalidParameter` if bottom 1 has too few axes or the crop leaves
  ///   bottom 0.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let (input, reference) = (bottom[0], bottom[1])
    let crop = param.cropParam
    let start = try axisIndex(Int(crop.axis), of: input, field: "axis")
    guard reference.numAxes >= input.numAxes else {
      throw invalid(
        "axis",
        "bottom \"\(bottomName(1))\" (shape \(reference.shape)) has fewer axes than bottom "
          + "\"\(bottomName(0))\" (shape \(input.shape)), so it gives no size for some axes")
    }
    var shape = input.shape
    offsets = Array(repeating: 0, count: input.numAxes)
    for axis in start..<input.numAxes {
      let given = crop.offset
      let offset = given.isEmpty ? 0 : Int(given[given.count == 1 ? 0 : axis - start])
      guard input.shape[axis] - offset >= reference.shape[axis] else {
        throw invalid(
          "offset",
          "the crop of axis \(axis) leaves bottom \"\(bottomName(0))\": it has size "
            + "\(input.shape[axis]) there, the offset is \(offset), and bottom "
            + "\"\(bottomName(1))\" asks for \(reference.shape[axis]) (shapes \(input.shape) "
            + "and \(reference.shape))")
      }
      shape[axis] = reference.shape[axis]
      offsets[axis] = offset
    }
    try top[0].reshape(shape)
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (input, output) = (bottom[0], top[0])
    Copy.box(
      extent: output.shape, from: input.data + cropStart(input), strides: strides(input),
      into: output.data, strides: strides(output))
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let (input, output) = (bottom[0], top[0])
    Elementwise.set(count: input.count, value: 0, into: input.diff)
    Copy.box(
      extent: output.shape, from: output.diff, strides: strides(output),
      into: input.diff + cropStart(input), strides: strides(input))
  }

  /// The position of the crop's first element in bottom 0.
  private func cropStart(_ input: Blob) -> Int {
    zip(offsets, strides(input)).reduce(0) { $0 + $1.0 * $1.1 }
  }

  /// The row-major strides of `blob`, in floats.
  private func strides(_ blob: Blob) -> [Int] {
    (0..<blob.numAxes).map { blob.count(from: $0 + 1) }
  }
}

// MARK: - Tile

/// "Tile": repeats the bottom `tiles` times along one axis: `y[…, t·k + j, …] = x[…, j, …]` for
/// axis size k, where "…" stands for the axes before and after it.
///
/// Parameters (`tile_param`): `axis` (default 1; negative counts from the end); `tiles`
/// (required, > 0).
///
/// - bottom[0]: (d₀, …, k, …, dₙ₋₁).
/// - top[0]: (d₀, …, tiles·k, …, dₙ₋₁).
///
/// Backward overwrites `bottom[0].diff` with the sum of the top's diff over the tiles.
///
/// - Throws: `CaffeError.invalidParameter` for a missing or non-positive `tiles`, or an
///   out-of-range `axis`.
public final class TileLayer: Layer {
  override public class var type: String { "Tile" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private let tiles: Int
  /// The product of the axes before the tiled one.
  private var outer = 0
  /// The floats from the tiled axis on: one tile.
  private var inner = 0

  /// Reads `tile_param`.
  /// - Throws: `CaffeError.invalidParameter` for a missing or non-positive `tiles`.
  public required init(_ param: LayerParameter) throws {
    let tile = param.tileParam
    tiles = Int(tile.tiles)
    try super.init(param)
    guard tile.hasTiles else { throw invalid("tiles", "must be given") }
    guard tiles > 0 else { throw invalid("tiles", "must be positive, got \(tiles)") }
  }

  /// Shapes the top.
  /// - Throws: `CaffeError.invalidParameter` for an out-of-range `axis`.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    let axis = try axisIndex(Int(param.tileParam.axis), of: input, field: "axis")
    var shape = input.shape
    shape[axis] *= tiles
    try top[0].reshape(shape)
    outer = input.count(from: 0, to: axis)
    inner = input.count(from: axis)
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    // Bottom is (outer, inner) and top (outer, tiles, inner): a zero stride repeats each row.
    Copy.box(
      extent: [outer, tiles, inner], from: bottom[0].data, strides: [inner, 0, 1],
      into: top[0].data, strides: [tiles * inner, inner, 1])
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let (outputDiff, diff) = (top[0].diff, bottom[0].diff)
    for row in 0..<outer {
      let source = outputDiff + row * tiles * inner
      let target = diff + row * inner
      Elementwise.copy(count: inner, from: source, into: target)
      for tile in 1..<tiles {
        BLAS.axpy(count: inner, alpha: 1, x: source + tile * inner, y: target)
      }
    }
  }
}
