// NetState filtering: which layers of a NetParameter run in a given phase, level and stages.

import CaffeProto
import CaffeSupport

/// Removes the layers whose `include`/`exclude` rules do not admit the net's `state`.
public enum NetFilter {
  /// Returns `param` without the layers that `param.state` excludes.
  ///
  /// A layer with no rules is kept; with `include` rules it is kept when any rule is met; with
  /// `exclude` rules it is dropped when any rule is met.
  /// - Throws: `CaffeError.invalidNet` for a layer that has both include and exclude rules.
  public static func filter(_ param: NetParameter) throws -> NetParameter {
    var filtered = param
    filtered.layer = try param.layer.filter { layer in
      guard layer.include.isEmpty || layer.exclude.isEmpty else {
        throw CaffeError.invalidNet(
          reason: "layer \"\(layer.name)\": specify either include rules or exclude rules; not both"
        )
      }
      if !layer.include.isEmpty {
        return layer.include.contains { meets($0, state: param.state, layer: layer.name) }
      }
      return !layer.exclude.contains { meets($0, state: param.state, layer: layer.name) }
    }
    return filtered
  }

  /// Whether `state` satisfies every condition of `rule` (phase, level range, stages).
  public static func meets(_ rule: NetStateRule, state: NetState, layer: String) -> Bool {
    if rule.hasPhase, rule.phase != state.phase {
      Log.info(
        "The NetState phase (\(state.phase.rawValue)) differed from the phase "
          + "(\(rule.phase.rawValue)) specified by a rule in layer \(layer)")
      return false
    }
    if rule.hasMinLevel, state.level < rule.minLevel {
      Log.info(
        "The NetState level (\(state.level)) is above the min_level (\(rule.minLevel)) "
          + "specified by a rule in layer \(layer)")
      return false
    }
    if rule.hasMaxLevel, state.level > rule.maxLevel {
      Log.info(
        "The NetState level (\(state.level)) is above the max_level (\(rule.maxLevel)) "
          + "specified by a rule in layer \(layer)")
      return false
    }
    for stage in rule.stage where !state.stage.contains(stage) {
      Log.info(
        "The NetState did not contain stage '\(stage)' specified by a rule in layer \(layer)")
      return false
    }
    for stage in rule.notStage where state.stage.contains(stage) {
      Log.info(
        "The NetState contained a not_stage '\(stage)' specified by a rule in layer \(layer)")
      return false
    }
    return true
  }
}
