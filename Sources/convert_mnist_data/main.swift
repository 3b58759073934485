// convert_mnist_data: MNIST IDX files to a Caffe LMDB or LevelDB (see ConvertMNISTData).

import CaffeCLI

ToolMain.main(ConvertMNISTData.self)
