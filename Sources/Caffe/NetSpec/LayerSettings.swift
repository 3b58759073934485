// Short constructors for the messages NetSpec calls take: param specs, state rules, fillers.

import CaffeProto

extension ParamSpec {
  /// A `param { }` spec with a learning-rate multiplier.
  ///
  /// - Parameters:
  ///   - lrMult: `lr_mult`: the blob's learning rate is `base_lr` times this (0 freezes it).
  ///   - decayMult: `decay_mult`: the blob's weight decay is `weight_decay` times this; `nil`
  ///     leaves Caffe's default (1).
  ///   - name: A sharing name: blobs with the same name share memory across layers.
  public init(lrMult: Float, decayMult: Float? = nil, name: String? = nil) {
    self.init()
    self.lrMult = lrMult
    if let decayMult { self.decayMult = decayMult }
    if let name { self.name = name }
  }

  /// A `param { name }` spec that only shares the blob with other blobs of the same name.
  ///
  /// - Parameters:
  ///   - name: The sharing name.
  ///   - lrMult: `lr_mult`, or `nil` for Caffe's default (1).
  ///   - decayMult: `decay_mult`, or `nil` for Caffe's default (1).
  public init(name: String, lrMult: Float? = nil, decayMult: Float? = nil) {
    self.init()
    self.name = name
    if let lrMult { self.lrMult = lrMult }
    if let decayMult { self.decayMult = decayMult }
  }
}

extension NetStateRule {
  /// A rule that holds in phase `phase` (`include { phase: TRAIN }`).
  public static func phase(_ phase: Phase) -> NetStateRule {
    var rule = NetStateRule()
    rule.phase = phase
    return rule
  }

  /// A rule that holds when the net state has every stage in `stages`
  /// (`include { stage: "deploy" }`).
  public static func stages(_ stages: String...) -> NetStateRule {
    var rule = NetStateRule()
    rule.stage = stages
    return rule
  }

  /// A rule that holds when the net state has none of `stages` (`not_stage`).
  public static func notStages(_ stages: String...) -> NetStateRule {
    var rule = NetStateRule()
    rule.notStage = stages
    return rule
  }
}

extension FillerParameter {
  /// A filler of the given type string with no other field set (`weight_filler { type: … }`).
  public static func ofType(_ type: String) -> FillerParameter {
    var filler = FillerParameter()
    filler.type = type
    return filler
  }

  /// Xavier (Glorot) filler: uniform in ±sqrt(3 / fan_in) with Caffe's default `variance_norm`.
  public static var xavier: FillerParameter { ofType("xavier") }

  /// MSRA (He) filler: Gaussian with std sqrt(2 / fan_in) with Caffe's default `variance_norm`.
  public static var msra: FillerParameter { ofType("msra") }

  /// Constant filler; `nil` leaves Caffe's default value (0).
  public static func constant(_ value: Float? = nil) -> FillerParameter {
    var filler = ofType("constant")
    if let value { filler.value = value }
    return filler
  }

  /// Gaussian filler with mean 0 and standard deviation `std`.
  public static func gaussian(std: Float) -> FillerParameter {
    var filler = ofType("gaussian")
    filler.std = std
    return filler
  }
}
