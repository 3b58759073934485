// libpng's simplified read/write API (libpng-dev, libpng16).
#include <png.h>
