// extract_features: placeholder until its command lands in CaffeCLI.
