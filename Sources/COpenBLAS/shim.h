// OpenBLAS' CBLAS interface (pkg-config `openblas` adds its include folder).
#ifndef MOTIFATTN_COPENBLAS_SHIM_H
#define MOTIFATTN_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
