// Every legacy net and solver of the corpus upgrades, and upgrading again changes nothing.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

/// The legacy files of `shared/caffe-corpus/prototxt`, picked by their name prefixes.
enum LegacyCorpus {
  /// The name prefixes of the legacy files (see the corpus INDEX.md).
  static let prefixes = [
    "bvlc-v0-2014--", "bvlc-v1-2015--", "bvlc-v1-2014-olddata--", "bvlc-inputdim-2015--",
    "bvlc-inputshape-2015--", "bvlc-solvertype-enum-2015--", "bvlc-bn3param-2016--", "agegender--",
  ]

  /// The legacy entries that Caffe parses (one V1 solver, `lenet_stepearly_solver`, has a field
  /// that no Caffe release knows and is left to the parser's own tests).
  static let entries = CorpusIndex.entries.filter { entry in
    prefixes.contains { entry.file.hasPrefix($0) }
  }

  /// The legacy net definitions.
  static let nets = entries.filter { $0.verdict == .parsesAsNet }

  /// The legacy solver definitions.
  static let solvers = entries.filter { $0.verdict == .parsesAsSolver }

  /// The path of corpus prototxt `name` (without `.prototxt`).
  static func path(_ name: String) -> String {
    Golden.path("caffe-corpus/prototxt/\(name).prototxt")
  }
}

@Suite("Upgrade: corpus", .enabled(if: Golden.isAvailable))
struct UpgradeCorpusTests {
  @Test func corpusHasTheLegacyFiles() {
    #expect(LegacyCorpus.nets.count == 39)
    #expect(LegacyCorpus.solvers.count == 28)
    #expect(LegacyCorpus.nets.contains { $0.file.hasPrefix("bvlc-v0-2014--") })
  }

  @Test(arguments: LegacyCorpus.nets)
  func legacyNetUpgradesToTheCurrentFormat(entry: CorpusEntry) throws {
    let original = try Prototxt.readNet(path: entry.path)
    #expect(ProtoUpgrade.netNeedsUpgrade(original))
    let net = try ProtoUpgrade.readNetText(path: entry.path)
    #expect(net.layers.isEmpty)
    #expect(net.input.isEmpty && net.inputDim.isEmpty && net.inputShape.isEmpty)
    #expect(!net.layer.isEmpty)
    for layer in net.layer {
      #expect(!layer.type.isEmpty, "layer \(layer.name) has no type")
      #expect(!layer.name.isEmpty)
    }
    let layerCount = original.layers.count + original.layer.count
    let inputLayers = original.input.isEmpty ? 0 : 1
    let paddingLayers = original.layers.filter { $0.layer.type == "padding" }.count
    #expect(net.layer.count == layerCount + inputLayers - paddingLayers)
  }

  @Test(arguments: LegacyCorpus.nets)
  func upgradingAnUpgradedNetChangesNothing(entry: CorpusEntry) throws {
    let net = try ProtoUpgrade.readNetText(path: entry.path)
    let again = try ProtoUpgrade.upgradeNet(net, source: entry.path)
    #expect(Prototxt.encode(again) == Prototxt.encode(net))
    // Caffe re-applies the BatchNorm upgrade to every net with three-param BatchNorm layers.
    let hasBatchNorm = net.layer.contains { $0.type == "BatchNorm" && $0.param.count == 3 }
    #expect(ProtoUpgrade.netNeedsUpgrade(net) == hasBatchNorm)
  }

  @Test(arguments: LegacyCorpus.solvers)
  func legacySolverUpgradesAndStaysUpgraded(entry: CorpusEntry) throws {
    let original = try Prototxt.readSolver(path: entry.path)
    let solver = try ProtoUpgrade.upgradeSolver(original, source: entry.path)
    #expect(!solver.hasSolverType)
    #expect(!ProtoUpgrade.solverNeedsUpgrade(solver))
    if original.hasSolverType {
      #expect(["SGD", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam"].contains(solver.type))
    } else {
      #expect(solver == original)
    }
    let again = try ProtoUpgrade.upgradeSolver(solver, source: entry.path)
    #expect(Prototxt.encode(again) == Prototxt.encode(solver))
  }

  @Test func solverTypeEnumFilesGetTheirTypeStrings() throws {
    let expected = [
      "lenet_adadelta_solver": "AdaDelta", "lenet_solver_adam": "Adam",
      "lenet_solver_rmsprop": "RMSProp", "mnist_autoencoder_solver_adagrad": "AdaGrad",
      "mnist_autoencoder_solver_nesterov": "Nesterov",
    ]
    for (name, type) in expected {
      let path = LegacyCorpus.path("bvlc-solvertype-enum-2015--ex-mnist--\(name)")
      let original = try Prototxt.readSolver(path: path)
      #expect(original.hasSolverType)
      let solver = try ProtoUpgrade.readSolverText(path: path)
      #expect(solver.type == type, "\(name)")
      #expect(!solver.hasSolverType)
    }
  }

  @Test func oldDataTransformFieldsMoveToTransformParam() throws {
    let path = LegacyCorpus.path("bvlc-v1-2014-olddata--ex-mnist--lenet_train_test")
    let original = try Prototxt.readNet(path: path)
    #expect(original.layers.contains { $0.dataParam.hasScale })
    let net = try ProtoUpgrade.readNetText(path: path)
    let data = net.layer.filter { $0.type == "Data" }
    #expect(data.count == 2)
    for layer in data {
      #expect(layer.transformParam.scale == 0.00390625)
      #expect(!layer.dataParam.hasScale)
      #expect(layer.dataParam.hasSource)
    }
  }

  @Test func threeParamBatchNormLayersStopLearning() throws {
    let path = LegacyCorpus.path(
      "bvlc-bn3param-2016--ex-cifar10--cifar10_full_sigmoid_train_test_bn")
    let net = try ProtoUpgrade.readNetText(path: path)
    let batchNorms = net.layer.filter { $0.type == "BatchNorm" }
    #expect(batchNorms.count == 3)
    for layer in batchNorms {
      #expect(layer.param.count == 3)
      #expect(layer.param.allSatisfy { $0.hasLrMult && $0.lrMult == 0 })
      #expect(layer.param.allSatisfy { $0.hasDecayMult && $0.decayMult == 0 })
    }
  }

  @Test func inputFieldsBecomeALeadingInputLayer() throws {
    for (file, dims) in [
      ("bvlc-inputdim-2015--bvlc_alexnet--deploy", [10, 3, 227, 227] as [Int64]),
      ("bvlc-inputshape-2015--bvlc_alexnet--deploy", [10, 3, 227, 227]),
      ("bvlc-inputdim-2015--ex-mnist--lenet", [64, 1, 28, 28]),
    ] {
      let net = try ProtoUpgrade.readNetText(path: LegacyCorpus.path(file))
      let first = try #require(net.layer.first)
      #expect(first.name == "input")
      #expect(first.type == "Input")
      #expect(first.top == ["data"])
      #expect(first.inputParam.shape.map(\.dim) == [dims], "\(file)")
      #expect(net.layer.dropFirst().allSatisfy { $0.type != "Input" })
    }
  }
}
