// Lightning Memory-Mapped Database (liblmdb-dev).
#include <lmdb.h>
