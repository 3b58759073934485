// compute_image_mean: the mean image of a Datum database as a BlobProto (see ComputeImageMean).

import CaffeCLI

ToolMain.main(ComputeImageMean.self)
