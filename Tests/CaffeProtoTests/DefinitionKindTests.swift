// A solver definition given where a net is expected, and the reverse, is named as such.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

@Suite("Solver versus net definitions")
struct DefinitionKindTests {
  @Test func solverGivenAsNetIsRecognised() {
    let path = Golden.fixture("prototxt/solver.prototxt")
    #expect(
      throws: CaffeError.prototxt(
        file: path, line: 2, column: 1,
        message: "this looks like a solver definition (has base_lr, lr_policy); expected a net")
    ) { try Prototxt.readNet(path: path) }
  }

  @Test func netGivenAsSolverIsRecognised() {
    let path = Golden.fixture("prototxt/net.prototxt")
    #expect(
      throws: CaffeError.prototxt(
        file: path, line: 2, column: 1,
        message: "this looks like a net definition (has layer, name); expected a solver")
    ) { try Prototxt.readSolver(path: path) }
  }

  @Test func eachFixtureReadsAsItsOwnKind() throws {
    let solver = try Prototxt.readSolver(path: Golden.fixture("prototxt/solver.prototxt"))
    #expect(solver.baseLr == 0.01)
    #expect(solver.lrPolicy == "step")
    let net = try Prototxt.readNet(path: Golden.fixture("prototxt/net.prototxt"))
    #expect(net.layer.first?.inputParam.shape.first?.dim == [1, 3])
  }

  @Test(.enabled(if: Golden.isAvailable))
  func caffeLenetSolverGivenAsNetIsRecognised() throws {
    let path = Golden.path("caffe-corpus/prototxt/bvlc--ex-mnist--lenet_solver.prototxt")
    let error = #expect(throws: CaffeError.self) { try Prototxt.readNet(path: path) }
    guard case .prototxt(_, let line, let column, let message)? = error else {
      Issue.record("expected a prototxt error, got \(String(describing: error))")
      return
    }
    #expect(line == 2 && column == 1)
    #expect(
      message == "this looks like a solver definition (has base_lr, lr_policy); expected a net")
  }

  @Test func aTypoInANetIsNotMistakenForASolver() {
    #expect(
      throws: CaffeError.prototxt(
        file: "inline", line: 1, column: 1,
        message: "NetParameter has no field \"lyer\" (did you mean \"layer\"?)")
    ) { try Prototxt.decode(NetParameter.self, text: "lyer { }", file: "inline") }
  }
}
