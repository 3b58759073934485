// draw_net: a net definition drawn with Graphviz (see DrawNetCommand).

import CaffeCLI

ToolMain.main(DrawNetCommand.self)
