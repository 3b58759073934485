// Writing a chart to a PNG or SVG file through cairo.

import CCairo
import CaffeSupport
import Foundation

extension LineChart {
  /// The image formats a chart can be written in, chosen by the file's extension.
  public enum FileFormat: String, CaseIterable, Sendable {
    /// A bitmap, `width` × `height` pixels (cairo's PNG writer).
    case png
    /// Vector graphics, `width` × `height` points (cairo's SVG surface).
    case svg

    /// The format named by `path`'s extension (`.png` or `.svg`, any case).
    ///
    /// - Throws: `CaffeError.io` naming the path for any other extension.
    public init(path: String) throws {
      let suffix = URL(fileURLWithPath: path).pathExtension.lowercased()
      guard let format = FileFormat(rawValue: suffix) else {
        throw CaffeError.io(
          path: path, reason: "unknown image type; the file name must end in .png or .svg")
      }
      self = format
    }
  }

  /// Draws the chart into a new file at `path`, PNG or SVG by its extension.
  ///
  /// - Parameters:
  ///   - path: The image file to write.
  ///   - width: The image width, in pixels (PNG) or points (SVG).
  ///   - height: The image height, in the same unit.
  /// - Throws: `CaffeError.io` for an unknown extension, a missing folder or a failed write.
  public func write(to path: String, width: Int = 900, height: Int = 600) throws {
    let format = try FileFormat(path: path)
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw CaffeError.io(path: path, reason: "folder \(folder) does not exist") }
    let created: OpaquePointer?
    switch format {
    case .png:
      created = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
    case .svg: created = cairo_svg_surface_create(path, Double(width), Double(height))
    }
    guard let surface = created else { throw CaffeError.io(path: path, reason: "out of memory") }
    defer { cairo_surface_destroy(surface) }
    try Self.check(cairo_surface_status(surface), path: path)
    guard let context = cairo_create(surface) else {
      throw CaffeError.io(path: path, reason: "out of memory")
    }
    ChartPainter(context: context, width: Double(width), height: Double(height)).draw(self)
    let drawn = cairo_status(context)
    cairo_destroy(context)
    try Self.check(drawn, path: path)
    if format == .png {
      try Self.check(cairo_surface_write_to_png(surface, path), path: path)
    }
    cairo_surface_finish(surface)
    try Self.check(cairo_surface_status(surface), path: path)
  }

  /// Turns a cairo status other than success into an error naming `path`.
  private static func check(_ status: cairo_status_t, path: String) throws {
    guard status != CAIRO_STATUS_SUCCESS else { return }
    let reason = String(cString: cairo_status_to_string(status))
    throw CaffeError.io(path: path, reason: "cannot draw the chart: \(reason)")
  }
}
