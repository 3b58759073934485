// ModelZoo: well-known nets written with NetSpec (LeNet here; ResNet in ModelZoo+ResNet.swift).

import CaffeProto

/// Nets from Caffe's examples and model zoo, built in code with ``NetSpec``.
///
/// Each function returns a fresh spec; print its ``NetSpec/prototxt`` or build a ``Net`` from
/// its ``NetSpec/toProto()``.
public enum ModelZoo {
  /// LeNet's layers from the images to the class scores, shared by every LeNet variant.
  ///
  /// conv1 (20 5×5 filters), max pool 2×2/2, conv2 (50 5×5), max pool 2×2/2, ip1 (500) with an
  /// in-place ReLU, ip2 (10). Weights get `lr_mult` 1 and biases 2, with Xavier and constant
  /// fillers, as in `examples/mnist/lenet_train_test.prototxt`.
  /// - Parameters:
  ///   - spec: The spec to append to.
  ///   - data: Images (N, 1, 28, 28), scaled to [0, 1).
  /// - Returns: The scores `ip2` (N, 10).
  @discardableResult
  public static func lenetLayers(in spec: NetSpec, from data: Top) -> Top {
    let learned: [ParamSpec] = [.init(lrMult: 1), .init(lrMult: 2)]
    var top = data
    for (index, filters) in [20, 50].enumerated() {
      top = spec.convolution(
        top, name: "conv\(index + 1)", numOutput: filters, kernelSize: 5, stride: 1,
        weightFiller: .xavier, biasFiller: .constant(), params: learned)
      top = spec.pooling(top, name: "pool\(index + 1)", method: .max, kernelSize: 2, stride: 2)
    }
    let ip1 = spec.innerProduct(
      top, name: "ip1", numOutput: 500, weightFiller: .xavier, biasFiller: .constant(),
      params: learned)
    spec.relu(ip1, name: "relu1", inPlace: true)
    return spec.innerProduct(
      ip1, name: "ip2", numOutput: 10, weightFiller: .xavier, biasFiller: .constant(),
      params: learned)
  }

  /// LeNet for training and testing on MNIST, as `examples/mnist/lenet_train_test.prototxt`.
  ///
  /// Two `Data` layers named "mnist" (TRAIN and TEST, pixels scaled by 1/256), the
  /// ``lenetLayers(in:from:)``, an `Accuracy` layer in TEST and a `SoftmaxWithLoss`.
  /// - Parameters:
  ///   - trainSource: The training LMDB folder.
  ///   - testSource: The test LMDB folder.
  ///   - trainBatchSize: Images per training batch.
  ///   - testBatchSize: Images per test batch.
  /// - Returns: The spec of the net "LeNet".
  public static func lenetTrainTest(
    trainSource: String = "examples/mnist/mnist_train_lmdb",
    testSource: String = "examples/mnist/mnist_test_lmdb",
    trainBatchSize: Int = 64, testBatchSize: Int = 100
  ) -> NetSpec {
    let spec = NetSpec(name: "LeNet")
    let scale: Float = 0.00390625
    for (phase, source, batch) in [
      (Phase.train, trainSource, trainBatchSize), (Phase.test, testSource, testBatchSize),
    ] {
      spec.data(
        name: "mnist", tops: ("data", "label"), source: source, batchSize: batch,
        backend: .lmdb, scale: scale, include: [.phase(phase)])
    }
    let scores = lenetLayers(in: spec, from: Top("data"))
    spec.accuracy(scores, Top("label"), name: "accuracy", include: [.phase(.test)])
    spec.softmaxWithLoss(scores, Top("label"), name: "loss")
    return spec
  }

  /// LeNet for inference: an `Input` "data" of shape (batchSize, 1, 28, 28), the
  /// ``lenetLayers(in:from:)`` and a `Softmax` "prob" (N, 10).
  ///
  /// Feed it pixels scaled to [0, 1) (bytes × 0.00390625), as the training net saw them.
  /// - Parameter batchSize: N of the input.
  /// - Returns: The spec of the net "LeNet".
  public static func lenetDeploy(batchSize: Int = 1) -> NetSpec {
    let spec = NetSpec(name: "LeNet")
    let data = spec.input(shape: [batchSize, 1, 28, 28], name: "data")
    spec.softmax(lenetLayers(in: spec, from: data), name: "prob")
    return spec
  }

  /// LeNet made fully convolutional, for Caffe's net surgery: ip1 becomes "ip1-conv" (500 4×4
  /// filters over pool2's 50 channels) and ip2 becomes "ip2-conv" (10 1×1 filters), so the net
  /// takes images of any size ≥ 28 × 28 and outputs a map of class probabilities.
  ///
  /// Input (1, 1, height, width); "prob" (1, 10, (height − 28) / 4 + 1, (width − 28) / 4 + 1).
  /// The weights of ip1 (500, 800) and ip2 (10, 500) fit "ip1-conv" (500, 50, 4, 4) and
  /// "ip2-conv" (10, 500, 1, 1) value for value.
  /// - Parameters:
  ///   - height: H of the input image, in pixels.
  ///   - width: W of the input image, in pixels.
  /// - Returns: The spec of the net "LeNetFullyConvolutional".
  public static func lenetFullyConvolutional(height: Int, width: Int) -> NetSpec {
    let spec = NetSpec(name: "LeNetFullyConvolutional")
    var top = spec.input(shape: [1, 1, height, width], name: "data")
    for (index, filters) in [20, 50].enumerated() {
      top = spec.convolution(top, name: "conv\(index + 1)", numOutput: filters, kernelSize: 5)
      top = spec.pooling(top, name: "pool\(index + 1)", method: .max, kernelSize: 2, stride: 2)
    }
    let ip1 = spec.convolution(top, name: "ip1-conv", numOutput: 500, kernelSize: 4)
    spec.relu(ip1, name: "relu1", inPlace: true)
    let ip2 = spec.convolution(ip1, name: "ip2-conv", numOutput: 10, kernelSize: 1)
    spec.softmax(ip2, name: "prob")
    return spec
  }
}
