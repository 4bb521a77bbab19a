// OpenBLAS' CBLAS interface (pkg-config `openblas` adds its include folder).
#ifndef MOTIFATTN_COPENBLAS_SHIM_H
#define MOTIFATTN_COPENBLAS_SHIM_H
#include <cblas.h>

// The pthreads build of OpenBLAS starts its worker threads when the library loads, and they
// spin (sched_yield) for about 0.1 s of CPU time before sleeping. motifattn never asks OpenBLAS
// for more than one thread, so it stops them at once. Declared weak: builds of OpenBLAS without
// this entry point (OpenMP or serial builds) simply skip it.
extern int blas_thread_shutdown_(void) __attribute__((weak));

static inline void motifattn_stop_openblas_threads(void) {
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}
#endif
