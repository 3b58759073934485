// JPEG decoding and encoding through libjpeg-turbo, set up as OpenCV's JPEG codec sets it up.

import CJPEG
import CaffeSupport
import Foundation

/// JPEG files through libjpeg-turbo, set up as OpenCV's JPEG codec sets it up.
///
/// OpenCV's choices: the library's default (accurate integer) IDCT and fancy upsampling; colour as BGR; gray as libjpeg's own grayscale output
/// (the luma channel of a YCbCr file); CMYK files converted with OpenCV's formulas
/// (``CMYKConversion``); quality 95 when encoding. Every libjpeg call runs on a
/// ``CodecThread``, so a corrupt file is an error, never an exit.
enum JPEGCodec {
  /// The longest message libjpeg formats (its `JMSG_LENGTH_MAX`), in bytes.
  private static let messageLength = 200

  /// Decodes a JPEG file.
  ///
  /// - Throws: `CaffeError.invalidFile` naming `name`, with libjpeg's message.
  static func decode(_ bytes: [UInt8], color: ImageColorMode, name: String) throws -> Image {
    let decoding = try Decoding.run(bytes, color: color, headerOnly: false, name: name)
    let job = decoding.job.pointee
    guard let output = job.output, job.pixelsRead else {
      throw CaffeError.invalidFile(
        path: name, reason: "is not a readable JPEG image (its scanlines could not be read)")
    }
    let raw = Array(
      UnsafeBufferPointer(start: output, count: job.height * job.width * job.channels))
    if job.channels == 4 {
      return job.wantsColor
        ? CMYKConversion.bgr(fromCMYK: raw, height: job.height, width: job.width)
        : CMYKConversion.gray(fromCMYK: raw, height: job.height, width: job.width)
    }
    return Image(unchecked: job.height, job.width, job.channels, raw)
  }

  /// 3 when the file has more than one colour component, else 1; only the header is read.
  ///
  /// - Throws: `CaffeError.invalidFile` naming `name`, with libjpeg's message.
  static func nativeChannels(_ bytes: [UInt8], name: String) throws -> Int {
    let decoding = try Decoding.run(bytes, color: .native, headerOnly: true, name: name)
    return decoding.job.pointee.components > 1 ? 3 : 1
  }

  /// Encodes `image` as a baseline JPEG of quality 95 (YCbCr with 2×2 chroma subsampling for
  /// colour, one component for gray).
  ///
  /// - Throws: `CaffeError.invalidData` with libjpeg's message.
  static func encode(_ image: Image) throws -> [UInt8] {
    try image.pixels.withUnsafeBufferPointer { pixels in
      guard let base = pixels.baseAddress else { return [] }
      let encoding = Encoding(pixels: base, image: image)
      let finished = try CodecThread.run(encodeWork, state: UnsafeMutableRawPointer(encoding.job))
      let job = encoding.job.pointee
      guard finished, let output = job.output else {
        throw CaffeError.invalidData(
          layer: "", reason: "cannot encode a JPEG image: " + encoding.message())
      }
      return Array(UnsafeBufferPointer(start: output, count: job.count))
    }
  }

  /// libjpeg's text for the last message it recorded in `errors`.
  private static func message(
    _ errors: UnsafeMutablePointer<jpeg_error_mgr>, _ common: UnsafeMutableRawPointer
  ) -> String {
    var text = [CChar](repeating: 0, count: messageLength)
    errors.pointee.format_message(common.assumingMemoryBound(to: jpeg_common_struct.self), &text)
    return String(cString: text)
  }

  // MARK: - Decoding

  /// The state of one decode; the job thread reaches it only through a raw pointer.
  private struct DecodeJob {
    var info: UnsafeMutablePointer<jpeg_decompress_struct>
    var errors: UnsafeMutablePointer<jpeg_error_mgr>
    /// The first warning libjpeg gave, as C text (empty when none).
    var warning: UnsafeMutablePointer<CChar>
    var input: UnsafePointer<UInt8>?
    var inputCount = 0
    var color = ImageColorMode.color
    var headerOnly = false
    /// The file's colour components (libjpeg's `num_components`).
    var components = 0
    var wantsColor = false
    /// The decoded (H, W, C) bytes, malloc'ed.
    var output: UnsafeMutablePointer<UInt8>?
    var height = 0
    var width = 0
    var channels = 0
    var pixelsRead = false
  }

  /// Owns a ``DecodeJob`` on the calling thread and frees libjpeg's state with it.
  private final class Decoding {
    let job = UnsafeMutablePointer<DecodeJob>.allocate(capacity: 1)

    private init(color: ImageColorMode, headerOnly: Bool) {
      job.initialize(
        to: DecodeJob(
          info: .allocate(capacity: 1), errors: .allocate(capacity: 1),
          warning: .allocate(capacity: JPEGCodec.messageLength)))
      job.pointee.info.initialize(to: jpeg_decompress_struct())
      job.pointee.errors.initialize(to: jpeg_error_mgr())
      job.pointee.warning.initialize(repeating: 0, count: JPEGCodec.messageLength)
      job.pointee.color = color
      job.pointee.headerOnly = headerOnly
    }

    deinit {
      // Safe in any state libjpeg was left in, as after a longjmp.
      jpeg_destroy_decompress(job.pointee.info)
      free(job.pointee.output)
      job.pointee.info.deallocate()
      job.pointee.errors.deallocate()
      job.pointee.warning.deallocate()
      job.deallocate()
    }

    /// Decodes `bytes` (or only its header) on a ``CodecThread``; logs libjpeg's first warning.
    ///
    /// - Throws: `CaffeError.invalidFile` naming `name` when libjpeg stopped with an error.
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
        let message = JPEGCodec.message(
          job.pointee.errors, UnsafeMutableRawPointer(job.pointee.info))
        throw CaffeError.invalidFile(path: name, reason: "is not a readable JPEG image: \(message)")
      }
      if job.pointee.warning.pointee != 0 {
        Log.warning("\(name): \(String(cString: job.pointee.warning))")
      }
      return decoding
    }
  }

  /// The job thread's part of a decode: header, colour choice, scanlines.
  private static let decodeWork: @convention(c) (UnsafeMutableRawPointer) -> Void = { raw in
    let job = raw.assumingMemoryBound(to: DecodeJob.self)
    let info = job.pointee.info
    info.pointee.err = jpeg_std_error(job.pointee.errors)
    job.pointee.errors.pointee.error_exit = { _ in CodecThread.abandon() }
    job.pointee.errors.pointee.output_message = { common in
      guard let common, let state = common.pointee.client_data else { return }
      let job = state.assumingMemoryBound(to: DecodeJob.self)
      common.pointee.err.pointee.format_message(common, job.pointee.warning)
    }
    jpeg_CreateDecompress(info, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
    info.pointee.client_data = raw
    jpeg_mem_src(info, job.pointee.input, UInt(job.pointee.inputCount))
    _ = jpeg_read_header(info, 1)
    let components = Int(info.pointee.num_components)
    job.pointee.components = components
    if job.pointee.headerOnly { return }
    switch job.pointee.color {
    case .color: job.pointee.wantsColor = true
    case .gray: job.pointee.wantsColor = false
    case .native: job.pointee.wantsColor = components > 1
    }
    // OpenCV asks for CMYK from four-component files and converts it itself.
    if components == 4 {
      info.pointee.out_color_space = JCS_CMYK
    } else {
      info.pointee.out_color_space = job.pointee.wantsColor ? JCS_EXT_BGR : JCS_GRAYSCALE
    }
    _ = jpeg_start_decompress(info)
    let width = Int(info.pointee.output_width)
    let height = Int(info.pointee.output_height)
    let channels = Int(info.pointee.output_components)
    guard let memory = malloc(max(1, height * width * channels)) else { return }
    let output = memory.assumingMemoryBound(to: UInt8.self)
    job.pointee.output = output
    job.pointee.height = height
    job.pointee.width = width
    job.pointee.channels = channels
    while info.pointee.output_scanline < info.pointee.output_height {
      var row: JSAMPROW? = output + Int(info.pointee.output_scanline) * width * channels
      if jpeg_read_scanlines(info, &row, 1) == 0 { return }
    }
    // As in OpenCV, the image counts as read even if finishing the file fails.
    job.pointee.pixelsRead = true
    _ = jpeg_finish_decompress(info)
  }

  // MARK: - Encoding

  /// The state of one encode; the job thread reaches it only through a raw pointer.
  private struct EncodeJob {
    var info: UnsafeMutablePointer<jpeg_compress_struct>
    var errors: UnsafeMutablePointer<jpeg_error_mgr>
    var destination: UnsafeMutablePointer<jpeg_destination_mgr>
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

  /// Owns an ``EncodeJob`` on the calling thread and frees libjpeg's state with it.
  private final class Encoding {
    let job = UnsafeMutablePointer<EncodeJob>.allocate(capacity: 1)

    init(pixels: UnsafePointer<UInt8>, image: Image) {
      job.initialize(
        to: EncodeJob(
          info: .allocate(capacity: 1), errors: .allocate(capacity: 1),
          destination: .allocate(capacity: 1), pixels: pixels, height: image.height,
          width: image.width, channels: image.channels))
      job.pointee.info.initialize(to: jpeg_compress_struct())
      job.pointee.errors.initialize(to: jpeg_error_mgr())
      job.pointee.destination.initialize(to: jpeg_destination_mgr())
    }

    deinit {
      jpeg_destroy_compress(job.pointee.info)
      free(job.pointee.output)
      job.pointee.info.deallocate()
      job.pointee.errors.deallocate()
      job.pointee.destination.deallocate()
      job.deallocate()
    }

    /// libjpeg's text for the error that stopped the encode.
    func message() -> String {
      JPEGCodec.message(job.pointee.errors, UnsafeMutableRawPointer(job.pointee.info))
    }
  }

  /// The job thread's part of an encode.
  private static let encodeWork: @convention(c) (UnsafeMutableRawPointer) -> Void = { raw in
    let job = raw.assumingMemoryBound(to: EncodeJob.self)
    let info = job.pointee.info
    info.pointee.err = jpeg_std_error(job.pointee.errors)
    job.pointee.errors.pointee.error_exit = { _ in CodecThread.abandon() }
    job.pointee.errors.pointee.output_message = { _ in }
    jpeg_CreateCompress(info, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
    info.pointee.client_data = raw
    let destination = job.pointee.destination
    destination.pointee.init_destination = { info in
      guard let info, let state = info.pointee.client_data else { return }
      JPEGCodec.grow(state.assumingMemoryBound(to: EncodeJob.self), info)
    }
    destination.pointee.empty_output_buffer = { info in
      guard let info, let state = info.pointee.client_data else { return 0 }
      JPEGCodec.grow(state.assumingMemoryBound(to: EncodeJob.self), info)
      return 1
    }
    destination.pointee.term_destination = { info in
      guard let info, let state = info.pointee.client_data else { return }
      let job = state.assumingMemoryBound(to: EncodeJob.self)
      job.pointee.count = job.pointee.capacity - Int(info.pointee.dest.pointee.free_in_buffer)
    }
    info.pointee.dest = destination
    info.pointee.image_width = JDIMENSION(job.pointee.width)
    info.pointee.image_height = JDIMENSION(job.pointee.height)
    info.pointee.input_components = Int32(job.pointee.channels)
    info.pointee.in_color_space = job.pointee.channels == 3 ? JCS_EXT_BGR : JCS_GRAYSCALE
    jpeg_set_defaults(info)
    jpeg_set_quality(info, 95, 1)
    jpeg_start_compress(info, 1)
    let rowBytes = job.pointee.width * job.pointee.channels
    while info.pointee.next_scanline < info.pointee.image_height {
      let start = job.pointee.pixels + Int(info.pointee.next_scanline) * rowBytes
      var row: JSAMPROW? = UnsafeMutablePointer(mutating: start)
      _ = jpeg_write_scanlines(info, &row, 1)
    }
    jpeg_finish_compress(info)
  }

  /// Doubles the encode buffer (64 KiB at first) and points libjpeg at its free part; abandons
  /// the job when memory runs out.
  private static func grow(
    _ job: UnsafeMutablePointer<EncodeJob>, _ info: UnsafeMutablePointer<jpeg_compress_struct>
  ) {
    let used = job.pointee.capacity
    let capacity = max(65_536, used * 2)
    guard let memory = realloc(job.pointee.output, capacity) else { CodecThread.abandon() }
    let output = memory.assumingMemoryBound(to: UInt8.self)
    job.pointee.output = output
    job.pointee.capacity = capacity
    info.pointee.dest.pointee.next_output_byte = output + used
    info.pointee.dest.pointee.free_in_buffer = capacity - used
  }
}
