// ResNet-50 (He et al. 2015, the authors' deploy prototxt) written as NetSpec calls.

import CaffeProto

extension ModelZoo {
  /// Appends a convolution without bias followed by in-place `BatchNorm` (global statistics)
  /// and `Scale` (with bias), named as in the ResNet release: `res<id>`, `bn<id>`,
  /// `scale<id>`; the padding keeps H and W for stride 1.
  ///
  /// - Parameters:
  ///   - spec: The spec to append to.
  ///   - bottom: The input blob (N, C, H, W).
  ///   - id: The name stem, such as `2a_branch2b`.
  ///   - numOutput: The number of filters.
  ///   - kernelSize: The square kernel size.
  ///   - stride: The stride.
  /// - Returns: The normalised output (N, numOutput, H / stride, W / stride).
  public static func resnetConvBN(
    _ spec: NetSpec, _ bottom: Top, id: String, numOutput: Int, kernelSize: Int, stride: Int
  ) -> Top {
    let conv = spec.convolution(
      bottom, name: "res\(id)", numOutput: numOutput, kernelSize: kernelSize, stride: stride,
      pad: kernelSize / 2, biasTerm: false)
    spec.batchNorm(conv, name: "bn\(id)", inPlace: true, useGlobalStats: true)
    return spec.scale(conv, name: "scale\(id)", inPlace: true, biasTerm: true)
  }

  /// Appends one ResNet bottleneck block: 1×1 (`width` filters, `stride`), 3×3 (`width`),
  /// 1×1 (4·`width`), each with BatchNorm and Scale, ReLUs after the first two, added to the
  /// shortcut and passed through a final ReLU.
  ///
  /// The shortcut is the bottom itself, or with `projection` a strided 1×1 convolution to
  /// 4·`width` channels (`branch1`).
  /// - Parameters:
  ///   - spec: The spec to append to.
  ///   - bottom: The block input (N, C, H, W).
  ///   - id: The block name, such as `2a` or `4f`.
  ///   - width: The filters of the two inner convolutions.
  ///   - stride: The stride of the first convolution and of the projection.
  ///   - projection: Whether the shortcut is a projection (the first block of a stage).
  /// - Returns: The block output (N, 4·width, H / stride, W / stride).
  public static func resnetBottleneck(
    _ spec: NetSpec, _ bottom: Top, id: String, width: Int, stride: Int, projection: Bool
  ) -> Top {
    var shortcut = bottom
    if projection {
      shortcut = resnetConvBN(
        spec, bottom, id: "\(id)_branch1", numOutput: 4 * width, kernelSize: 1, stride: stride)
    }
    var top = bottom
    for (branch, kernel) in [("2a", 1), ("2b", 3)] {
      top = resnetConvBN(
        spec, top, id: "\(id)_branch\(branch)", numOutput: width, kernelSize: kernel,
        stride: branch == "2a" ? stride : 1)
      spec.relu(top, name: "res\(id)_branch\(branch)_relu", inPlace: true)
    }
    top = resnetConvBN(
      spec, top, id: "\(id)_branch2c", numOutput: 4 * width, kernelSize: 1, stride: 1)
    let sum = spec.eltwise([shortcut, top], name: "res\(id)")
    return spec.relu(sum, name: "res\(id)_relu", inPlace: true)
  }

  /// ResNet-50 for inference on 224 × 224 BGR images, layer for layer as the authors'
  /// `ResNet-50-deploy.prototxt`.
  ///
  /// conv1 (64 7×7/2) + BN + ReLU, max pool 3×3/2, then stages 2–5 of 3, 4, 6 and 3 bottleneck
  /// blocks (widths 64, 128, 256, 512; stride 2 from stage 3 on), average pool 7×7, fc1000 and
  /// a `Softmax` "prob" (N, 1000).
  /// - Parameter batchSize: N of the input "data" (N, 3, 224, 224).
  /// - Returns: The spec of the net "ResNet-50".
  public static func resnet50Deploy(batchSize: Int = 1) -> NetSpec {
    let spec = NetSpec(name: "ResNet-50")
    let data = spec.input(shape: [batchSize, 3, 224, 224], name: "data")
    let conv1 = spec.convolution(
      data, name: "conv1", numOutput: 64, kernelSize: 7, stride: 2, pad: 3)
    spec.batchNorm(conv1, name: "bn_conv1", inPlace: true, useGlobalStats: true)
    spec.scale(conv1, name: "scale_conv1", inPlace: true, biasTerm: true)
    spec.relu(conv1, name: "conv1_relu", inPlace: true)
    var top = spec.pooling(conv1, name: "pool1", method: .max, kernelSize: 3, stride: 2)
    let stages = [(2, 3, 64), (3, 4, 128), (4, 6, 256), (5, 3, 512)]
    let letters = Array("abcdef")
    for (stage, blocks, width) in stages {
      for block in 0..<blocks {
        let letter = letters[block]
        top = resnetBottleneck(
          spec, top, id: "\(stage)\(letter)", width: width,
          stride: block == 0 && stage > 2 ? 2 : 1, projection: block == 0)
      }
    }
    let pool5 = spec.pooling(top, name: "pool5", method: .ave, kernelSize: 7, stride: 1)
    let fc = spec.innerProduct(pool5, name: "fc1000", numOutput: 1000)
    spec.softmax(fc, name: "prob")
    return spec
  }
}
