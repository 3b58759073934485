// The per-axis kernel, stride, pad and dilation that Convolution, Deconvolution and Im2col read.

import CaffeProto

/// A `ConvolutionParameter`'s window, one value per spatial axis.
///
/// Each field is given once (the same for every axis), once per axis, or, for 2 spatial axes
/// only, as its `_h`/`_w` pair. Defaults: stride 1, pad 0, dilation 1; `kernel_size` is required.
struct ConvolutionWindow {
  /// Kernel extent per spatial axis.
  let kernel: [Int]
  /// Step between windows per spatial axis.
  let stride: [Int]
  /// Zero padding on both sides of each spatial axis.
  let pad: [Int]
  /// Spacing between kernel taps per spatial axis.
  let dilation: [Int]

  /// Reads the window of `layer`'s `convolution_param` for `axes` spatial axes.
  /// - Throws: `CaffeError.invalidParameter` naming the field: `_h`/`_w` with other than 2 axes
  ///   or together with the repeated field, a count other than 1 or `axes`, a missing kernel
  ///   size, or a zero kernel, stride or dilation.
  init(of layer: Layer, axes: Int) throws {
    let conv = layer.param.convolutionParam
    kernel = try Self.perAxis(
      layer, "kernel_size", conv.kernelSize, hw: ("kernel_h", "kernel_w"),
      given: conv.hasKernelH || conv.hasKernelW ? (conv.kernelH, conv.kernelW) : nil,
      defaultValue: nil, axes: axes)
    stride = try Self.perAxis(
      layer, "stride", conv.stride, hw: ("stride_h", "stride_w"),
      given: conv.hasStrideH || conv.hasStrideW ? (conv.strideH, conv.strideW) : nil,
      defaultValue: 1, axes: axes)
    pad = try Self.perAxis(
      layer, "pad", conv.pad, hw: ("pad_h", "pad_w"),
      given: conv.hasPadH || conv.hasPadW ? (conv.padH, conv.padW) : nil,
      defaultValue: 0, axes: axes)
    dilation = try Self.perAxis(
      layer, "dilation", conv.dilation, hw: nil, given: nil, defaultValue: 1, axes: axes)
    for (field, values) in [("kernel_size", kernel), ("stride", stride), ("dilation", dilation)] {
      if let axis = values.firstIndex(of: 0) {
        throw layer.invalid(field, "must be positive, got 0 for spatial axis \(axis)")
      }
    }
  }

  /// One value per spatial axis from a repeated field, or from its `_h`/`_w` pair.
  private static func perAxis(
    _ layer: Layer, _ field: String, _ repeated: [UInt32], hw: (String, String)?,
    given: (UInt32, UInt32)?, defaultValue: Int?, axes: Int
  ) throws -> [Int] {
    if let given, let hw {
      guard axes == 2 else {
        throw layer.invalid(
          hw.0,
          "\(hw.0) and \(hw.1) can only be used with 2 spatial axes; the bottom has \(axes) "
            + "(use \(field))")
      }
      guard repeated.isEmpty else {
        throw layer.invalid(field, "give either \(field) or \(hw.0)/\(hw.1), not both")
      }
      return [Int(given.0), Int(given.1)]
    }
    if repeated.isEmpty, let defaultValue { return Array(repeating: defaultValue, count: axes) }
    guard repeated.count == 1 || repeated.count == axes else {
      throw layer.invalid(
        field,
        "given \(repeated.count) times for \(axes) spatial axes; give it once or once per axis")
    }
    return (0..<axes).map { Int(repeated[repeated.count == 1 ? 0 : $0]) }
  }
}
