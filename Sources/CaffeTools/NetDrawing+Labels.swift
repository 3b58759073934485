// NetDrawing's node labels, edge labels and colours: the per-layer-type rules of Caffe's draw.py.

import CaffeProto
import CaffeSupport

extension NetDrawing {
  /// The fill of an in-place layer (one bottom, one top, the same blob), light green.
  public static let inPlaceColor = "#90EE90"
  /// The fill of blob octagons, light grey.
  public static let blobColor = "#E0E0E0"
  /// The fill of layers whose type has no colour of its own, cornflower blue.
  public static let defaultColor = "#6495ED"

  /// Fill colours by layer type, as Caffe's draw.py chooses them.
  public static let typeColors: [String: String] = [
    "Convolution": "#FF5050",
    "Deconvolution": "#FF5050",
    "Pooling": "#FF9900",
    "InnerProduct": "#CC33FF",
  ]

  /// The fill colour of a (not in-place) layer of type `type`: ``typeColors`` or
  /// ``defaultColor``.
  public static func fillColor(forType type: String) -> String {
    typeColors[type] ?? defaultColor
  }

  /// The record label of `layer`, already escaped for DOT: its name, `(Type)` (`(Pooling MAX)`
  /// for pooling), the kernel size, stride and pad of spatial layers and, when asked, the
  /// learning-rate multipliers, joined by `separator` (`\n` for horizontal layouts, a space
  /// for vertical ones, as Caffe's script does).
  ///
  /// - Throws: `CaffeError.invalidParameter` for a learning layer with more than two `param`
  ///   blocks when `learningRates` is true.
  static func label(of layer: LayerParameter, separator: String, learningRates: Bool) throws
    -> String
  {
    var parts = [layer.name]
    if layer.type == "Pooling" {
      parts.append("(Pooling \(poolMethodName(layer.poolingParam.pool)))")
    } else {
      parts.append("(\(layer.type))")
    }
    if let spatial = spatialDescription(of: layer) {
      parts.append(contentsOf: spatial)
    }
    if learningRates, let rates = try learningRateMultipliers(of: layer), rates != (0, 0) {
      parts.append("lr mult: \(fixed1(rates.0)), \(fixed1(rates.1))")
    }
    return parts.map(escapedRecordText).joined(separator: separator)
  }

  /// The label on edges from `layer` to its tops: `Batch N` for Data layers, `num_output` for
  /// Convolution, Deconvolution and InnerProduct layers, empty otherwise.
  static func edgeLabel(of layer: LayerParameter) -> String {
    switch layer.type {
    case "Data": return "Batch \(layer.dataParam.batchSize)"
    case "Convolution", "Deconvolution": return "\(layer.convolutionParam.numOutput)"
    case "InnerProduct": return "\(layer.innerProductParam.numOutput)"
    default: return ""
    }
  }

  /// The spatial parts of a layer's label, or nil for layers without kernels.
  ///
  /// `kernel size: k`, `stride: s`, `pad: p` for Convolution, Deconvolution and Pooling (`global
  /// pooling` for global pooling). Caffe's script prints the first value of each repeated field (or the
  /// default: kernel 1, stride 1, pad 0); here a separate height and width show as `hxw`.
  private static func spatialDescription(of layer: LayerParameter) -> [String]? {
    let kernel: String
    let stride: String
    let pad: String
    switch layer.type {
    case "Pooling":
      let p = layer.poolingParam
      if p.globalPooling {
        return ["global pooling"]
      }
      kernel = p.hasKernelH ? "\(p.kernelH)x\(p.kernelW)" : "\(p.kernelSize)"
      stride = p.hasStrideH ? "\(p.strideH)x\(p.strideW)" : "\(p.stride)"
      pad = p.hasPadH ? "\(p.padH)x\(p.padW)" : "\(p.pad)"
    case "Convolution", "Deconvolution":
      let p = layer.convolutionParam
      kernel = p.hasKernelH ? "\(p.kernelH)x\(p.kernelW)" : "\(p.kernelSize.first ?? 1)"
      stride = p.hasStrideH ? "\(p.strideH)x\(p.strideW)" : "\(p.stride.first ?? 1)"
      pad = p.hasPadH ? "\(p.padH)x\(p.padW)" : "\(p.pad.first ?? 0)"
    default:
      return nil
    }
    return ["kernel size: \(kernel)", "stride: \(stride)", "pad: \(pad)"]
  }

  /// The weight and bias `lr_mult` of a Convolution, Deconvolution or InnerProduct layer (1
  /// when not given), or nil for other types.
  ///
  /// - Throws: `CaffeError.invalidParameter` for more than two `param` blocks.
  private static func learningRateMultipliers(of layer: LayerParameter) throws
    -> (Float, Float)?
  {
    guard ["Convolution", "Deconvolution", "InnerProduct"].contains(layer.type) else {
      return nil
    }
    guard layer.param.count <= 2 else {
      throw CaffeError.invalidParameter(
        layer: layer.name, type: layer.type, field: "param",
        reason: "\(layer.param.count) param blocks given; a learning layer has at most 2 "
          + "(weights, bias)")
    }
    let rates = layer.param.map(\.lrMult)
    return (rates.first ?? 1, rates.count > 1 ? rates[1] : 1)
  }

  /// The proto name of a pooling method: `MAX`, `AVE` or `STOCHASTIC`.
  private static func poolMethodName(_ method: PoolingParameter.PoolMethod) -> String {
    switch method {
    case .max: return "MAX"
    case .ave: return "AVE"
    case .stochastic: return "STOCHASTIC"
    }
  }

  /// `value` with one decimal, as Python's `%.1f`.
  private static func fixed1(_ value: Float) -> String {
    let tenths = (Double(value) * 10).rounded()
    let sign = tenths < 0 ? "-" : ""
    let magnitude = Int(abs(tenths))
    return "\(sign)\(magnitude / 10).\(magnitude % 10)"
  }

  /// `text` escaped for a DOT record label inside double quotes: backslashes, quotes and the
  /// record syntax characters `{ } | < >` get a backslash; line breaks become spaces.
  static func escapedRecordText(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case "\\", "\"", "{", "}", "|", "<", ">":
        result.append("\\")
        result.append(character)
      case "\n", "\r\n", "\r":
        result.append(" ")
      default:
        result.append(character)
      }
    }
    return result
  }
}
