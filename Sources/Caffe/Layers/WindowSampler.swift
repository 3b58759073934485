// WindowData batches: sampling windows, cutting them out, warping, mirroring, mean and scale.

import CaffeData
import CaffeKernels
import CaffeProto
import CaffeSupport

/// Where a window lands: the part of the image cut out, the size it is resized to, and its
/// place in the `crop_size` × `crop_size` output.
struct WindowGeometry: Equatable {
  /// The inclusive corners of the image region, clipped to the image.
  var x1: Int, y1: Int, x2: Int, y2: Int
  /// The size the region is resized to (H', W').
  var height: Int, width: Int
  /// The output row and column of the resized region's top-left pixel.
  var top: Int, left: Int

  /// Places window (`x1`, `y1`)–(`x2`, `y2`) of an `imageHeight` × `imageWidth` image, as
  /// Caffe's WindowData layer does.
  ///
  /// With neither context nor "square", the window itself (which must lie inside the image) is
  /// warped to the whole output. Otherwise, in Float arithmetic with half-away rounding: the
  /// window's half sizes `(y2 − y1 + 1) / 2`, `(x2 − x1 + 1) / 2` (made equal to the larger for
  /// "square") are scaled about its centre by `crop / (crop − 2 · context_pad)`; that region is
  /// clipped to the image; the clipped part is resized by the factors that would warp the
  /// unclipped region to `crop` × `crop`, and placed after the clipped-off rows above and
  /// columns left (right when mirrored), scaled likewise; a rounding overflow is trimmed.
  ///
  /// - Returns: nil when nothing of the window is inside the image, or the window sticks out of
  ///   it in plain warp mode.
  static func place(
    _ window: WindowFile.Window, imageHeight: Int, imageWidth: Int, crop: Int, contextPad: Int,
    square: Bool, mirror: Bool
  ) -> WindowGeometry? {
    guard contextPad > 0 || square else {
      let inside =
        window.x1 >= 0 && window.y1 >= 0 && window.x1 <= window.x2 && window.y1 <= window.y2
        && window.x2 < imageWidth && window.y2 < imageHeight
      guard inside else { return nil }
      return WindowGeometry(
        x1: window.x1, y1: window.y1, x2: window.x2, y2: window.y2, height: crop, width: crop,
        top: 0, left: 0)
    }
    let contextScale = Float(crop) / Float(crop - 2 * contextPad)
    var halfHeight = Float(window.y2 - window.y1 + 1) / 2
    var halfWidth = Float(window.x2 - window.x1 + 1) / 2
    let centerX = Float(window.x1) + halfWidth
    let centerY = Float(window.y1) + halfHeight
    if square {
      halfHeight = max(halfHeight, halfWidth)
      halfWidth = halfHeight
    }
    // The grown region, before clipping; (H_u, W_u) its size.
    let x1 = Int((centerX - halfWidth * contextScale).rounded())
    let x2 = Int((centerX + halfWidth * contextScale).rounded())
    let y1 = Int((centerY - halfHeight * contextScale).rounded())
    let y2 = Int((centerY + halfHeight * contextScale).rounded())
    let scaleX = Float(crop) / Float(x2 - x1 + 1)
    let scaleY = Float(crop) / Float(y2 - y1 + 1)
    // The parts cut off on each side, in image pixels.
    let left = max(0, -x1)
    let above = max(0, -y1)
    let right = max(0, x2 - imageWidth + 1)
    let below = max(0, y2 - imageHeight + 1)
    var geometry = WindowGeometry(
      x1: x1 + left, y1: y1 + above, x2: x2 - right, y2: y2 - below, height: 0, width: 0,
      top: 0, left: 0)
    guard geometry.x1 <= geometry.x2, geometry.y1 <= geometry.y2 else { return nil }
    func scaled(_ pixels: Int, _ factor: Float) -> Int { Int((Float(pixels) * factor).rounded()) }
    geometry.width = scaled(geometry.x2 - geometry.x1 + 1, scaleX)
    geometry.height = scaled(geometry.y2 - geometry.y1 + 1, scaleY)
    geometry.top = scaled(above, scaleY)
    geometry.left = mirror ? scaled(right, scaleX) : scaled(left, scaleX)
    geometry.height = min(geometry.height, crop - geometry.top)
    geometry.width = min(geometry.width, crop - geometry.left)
    guard geometry.height > 0, geometry.width > 0 else { return nil }
    return geometry
  }
}

/// The window file's windows, images and settings that fill WindowData batches; used by one
/// thread at a time (the layer's during setup, then the prefetch thread's).
final class WindowSampler: @unchecked Sendable {
  private let layer: String
  private let file: WindowFile
  private let batchSize: Int
  private let foregroundCount: Int
  private let crop: Int
  private let contextPad: Int
  private let square: Bool
  private let mirror: Bool
  private let scale: Float
  /// (3, crop, crop): the mean subtracted at each output position.
  private let mean: [Float]
  /// The decoded images when `cache_images` is set, else empty.
  private var cache: [Image] = []
  private var generator: SeededGenerator

  /// Checks that the file has the windows a batch needs and, with `cache_images`, decodes
  /// every image.
  ///
  /// - Throws: `CaffeError.invalidData` naming the window file when a batch needs foreground
  ///   or background windows and the file has none, or naming the line of an image that cannot
  ///   be read.
  init(
    layer: String, param: LayerParameter, file: WindowFile, batchSize: Int, mean: [Float],
    generator: SeededGenerator
  ) throws {
    let windows = param.windowDataParam
    self.layer = layer
    self.file = file
    self.batchSize = batchSize
    foregroundCount = Int(Float(batchSize) * windows.fgFraction)
    crop = Int(param.transformParam.cropSize)
    contextPad = Int(windows.contextPad)
    square = windows.cropMode == "square"
    mirror = param.transformParam.mirror
    scale = param.transformParam.hasScale ? param.transformParam.scale : windows.scale
    self.mean = mean
    self.generator = generator
    let needs = [
      ("foreground", "≥ fg_threshold \(windows.fgThreshold)", foregroundCount, file.foreground),
      (
        "background", "< bg_threshold \(windows.bgThreshold)", batchSize - foregroundCount,
        file.background
      ),
    ]
    for (kind, rule, count, found) in needs where count > 0 && found.isEmpty {
      throw CaffeError.invalidData(
        layer: layer,
        reason: "\(file.source): has no \(kind) windows (overlap \(rule)), but each batch takes "
          + "\(count) (batch_size \(batchSize), fg_fraction \(windows.fgFraction))")
    }
    if windows.cacheImages {
      cache = try file.images.indices.map { try loadImage($0) }
    }
  }

  /// Fills `batch` with `batch_size` windows: the background ones, then the foreground ones.
  ///
  /// - Throws: `CaffeError.invalidData` naming the window file's line for an image that cannot
  ///   be read or a window outside its image.
  func fill(_ batch: inout DataBatch) throws {
    let itemCount = WindowDataLayer.channels * crop * crop
    batch.shape = [batchSize, WindowDataLayer.channels, crop, crop]
    if batch.data.count == batchSize * itemCount {
      batch.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    } else {
      batch.data = Array(repeating: 0, count: batchSize * itemCount)
    }
    if batch.labels.count != batchSize { batch.labels = Array(repeating: 0, count: batchSize) }
    var item = 0
    let sets = [
      (file.background, batchSize - foregroundCount), (file.foreground, foregroundCount),
    ]
    for (windows, count) in sets {
      for _ in 0..<count {
        let window = windows[Int(generator.next() % UInt64(windows.count))]
        let flip = mirror && generator.next() % 2 == 1
        let warped = try warp(window, flip: flip)
        batch.data.withUnsafeMutableBufferPointer { buffer in
          guard let base = buffer.baseAddress else { return }
          write(warped.image, warped.geometry, flip: flip, into: base + item * itemCount)
        }
        batch.labels[item] = Float(window.label)
        item += 1
      }
    }
  }

  /// The window's region of its image, resized to its place in the output.
  private func warp(
    _ window: WindowFile.Window, flip: Bool
  ) throws -> (image: Image, geometry: WindowGeometry) {
    let image = cache.isEmpty ? try loadImage(window.image) : cache[window.image]
    guard
      let geometry = WindowGeometry.place(
        window, imageHeight: image.height, imageWidth: image.width, crop: crop,
        contextPad: contextPad, square: square, mirror: flip)
    else {
      throw CaffeError.invalidData(
        layer: layer,
        reason: "\(file.source):\(window.line): window (\(window.x1), \(window.y1))–"
          + "(\(window.x2), \(window.y2)) (x1, y1)–(x2, y2) lies outside its "
          + "\(image.height) × \(image.width) (H × W) image \(file.images[window.image].path)")
    }
    let channels = image.channels
    let regionWidth = geometry.x2 - geometry.x1 + 1
    var pixels: [UInt8] = []
    pixels.reserveCapacity((geometry.y2 - geometry.y1 + 1) * regionWidth * channels)
    for y in geometry.y1...geometry.y2 {
      // Row y of the region: (H, W, C) bytes from column x1.
      let start = (y * image.width + geometry.x1) * channels
      pixels += image.pixels[start..<(start + regionWidth * channels)]
    }
    let region = try Image(
      height: geometry.y2 - geometry.y1 + 1, width: regionWidth, channels: channels,
      pixels: pixels)
    return (try region.resized(height: geometry.height, width: geometry.width), geometry)
  }

  /// Writes `(pixel − mean) · scale` of the warped window into one (3, crop, crop) item.
  private func write(
    _ warped: Image, _ geometry: WindowGeometry, flip: Bool,
    into output: UnsafeMutablePointer<Float>
  ) {
    let channels = warped.channels
    warped.pixels.withUnsafeBufferPointer { pixels in
      mean.withUnsafeBufferPointer { mean in
        for h in 0..<warped.height {
          for w in 0..<warped.width {
            // Warped pixel (h, column) goes to output (h + top, w + left).
            let column = flip ? warped.width - 1 - w : w
            let source = (h * warped.width + column) * channels
            for c in 0..<channels {
              let target = (c * crop + h + geometry.top) * crop + w + geometry.left
              output[target] = (Float(pixels[source + c]) - mean[target]) * scale
            }
          }
        }
      }
    }
  }

  /// The (3, crop, crop) mean to subtract: zeros, `mean_value` per channel, or the centred
  /// crop × crop part of `mean_file`.
  ///
  /// - Throws: what reading the mean file throws; `CaffeError.invalidParameter` when its
  ///   (C, H, W) is not (3, ≥ crop, ≥ crop).
  static func mean(
    _ transform: TransformationParameter, crop: Int, layer: String
  ) throws -> [Float] {
    let channels = WindowDataLayer.channels
    let plane = crop * crop
    guard !transform.meanFile.isEmpty else {
      let values = transform.meanValue
      return (0..<channels).flatMap { c -> [Float] in
        let value = values.isEmpty ? 0 : values[values.count == 1 ? 0 : c]
        return Array(repeating: value, count: plane)
      }
    }
    Log.info("Loading mean file from: \(transform.meanFile)")
    let blob = Blob()
    do {
      try blob.load(from: try BinaryProto.read(BlobProto.self, path: transform.meanFile))
    } catch let error as CaffeError {
      throw CaffeError.invalidFile(path: transform.meanFile, reason: "\(error)")
    }
    // The legacy (N, C, H, W) view of the mean: pad to 4 axes.
    let shape = Array(repeating: 1, count: max(0, 4 - blob.numAxes)) + blob.shape
    guard shape.count == 4, shape[0] == 1, shape[1] == channels, shape[2] >= crop,
      shape[3] >= crop
    else {
      throw CaffeError.invalidParameter(
        layer: layer, type: WindowDataLayer.type, field: "transform_param.mean_file",
        reason: "\(transform.meanFile) has shape \(CaffeError.shapeText(shape)); a WindowData "
          + "mean must be (1, \(channels), H, W) with H and W at least crop_size \(crop)")
    }
    let (height, width) = (shape[2], shape[3])
    let (top, left) = ((height - crop) / 2, (width - crop) / 2)
    let values = blob.dataArray
    var mean = [Float](repeating: 0, count: channels * plane)
    for c in 0..<channels {
      for y in 0..<crop {
        // Row y of the crop is row y + top of the (C, H, W) mean.
        let source = (c * height + y + top) * width + left
        mean[(c * crop + y) * crop..<(c * crop + y + 1) * crop] = values[source..<source + crop]
      }
    }
    return mean
  }

  /// Decodes image `index` of the window file in colour.
  ///
  /// - Throws: `CaffeError.invalidData` naming the window file's line of the image.
  private func loadImage(_ index: Int) throws -> Image {
    let entry = file.images[index]
    do {
      return try Image(contentsOfFile: entry.path, color: .color)
    } catch let error as CaffeError {
      throw CaffeError.invalidData(
        layer: layer, reason: "\(file.source):\(entry.line): could not load \(entry.path): \(error)"
      )
    }
  }
}
