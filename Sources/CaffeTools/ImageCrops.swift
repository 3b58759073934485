// Float images resized and cropped the way pycaffe's Classifier prepares them (centre, 10 crops).

import CaffeSupport

/// An image of float values, (H, W, K) row-major (interleaved channels), as pycaffe's
/// `caffe.io.load_image` returns one (RGB in 0…1).
public struct FloatImage: Equatable, Sendable {
  /// H, the number of rows.
  public let height: Int
  /// W, the number of columns.
  public let width: Int
  /// K, the values per pixel.
  public let channels: Int
  /// The H·W·K values: pixel (y, x) channel k is at `(y·W + x)·K + k`.
  public var values: [Float]

  /// Makes an image from its values.
  ///
  /// - Throws: `CaffeError.invalidData` when a size is below 1 or the value count is not H·W·K.
  public init(height: Int, width: Int, channels: Int, values: [Float]) throws {
    guard height > 0, width > 0, channels > 0, values.count == height * width * channels else {
      throw CaffeError.invalidData(
        layer: "",
        reason: "an image of \(height) × \(width) × \(channels) (H × W × K) needs "
          + "positive sizes and \(max(0, height * width * channels)) values, given "
          + "\(values.count)")
    }
    self.height = height
    self.width = width
    self.channels = channels
    self.values = values
  }

  /// The image resized to `height` × `width` by bilinear interpolation with half-pixel centres
  /// (source position `(d + 0.5)·S/D − 0.5`, clamped to the edge pixels), the order-1
  /// interpolation pycaffe's `caffe.io.resize_image` asks for.
  ///
  /// - Throws: `CaffeError.invalidData` for a size below 1.
  public func resized(height newHeight: Int, width newWidth: Int) throws -> FloatImage {
    guard newHeight > 0, newWidth > 0 else {
      throw CaffeError.invalidData(
        layer: "", reason: "cannot resize an image to \(newHeight) × \(newWidth) (H × W)")
    }
    if newHeight == height && newWidth == width { return self }
    let rows = Self.taps(source: height, target: newHeight)
    let columns = Self.taps(source: width, target: newWidth)
    var output = [Float](repeating: 0, count: newHeight * newWidth * channels)
    for y in 0..<newHeight {
      let (y0, y1, fy) = rows[y]
      for x in 0..<newWidth {
        let (x0, x1, fx) = columns[x]
        for k in 0..<channels {
          let top = value(y0, x0, k) * (1 - fx) + value(y0, x1, k) * fx
          let bottom = value(y1, x0, k) * (1 - fx) + value(y1, x1, k) * fx
          output[(y * newWidth + x) * channels + k] = top * (1 - fy) + bottom * fy
        }
      }
    }
    return FloatImage(unchecked: newHeight, newWidth, channels, output)
  }

  /// The `window` cut out of the image, flipped left to right when it is mirrored.
  ///
  /// - Throws: `CaffeError.invalidData` when the window reaches outside the image.
  public func cropped(_ window: CropWindow) throws -> FloatImage {
    guard window.top >= 0, window.left >= 0, window.height > 0, window.width > 0,
      window.top + window.height <= height, window.left + window.width <= width
    else {
      throw CaffeError.invalidData(
        layer: "", reason: "crop \(window) does not fit an image of \(height) × \(width)")
    }
    var output = [Float]()
    output.reserveCapacity(window.height * window.width * channels)
    for y in window.top..<window.top + window.height {
      for column in 0..<window.width {
        let x = window.mirrored ? window.left + window.width - 1 - column : window.left + column
        for k in 0..<channels { output.append(value(y, x, k)) }
      }
    }
    return FloatImage(unchecked: window.height, window.width, channels, output)
  }

  private init(unchecked height: Int, _ width: Int, _ channels: Int, _ values: [Float]) {
    self.height = height
    self.width = width
    self.channels = channels
    self.values = values
  }

  private func value(_ y: Int, _ x: Int, _ k: Int) -> Float {
    values[(y * width + x) * channels + k]
  }

  /// For each output position along an axis: the two source indices and the weight of the
  /// second.
  private static func taps(source: Int, target: Int) -> [(Int, Int, Float)] {
    let ratio = Double(source) / Double(target)
    return (0..<target).map { position in
      let at = min(max((Double(position) + 0.5) * ratio - 0.5, 0), Double(source - 1))
      let lower = Int(at)
      return (lower, min(lower + 1, source - 1), Float(at - Double(lower)))
    }
  }
}

/// A rectangle cut out of an image, optionally flipped left to right.
public struct CropWindow: Equatable, Sendable, CustomStringConvertible {
  /// The first row, counting from 0.
  public var top: Int
  /// The first column, counting from 0.
  public var left: Int
  /// The number of rows.
  public var height: Int
  /// The number of columns.
  public var width: Int
  /// Whether the crop is mirrored (flipped left to right).
  public var mirrored: Bool

  /// Makes a window.
  public init(top: Int, left: Int, height: Int, width: Int, mirrored: Bool = false) {
    self.top = top
    self.left = left
    self.height = height
    self.width = width
    self.mirrored = mirrored
  }

  /// `rows a..<b, columns c..<d` plus `, mirrored` when flipped.
  public var description: String {
    "rows \(top)..<\(top + height), columns \(left)..<\(left + width)"
      + (mirrored ? ", mirrored" : "")
  }

  /// The centred crop pycaffe's `Classifier.predict(oversample=False)` takes: from
  /// `⌊S/2 − C/2⌋` along each axis (S the image size, C the crop size).
  ///
  /// - Parameters:
  ///   - imageHeight: the image's H.
  ///   - imageWidth: the image's W.
  ///   - height: the crop's H, at most `imageHeight`.
  ///   - width: the crop's W, at most `imageWidth`.
  /// - Returns: the centred window, not mirrored.
  public static func center(imageHeight: Int, imageWidth: Int, height: Int, width: Int)
    -> CropWindow
  {
    // pycaffe computes S/2.0 − C/2.0 in floating point and truncates it to an integer.
    let top = Int(Double(imageHeight) / 2 - Double(height) / 2)
    let left = Int(Double(imageWidth) / 2 - Double(width) / 2)
    return CropWindow(top: top, left: left, height: height, width: width)
  }

  /// Caffe's ten crops (pycaffe's `caffe.io.oversample`): the top-left, top-right, bottom-left
  /// and bottom-right corners and the centre, then the same five mirrored.
  ///
  /// - Parameters:
  ///   - imageHeight: the image's H.
  ///   - imageWidth: the image's W.
  ///   - height: the crops' H, at most `imageHeight`.
  ///   - width: the crops' W, at most `imageWidth`.
  /// - Returns: ten windows: five plain, then the same five mirrored.
  public static func oversample(imageHeight: Int, imageWidth: Int, height: Int, width: Int)
    -> [CropWindow]
  {
    var windows: [CropWindow] = []
    for top in [0, imageHeight - height] {
      for left in [0, imageWidth - width] {
        windows.append(CropWindow(top: top, left: left, height: height, width: width))
      }
    }
    windows.append(
      center(imageHeight: imageHeight, imageWidth: imageWidth, height: height, width: width))
    return windows
      + windows.map { window in
        var flipped = window
        flipped.mirrored = true
        return flipped
      }
  }
}
