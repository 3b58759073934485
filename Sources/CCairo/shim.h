// cairo's 2-D drawing API (libcairo2-dev): image surfaces written as PNG, and SVG surfaces.
#include <cairo.h>
#include <cairo-svg.h>
