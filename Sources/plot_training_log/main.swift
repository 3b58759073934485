// plot_training_log: see PlotTrainingLogCommand in CaffeCLI.

import CaffeCLI

ToolMain.main(PlotTrainingLogCommand.self)
