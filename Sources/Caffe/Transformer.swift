// Transformer: images (H, W, C) to net input (C, H, W) and back, as pycaffe's caffe.io.Transformer.

import CaffeSupport

/// Prepares images for a net's input blob and turns input-shaped blobs back into images, as
/// pycaffe's `caffe.io.Transformer`.
///
/// ``preprocess(_:)`` applies, in this order: (H, W, C) → (C, H, W); the ``channelSwap``
/// (RGB → BGR for Caffe's ImageNet models); × ``rawScale`` (255 for models trained on 0…255
/// pixels fed 0…1 images); − ``mean``; × ``inputScale``. ``deprocess(_:)`` undoes each step in
/// reverse order. Images are not resized: they must already be H × W.
///
/// ```swift
/// var transformer = Transformer(channels: 3, height: 224, width: 224)
/// transformer.channelSwap = [2, 1, 0]
/// transformer.rawScale = 255
/// transformer.mean = [104, 117, 123]
/// try net.blobsByName["data"]?.setData(try transformer.preprocess(rgbPixels))
/// ```
public struct Transformer: Sendable, Equatable {
  /// C of the net input.
  public let channels: Int
  /// H of the net input, in pixels.
  public let height: Int
  /// W of the net input, in pixels.
  public let width: Int
  /// The image channel each input channel takes, or `nil` to keep the order.
  ///
  /// Input channel `c` is image channel `channelSwap[c]`; `[2, 1, 0]` turns RGB into BGR.
  public var channelSwap: [Int]?
  /// The factor applied before the mean is subtracted (pycaffe's `raw_scale`).
  public var rawScale: Float?
  /// The mean subtracted after ``rawScale``: C values (one per channel) or C·H·W values
  /// (a mean image, (C, H, W) row-major).
  public var mean: [Float]?
  /// The factor applied after the mean is subtracted (pycaffe's `input_scale`).
  public var inputScale: Float?

  /// A transformer for an input of shape (C, H, W) with no step but the transpose.
  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// A transformer for the net input `blob` (N, C, H, W), such as `net.inputBlobs[0]`.
  /// - Throws: `CaffeError.invalidParameter` unless the blob has 4 axes.
  public init(for blob: Blob) throws {
    guard blob.numAxes == 4 else {
      throw CaffeError.invalidParameter(
        layer: "Transformer", type: "input \(CaffeError.shapeText(blob.shape))", field: "blob",
        reason: "a net input of shape (N, C, H, W) is required")
    }
    self.init(channels: blob.channels, height: blob.height, width: blob.width)
  }

  /// Turns an image into net input.
  ///
  /// - Parameter image: H·W·C values, (H, W, C) row-major (interleaved pixels), in the range
  ///   the model expects before ``rawScale`` (usually 0…1).
  /// - Returns: C·H·W values, (C, H, W) row-major, ready for `Blob.setData` (one item of N).
  /// - Throws: `CaffeError.shapeMismatch` when the image has the wrong size;
  ///   `CaffeError.invalidParameter` for a ``channelSwap`` that is not a permutation of the
  ///   channels or a ``mean`` of the wrong size.
  public func preprocess(_ image: [Float]) throws -> [Float] {
    try checkSettings()
    try checkCount(image.count, what: "image (H, W, C)")
    let plane = height * width
    let order = channelSwap ?? Array(0..<channels)
    var input = [Float](repeating: 0, count: channels * plane)
    for c in 0..<channels {
      // input (c, y, x) ← image (y, x, order[c])
      for pixel in 0..<plane {
        input[c * plane + pixel] = image[pixel * channels + order[c]]
      }
    }
    if let rawScale { scale(&input, by: rawScale) }
    if let mean { apply(mean, to: &input, sign: -1) }
    if let inputScale { scale(&input, by: inputScale) }
    return input
  }

  /// Turns net input (or any blob of its shape, one item) back into an image.
  ///
  /// - Parameter input: C·H·W values, (C, H, W) row-major.
  /// - Returns: H·W·C values, (H, W, C) row-major, in the image range ``preprocess(_:)`` took.
  /// - Throws: `CaffeError.shapeMismatch` when the input has the wrong size;
  ///   `CaffeError.invalidParameter` for bad settings, as ``preprocess(_:)``.
  public func deprocess(_ input: [Float]) throws -> [Float] {
    try checkSettings()
    try checkCount(input.count, what: "input (C, H, W)")
    var values = input
    if let inputScale { divide(&values, by: inputScale) }
    if let mean { apply(mean, to: &values, sign: 1) }
    if let rawScale { divide(&values, by: rawScale) }
    let plane = height * width
    let order = channelSwap ?? Array(0..<channels)
    var image = [Float](repeating: 0, count: values.count)
    for c in 0..<channels {
      // image (y, x, order[c]) ← input (c, y, x)
      for pixel in 0..<plane {
        image[pixel * channels + order[c]] = values[c * plane + pixel]
      }
    }
    return image
  }

  private func scale(_ values: inout [Float], by factor: Float) {
    for i in values.indices { values[i] *= factor }
  }

  private func divide(_ values: inout [Float], by factor: Float) {
    for i in values.indices { values[i] /= factor }
  }

  /// Adds `sign` × the mean: per channel when it has C values, per element otherwise.
  private func apply(_ mean: [Float], to values: inout [Float], sign: Float) {
    let plane = height * width
    for i in values.indices {
      let m = mean.count == channels ? mean[i / plane] : mean[i]
      values[i] += sign * m
    }
  }

  private func checkCount(_ count: Int, what: String) throws {
    guard count == channels * height * width else {
      throw CaffeError.shapeMismatch(
        layer: "Transformer", blob: "\(what) with \(count) values",
        expected: [channels, height, width], actual: [count])
    }
  }

  private func checkSettings() throws {
    if let channelSwap, channelSwap.sorted() != Array(0..<channels) {
      throw invalid(
        "channelSwap", "\(channelSwap) is not an order of the \(channels) channels 0..<\(channels)")
    }
    if let mean, mean.count != channels, mean.count != channels * height * width {
      throw invalid(
        "mean",
        "\(mean.count) values given; give \(channels) (one per channel) or "
          + "\(channels * height * width) (C·H·W)")
    }
  }

  private func invalid(_ field: String, _ reason: String) -> CaffeError {
    .invalidParameter(
      layer: "Transformer", type: "input \(channels)×\(height)×\(width)", field: field,
      reason: reason)
  }
}
