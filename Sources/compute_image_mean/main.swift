// compute_image_mean: placeholder until its command lands in CaffeCLI.
