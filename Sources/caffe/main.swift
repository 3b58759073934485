// The `caffe` executable: train, test and time models (see CaffeCLI.CaffeCommand).

import CaffeCLI

ToolMain.main(CaffeCommand.self)
