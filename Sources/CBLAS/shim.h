// OpenBLAS's CBLAS interface (libopenblas-dev), plus its thread-count control.
#include <cblas.h>
