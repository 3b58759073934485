// convert_imageset: placeholder until its command lands in CaffeCLI.
