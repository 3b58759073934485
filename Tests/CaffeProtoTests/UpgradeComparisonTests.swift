// Upgraded 2014-2015 nets against the current (2020) versions of the same nets in the corpus.

import CaffeProto
import CaffeTestSupport
import Testing

/// What an upgrade must get right about one layer: wiring, learning-rate specs and the geometry
/// of convolution and pooling.
///
/// Input layers are compared by type, tops and shapes only, since the upgrade names its Input
/// layer "input" where current files say "data". Fillers are left out: the 2020 GoogLeNet drops
/// the `std` its 2015 version gave every xavier filler.
struct LayerOutline: Equatable, CustomStringConvertible {
  let name: String
  let type: String
  let bottom: [String]
  let top: [String]
  let params: [ParamSpec]
  let convolution: ConvolutionParameter?
  let pooling: PoolingParameter?
  let inputShapes: [BlobShape]

  init(_ layer: LayerParameter) {
    name = layer.type == "Input" ? "(input)" : layer.name
    type = layer.type
    bottom = layer.bottom
    top = layer.top
    params = layer.param
    var convolution = layer.hasConvolutionParam ? layer.convolutionParam : nil
    convolution?.clearWeightFiller()
    convolution?.clearBiasFiller()
    self.convolution = convolution
    pooling = layer.hasPoolingParam ? layer.poolingParam : nil
    inputShapes = layer.inputParam.shape
  }

  var description: String { "\(name) (\(type)) \(bottom) -> \(top)" }

  /// The outlines of `net`'s layers, in order.
  static func of(_ net: NetParameter) -> [LayerOutline] { net.layer.map(LayerOutline.init) }

  /// The outlines keyed by name and occurrence ("data#0", "data#1" for a TRAIN and a TEST layer).
  static func byName(_ outlines: [LayerOutline]) -> [String: LayerOutline] {
    var seen: [String: Int] = [:]
    var result: [String: LayerOutline] = [:]
    for outline in outlines {
      let occurrence = seen[outline.name, default: 0]
      seen[outline.name] = occurrence + 1
      result["\(outline.name)#\(occurrence)"] = outline
    }
    return result
  }
}

/// A legacy net of the corpus and the current version of the same net.
struct UpgradePair: Sendable, CustomTestStringConvertible {
  let legacy: String
  let current: String
  /// Layers (by name) whose definition changed between the two versions of the file, for reasons
  /// that have nothing to do with the upgrade; they are left out of the comparison.
  var changed: Set<String> = []
  /// Whether the current file lists the layers in another order.
  var reordered = false

  var testDescription: String { legacy }

  /// Every legacy net of the corpus whose current version is in the corpus too.
  static let all: [UpgradePair] = [
    UpgradePair(
      legacy: "bvlc-v1-2015--bvlc_alexnet--deploy", current: "bvlc--bvlc_alexnet--deploy"),
    UpgradePair(
      legacy: "bvlc-v1-2015--bvlc_alexnet--train_val", current: "bvlc--bvlc_alexnet--train_val"),
    UpgradePair(
      legacy: "bvlc-v1-2015--bvlc_googlenet--deploy", current: "bvlc--bvlc_googlenet--deploy"),
    // The second auxiliary loss's top was renamed from "loss2/loss1" to "loss2/loss2".
    UpgradePair(
      legacy: "bvlc-v1-2015--bvlc_googlenet--train_val",
      current: "bvlc--bvlc_googlenet--train_val", changed: ["loss2/loss"]),
    UpgradePair(
      legacy: "bvlc-v1-2015--bvlc_reference_caffenet--deploy",
      current: "bvlc--bvlc_reference_caffenet--deploy"),
    UpgradePair(
      legacy: "bvlc-v1-2015--bvlc_reference_caffenet--train_val",
      current: "bvlc--bvlc_reference_caffenet--train_val"),
    UpgradePair(
      legacy: "bvlc-v1-2015--bvlc_reference_rcnn_ilsvrc13--deploy",
      current: "bvlc--bvlc_reference_rcnn_ilsvrc13--deploy"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-cifar10--cifar10_full", current: "bvlc--ex-cifar10--cifar10_full"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-cifar10--cifar10_full_train_test",
      current: "bvlc--ex-cifar10--cifar10_full_train_test"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-cifar10--cifar10_quick",
      current: "bvlc--ex-cifar10--cifar10_quick"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-cifar10--cifar10_quick_train_test",
      current: "bvlc--ex-cifar10--cifar10_quick_train_test"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-feature_extraction--imagenet_val",
      current: "bvlc--ex-feature_extraction--imagenet_val"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-finetune_pascal_detection--pascal_finetune_trainval_test",
      current: "bvlc--ex-finetune_pascal_detection--pascal_finetune_trainval_test"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-hdf5_classification--train_val",
      current: "bvlc--ex-hdf5_classification--train_val"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-imagenet--bvlc_caffenet_full_conv",
      current: "bvlc--ex-net_surgery--bvlc_caffenet_full_conv"),
    UpgradePair(legacy: "bvlc-v1-2015--ex-mnist--lenet", current: "bvlc--ex-mnist--lenet"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-mnist--lenet_train_test",
      current: "bvlc--ex-mnist--lenet_train_test"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-mnist--mnist_autoencoder",
      current: "bvlc--ex-mnist--mnist_autoencoder"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-siamese--mnist_siamese",
      current: "bvlc--ex-siamese--mnist_siamese"),
    UpgradePair(
      legacy: "bvlc-v1-2015--ex-siamese--mnist_siamese_train_test",
      current: "bvlc--ex-siamese--mnist_siamese_train_test"),
    UpgradePair(
      legacy: "bvlc-v1-2015--finetune_flickr_style--deploy",
      current: "bvlc--finetune_flickr_style--deploy"),
    // Accuracy moved before the loss, and the loss gained an explicit top "loss".
    UpgradePair(
      legacy: "bvlc-v1-2015--finetune_flickr_style--train_val",
      current: "bvlc--finetune_flickr_style--train_val", changed: ["loss"], reordered: true),
    UpgradePair(
      legacy: "bvlc-v1-2014-olddata--ex-mnist--lenet_train_test",
      current: "bvlc--ex-mnist--lenet_train_test"),
    UpgradePair(
      legacy: "bvlc-inputdim-2015--bvlc_alexnet--deploy", current: "bvlc--bvlc_alexnet--deploy"),
    UpgradePair(
      legacy: "bvlc-inputdim-2015--bvlc_googlenet--deploy",
      current: "bvlc--bvlc_googlenet--deploy"),
    UpgradePair(legacy: "bvlc-inputdim-2015--ex-mnist--lenet", current: "bvlc--ex-mnist--lenet"),
    UpgradePair(
      legacy: "bvlc-inputshape-2015--bvlc_alexnet--deploy", current: "bvlc--bvlc_alexnet--deploy"),
    UpgradePair(
      legacy: "bvlc-inputshape-2015--bvlc_reference_caffenet--deploy",
      current: "bvlc--bvlc_reference_caffenet--deploy"),
    UpgradePair(
      legacy: "bvlc-bn3param-2016--ex-cifar10--cifar10_full_sigmoid_train_test_bn",
      current: "bvlc--ex-cifar10--cifar10_full_sigmoid_train_test_bn"),
  ]
}

@Suite("Upgrade: against current nets", .enabled(if: Golden.isAvailable))
struct UpgradeComparisonTests {
  @Test(arguments: UpgradePair.all)
  func upgradedNetHasTheCurrentNetsLayers(pair: UpgradePair) throws {
    let legacy = try ProtoUpgrade.readNetText(path: LegacyCorpus.path(pair.legacy))
    let upgraded = LayerOutline.of(legacy)
    let current = LayerOutline.of(
      try ProtoUpgrade.readNetText(path: LegacyCorpus.path(pair.current)))
    if pair.reordered {
      #expect(upgraded.map(\.name).sorted() == current.map(\.name).sorted())
    } else {
      #expect(upgraded.map(\.name) == current.map(\.name))
    }
    let currentByName = LayerOutline.byName(current)
    for (key, mine) in LayerOutline.byName(upgraded) where !pair.changed.contains(mine.name) {
      #expect(mine == currentByName[key])
    }
  }
}
