// V0 nets (`layers { layer { … } }`): padding folding, field mapping and the errors they raise.

import CaffeProto
import CaffeSupport
import CaffeTestSupport
import Testing

/// Decodes inline text as a net definition, as written.
func netText(_ text: String) throws -> NetParameter {
  try Prototxt.decode(NetParameter.self, text: text, file: "<test>")
}

@Suite("Upgrade: V0 nets")
struct UpgradeV0Tests {
  @Test(.enabled(if: Golden.isAvailable))
  func v0LenetUpgradesToTheCurrentLenet() throws {
    var v0 = try ProtoUpgrade.readNetText(path: LegacyCorpus.path("bvlc-v0-2014--lenet--lenet"))
    let v1 = try ProtoUpgrade.readNetText(path: LegacyCorpus.path("bvlc-v1-2015--ex-mnist--lenet"))
    let current = try ProtoUpgrade.readNetText(path: LegacyCorpus.path("bvlc--ex-mnist--lenet"))
    #expect(Prototxt.encode(v0) == Prototxt.encode(v1))
    // The only difference: the upgrade names the Input layer "input", the 2020 file "data".
    #expect(v0.layer.first?.name == "input")
    v0.layer[0].name = "data"
    #expect(Prototxt.encode(v0) == Prototxt.encode(current))
  }

  @Test(.enabled(if: Golden.isAvailable))
  func v0ImagenetFoldsItsPaddingLayers() throws {
    let path = LegacyCorpus.path("bvlc-v0-2014--imagenet")
    let original = try Prototxt.readNet(path: path)
    #expect(original.layers.filter { $0.layer.type == "padding" }.count == 4)
    let net = try ProtoUpgrade.readNetText(path: path)
    #expect(!net.layer.contains { $0.name.hasPrefix("pad") })
    let wiring = net.layer.filter { $0.type == "Convolution" }.map {
      "\($0.name)<-\($0.bottom.joined()) pad \($0.convolutionParam.pad)"
    }
    #expect(
      wiring == [
        "conv1<-data pad []", "conv2<-norm1 pad [2]", "conv3<-norm2 pad [1]",
        "conv4<-conv3 pad [1]", "conv5<-conv4 pad [1]",
      ])
  }

  @Test func paddingLayerFoldsIntoTheConvolutionOrPoolingAfterIt() throws {
    let net = try netText(
      """
      input: "image"
      layers { layer { name: "widen" type: "padding" pad: 3 } bottom: "image" top: "wide" }
      layers { layer { name: "conv" type: "conv" num_output: 4 kernelsize: 7 }
               bottom: "wide" top: "features" }
      layers { layer { name: "widen2" type: "padding" pad: 1 } bottom: "features" top: "wide2" }
      layers { layer { name: "pool" type: "pool" kernelsize: 3 stride: 2 pool: AVE }
               bottom: "wide2" top: "pooled" }
      """)
    let upgraded = try ProtoUpgrade.upgradeNet(net, source: "<test>")
    // The input has no shape, so it is dropped rather than made an Input layer.
    #expect(upgraded.layer.map(\.name) == ["conv", "pool"])
    #expect(upgraded.layer.map(\.bottom) == [["image"], ["features"]])
    #expect(try ProtoUpgrade.upgradeNet(upgraded, source: "<test>") == upgraded)
    let conv = try #require(upgraded.layer.first { $0.name == "conv" })
    #expect(conv.convolutionParam.pad == [3])
    #expect(conv.convolutionParam.kernelSize == [7])
    let pool = try #require(upgraded.layer.first { $0.name == "pool" })
    #expect(pool.poolingParam.pad == 1)
    #expect(pool.poolingParam.pool == .ave)
    #expect(pool.poolingParam.stride == 2)
  }

  @Test func everyV0FieldLandsInItsLayersParameters() throws {
    let net = try netText(
      """
      layers { layer { name: "d" type: "data" source: "db" batchsize: 8 rand_skip: 5 scale: 0.5
                       meanfile: "mean.binaryproto" cropsize: 20 mirror: true } top: "x" }
      layers { layer { name: "i" type: "images" source: "list.txt" batchsize: 2
                       shuffle_images: true new_height: 32 new_width: 48 } top: "y" }
      layers { layer { name: "w" type: "window_data" source: "windows.txt" det_fg_threshold: 0.6
                       det_bg_threshold: 0.4 det_fg_fraction: 0.3 det_context_pad: 16
                       det_crop_mode: "square" } top: "z" }
      layers { layer { name: "h" type: "hdf5_data" source: "files.txt" batchsize: 3 } top: "v" }
      layers { layer { name: "c" type: "conv" num_output: 6 biasterm: false kernelsize: 3
                       stride: 2 pad: 1 group: 2 weight_filler { type: "xavier" }
                       bias_filler { type: "constant" value: 0.1 }
                       blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0 }
               bottom: "x" top: "c" }
      layers { layer { name: "n" type: "lrn" local_size: 5 alpha: 0.001 beta: 0.75 k: 2 }
               bottom: "c" top: "n" }
      layers { layer { name: "o" type: "dropout" dropout_ratio: 0.3 } bottom: "n" top: "n" }
      layers { layer { name: "f" type: "innerproduct" num_output: 10 } bottom: "n" top: "f" }
      layers { layer { name: "k" type: "concat" concat_dim: 1 } bottom: "f" bottom: "f" top: "k" }
      layers { layer { name: "g" type: "infogain_loss" source: "h.binaryproto" }
               bottom: "k" bottom: "y" }
      layers { layer { name: "s" type: "hdf5_output" hdf5_output_param { file_name: "o.h5" } }
               bottom: "k" }
      """)
    let (upgraded, isComplete) = try ProtoUpgrade.upgradeNetAsNeeded(net, source: "<test>")
    #expect(isComplete)
    let layer = Dictionary(upgraded.layer.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    let data = try #require(layer["d"])
    #expect(data.type == "Data")
    #expect(data.dataParam.source == "db" && data.dataParam.batchSize == 8)
    #expect(data.dataParam.randSkip == 5)
    #expect(data.transformParam.scale == 0.5 && data.transformParam.meanFile == "mean.binaryproto")
    #expect(data.transformParam.cropSize == 20 && data.transformParam.mirror)
    let images = try #require(layer["i"])
    #expect(images.type == "ImageData")
    #expect(images.imageDataParam.shuffle && images.imageDataParam.batchSize == 2)
    #expect(images.imageDataParam.newHeight == 32 && images.imageDataParam.newWidth == 48)
    let window = try #require(layer["w"]).windowDataParam
    #expect(window.fgThreshold == 0.6 && window.bgThreshold == 0.4 && window.fgFraction == 0.3)
    #expect(
      window.contextPad == 16 && window.cropMode == "square" && window.source == "windows.txt")
    #expect(try #require(layer["h"]).hdf5DataParam.batchSize == 3)
    let conv = try #require(layer["c"])
    #expect(conv.type == "Convolution")
    let convParam = conv.convolutionParam
    #expect(convParam.numOutput == 6 && !convParam.biasTerm && convParam.group == 2)
    #expect(convParam.kernelSize == [3] && convParam.stride == [2] && convParam.pad == [1])
    #expect(convParam.weightFiller.type == "xavier" && convParam.biasFiller.value == 0.1)
    #expect(conv.param.map(\.lrMult) == [1, 2] && conv.param.map(\.decayMult) == [1, 0])
    let lrn = try #require(layer["n"]).lrnParam
    #expect(lrn.localSize == 5 && lrn.alpha == 0.001 && lrn.beta == 0.75 && lrn.k == 2)
    #expect(try #require(layer["o"]).dropoutParam.dropoutRatio == 0.3)
    #expect(try #require(layer["f"]).innerProductParam.numOutput == 10)
    #expect(try #require(layer["k"]).concatParam.concatDim == 1)
    #expect(try #require(layer["g"]).infogainLossParam.source == "h.binaryproto")
    #expect(try #require(layer["g"]).type == "InfogainLoss")
    #expect(try #require(layer["s"]).hdf5OutputParam.fileName == "o.h5")
  }

  @Test func fieldTheTypeDoesNotTakeIsDroppedAndReported() throws {
    let net = try netText(
      """
      input: "x"
      layers { layer { name: "r" type: "relu" num_output: 3 } bottom: "x" top: "x" }
      """)
    let (upgraded, isComplete) = try ProtoUpgrade.upgradeNetAsNeeded(net, source: "<test>")
    #expect(!isComplete)
    let relu = try #require(upgraded.layer.last)
    #expect(relu.type == "ReLU")
    #expect(!relu.hasInnerProductParam && !relu.hasConvolutionParam)
  }

  @Test func unknownV0TypeIsAnErrorNamingIt() throws {
    let net = try netText(#"layers { layer { name: "odd" type: "warp" } top: "y" }"#)
    let error = #expect(throws: CaffeError.self) {
      try ProtoUpgrade.upgradeNet(net, source: "<test>")
    }
    guard case .unknownLayerType(let layer, let type, let known)? = error else {
      Issue.record("expected unknownLayerType, got \(String(describing: error))")
      return
    }
    #expect(layer == "odd" && type == "warp")
    #expect(known.contains("conv") && known.contains("window_data"))
  }

  @Test func paddingLayerFeedingANonWindowedLayerIsAnError() throws {
    let net = try netText(
      """
      input: "x"
      layers { layer { name: "p" type: "padding" pad: 1 } bottom: "x" top: "px" }
      layers { layer { name: "r" type: "relu" } bottom: "px" top: "r" }
      """)
    let error = #expect(throws: CaffeError.self) {
      try ProtoUpgrade.upgradeNet(net, source: "<test>")
    }
    #expect(error?.description.contains("\"p\"") == true)
    #expect(error?.description.contains("conv or pool") == true)
  }

  @Test func layerReadingAnUnknownBlobIsAnError() throws {
    let net = try netText(#"layers { layer { name: "r" type: "relu" } bottom: "ghost" top: "r" }"#)
    let error = #expect(throws: CaffeError.self) {
      try ProtoUpgrade.upgradeNet(net, source: "<test>")
    }
    #expect(error?.description.contains("\"ghost\"") == true)
  }
}
