// extract_features: a trained net's blob values as Datum records (see ExtractFeatures).

import CaffeCLI

ToolMain.main(ExtractFeatures.self)
