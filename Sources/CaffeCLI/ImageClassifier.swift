// ImageClassifier: class probabilities for images from a deploy net, as pycaffe's Classifier.

import Caffe
import CaffeSupport
import CaffeTools

/// Predicts class probabilities with a deploy net, as pycaffe's `caffe.Classifier`.
///
/// Each image ((H, W, K), values in 0…1, RGB for colour) is resized to ``imageHeight`` ×
/// ``imageWidth`` (pycaffe's `image_dims`), then cut to the net input's H × W: one centred crop,
/// or Caffe's ten crops (four corners and the centre, and their mirrors; see
/// ``CropWindow/oversample(imageHeight:imageWidth:height:width:)``) whose predictions are
/// averaged. Crops go through the ``transformer`` (channel swap, raw scale, mean, input scale)
/// into the net's first input blob, reshaped to (crops, C, H, W); the prediction is the net's
/// first output blob, one row of K values per crop.
final class ImageClassifier {
  /// The net; its first input blob takes the crops.
  let net: Net
  /// The preprocessing of each crop, for the net input's (C, H, W).
  let transformer: Transformer
  /// The height images are resized to before cropping, in pixels.
  let imageHeight: Int
  /// The width images are resized to before cropping, in pixels.
  let imageWidth: Int

  /// Wraps a net built in phase TEST, with weights loaded.
  ///
  /// - Parameters:
  ///   - net: the deploy net.
  ///   - transformer: preprocessing for the net input's C, H and W.
  ///   - imageHeight: the resize height, at least the input's H.
  ///   - imageWidth: the resize width, at least the input's W.
  /// - Throws: `CaffeError.invalidNet` when the net has no input or output blob, or the resize
  ///   size is smaller than the input.
  init(net: Net, transformer: Transformer, imageHeight: Int, imageWidth: Int) throws {
    guard net.inputBlobs.first != nil, net.outputBlobs.first != nil else {
      throw CaffeError.invalidNet(
        reason: "the net \"\(net.name)\" needs an input blob (an Input layer) and an output "
          + "blob to classify")
    }
    guard imageHeight >= transformer.height, imageWidth >= transformer.width else {
      throw CaffeError.invalidNet(
        reason: "--images_dim \(imageHeight),\(imageWidth) is smaller than the net input "
          + "\(transformer.height) × \(transformer.width) (H × W); crops must fit the image")
    }
    self.net = net
    self.transformer = transformer
    self.imageHeight = imageHeight
    self.imageWidth = imageWidth
  }

  /// The class probabilities of `image`: K values, averaged over the ten crops when
  /// `oversample` is true.
  ///
  /// - Throws: `CaffeError` when the image's channels differ from the net input's, or the net
  ///   cannot run.
  func predict(_ image: FloatImage, oversample: Bool) throws -> [Float] {
    guard image.channels == transformer.channels else {
      throw CaffeError.invalidData(
        layer: "classify",
        reason: "the image has \(image.channels) channels but the net input "
          + "takes \(transformer.channels)")
    }
    let resized = try image.resized(height: imageHeight, width: imageWidth)
    let (height, width) = (transformer.height, transformer.width)
    let windows =
      oversample
      ? CropWindow.oversample(
        imageHeight: imageHeight, imageWidth: imageWidth, height: height, width: width)
      : [
        CropWindow.center(
          imageHeight: imageHeight, imageWidth: imageWidth, height: height, width: width)
      ]
    var batch: [Float] = []
    for window in windows {
      batch += try transformer.preprocess(try resized.cropped(window).values)
    }
    let input = net.inputBlobs[0]
    try input.reshape([windows.count, transformer.channels, height, width])
    try net.reshape()
    try input.setData(batch)
    _ = try net.forward()
    let output = net.outputBlobs[0]
    let classes = output.count / windows.count
    let values = output.dataArray
    return (0..<classes).map { k in
      (0..<windows.count).reduce(Float(0)) { $0 + values[$1 * classes + k] }
        / Float(windows.count)
    }
  }
}
