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
#include <htslib/kstring.h>
#include <htslib/vcf.h>
#include <htslib/tbx.h>

static inline uint8_t *motifattn_bam_get_seq(const bam1_t *b) { return bam_get_seq(b); }
static inline char *motifattn_bam_get_qname(const bam1_t *b) { return bam_get_qname(b); }
static inline int motifattn_bam_seqi(const uint8_t *s, int i) { return bam_seqi(s, i); }
static inline int motifattn_bam_is_rev(const bam1_t *b) { return bam_is_rev(b) ? 1 : 0; }

// hopen is variadic in C, which Swift cannot call.
static inline hFILE *motifattn_hopen(const char *path, const char *mode) { return hopen(path, mode); }

// VCF/BCF: macros and bitfields of vcf.h and tbx.h.
static inline htsFile *motifattn_hts_open(const char *path, const char *mode) { return hts_open(path, mode); }
static inline int motifattn_bcf_n_allele(const bcf1_t *b) { return b->n_allele; }
static inline const char *motifattn_bcf_allele(const bcf1_t *b, int i) { return b->d.allele[i]; }
static inline const char *motifattn_bcf_id(const bcf1_t *b) { return b->d.id; }
static inline const char *motifattn_bcf_hdr_id2name(const bcf_hdr_t *h, int rid) { return bcf_hdr_id2name(h, rid); }
static inline int motifattn_bcf_hdr_ncontigs(const bcf_hdr_t *h) { return h->n[BCF_DT_CTG]; }
static inline hts_itr_t *motifattn_bcf_itr_querys(const hts_idx_t *idx, const bcf_hdr_t *h, const char *region) {
    return bcf_itr_querys(idx, h, region);
}
static inline int motifattn_bcf_itr_next(htsFile *fp, hts_itr_t *itr, bcf1_t *b) { return bcf_itr_next(fp, itr, b); }
static inline hts_itr_t *motifattn_tbx_itr_querys(const tbx_t *tbx, const char *region) { return tbx_itr_querys(tbx, region); }
static inline int motifattn_tbx_itr_next(htsFile *fp, tbx_t *tbx, hts_itr_t *itr, kstring_t *line) {
    return tbx_itr_next(fp, tbx, itr, line);
}
static inline int motifattn_bcf_update_info_float(const bcf_hdr_t *h, bcf1_t *b, const char *key, const float *values, int n) {
    return bcf_update_info_float(h, b, key, values, n);
}
static inline int motifattn_bcf_update_info_string(const bcf_hdr_t *h, bcf1_t *b, const char *key, const char *value) {
    return bcf_update_info_string(h, b, key, value);
}
static inline void motifattn_float_set_missing(float *x) { bcf_float_set_missing(*x); }
static inline void motifattn_ks_free(kstring_t *s) { ks_free(s); }

#endif
