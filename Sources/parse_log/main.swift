// parse_log: see ParseLogCommand in CaffeCLI.

import CaffeCLI

ToolMain.main(ParseLogCommand.self)
