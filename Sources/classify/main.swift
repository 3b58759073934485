// classify: top-k classes of images from a trained deploy net (see ClassifyCommand).

import CaffeCLI

ToolMain.main(ClassifyCommand.self)
