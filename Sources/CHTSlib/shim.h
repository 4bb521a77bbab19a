// htslib for Swift: the public headers, plus static inline wrappers for the
// function-like macros Swift cannot call (bam_get_seq, bam_seqi, ...).
#ifndef MOTIFATTN_CHTSLIB_SHIM_H
#define MOTIFATTN_CHTSLIB_SHIM_H
#include <htslib/hts.h>
#include <htslib/hfile.h>
#include <htslib/bgzf.h>
#include <htslib/faidx.h>
#include <htslib/kseq.h>
#include <htslib/sam.h>
#include <htslib/thread_pool.h>

static inline uint8_t *motifattn_bam_get_seq(const bam1_t *b) { return bam_get_seq(b); }
static inline char *motifattn_bam_get_qname(const bam1_t *b) { return bam_get_qname(b); }
static inline int motifattn_bam_seqi(const uint8_t *s, int i) { return bam_seqi(s, i); }
static inline int motifattn_bam_is_rev(const bam1_t *b) { return bam_is_rev(b) ? 1 : 0; }

// hopen is variadic in C, which Swift cannot call.
static inline hFILE *motifattn_hopen(const char *path, const char *mode) { return hopen(path, mode); }

#endif
