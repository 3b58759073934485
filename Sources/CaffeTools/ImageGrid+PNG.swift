// Writing an ImageGrid as a PNG file through cairo, enlarged with square pixels.

import CCairo
import CaffeSupport
import Foundation

extension ImageGrid {
  /// The whole-number enlargement that brings the picture's longer side near `target` pixels
  /// (at least 1, so large grids are never shrunk).
  ///
  /// - Parameter target: the wanted length of the longer side, in pixels.
  /// - Returns: `target / longer side`, at least 1.
  public func zoom(toAbout target: Int = 600) -> Int {
    max(1, target / max(pixelWidth, pixelHeight))
  }

  /// Writes the grid as an RGB PNG of (pixelWidth·zoom) × (pixelHeight·zoom) pixels, each grid
  /// pixel a zoom × zoom square (no smoothing).
  ///
  /// - Parameters:
  ///   - path: the `.png` file to write.
  ///   - colorMap: how one-channel tiles are coloured.
  ///   - zoom: the enlargement, at least 1 (see ``zoom(toAbout:)``).
  /// - Throws: `CaffeError.io` naming `path` when cairo cannot draw or write the file.
  public func writePNG(to path: String, colorMap: ColorMap = .gray, zoom: Int = 1) throws {
    let scale = max(1, zoom)
    let width = Int32(pixelWidth)
    let height = Int32(pixelHeight)
    let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, width))
    // RGB24 pixels are 32-bit words 0x00RRGGBB in native byte order.
    var words = [UInt32](repeating: 0, count: stride / 4 * Int(height))
    let rgb = rgbPixels(colorMap: colorMap)
    for y in 0..<pixelHeight {
      for x in 0..<pixelWidth {
        let at = (y * pixelWidth + x) * 3
        words[y * stride / 4 + x] =
          UInt32(rgb[at]) << 16 | UInt32(rgb[at + 1]) << 8 | UInt32(rgb[at + 2])
      }
    }
    try words.withUnsafeMutableBytes { raw in
      guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self),
        let source = cairo_image_surface_create_for_data(
          base, CAIRO_FORMAT_RGB24, width, height, Int32(stride))
      else { throw CaffeError.io(path: path, reason: "out of memory") }
      defer { cairo_surface_destroy(source) }
      try Self.write(source, scale: scale, width: width, height: height, path: path)
    }
  }

  /// Paints `source` enlarged `scale` times with nearest-neighbour sampling and writes the
  /// result as PNG.
  private static func write(
    _ source: OpaquePointer, scale: Int, width: Int32, height: Int32, path: String
  ) throws {
    let factor = Int32(scale)
    guard
      let target = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width * factor, height * factor)
    else { throw CaffeError.io(path: path, reason: "out of memory") }
    defer { cairo_surface_destroy(target) }
    try check(cairo_surface_status(target), path: path)
    guard let context = cairo_create(target) else {
      throw CaffeError.io(path: path, reason: "out of memory")
    }
    cairo_scale(context, Double(scale), Double(scale))
    cairo_set_source_surface(context, source, 0, 0)
    cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
    cairo_paint(context)
    let drawn = cairo_status(context)
    cairo_destroy(context)
    try check(drawn, path: path)
    try check(cairo_surface_write_to_png(target, path), path: path)
  }

  /// Turns a cairo status other than success into an error naming `path`.
  private static func check(_ status: cairo_status_t, path: String) throws {
    guard status != CAIRO_STATUS_SUCCESS else { return }
    let reason = String(cString: cairo_status_to_string(status))
    throw CaffeError.io(path: path, reason: "cannot write the image: \(reason)")
  }
}
