// PNG decoding and encoding through libpng, with the transformations OpenCV's PNG codec asks for.

import CPNG
import CaffeSupport
import Foundation

/// PNG files through libpng's full API, set up as OpenCV's PNG codec sets it up.
///
/// Decoding cuts 16-bit samples to their high byte, drops alpha (without compositing), expands
/// palettes, widens low-depth gray to 8 bits and delivers colour as BGR; gray from colour comes
/// from libpng's `rgb_to_gray` with red and green weights 0.299 and 0.587 (in linear light when
/// the file declares a gamma). Encoding writes 8-bit gray or RGB with OpenCV's defaults (the Sub
/// filter, deflate level 1, run-length strategy). Every libpng call runs on a ``CodecThread``,
/// so a corrupt file is an error, never an abort.
enum PNGCodec {
  /// The longest libpng message kept, in bytes (including the terminating zero).
  private static let messageLength = 256

  /// Decodes a PNG file.
  ///
  /// - Throws: `CaffeError.invalidFile` naming `name`, with libpng's message.
  static func decode(_ bytes: [UInt8], color: ImageColorMode, name: String) throws -> Image {
    let decoding = try Decoding.run(bytes, color: color, headerOnly: false, name: name)
    let job = decoding.job.pointee
    guard let output = job.output, job.channels == 1 || job.channels == 3 else {
      throw CaffeError.invalidFile(
        path: name, reason: "is not a readable PNG image (libpng gave \(job.channels) channels)")
    }
    let count = job.height * job.width * job.channels
    return Image(
      unchecked: job.height, job.width, job.channels,
      Array(UnsafeBufferPointer(start: output, count: count)))
  }

  /// 3 unless the file is plain gray (as OpenCV's `IMREAD_ANYCOLOR` counts channels: gray with
  /// alpha gives 3); only the header is read.
  ///
  /// - Throws: `CaffeError.invalidFile` naming `name`, with libpng's message.
  static func nativeChannels(_ bytes: [UInt8], name: String) throws -> Int {
    let decoding = try Decoding.run(bytes, color: .native, headerOnly: true, name: name)
    return decoding.job.pointee.colorType == PNG_COLOR_TYPE_GRAY ? 1 : 3
  }

  /// Encodes `image` as an 8-bit gray or RGB PNG, without gamma or colour-space chunks.
  ///
  /// - Throws: `CaffeError.invalidData` with libpng's message.
  static func encode(_ image: Image) throws -> [UInt8] {
    try image.pixels.withUnsafeBufferPointer { pixels in
      guard let base = pixels.baseAddress else { return [] }
      let encoding = Encoding(pixels: base, image: image)
      let finished = try CodecThread.run(encodeWork, state: UnsafeMutableRawPointer(encoding.job))
      let job = encoding.job.pointee
      guard finished, let output = job.output else {
        throw CaffeError.invalidData(
          layer: "", reason: "cannot encode a PNG image: \(String(cString: job.message))")
      }
      return Array(UnsafeBufferPointer(start: output, count: job.count))
    }
  }

  /// Copies libpng's error message into the job's message buffer (the error pointer) and
  /// abandons the job.
  private static let failure: @convention(c) (png_structp?, png_const_charp?) -> Void = {
    png, text in
    if let png, let buffer = png_get_error_ptr(png), let text {
      strncpy(buffer.assumingMemoryBound(to: CChar.self), text, PNGCodec.messageLength - 1)
    }
    CodecThread.abandon()
  }

  /// Ignores libpng's warnings (OpenCV lets libpng print them; they never change the pixels).
  private static let warning: @convention(c) (png_structp?, png_const_charp?) -> Void = { _, _ in
  }

  // MARK: - Decoding

  /// The state of one decode; the job thread reaches it only through a raw pointer.
  private struct DecodeJob {
    /// libpng's error message (the error pointer), as C text.
    var message: UnsafeMutablePointer<CChar>
    var png: png_structp?
    var info: png_infop?
    var input: UnsafePointer<UInt8>?
    var inputCount = 0
    var position = 0
    var color = ImageColorMode.color
    var headerOnly = false
    /// The file's PNG colour type (`PNG_COLOR_TYPE_*`).
    var colorType: Int32 = 0
    /// The decoded (H, W, C) bytes and the row pointers into them, malloc'ed.
    var output: UnsafeMutablePointer<UInt8>?
    var rows: UnsafeMutablePointer<png_bytep?>?
    var height = 0
    var width = 0
    var channels = 0
  }

  /// Owns a ``DecodeJob`` on the calling thread and frees libpng's state with it.
  private final class Decoding {
    let job = UnsafeMutablePointer<DecodeJob>.allocate(capacity: 1)

    private init(color: ImageColorMode, headerOnly: Bool) {
      job.initialize(to: DecodeJob(message: .allocate(capacity: PNGCodec.messageLength)))
      job.pointee.message.initialize(repeating: 0, count: PNGCodec.messageLength)
      job.pointee.color = color
      job.pointee.headerOnly = headerOnly
    }

    deinit {
      if job.pointee.png != nil {
        png_destroy_read_struct(&job.pointee.png, &job.pointee.info, nil)
      }
      free(job.pointee.output)
      free(job.pointee.rows)
      job.pointee.message.deallocate()
      job.deallocate()
    }

    /// Decodes `bytes` (or only its header) on a ``CodecThread``.
    ///
    /// - Throws: `CaffeError.invalidFile` naming `name` when libpng stopped with an error.
    static func run(
      _ bytes: [UInt8], color: ImageColorMode, headerOnly: Bool, name: String
    ) throws -> Decoding {
      let decoding = Decoding(color: color, headerOnly: headerOnly)
      let job = decoding.job
      let completed = try bytes.withUnsafeBufferPointer { buffer in
        job.pointee.input = buffer.baseAddress
        job.pointee.inputCount = buffer.count
        defer { job.pointee.input = nil }
        return try CodecThread.run(decodeWork, state: UnsafeMutableRawPointer(job))
      }
      guard completed else {
        let message = String(cString: job.pointee.message)
        throw CaffeError.invalidFile(
          path: name,
          reason: "is not a readable PNG image: \(message.isEmpty ? "out of memory" : message)")
      }
      return decoding
    }
  }

  /// The job thread's part of a decode: header, OpenCV's transformations, rows.
  private static let decodeWork: @convention(c) (UnsafeMutableRawPointer) -> Void = { raw in
    let job = raw.assumingMemoryBound(to: DecodeJob.self)
    guard
      let png = png_create_read_struct(
        PNG_LIBPNG_VER_STRING, job.pointee.message, failure, warning)
    else {
      CodecThread.abandon()
    }
    job.pointee.png = png
    job.pointee.info = png_create_info_struct(png)
    guard let info = job.pointee.info else { CodecThread.abandon() }
    png_set_read_fn(png, raw) { png, destination, length in
      guard let png, let state = png_get_io_ptr(png) else { return }
      let job = state.assumingMemoryBound(to: DecodeJob.self)
      guard let input = job.pointee.input, let destination,
        job.pointee.inputCount - job.pointee.position >= length
      else {
        png_error(png, "the file ends early (truncated)")
      }
      memcpy(destination, input + job.pointee.position, length)
      job.pointee.position += length
    }
    png_read_info(png, info)
    let colorType = Int32(png_get_color_type(png, info))
    let bitDepth = Int32(png_get_bit_depth(png, info))
    job.pointee.colorType = colorType
    if job.pointee.headerOnly { return }
    let fileColor = colorType & PNG_COLOR_MASK_COLOR != 0
    let wantsColor: Bool
    switch job.pointee.color {
    case .color: wantsColor = true
    case .gray: wantsColor = false
    case .native: wantsColor = colorType != PNG_COLOR_TYPE_GRAY
    }
    // The transformations and their order are OpenCV's (PngDecoder::readData).
    if bitDepth == 16 { png_set_strip_16(png) }
    png_set_strip_alpha(png)
    if colorType == PNG_COLOR_TYPE_PALETTE { png_set_palette_to_rgb(png) }
    if !fileColor && bitDepth < 8 { png_set_expand_gray_1_2_4_to_8(png) }
    if fileColor && wantsColor {
      png_set_bgr(png)
    } else if wantsColor {
      png_set_gray_to_rgb(png)
    } else {
      png_set_rgb_to_gray(png, PNG_ERROR_ACTION_NONE, 0.299, 0.587)
    }
    _ = png_set_interlace_handling(png)
    png_read_update_info(png, info)
    let height = Int(png_get_image_height(png, info))
    let width = Int(png_get_image_width(png, info))
    let channels = Int(png_get_channels(png, info))
    guard png_get_rowbytes(png, info) == width * channels,
      let memory = malloc(max(1, height * width * channels)),
      let rowMemory = malloc(height * MemoryLayout<png_bytep?>.stride)
    else {
      png_error(png, "the image is too large or has an unexpected row size")
    }
    let output = memory.assumingMemoryBound(to: UInt8.self)
    let rows = rowMemory.assumingMemoryBound(to: png_bytep?.self)
    job.pointee.output = output
    job.pointee.rows = rows
    for y in 0..<height { rows[y] = output + y * width * channels }
    png_read_image(png, rows)
    png_read_end(png, nil)
    job.pointee.height = height
    job.pointee.width = width
    job.pointee.channels = channels
  }

  // MARK: - Encoding

  /// The state of one encode; the job thread reaches it only through a raw pointer.
  private struct EncodeJob {
    /// libpng's error message (the error pointer), as C text.
    var message: UnsafeMutablePointer<CChar>
    var png: png_structp?
    var info: png_infop?
    /// The (H, W, C) pixels to encode.
    var pixels: UnsafePointer<UInt8>
    var height: Int
    var width: Int
    var channels: Int
    /// The encoded bytes so far (malloc'ed): `capacity` bytes, the first `count` written.
    var output: UnsafeMutablePointer<UInt8>?
    var capacity = 0
    var count = 0
  }

  /// Owns an ``EncodeJob`` on the calling thread and frees libpng's state with it.
  private final class Encoding {
    let job = UnsafeMutablePointer<EncodeJob>.allocate(capacity: 1)

    init(pixels: UnsafePointer<UInt8>, image: Image) {
      job.initialize(
        to: EncodeJob(
          message: .allocate(capacity: PNGCodec.messageLength), pixels: pixels,
          height: image.height, width: image.width, channels: image.channels))
      job.pointee.message.initialize(repeating: 0, count: PNGCodec.messageLength)
    }

    deinit {
      if job.pointee.png != nil { png_destroy_write_struct(&job.pointee.png, &job.pointee.info) }
      free(job.pointee.output)
      job.pointee.message.deallocate()
      job.deallocate()
    }
  }

  /// The job thread's part of an encode.
  private static let encodeWork: @convention(c) (UnsafeMutableRawPointer) -> Void = { raw in
    let job = raw.assumingMemoryBound(to: EncodeJob.self)
    guard
      let png = png_create_write_struct(
        PNG_LIBPNG_VER_STRING, job.pointee.message, failure, warning)
    else {
      CodecThread.abandon()
    }
    job.pointee.png = png
    job.pointee.info = png_create_info_struct(png)
    guard let info = job.pointee.info else { CodecThread.abandon() }
    png_set_write_fn(
      png, raw,
      { png, source, length in
        guard let png, let state = png_get_io_ptr(png), let source else { return }
        let job = state.assumingMemoryBound(to: EncodeJob.self)
        PNGCodec.append(source, count: length, to: job, png: png)
      }, { _ in })
    let colorType = job.pointee.channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY
    png_set_IHDR(
      png, info, png_uint_32(job.pointee.width), png_uint_32(job.pointee.height), 8, colorType,
      PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE)
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB)
    png_set_compression_level(png, 1)
    // zlib's Z_RLE.
    png_set_compression_strategy(png, 3)
    png_write_info(png, info)
    if job.pointee.channels == 3 { png_set_bgr(png) }
    let rowBytes = job.pointee.width * job.pointee.channels
    for y in 0..<job.pointee.height {
      png_write_row(png, job.pointee.pixels + y * rowBytes)
    }
    png_write_end(png, nil)
  }

  /// Appends encoded bytes to the job's buffer, doubling it (64 KiB at first) as needed.
  private static func append(
    _ source: UnsafeMutablePointer<UInt8>, count: Int, to job: UnsafeMutablePointer<EncodeJob>,
    png: png_structp
  ) {
    let needed = job.pointee.count + count
    if needed > job.pointee.capacity {
      let capacity = max(65_536, needed, job.pointee.capacity * 2)
      guard let memory = realloc(job.pointee.output, capacity) else {
        png_error(png, "out of memory")
      }
      job.pointee.output = memory.assumingMemoryBound(to: UInt8.self)
      job.pointee.capacity = capacity
    }
    guard let output = job.pointee.output else { return }
    memcpy(output + job.pointee.count, source, count)
    job.pointee.count = needed
  }
}
