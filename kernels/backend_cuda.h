/*
 * backend_cuda.h - private to the CUDA backend (kernels/backend_cuda.cu,
 * kernels/backend_setup.cu): its state in s->be_state and the helpers the
 * two files share.  C++ (CUDA types); host C never includes it.
 */
#ifndef BS_BACKEND_CUDA_H
#define BS_BACKEND_CUDA_H

#include <cuda_runtime.h>

extern "C" {
#include "sim_state.h"
#include "log.h"
#include "kernels.h"
}

typedef struct cuda_area {
    uint64_t *input, *hist;
    bs_k_select *sel;
    bs_k_list list;
    uint64_t *firing, *next;    /* device views into up.fire / up.next */
    size_t fire_off, next_off;  /* byte offsets in those regions */
    uint64_t n_next, next_first;/* local new winners this step */
    int desc_first, desc_count; /* its bs_k_fiber entries this step */
} cuda_area;

typedef struct cuda_fiber {
    bs_k_store store[2];
    bs_k_group *groups;         /* device view into up.next */
    size_t group_off;
    uint64_t n_groups;
    /* input cache (kernels.h, BS_K_FULL ...): device counts over the
     * target's slice, and the firing set they are of (host, ascending) */
    uint32_t *cache;            /* NULL: caches off */
    uint64_t *cached;           /* (source k) host */
    uint64_t n_cached;
    int cache_valid;
    size_t delta_off;           /* byte offset in up.fire of the joined and
                                   left sources (source k u64) */
    /* the edges of the last plasticity (kernels.h, bs_k_reuse_args):
     * device, and the firing sources and winners they are of (host) */
    uint64_t *prev_src, *prev_tgt;
    uint64_t prev_cap, n_prev;
    uint64_t *pf, *pw;          /* (source k), (target k) host, ascending */
    uint64_t n_pf, n_pw;
    int prev_valid;
} cuda_fiber;

typedef struct cuda_state {
    int device, n_sm, phase_sync, debug_sync;
    cudaStream_t stream;
    cudaEvent_t ev_fire, ev_next;
    int have_stream, have_ev_fire, have_ev_next;
    bs_pool pool;
    cuda_area *areas;
    cuda_fiber *fibers;
    int *desc_fiber;            /* fiber of each bs_k_fiber this step */
    uint64_t *stim_ids, *stim_off;
    unsigned char *up_fire, *up_next;
    size_t up_fire_bytes, up_next_bytes, desc_bytes;
    size_t up_fire_fixed;       /* bs_k_fiber and winners: always uploaded */
    unsigned char *h_stage;     /* pinned */
    size_t h_stage_bytes;
    bs_cand *h_cand;            /* pinned (ranks, sum k) */
    uint32_t *h_err;            /* pinned (n_areas): top-k error flags */
    bs_k_plastic_state *h_pst;
    bs_cand *cand;              /* (sum k) this rank's candidates */
    bs_cand *gathered;          /* (ranks, sum k) every rank's (NCCL) */
    uint64_t cap_max, max_firing;
    bs_k_merge_args pl;         /* plasticity scratch views */
    uint64_t fire_mark, next_mark;  /* s->step + 1 of the last uploads */
    int caches;                 /* input caches and previous edges
                                   planned and allocated (incremental) */
    uint64_t *cached_all;       /* host block of every cuda_fiber.cached,
                                   pf and pw */
    uint64_t n_mode[4];         /* fiber accumulations by BS_K_* mode */
    int sum_mode;               /* bs_k_accumulate_sum: 0 never, 1 when
                                   the scattered edges are few (default),
                                   2 whenever every fiber fits (tests);
                                   BRAINSIM_CUDA_SUM */
    uint64_t n_sum;             /* area accumulations through it */
    uint64_t pairs_done, pairs_full;  /* plasticity (source, group) pairs
                                   generated, and without the prev edges */
    unsigned char *up_pl, *h_pl;/* per fiber's plasticity: fsel (max firing
                                   u32), dirty groups and flags (max k) */
    size_t pl_groups_off, pl_dirty_off, up_pl_bytes;
} cuda_state;


static inline size_t align_up(size_t n) { return (n + 255) / 256 * 256; }

/* 1 iff v[0..n) is strictly ascending (the firing and winner lists are, by
 * construction; the incremental steps rely on it and check). */
static inline int ascending(const uint64_t *v, uint64_t n)
{
    for (uint64_t i = 1; i < n; i++)
        if (v[i - 1] >= v[i])
            return 0;
    return 1;
}

/* The most firing sources fiber f can have: its source's k. */
static inline uint64_t source_k(const bs_sim *s, int f)
{
    const bs_fiber_spec *fs = &s->exp->fibers[f];
    return fs->src_is_stim ? s->exp->stims[fs->src].k : s->exp->areas[fs->src].k;
}

/* The pinned staging of up.next (local new winners, then groups). */
static inline unsigned char *h_next(const cuda_state *cs)
{
    return cs->h_stage + align_up(cs->up_fire_bytes);
}

/* Records a CUDA error (file:line, the call, the rank and step) in s->err
 * and returns BS_ERR_CUDA; clears the runtime's last error. */
bs_status cuda_fail(bs_sim *s, int e, const char *call, const char *file,
                    int line);

#define CK(call)                                                               \
    do {                                                                       \
        cudaError_t e_ = (call);                                               \
        if (e_ != cudaSuccess)                                                 \
            return cuda_fail(s, e_, #call, __FILE__, __LINE__);                \
    } while (0)

/* A launcher's result; with debug_sync also waits, to name the kernel
 * that faults.  `who` names the phase and its area or fiber. */
#define KCK(launch, who)                                                       \
    do {                                                                       \
        const char *what_ = "?";                                               \
        int e_ = (launch);                                                     \
        if (e_ == 0 && cs->debug_sync)                                         \
            e_ = (int)cudaStreamSynchronize(cs->stream);                       \
        if (e_ != 0) {                                                         \
            char c_[256];                                                      \
            snprintf(c_, sizeof c_, "kernel %s (%s)", what_, who);             \
            return cuda_fail(s, e_, c_, __FILE__, __LINE__);                   \
        }                                                                      \
    } while (0)
#define WHAT &what_


/* kernels/backend_setup.cu */
bs_status cuda_init(bs_sim *s);
void cuda_destroy(bs_sim *s);
bs_status cuda_grow(bs_sim *s);
/* Current stores between the host views and the device (download/upload). */
bs_status copy_stores(bs_sim *s, cuda_state *cs, int to_host);

#endif /* BS_BACKEND_CUDA_H */
