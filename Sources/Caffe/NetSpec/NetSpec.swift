// NetSpec: build a net definition from Swift calls, one layer per call, as pycaffe's NetSpec.

import CaffeProto

/// Builds a `NetParameter` from code: each call appends one layer and returns its tops, which
/// later calls take as bottoms.
///
/// ```swift
/// let spec = NetSpec(name: "Tiny")
/// let data = spec.input(shape: [1, 1, 28, 28], name: "data")
/// let ip = spec.innerProduct(data, numOutput: 10, name: "ip")
/// spec.softmax(ip, name: "prob")
/// print(spec.prototxt)
/// ```
///
/// Layers appear in the definition in call order. Names follow pycaffe's NetSpec:
/// - a layer's single top takes the layer's `name`; without one, each unnamed top is called
///   after the layer type and a per-type counter starting at 1 (`Convolution1`,
///   `Convolution2`, `ReLU1`);
/// - a layer without `name` takes the name of its first top (or, when it has no top, the next
///   type-counter name);
/// - an in-place layer (`inPlace: true`) writes its tops over its bottoms, so its tops keep the
///   bottoms' names.
///
/// Keyword arguments of the typed calls (`convolution`, `pooling`, `innerProduct`, `relu`,
/// `softmaxWithLoss`, ...) fill the layer's own `*_param` message; a field left `nil` is not
/// written, so Caffe's default applies. Any other layer type, or any other field, goes through
/// the generic `layer(_:_:...)` call and its `configure` closure.
public final class NetSpec {
  /// The net's name (`name:` in the prototxt).
  public var name: String
  /// The layers built so far, in call order.
  public private(set) var layers: [LayerParameter] = []
  /// Per layer type, how many automatic names it has handed out.
  private var automaticNameCounts: [String: Int] = [:]

  /// Starts an empty definition.
  ///
  /// - Parameter name: The net's name; empty writes no `name:` line.
  public init(name: String = "") {
    self.name = name
  }

  /// Appends a layer of any type and returns its tops.
  ///
  /// - Parameters:
  ///   - type: The type string, exactly as Caffe spells it (`"Convolution"`, `"Silence"`).
  ///   - bottoms: The input blobs, in order.
  ///   - name: The layer name; with one top and no `tops`, also the top's name.
  ///   - tops: Explicit top names; their count overrides `ntop`.
  ///   - ntop: The number of tops when `tops` is not given (0 for a layer without outputs).
  ///   - inPlace: Whether the tops are the bottoms (Caffe's in-place computation).
  ///   - params: One `param { }` spec per parameter blob: `lr_mult`, `decay_mult`, sharing name.
  ///   - include: `include { }` rules: the layer exists only in matching net states.
  ///   - exclude: `exclude { }` rules: the layer is dropped in matching net states.
  ///   - lossWeight: One `loss_weight` per top.
  ///   - configure: Sets any other field of the layer, typically its `*_param` message.
  /// - Returns: The layer's tops, in order (the bottoms when `inPlace`).
  @discardableResult
  public func layer(
    _ type: String, _ bottoms: [Top] = [], name: String? = nil, tops: [String]? = nil,
    ntop: Int = 1, inPlace: Bool = false, params: [ParamSpec] = [],
    include: [NetStateRule] = [], exclude: [NetStateRule] = [], lossWeight: [Float] = [],
    configure: (inout LayerParameter) -> Void = { _ in }
  ) -> [Top] {
    var layer = LayerParameter()
    layer.type = type
    layer.bottom = bottoms.map(\.name)
    let topCount = tops?.count ?? max(0, ntop)
    if inPlace {
      layer.top = layer.bottom
    } else if let tops {
      layer.top = tops
    } else if topCount == 1, let name {
      layer.top = [name]
    } else {
      layer.top = (0..<topCount).map { _ in automaticName(for: type) }
    }
    let ownName = inPlace && topCount > 0 && name == nil ? automaticName(for: type) : name
    layer.name = ownName ?? layer.top.first ?? automaticName(for: type)
    layer.param = params
    layer.include = include
    layer.exclude = exclude
    layer.lossWeight = lossWeight
    configure(&layer)
    layers.append(layer)
    return layer.top.map(Top.init)
  }

  /// The definition built so far.
  public func toProto() -> NetParameter {
    var net = NetParameter()
    if !name.isEmpty { net.name = name }
    net.layer = layers
    return net
  }

  /// The definition as prototxt text, written the way Caffe writes text files.
  public var prototxt: String { Prototxt.encode(toProto()) }

  /// Writes the definition as prototxt to `path`, replacing the file atomically.
  ///
  /// - Throws: `CaffeError.io` if the file cannot be written.
  public func write(to path: String) throws {
    try Prototxt.write(toProto(), path: path)
  }

  /// The next automatic name for `type`: the type followed by its 1-based counter.
  private func automaticName(for type: String) -> String {
    let count = (automaticNameCounts[type] ?? 0) + 1
    automaticNameCounts[type] = count
    return "\(type)\(count)"
  }
}
