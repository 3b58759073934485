// Im2col layer: a convolution's patch matrix as a blob, with col2im as its backward.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// "Im2col": unrolls every image into the column matrix a convolution multiplies by its weights
/// (Caffe's `Im2colLayer`).
///
/// Channel `(c·kH + i)·kW + j` of the top at output position `(y, x)` is the bottom pixel
/// `(c, y·strideH − padH + i·dilationH, x·strideW − padW + j·dilationW)`, or 0 in the padding
/// (``Im2Col``). Output size per spatial axis:
/// `⌊(in + 2·pad − (dilation·(kernel − 1) + 1)) / stride⌋ + 1`.
///
/// Parameters (`convolution_param`; `num_output`, `group`, `bias_term` and the fillers are
/// ignored):
/// - `kernel_size` (once, or once per spatial axis) or `kernel_h` + `kernel_w` (2-D only).
/// - `pad` (default 0), `stride` (default 1), `dilation` (default 1): each absent, once, or once
///   per spatial axis; `pad_h`/`pad_w` and `stride_h`/`stride_w` are the 2-D alternatives.
/// - `axis` (default 1): the channel axis; the axes before it are batch axes, those after it
///   spatial axes (at least one).
/// - `force_nd_im2col` is accepted: the N-D and 2-D kernels give the same numbers.
///
/// - bottom[0]: (N, C, H, W), or any (batch…, C, spatial…).
/// - top[0]: (N, C·kH·kW, H_out, W_out), or (batch…, C·∏kernel, out…).
///
/// Backward overwrites `bottom[0].diff` with col2im of the top's diff: each column entry is added
/// to the pixel it was read from.
///
/// - Throws: `CaffeError.invalidParameter` for per-axis fields given the wrong number of times,
///   `_h`/`_w` fields with other than 2 spatial axes or together with the repeated field, a zero
///   kernel, stride or dilation, no spatial axis, or a kernel that does not fit the padded bottom;
///   `CaffeError.invalidNet` if the bottom's number of axes changes after setup.
public final class Im2colLayer: Layer {
  override public class var type: String { "Im2col" }
  override public class var bottomCount: BlobCount { .exactly(1) }
  override public class var topCount: BlobCount { .exactly(1) }

  private var channelAxis = 1
  private var setupAxes = 0
  private var kernel: [Int] = []
  private var pad: [Int] = []
  private var stride: [Int] = []
  private var dilation: [Int] = []

  /// Reads the per-axis fields of `convolution_param` for the bottom's spatial axes.
  /// - Throws: `CaffeError.invalidParameter` as the class describes.
  override public func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    let conv = param.convolutionParam
    channelAxis = try axisIndex(Int(conv.axis), of: bottom[0], field: "axis")
    setupAxes = bottom[0].numAxes
    let axes = setupAxes - channelAxis - 1
    guard axes >= 1 else {
      throw invalid(
        "axis",
        "channel axis \(channelAxis) leaves no spatial axis in bottom \"\(bottomName(0))\" "
          + "with shape \(bottom[0].shape)")
    }
    let window = try ConvolutionWindow(of: self, axes: axes)
    kernel = window.kernel
    stride = window.stride
    pad = window.pad
    dilation = window.dilation
  }

  /// Shapes the top (batch…, C·∏kernel, out…).
  /// - Throws: `CaffeError.invalidNet` if the number of axes changed since setup;
  ///   `CaffeError.invalidParameter` if the kernel does not fit the padded bottom.
  override public func reshape(bottom: [Blob], top: [Blob]) throws {
    let input = bottom[0]
    guard input.numAxes == setupAxes else {
      throw CaffeError.invalidNet(
        reason: "layer \"\(name)\" (Im2col): bottom \"\(bottomName(0))\" now has shape "
          + "\(input.shape); it had \(setupAxes) axes at setup and must keep them")
    }
    var shape = input.shape
    shape[channelAxis] *= kernel.reduce(1, *)
    for axis in kernel.indices {
      let size = input.shape[channelAxis + 1 + axis]
      let output = Im2Col.outputSize(size, kernel[axis], pad[axis], stride[axis], dilation[axis])
      guard output > 0 else {
        throw invalid(
          "kernel_size",
          "the kernel \(kernel[axis]) (dilation \(dilation[axis])) does not fit spatial axis "
            + "\(axis) of bottom \"\(bottomName(0))\" (size \(size), pad \(pad[axis]))")
      }
      shape[channelAxis + 1 + axis] = output
    }
    try top[0].reshape(shape)
  }

  override public func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (images, imageCount, columnCount, channels, spatial) = layout(bottom[0], top[0])
    let input = bottom[0].data
    let output = top[0].data
    Parallel.forEach(count: images) { n in
      let image = input + n * imageCount
      let col = output + n * columnCount
      if spatial.count == 2 {
        Im2Col.im2col(
          image: image, channels: channels, height: spatial[0], width: spatial[1],
          kernelH: kernel[0], kernelW: kernel[1], padH: pad[0], padW: pad[1],
          strideH: stride[0], strideW: stride[1], dilationH: dilation[0],
          dilationW: dilation[1], into: col)
      } else {
        Im2Col.im2colND(
          image: image, channels: channels, inputShape: spatial, kernel: kernel, pad: pad,
          stride: stride, dilation: dilation, into: col)
      }
    }
  }

  override public func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    guard propagateDown[0] else { return }
    let (images, imageCount, columnCount, channels, spatial) = layout(bottom[0], top[0])
    let diff = top[0].diff
    let output = bottom[0].diff
    Parallel.forEach(count: images) { n in
      let col = diff + n * columnCount
      let image = output + n * imageCount
      if spatial.count == 2 {
        Im2Col.col2im(
          col: col, channels: channels, height: spatial[0], width: spatial[1],
          kernelH: kernel[0], kernelW: kernel[1], padH: pad[0], padW: pad[1],
          strideH: stride[0], strideW: stride[1], dilationH: dilation[0],
          dilationW: dilation[1], into: image)
      } else {
        Im2Col.col2imND(
          col: col, channels: channels, inputShape: spatial, kernel: kernel, pad: pad,
          stride: stride, dilation: dilation, into: image)
      }
    }
  }

  // MARK: - Helpers

  /// The number of images, the element counts of one image and of its columns, C, and the
  /// spatial input sizes.
  private func layout(_ bottom: Blob, _ top: Blob) -> (Int, Int, Int, Int, [Int]) {
    (
      bottom.count(from: 0, to: channelAxis), bottom.count(from: channelAxis),
      top.count(from: channelAxis), bottom.shape[channelAxis],
      Array(bottom.shape[(channelAxis + 1)...])
    )
  }
}
