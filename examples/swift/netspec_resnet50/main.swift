// netspec_resnet50: prints ResNet-50's deploy definition, built in Swift with NetSpec.
//
// Usage: netspec_resnet50 [BATCH_SIZE]
// The net is ModelZoo.resnet50Deploy (Sources/Caffe/NetSpec/ModelZoo+ResNet.swift): one
// bottleneck block is a plain Swift function, called 16 times. Its layers equal those of the
// authors' ResNet-50-deploy.prototxt.

import Caffe
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let batchSize = arguments.first.map { Int($0) } ?? 1
guard arguments.count <= 1, let batchSize, batchSize > 0 else {
  FileHandle.standardError.write(Data("usage: netspec_resnet50 [BATCH_SIZE]\n".utf8))
  exit(1)
}
print(ModelZoo.resnet50Deploy(batchSize: batchSize).prototxt, terminator: "")
