// ImageGrid: many small images (a blob's channels, a layer's filters) tiled into one picture.

import CaffeSupport

/// A set of equally sized tiles laid out in a near-square grid, each normalised to 0…1 on its
/// own, as the `vis_square` helper of Caffe's classification notebook shows activations and
/// filters.
///
/// The tiles come from a (count, C, H, W) array with C = 1 (one value per pixel, drawn through
/// a ``ColorMap``) or C = 3 (red, green and blue planes, drawn as colour). The grid has
/// ``columns`` = ⌈√count⌉ columns and as many rows as the tiles need (`vis_square` always makes
/// it square), with ``padding`` white pixels between neighbouring tiles.
public struct ImageGrid: Sendable {
  /// The colour a normalised value 0…1 of a one-channel tile is drawn in.
  public enum ColorMap: String, CaseIterable, Sendable {
    /// Black (0) to white (1).
    case gray
    /// matplotlib's perceptually uniform dark-blue–green–yellow map.
    case viridis
  }

  /// The number of tiles.
  public let count: Int
  /// The channels of each tile: 1 (mapped through a colour map) or 3 (red, green, blue).
  public let channels: Int
  /// The height of each tile, in pixels.
  public let tileHeight: Int
  /// The width of each tile, in pixels.
  public let tileWidth: Int
  /// The tile values, (count, C, H, W) row-major, each tile normalised to 0…1.
  public let normalized: [Float]
  /// The white gap between tiles, in pixels.
  public let padding: Int

  /// Makes a grid of `count` tiles of C × H × W values.
  ///
  /// Each tile is normalised on its own (all its channels together): `(v − min) / (max − min)`,
  /// so the smallest value shows as 0 and the largest as 1; a constant tile shows as 0. Tiles of
  /// one pixel (the values of a (N, D) blob) would all be constant, so for them use
  /// `perTile: false`, which normalises all values together.
  ///
  /// - Parameters:
  ///   - values: count·C·H·W values, (count, C, H, W) row-major.
  ///   - count: the number of tiles, at least 1.
  ///   - channels: C, 1 or 3.
  ///   - height: H, at least 1.
  ///   - width: W, at least 1.
  ///   - perTile: whether each tile is normalised on its own (true) or all values together.
  ///   - padding: the white gap between tiles, in pixels (0 or more).
  /// - Throws: `CaffeError.invalidData` for sizes out of range or a wrong number of values.
  public init(
    values: [Float], count: Int, channels: Int, height: Int, width: Int, perTile: Bool = true,
    padding: Int = 1
  ) throws {
    guard count > 0, channels == 1 || channels == 3, height > 0, width > 0, padding >= 0 else {
      throw CaffeError.invalidData(
        layer: "",
        reason: "an image grid needs at least one tile of 1 or 3 channels and at "
          + "least 1 × 1 pixels, given \(count) × \(channels) × \(height) × \(width) "
          + "(count × C × H × W) with a gap of \(padding)")
    }
    let tileSize = channels * height * width
    guard values.count == count * tileSize else {
      throw CaffeError.invalidData(
        layer: "",
        reason: "an image grid of \(count) × \(channels) × \(height) × \(width) "
          + "(count × C × H × W) needs \(count * tileSize) values, given \(values.count)")
    }
    self.count = count
    self.channels = channels
    self.tileHeight = height
    self.tileWidth = width
    self.padding = padding
    var normalized = values
    let chunk = perTile ? tileSize : values.count
    for start in stride(from: 0, to: values.count, by: chunk) {
      Self.normalize(&normalized[start..<start + chunk])
    }
    self.normalized = normalized
  }

  /// The number of tile columns: ⌈√count⌉.
  public var columns: Int {
    var side = 1
    while side * side < count { side += 1 }
    return side
  }

  /// The number of tile rows: ⌈count / columns⌉.
  public var rows: Int { (count + columns - 1) / columns }

  /// The picture's width in pixels: the tiles of one row and the gaps between them.
  public var pixelWidth: Int { columns * tileWidth + (columns - 1) * padding }

  /// The picture's height in pixels: the tiles of one column and the gaps between them.
  public var pixelHeight: Int { rows * tileHeight + (rows - 1) * padding }

  /// The picture as red, green, blue bytes, (pixelHeight, pixelWidth, 3) row-major; gaps and
  /// the cells of missing tiles in the last row are white.
  ///
  /// - Parameter colorMap: how one-channel tiles are coloured (three-channel tiles are drawn
  ///   as they are).
  /// - Returns: pixelHeight·pixelWidth·3 bytes.
  public func rgbPixels(colorMap: ColorMap = .gray) -> [UInt8] {
    var pixels = [UInt8](repeating: 255, count: pixelHeight * pixelWidth * 3)
    let plane = tileHeight * tileWidth
    for tile in 0..<count {
      let top = (tile / columns) * (tileHeight + padding)
      let left = (tile % columns) * (tileWidth + padding)
      let base = tile * channels * plane
      for y in 0..<tileHeight {
        for x in 0..<tileWidth {
          // normalized (tile, c, y, x) → pixels (top + y, left + x, rgb)
          let colour: (UInt8, UInt8, UInt8)
          if channels == 3 {
            let at = base + y * tileWidth + x
            colour = (
              Self.byte(normalized[at]), Self.byte(normalized[at + plane]),
              Self.byte(normalized[at + 2 * plane])
            )
          } else {
            colour = colorMap.colour(normalized[base + y * tileWidth + x])
          }
          let out = ((top + y) * pixelWidth + left + x) * 3
          pixels[out] = colour.0
          pixels[out + 1] = colour.1
          pixels[out + 2] = colour.2
        }
      }
    }
    return pixels
  }

  /// Scales `values` in place to 0…1 (all zeros when they are constant or not finite).
  private static func normalize(_ values: inout ArraySlice<Float>) {
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max(), high > low else {
      for i in values.indices { values[i] = 0 }
      return
    }
    let range = high - low
    for i in values.indices {
      values[i] = values[i].isFinite ? (values[i] - low) / range : 0
    }
  }

  /// A 0…1 value as a byte 0…255, rounded.
  static func byte(_ value: Float) -> UInt8 {
    UInt8(min(max(value, 0), 1) * 255 + 0.5)
  }
}

extension ImageGrid.ColorMap {
  /// viridis sampled at 0, 1/8, …, 1 (matplotlib's values); colours between are interpolated.
  private static let viridisStops: [(Float, Float, Float)] = [
    (0x44, 0x01, 0x54), (0x47, 0x2C, 0x7A), (0x3B, 0x51, 0x8B), (0x2C, 0x71, 0x8E),
    (0x21, 0x90, 0x8D), (0x27, 0xAD, 0x81), (0x5C, 0xC8, 0x63), (0xAA, 0xDC, 0x32),
    (0xFD, 0xE7, 0x25),
  ]

  /// The colour of a normalised value (clamped to 0…1) as red, green, blue bytes.
  public func colour(_ value: Float) -> (UInt8, UInt8, UInt8) {
    let v = value.isFinite ? min(max(value, 0), 1) : 0
    switch self {
    case .gray:
      let level = ImageGrid.byte(v)
      return (level, level, level)
    case .viridis:
      let stops = Self.viridisStops
      let position = v * Float(stops.count - 1)
      let lower = min(Int(position), stops.count - 2)
      let t = position - Float(lower)
      let (a, b) = (stops[lower], stops[lower + 1])
      let mix = { (p: Float, q: Float) in UInt8((p + (q - p) * t).rounded()) }
      return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
  }
}
