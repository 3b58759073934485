// Every prototxt of the corpus: Caffe's accepted files decode, its rejected ones fail alike.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Foundation
import SwiftProtobuf
import Testing

@Suite("Prototxt corpus", .enabled(if: Golden.isAvailable))
struct CorpusPrototxtTests {
  @Test func indexListsEveryCorpusFile() throws {
    let folder = Golden.path("caffe-corpus/prototxt")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder)
    #expect(Set(CorpusIndex.entries.map(\.file)) == Set(files))
    #expect(CorpusIndex.entries.count >= 180)
  }

  @Test(arguments: CorpusIndex.entries.filter { $0.verdict == .parsesAsNet })
  func netThatCaffeParsesDecodes(entry: CorpusEntry) throws {
    let net = try Prototxt.readNet(path: entry.path)
    #expect(!net.layer.isEmpty || !net.layers.isEmpty)
    try expectSameAsSwiftProtobuf(net, path: entry.path)
  }

  @Test(arguments: CorpusIndex.entries.filter { $0.verdict == .parsesAsSolver })
  func solverThatCaffeParsesDecodes(entry: CorpusEntry) throws {
    let solver = try Prototxt.readSolver(path: entry.path)
    try expectSameAsSwiftProtobuf(solver, path: entry.path)
  }

  @Test(
    arguments: CorpusIndex.entries.filter { if case .rejected = $0.verdict { true } else { false } }
  )
  func fileThatCaffeRejectsFailsAtTheSamePlace(entry: CorpusEntry) throws {
    guard case .rejected(let asNet, let line, let column, let caffeMessage) = entry.verdict else {
      return
    }
    let error = #expect(throws: CaffeError.self) {
      if asNet {
        _ = try Prototxt.readNet(path: entry.path)
      } else {
        _ = try Prototxt.readSolver(path: entry.path)
      }
    }
    guard case .prototxt(let file, let ourLine, let ourColumn, let message)? = error else {
      Issue.record("expected a prototxt error, got \(String(describing: error))")
      return
    }
    #expect(file == entry.path)
    #expect(ourLine == line && ourColumn == column, "Caffe: \(line):\(column), ours: \(message)")
    let field = caffeMessage.components(separatedBy: "\"").dropFirst(3).first ?? ""
    #expect(message.contains("has no field \"\(field)\""), "\(message) vs \(caffeMessage)")
  }

  /// Where swift-protobuf's own text parser also reads the file, both must agree.
  private func expectSameAsSwiftProtobuf<M: SwiftProtobuf.Message & Equatable>(
    _ ours: M, path: String
  ) throws {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    guard let theirs = try? M(textFormatString: text) else { return }
    #expect(ours == theirs)
  }
}
