// upgrade_solver_proto_text: see UpgradeSolverProtoText in CaffeCLI.

import CaffeCLI

ToolMain.main(UpgradeSolverProtoText.self)
