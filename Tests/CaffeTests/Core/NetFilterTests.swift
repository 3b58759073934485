// NetState filtering: include/exclude rules by phase, level and stage.

import CaffeProto
import CaffeSupport
import Testing

@testable import Caffe

@Suite struct NetFilterTests {
  private func net(_ text: String, phase: Phase, level: Int32 = 0, stages: [String] = [])
    throws -> NetParameter
  {
    var param = try Prototxt.decode(NetParameter.self, text: text, file: "test.prototxt")
    param.state.phase = phase
    param.state.level = level
    param.state.stage = stages
    return param
  }

  private let definition = """
    name: "filtered"
    layer { name: "always" type: "Input" top: "data" }
    layer { name: "train_only" type: "ReLU" bottom: "data" top: "a" include { phase: TRAIN } }
    layer { name: "test_only" type: "ReLU" bottom: "data" top: "b" include { phase: TEST } }
    layer { name: "not_test" type: "ReLU" bottom: "data" top: "c" exclude { phase: TEST } }
    layer { name: "deep" type: "ReLU" bottom: "data" top: "d" include { min_level: 2 } }
    layer { name: "shallow" type: "ReLU" bottom: "data" top: "e" include { max_level: 1 } }
    layer { name: "staged" type: "ReLU" bottom: "data" top: "f" include { stage: "deploy" } }
    layer { name: "unstaged" type: "ReLU" bottom: "data" top: "g" include { not_stage: "deploy" } }
    layer { name: "either" type: "ReLU" bottom: "data" top: "h"
            include { phase: TRAIN } include { stage: "extra" } }
    """

  @Test func trainPhaseKeepsTrainAndUnruledLayers() throws {
    let kept = try NetFilter.filter(net(definition, phase: .train)).layer.map(\.name)
    #expect(kept == ["always", "train_only", "not_test", "shallow", "unstaged", "either"])
  }

  @Test func testPhaseWithLevelAndStage() throws {
    let kept = try NetFilter.filter(net(definition, phase: .test, level: 3, stages: ["deploy"]))
      .layer.map(\.name)
    #expect(kept == ["always", "test_only", "deep", "staged"])
  }

  @Test func anyIncludeRuleSuffices() throws {
    let kept = try NetFilter.filter(net(definition, phase: .test, stages: ["extra"]))
      .layer.map(\.name)
    #expect(kept.contains("either"))
  }

  @Test func includeAndExcludeTogetherIsAnError() throws {
    let bad = try net(
      """
      layer { name: "both" type: "ReLU" include { phase: TRAIN } exclude { phase: TEST } }
      """, phase: .train)
    #expect {
      try NetFilter.filter(bad)
    } throws: { error in
      "\(error)".contains("both") && "\(error)".contains("not both")
    }
  }
}
