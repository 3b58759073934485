// LevelDB's C API (libleveldb-dev ships no pkg-config file, hence no pkgConfig in Package.swift).
#include <leveldb/c.h>
