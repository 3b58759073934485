// OpenCV's conversions of CMYK JPEG pixels (Adobe's inverted CMYK) to BGR and to gray.

/// OpenCV's integer formulas for the CMYK pixels libjpeg gives for four-component JPEG files.
///
/// Adobe writes CMYK inverted, so each ink channel `v` with black `k` becomes
/// `k − ((255 − v)·k >> 8)`; the results are blue = yellow′, green = magenta′, red = cyan′.
/// Gray then weighs them with OpenCV's 14-bit luma weights (0.299, 0.587, 0.114 →
/// 4899, 9617, 1868), rounding half up.
enum CMYKConversion {
  /// BGR pixels from (H, W, 4) CMYK pixels.
  static func bgr(fromCMYK cmyk: [UInt8], height: Int, width: Int) -> Image {
    var bgr = [UInt8](repeating: 0, count: height * width * 3)
    for pixel in 0..<(height * width) {
      let (cyan, magenta, yellow) = inks(cmyk, pixel)
      bgr[pixel * 3] = UInt8(yellow)
      bgr[pixel * 3 + 1] = UInt8(magenta)
      bgr[pixel * 3 + 2] = UInt8(cyan)
    }
    return Image(unchecked: height, width, 3, bgr)
  }

  /// Gray pixels from (H, W, 4) CMYK pixels.
  static func gray(fromCMYK cmyk: [UInt8], height: Int, width: Int) -> Image {
    var gray = [UInt8](repeating: 0, count: height * width)
    for pixel in 0..<(height * width) {
      let (cyan, magenta, yellow) = inks(cmyk, pixel)
      gray[pixel] = UInt8((yellow * 1868 + magenta * 9617 + cyan * 4899 + 8192) >> 14)
    }
    return Image(unchecked: height, width, 1, gray)
  }

  /// Pixel `pixel`'s cyan, magenta and yellow after applying its black, each in 0...255.
  private static func inks(_ cmyk: [UInt8], _ pixel: Int) -> (Int, Int, Int) {
    let black = Int(cmyk[pixel * 4 + 3])
    func apply(_ ink: UInt8) -> Int { black - (((255 - Int(ink)) * black) >> 8) }
    return (apply(cmyk[pixel * 4]), apply(cmyk[pixel * 4 + 1]), apply(cmyk[pixel * 4 + 2]))
  }
}
