// upgrade_net_proto_binary: see UpgradeNetProtoBinary in CaffeCLI.

import CaffeCLI

ToolMain.main(UpgradeNetProtoBinary.self)
