// Top: the name of one blob a NetSpec layer produces, passed on as another layer's bottom.

/// One output blob of a layer built with ``NetSpec``, used as a bottom of later layers.
///
/// A `Top` is only a blob name: building a layer returns its tops, and passing them to the next
/// call wires the two layers together, as pycaffe's `Top` does. `Top("data")` refers to a blob
/// by name, for example a blob a net receives from outside the layers built here.
public struct Top: Hashable, Sendable, CustomStringConvertible {
  /// The blob name, as written in `top:` and `bottom:` fields.
  public let name: String

  /// A reference to the blob called `name`.
  public init(_ name: String) {
    self.name = name
  }

  /// The blob name.
  public var description: String { name }
}
