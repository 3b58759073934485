// Transformer: images (H, W, C) to net input (C, H, W) with channel swap, scales and mean, and
// back again.

import Caffe
import CaffeSupport
import CaffeTestSupport
import Testing

@Suite struct TransformerTests {
  /// A 1 × 2 RGB image: a red pixel then a blue one, values in 0…1.
  static let image: [Float] = [1, 0, 0, 0, 0, 1]

  @Test func imagesBecomeChannelMajorInput() throws {
    let transformer = Transformer(channels: 3, height: 1, width: 2)
    // (C, H, W): the R plane, the G plane, the B plane.
    #expect(try transformer.preprocess(Self.image) == [1, 0, 0, 0, 0, 1])
    let gray = Transformer(channels: 1, height: 2, width: 2)
    #expect(try gray.preprocess([1, 2, 3, 4]) == [1, 2, 3, 4])
  }

  @Test func caffeNetStylePreprocessingAppliesEachStepInOrder() throws {
    var transformer = Transformer(channels: 3, height: 1, width: 2)
    transformer.channelSwap = [2, 1, 0]  // RGB → BGR
    transformer.rawScale = 255  // 0…1 → 0…255
    transformer.mean = [10, 20, 30]  // per BGR channel
    transformer.inputScale = 0.5
    let input = try transformer.preprocess(Self.image)
    // B plane: (0, 255) − 10; G plane: (0, 0) − 20; R plane: (255, 0) − 30; all × 0.5.
    #expect(input == [-5, 122.5, -10, -10, 112.5, -15])
    #expect(try transformer.deprocess(input) == Self.image)
  }

  @Test func aMeanImageIsSubtractedElementByElement() throws {
    var transformer = Transformer(channels: 1, height: 1, width: 3)
    transformer.mean = [1, 2, 3]
    #expect(try transformer.preprocess([1, 1, 1]) == [0, -1, -2])
  }

  @Test func inputBlobsGiveTheShape() throws {
    let net = try Net(ModelZoo.lenetDeploy().toProto(), phase: .test)
    let transformer = try Transformer(for: net.inputBlobs[0])
    #expect([transformer.channels, transformer.height, transformer.width] == [1, 28, 28])
  }

  @Test func badSettingsAndSizesThrow() throws {
    var transformer = Transformer(channels: 3, height: 1, width: 2)
    #expect(throws: CaffeError.self) { try transformer.preprocess([1, 2, 3]) }
    transformer.channelSwap = [0, 0, 1]
    #expect(throws: CaffeError.self) { try transformer.preprocess(Self.image) }
    transformer.channelSwap = nil
    transformer.mean = [1, 2]
    #expect(throws: CaffeError.self) { try transformer.deprocess(Self.image) }
    #expect(throws: CaffeError.self) { try Transformer(for: Blob(shape: [2, 3])) }
  }
}
