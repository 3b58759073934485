// upgrade_net_proto_text: see UpgradeNetProtoText in CaffeCLI.

import CaffeCLI

ToolMain.main(UpgradeNetProtoText.self)
