// libjpeg-turbo's libjpeg API (libjpeg62-turbo-dev). jpeglib.h needs stdio.h and size_t first.
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
