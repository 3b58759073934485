// netspec_lenet: prints LeNet's train/test definition, built in Swift with NetSpec.
//
// Usage: netspec_lenet [TRAIN_SOURCE TEST_SOURCE [TRAIN_BATCH TEST_BATCH]]
// With no arguments the output equals examples/mnist/lenet_train_test.prototxt (less its
// comments). The net itself is ModelZoo.lenetTrainTest (Sources/Caffe/NetSpec/ModelZoo.swift).

import Caffe
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard [0, 2, 4].contains(arguments.count) else {
  FileHandle.standardError.write(
    Data("usage: netspec_lenet [TRAIN_SOURCE TEST_SOURCE [TRAIN_BATCH TEST_BATCH]]\n".utf8))
  exit(1)
}
let batchSizes = arguments.dropFirst(2).map { Int($0) }
guard batchSizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
  FileHandle.standardError.write(Data("error: batch sizes must be positive integers\n".utf8))
  exit(1)
}
let spec = ModelZoo.lenetTrainTest(
  trainSource: arguments.count >= 2 ? arguments[0] : "examples/mnist/mnist_train_lmdb",
  testSource: arguments.count >= 2 ? arguments[1] : "examples/mnist/mnist_test_lmdb",
  trainBatchSize: batchSizes.first.flatMap { $0 } ?? 64,
  testBatchSize: batchSizes.last.flatMap { $0 } ?? 100)
print(spec.prototxt, terminator: "")
