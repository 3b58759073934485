// convert_imageset: a list of images and labels to a Caffe LMDB or LevelDB (see ConvertImageset).

import CaffeCLI

ToolMain.main(ConvertImageset.self)
