// zlib for Swift (deflate and CRC-32 of the report's PNG images); htslib links the same library.
#ifndef MOTIFATTN_CZLIB_SHIM_H
#define MOTIFATTN_CZLIB_SHIM_H
#include <zlib.h>
#endif
