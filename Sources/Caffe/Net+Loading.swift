// Loading a net from files the way pycaffe's caffe.Net(prototxt, weights, phase) does.

import CaffeProto

extension Net {
  /// Builds a net from a .prototxt file (legacy formats upgraded) in the given state, then
  /// copies trained weights into it.
  ///
  /// ```swift
  /// let net = try Net(
  ///   prototxt: "examples/mnist/lenet_train_test.prototxt",
  ///   weights: "examples/mnist/lenet_iter_10000.caffemodel", phase: .test)
  /// ```
  /// - Parameters:
  ///   - path: The net definition.
  ///   - weights: A .caffemodel whose same-named layers are copied in; `nil` keeps the fillers'
  ///     values.
  ///   - phase: TRAIN or TEST; selects layers by their `include` / `exclude` rules.
  ///   - stages: Stages of the net state, for `stage` / `not_stage` rules.
  ///   - level: The net state's level, for `min_level` / `max_level` rules.
  /// - Throws: `CaffeError.io` / `.prototxt` / `.invalidFile` for unreadable files, and what
  ///   ``init(_:)`` and ``copyTrainedLayers(fromFile:)`` throw.
  public convenience init(
    prototxt path: String, weights: String? = nil, phase: Phase, stages: [String] = [],
    level: Int = 0
  ) throws {
    try self.init(
      try ProtoUpgrade.readNetText(path: path), phase: phase, stages: stages, level: level)
    if let weights { try copyTrainedLayers(fromFile: weights) }
  }

  /// Builds a net from a definition in the given state (replacing the definition's own
  /// `state`), such as one made with ``NetSpec``.
  ///
  /// - Parameters:
  ///   - definition: The net definition, in the current format.
  ///   - phase: TRAIN or TEST.
  ///   - stages: Stages of the net state.
  ///   - level: The net state's level.
  /// - Throws: What ``init(_:)`` throws.
  public convenience init(
    _ definition: NetParameter, phase: Phase, stages: [String] = [], level: Int = 0
  ) throws {
    var definition = definition
    definition.state = NetState()
    definition.state.phase = phase
    definition.state.stage = stages
    if level != 0 { definition.state.level = Int32(clamping: level) }
    try self.init(definition)
  }
}
