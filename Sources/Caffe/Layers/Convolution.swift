// Convolution layers: the shared geometry and weights (BaseConvolutionLayer), Convolution and
// Deconvolution.

import CaffeKernels
import CaffeProto
import CaffeSupport

/// The part Convolution and Deconvolution share: reading `convolution_param`, the weight and bias
/// blobs, and the checks on the bottoms.
///
/// Parameters (`convolution_param`):
/// - `num_output` (required, > 0): O, the number of filters.
/// - `kernel_size` (once, or once per spatial axis) or `kernel_h` + `kernel_w` (2-D only).
/// - `pad` (default 0), `stride` (default 1), `dilation` (default 1): each absent, once, or once
///   per spatial axis; `pad_h`/`pad_w` and `stride_h`/`stride_w` are the 2-D alternatives.
/// - `group` (default 1): must divide both C and O.
/// - `bias_term` (default true), `weight_filler` and `bias_filler` (default constant 0).
/// - `axis` (default 1): the channel axis; the axes before it are batch axes, those after it
///   spatial axes, any number of them.
/// - `force_nd_im2col` is accepted: the N-D and 2-D column kernels give the same numbers.
/// - `engine` is accepted and ignored (everything runs on the CPU).
///
/// Several bottoms may be given, each with its own top; all must have the same shape and share
/// the weights. `blobs[0]` holds the weights and `blobs[1]` the bias (when `bias_term`); they are
/// filled on first setup unless the layer definition already carries them.
open class BaseConvolutionLayer: Layer {
  override open class var bottomCount: BlobCount { .atLeast(1) }
  override open class var topCount: BlobCount { .atLeast(1) }

  /// O: `num_output`.
  public let numOutput: Int
  /// The number of channel groups.
  public let group: Int
  /// Whether `blobs[1]` holds a bias.
  public let biasTerm: Bool
  /// The canonical channel axis, set by setup.
  public private(set) var channelAxis = 1
  /// C: the bottom's channel count, fixed at setup.
  public private(set) var channels = 0
  /// Kernel size per spatial axis.
  public private(set) var kernel: [Int] = []
  /// Zero padding per spatial axis.
  public private(set) var pad: [Int] = []
  /// Stride per spatial axis.
  public private(set) var stride: [Int] = []
  /// Dilation per spatial axis.
  public private(set) var dilation: [Int] = []
  /// The geometry of the current bottom shape (for Deconvolution: of its mirror convolution).
  public private(set) var geometry: ConvolutionGeometry?

  /// Scratch memory for the kernels (data only).
  let workspace = Blob()
  private var setupShape: [Int] = []

  /// Whether the layer is a transposed convolution (weights (C, O/group, kernel…)).
  open class var reverseDimensions: Bool { false }

  /// Reads the shape-independent fields of `convolution_param`.
  /// - Throws: `CaffeError.invalidParameter` for a zero `num_output` or `group`, `group` not
  ///   dividing `num_output`, or both `kernel_size` and `kernel_h`/`kernel_w` given.
  public required init(_ param: LayerParameter) throws {
    let conv = param.convolutionParam
    numOutput = Int(conv.numOutput)
    group = Int(conv.group)
    biasTerm = conv.biasTerm
    try super.init(param)
    guard numOutput > 0 else { throw invalid("num_output", "must be positive, got 0") }
    guard group > 0 else { throw invalid("group", "must be positive, got 0") }
    guard numOutput % group == 0 else {
      throw invalid("group", "num_output \(numOutput) is not a multiple of group \(group)")
    }
  }

  /// Reads the per-axis fields for the bottom's spatial axes and creates or checks the weights.
  /// - Throws: `CaffeError.blobCount` if bottoms and tops differ in number;
  ///   `CaffeError.invalidParameter` for per-axis fields given the wrong number of times, zero
  ///   kernel, stride or dilation, `group` not dividing the channels, or stored blobs in the wrong
  ///   number; `CaffeError.shapeMismatch` for stored blobs of the wrong shape.
  override open func layerSetUp(bottom: [Blob], top: [Blob]) throws {
    guard bottom.count == top.count else {
      throw CaffeError.blobCount(
        layer: name, type: typeName, side: "top",
        expected: "exactly \(bottom.count) (one per bottom)",
        actual: top.count)
    }
    let conv = param.convolutionParam
    channelAxis = try axisIndex(Int(conv.axis), of: bottom[0], field: "axis")
    setupShape = bottom[0].shape
    let axes = bottom[0].numAxes - channelAxis - 1
    let window = try ConvolutionWindow(of: self, axes: axes)
    kernel = window.kernel
    stride = window.stride
    pad = window.pad
    dilation = window.dilation
    channels = bottom[0].shape[channelAxis]
    guard channels % group == 0 else {
      throw invalid(
        "group", "the bottom's \(channels) channels are not a multiple of group \(group)")
    }
    let weightShape =
      (Self.reverseDimensions
        ? [channels, numOutput / group] : [numOutput, channels / group]) + kernel
    try setUpParameterBlobs(
      weightShape: weightShape, biasShape: biasTerm ? [numOutput] : nil,
      weightFiller: conv.weightFiller, biasFiller: conv.biasFiller)
  }

  /// Checks the bottoms, computes the geometry and shapes the tops (N…, O, outputShape…).
  /// - Throws: `CaffeError.shapeMismatch` if the bottom's axes or channels changed since setup or
  ///   the bottoms differ in shape; `CaffeError.invalidParameter` if the kernel does not fit.
  override open func reshape(bottom: [Blob], top: [Blob]) throws {
    let first = bottom[0]
    guard first.numAxes == setupShape.count else {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(0), expected: setupShape, actual: first.shape)
    }
    guard first.shape[channelAxis] == channels else {
      var expected = first.shape
      expected[channelAxis] = channels
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(0), expected: expected, actual: first.shape)
    }
    for index in bottom.indices.dropFirst() where bottom[index].shape != first.shape {
      throw CaffeError.shapeMismatch(
        layer: name, blob: bottomName(index), expected: first.shape, actual: bottom[index].shape)
    }
    let batch = first.count(from: 0, to: channelAxis)
    let spatialShape = Array(first.shape[(channelAxis + 1)...])
    let g = try makeGeometry(batch: batch, spatialShape: spatialShape, bottomShape: first.shape)
    geometry = g
    let topSpatial = Self.reverseDimensions ? g.inputShape : g.outputShape
    let topShape = Array(first.shape[..<channelAxis]) + [numOutput] + topSpatial
    for blob in top { try blob.reshape(topShape) }
    try workspace.reshape([ConvolutionKernels.workspaceCount(g)])
  }

  /// The kernels' geometry for a bottom of `batch` images with spatial sizes `spatialShape`.
  /// - Throws: `CaffeError.invalidParameter` if the output would be empty.
  open func makeGeometry(batch: Int, spatialShape: [Int], bottomShape: [Int]) throws
    -> ConvolutionGeometry
  {
    throw CaffeError.invalidNet(reason: "layer type \(typeName) does not define its geometry")
  }

  /// The weight, the bias (or `nil`) and the geometry, once reshape has run.
  func parameters() throws -> (ConvolutionGeometry, Blob, Blob?) {
    guard let geometry else {
      throw CaffeError.invalidNet(reason: "layer \"\(name)\" (\(typeName)) ran before setup")
    }
    return (geometry, blobs[0], biasTerm ? blobs[1] : nil)
  }

  /// The kernels of this direction (Deconvolution runs Convolution's passes swapped).
  private var kernels: any ConvolutionKernelSet.Type {
    Self.reverseDimensions ? DeconvolutionKernels.self : ConvolutionKernels.self
  }

  /// Runs the forward kernel on each bottom/top pair.
  override open func forwardCPU(bottom: [Blob], top: [Blob]) throws {
    let (g, weight, bias) = try parameters()
    for (input, output) in zip(bottom, top) {
      kernels.forward(
        g, input: input.data, weight: weight.data, bias: bias.map { UnsafePointer($0.data) },
        into: output.data, workspace: workspace.data)
    }
  }

  /// Overwrites each `bottom[i].diff` (where `propagateDown[i]`) and accumulates into the weight
  /// and bias diffs.
  override open func backwardCPU(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
    let (g, weight, bias) = try parameters()
    let weightDiff = propagatesToParameter(0) ? weight.diff : nil
    let biasDiff = propagatesToParameter(1) ? bias?.diff : nil
    // The top's spatial size: Deconvolution's top is its mirror convolution's input.
    let topSpatial = Self.reverseDimensions ? g.inputSpatialCount : g.outputSpatialCount
    for (index, (input, output)) in zip(bottom, top).enumerated() {
      if let weightDiff {
        kernels.backwardWeight(
          g, input: input.data, outputDiff: output.diff, accumulatingInto: weightDiff,
          biasAccumulatingInto: biasDiff, workspace: workspace.data)
      } else if let biasDiff {
        ConvolutionKernels.biasBackward(
          diff: output.diff, batch: g.batch, channels: numOutput, spatial: topSpatial,
          accumulatingInto: biasDiff)
      }
      if propagateDown[index] {
        kernels.backwardInput(
          g, outputDiff: output.diff, weight: weight.data, into: input.diff,
          workspace: workspace.data)
      }
    }
  }
}

// MARK: - Convolution

/// "Convolution": `y[n, o] = Σ_c W[o, c] ⊛ x[n, c] + b[o]`, summed within each channel group,
/// computed as im2col + GEMM over the whole mini-batch (Caffe's `ConvolutionLayer`).
///
/// Output size per spatial axis: `⌊(in + 2·pad − (dilation·(kernel − 1) + 1)) / stride⌋ + 1`.
/// Parameters: see ``BaseConvolutionLayer``.
///
/// - bottom[i]: (N, C, H, W) — or any (batch…, C, spatial…) with the channel axis at `axis`.
/// - top[i]: (N, O, H_out, W_out).
/// - blobs: weight (O, C/group, kH, kW), bias (O).
///
/// Backward overwrites each `bottom[i].diff` (where `propagateDown[i]`) and accumulates into the
/// weight and bias diffs.
///
/// - Throws: `CaffeError.invalidParameter`, `.shapeMismatch` or `.blobCount` as described in
///   ``BaseConvolutionLayer``.
public final class ConvolutionLayer: BaseConvolutionLayer {
  override public class var type: String { "Convolution" }

  override public func makeGeometry(batch: Int, spatialShape: [Int], bottomShape: [Int]) throws
    -> ConvolutionGeometry
  {
    for axis in spatialShape.indices {
      let extent = dilation[axis] * (kernel[axis] - 1) + 1
      let padded = spatialShape[axis] + 2 * pad[axis]
      guard extent <= padded else {
        throw invalid(
          "kernel_size",
          "the kernel spans \(extent) along spatial axis \(axis) but the padded "
            + "bottom \"\(bottomName(0))\" (shape \(bottomShape)) is only \(padded) wide")
      }
    }
    return ConvolutionGeometry(
      batch: batch, inputChannels: channels, inputShape: spatialShape, outputChannels: numOutput,
      kernel: kernel, pad: pad, stride: stride, dilation: dilation, group: group)
  }
}

// MARK: - Deconvolution

/// "Deconvolution": the transposed convolution, the adjoint of ``ConvolutionLayer`` with the
/// same `convolution_param` (Caffe's `DeconvolutionLayer`).
///
/// Output size per spatial axis: `stride·(in − 1) + dilation·(kernel − 1) + 1 − 2·pad`.
/// Parameters: see ``BaseConvolutionLayer``.
///
/// - bottom[i]: (N, C, H, W).
/// - top[i]: (N, O, H_out, W_out).
/// - blobs: weight (C, O/group, kH, kW), bias (O).
///
/// Backward overwrites each `bottom[i].diff` (where `propagateDown[i]`) and accumulates into the
/// weight and bias diffs.
///
/// - Throws: as ``ConvolutionLayer``; `CaffeError.invalidParameter` if the output would be empty.
public final class DeconvolutionLayer: BaseConvolutionLayer {
  override public class var type: String { "Deconvolution" }
  override public class var reverseDimensions: Bool { true }

  override public func makeGeometry(batch: Int, spatialShape: [Int], bottomShape: [Int]) throws
    -> ConvolutionGeometry
  {
    let g = ConvolutionGeometry.deconvolution(
      batch: batch, inputChannels: channels, inputShape: spatialShape, outputChannels: numOutput,
      kernel: kernel, pad: pad, stride: stride, dilation: dilation, group: group)
    if let axis = g.inputShape.firstIndex(where: { $0 <= 0 }) {
      throw invalid(
        "pad",
        "the output would be \(g.inputShape[axis]) wide along spatial axis \(axis) for "
          + "bottom \"\(bottomName(0))\" (shape \(bottomShape)); reduce pad")
    }
    return g
  }
}

// MARK: - Kernel sets

/// The three passes of one direction of convolution, as ``ConvolutionKernels`` and
/// ``DeconvolutionKernels`` provide them; input is the bottom (N, C, spatial…) and output the
/// top (N, O, spatial_out…).
protocol ConvolutionKernelSet {
  /// Computes the top from the bottom, the weights and the optional bias.
  static func forward(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>,
    workspace: UnsafeMutablePointer<Float>)

  /// Overwrites the bottom diff from the top diff and the weights.
  static func backwardInput(
    _ g: ConvolutionGeometry, outputDiff: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    into inputDiff: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>)

  /// Accumulates the weight diff (and the bias diff, when given) from the bottom and top diff.
  static func backwardWeight(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
    accumulatingInto weightDiff: UnsafeMutablePointer<Float>,
    biasAccumulatingInto biasDiff: UnsafeMutablePointer<Float>?,
    workspace: UnsafeMutablePointer<Float>)
}

extension ConvolutionKernels: ConvolutionKernelSet {}

extension DeconvolutionKernels: ConvolutionKernelSet {}
