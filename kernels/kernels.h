/*
 * kernels.h - the CUDA backend's kernels: plain-data arguments and the
 * extern "C" launchers that the backend (kernels/backend_*.cu) calls.  No
 * CUDA types (a stream is a void *, an error is a cudaError_t as int, 0 on
 * success), so the contracts read the same from C and CUDA.
 *
 * Every launcher enqueues work on `stream` and returns the first launch
 * error (cudaGetLastError after each launch); *what then names the kernel.
 * Nothing here allocates: every buffer is a view of the backend's device
 * pool, sized by the bs_k_*_temp_bytes and bs_k_topk_lcap functions.
 *
 * Device layout of one computing area a (rank slice [lo, hi), n_local):
 *   input  (n_local)            u64  Q16.16 sums, written by accumulate
 *   hist   (BS_K_HIST_BINS)     u64  histogram of bs_k_hist_bin(input
 *                                    key, list guess), exact after
 *                                    accumulate + corrections
 *   sel    (1)                  bs_k_select  top-k state; zeroed with hist
 *                                    before every accumulate
 *   list   (lcap), guess (1)    u64  candidate list (see bs_k_list)
 * Every kernel is integer-only and its result independent of scheduling
 * (atomics only add integers or pick from sets fixed by ids), so the
 * backend reproduces the CPU backend bit for bit.
 */
#ifndef BS_KERNELS_H
#define BS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "connectome.h"
#include "topk.h"

/* Bins of the input histogram that accumulate fuses into its write-out. */
#define BS_K_HIST_BINS 2304
/* Monotone (non-decreasing) key of an input for the fused histogram: the
 * integer part c = v >> 16 below 1024, then 32 sub-bins per octave of c.
 * Range [0, 2240).  Can't fail. */
BS_HD uint32_t bs_k_hist_key(uint64_t v)
{
    uint64_t c = v >> 16;
    if (c < 1024)
        return (uint32_t)c;
#ifdef __CUDA_ARCH__
    uint32_t e = 63u - (uint32_t)__clzll((long long)c);
#else
    uint32_t e = 63u - (uint32_t)__builtin_clzll(c);
#endif
    return 1024u + (e - 10u) * 32u + (uint32_t)((c >> (e - 5u)) & 31u);
}

/* The histogram bin of key under the candidate list's guess: with a
 * guess, every key below it counts in bin 0, since the top-k looks at the
 * bins from the top down only to its threshold bin, which the list serves
 * only when it is >= guess (and a wrong, lower bin found in bin 0 only
 * sends the top-k to the whole slice).  This spares the write-out the
 * histogram of the (many) inputs below the guess. */
#define BS_K_NO_GUESS UINT64_MAX
BS_HD uint32_t bs_k_hist_bin(uint32_t key, uint64_t guess)
{
    return guess != BS_K_NO_GUESS && key < guess ? 0u : key;
}

/* How the accumulate kernel gets a fiber's edge counts (the input cache:
 * per fiber, the edge counts of its last firing set into every target of
 * the slice, a function of that set alone since the connectome is fixed):
 *   GEN    no cache: generate the edges of `gen` into the sum;
 *   FULL   generate the edges of `gen` (the firing set), store the counts
 *          in the cache, add them to the sum;
 *   DELTA  cache + edges of gen[0..n_plus) - edges of gen[n_plus..
 *          n_plus + n_minus) (the sources that joined and left the firing
 *          set since the cache's), stored back and added to the sum;
 *   REUSE  the firing set is the cache's: add the cache. */
enum { BS_K_GEN = 0, BS_K_FULL = 1, BS_K_DELTA = 2, BS_K_REUSE = 3 };

/* Tiles of the accumulate kernel have at most 2^BS_K_TILE_MAX_LOG2
 * targets (one connectivity block of 2^15: see bs_k_acc_tile), aligned in
 * global id space.  A cache covers whole tiles of
 * that size: entry i is target cache_lo + i, cache_lo = lo rounded down,
 * so that every tile's segment is 16-byte aligned and whole. */
#define BS_K_TILE_MAX_LOG2 15
BS_HD uint64_t bs_k_cache_lo(uint64_t lo)
{
    return lo >> BS_K_TILE_MAX_LOG2 << BS_K_TILE_MAX_LOG2;
}
BS_HD uint64_t bs_k_cache_len(uint64_t lo, uint64_t hi)
{
    return hi <= lo ? 0
                    : (((hi - 1) >> BS_K_TILE_MAX_LOG2) + 1 -
                       (lo >> BS_K_TILE_MAX_LOG2)) << BS_K_TILE_MAX_LOG2;
}

/* One active fiber into an area with a non-empty firing set, as uploaded
 * (once per step, with every firing list) for the accumulate kernel. */
typedef struct bs_k_fiber {
    bs_fiber_geom geom;
    const uint64_t *firing;     /* device (n_firing) ascending source ids */
    uint64_t n_firing;
    const uint64_t *gen;        /* device (n_plus + n_minus) sources */
    uint64_t n_plus, n_minus;
    uint32_t *cache;            /* device (bs_k_cache_len) edge counts of
                                   targets cache_lo + i, or NULL */
    uint32_t mode, pad;         /* BS_K_GEN ... */
} bs_k_fiber;

/* Per-area top-k state on the device, zeroed before every accumulate.
 * accumulate/corrections fill max and the candidate list; the top-k
 * launcher the rest.  error != 0 after a top-k means an internal
 * inconsistency (1: the count above the threshold, 2: the ties taken, 4: a
 * candidate slot overflowed, 8: too few ties). */
typedef struct bs_k_select {
    uint32_t error, mode, done, pad;      /* mode: BS_K_VIEW_* */
    uint64_t max;               /* largest input of the slice */
    uint64_t n_list;            /* candidates appended (may exceed lcap) */
    uint64_t bin, bin_above, bin_count;   /* threshold bin of hist */
    uint64_t prefix, mask, need, above;   /* radix select over inputs */
    uint64_t n_ties, want;      /* inputs == threshold; how many to take */
    uint64_t iprefix, imask, ineed;       /* radix select over tie ids */
    uint64_t out_fill, tie_fill;          /* candidate slots written */
    uint64_t dhist[256];        /* digit histogram of the current pass */
} bs_k_select;

/* What the radix passes scan: the list (from accumulate, or refilled by
 * one pass over the slice), or the whole slice. */
enum { BS_K_VIEW_LIST = 0, BS_K_VIEW_COMPACT = 1, BS_K_VIEW_FULL = 2 };

/* BS_K_NO_GUESS, the list threshold meaning "no list" (the first step,
 * or after one whose threshold bin was below 3), is defined above. */

/* Per-area list of candidate ids for the next top-k: accumulate and
 * corrections append every index whose input has hist key >= *guess (the
 * previous step's threshold bin less 2), unordered; the top-k uses it when
 * this step's threshold bin is still >= *guess and it did not overflow. */
typedef struct bs_k_list {
    uint64_t *idx;              /* (lcap) indices into the slice */
    uint64_t lcap;
    uint64_t *guess;            /* (1) persistent across steps */
} bs_k_list;

/* ---- kernels/edges.cu ---- */

/* Phase 1, procedural part, for one area: input[j - lo] = 65536 * (number
 * of edges from the firing sources of fibers[0..n_fibers) into j), for j in
 * [lo, hi), every target written exactly once (tiles of 2^log2_tile targets
 * in shared memory, aligned in global id space), each fiber's counts taken
 * from, or updated in, its input cache as its mode says; also hist,
 * sel->max and the candidate list of those values (hist and sel zeroed by
 * the caller). */
typedef struct bs_k_acc_args {
    const bs_k_fiber *fibers;   /* device (n_fibers) */
    int n_fibers;
    uint64_t lo, hi;
    uint32_t log2_tile;         /* 10..15; see bs_k_acc_tile */
    uint64_t *input;            /* device (hi - lo) */
    uint64_t *hist;             /* device (BS_K_HIST_BINS) */
    bs_k_select *sel;           /* device */
    bs_k_list list;
} bs_k_acc_args;

/* Fails (cudaErrorInvalidValue) when log2_tile is outside 10..15. */
int bs_k_accumulate(const bs_k_acc_args *a, void *stream, const char **what);

/* log2 of the tile for a slice [lo, hi) on a device of n_sm
 * multiprocessors, whose fibers' largest connectivity block is
 * 2^log2_block_max: 2^15 targets (the 1024-thread kernel, so that a tile
 * holds a whole block and no pair is generated twice) when the block is at
 * least that large and the slice has at least 4 such tiles per
 * multiprocessor; else the largest tile <= 2^14 that still gives at least
 * 4 CTAs per multiprocessor, and at least 2^10.  Can't fail. */
uint32_t bs_k_acc_tile(uint64_t lo, uint64_t hi, int n_sm,
                       uint32_t log2_block_max);

/* Raises the dynamic shared-memory limit of the tile kernel on the current
 * device; once per init. */
int bs_k_acc_setup(void);

/* ---- kernels/sum.cu ---- */

/* Phase 1 for an area whose fibers all have current input caches but
 * for a few sources: the results of bs_k_accumulate (inputs, caches,
 * hist, sel->max, the candidate list) without its tiles.  Each DELTA
 * fiber's joined and left sources are scattered into its cache (global
 * atomics over the slice's blocks), then the inputs are the sums of the
 * caches, streamed.  host: the fibers as uploaded to a->fibers (the host
 * copies, for their modes and counts); every one must pass
 * bs_k_sum_fits, else cudaErrorInvalidValue and nothing is launched.
 * Worth it when the scattered edges are few next to the slice (the
 * backend's choice). */
int bs_k_accumulate_sum(const bs_k_acc_args *a, const bs_k_fiber *host,
                        int n_sm, void *stream, const char **what);

/* 1 when fiber f can go through bs_k_accumulate_sum on slice [lo, hi):
 * REUSE, or DELTA with fewer than 2^31 (source, block) pairs to scatter.
 * Can't fail. */
int bs_k_sum_fits(const bs_k_fiber *f, uint64_t lo, uint64_t hi);

/* Plasticity, step 1: every edge (F[fi], W[wi]) of the fiber with F the
 * firing sources and W the local new winners (both ascending; groups
 * split W into runs sharing a connectivity block), fi in fsel[0..n_sel)
 * (or every fi when fsel is NULL) and W in the groups given, appended as
 * key (fi << 32 | wi) to keys[] (unordered) with per-source counts in
 * fcount[fi]; st->n_u counts every edge found, also beyond cap (then keys
 * holds the first cap).  Groups: see bs_k_group. */
typedef struct bs_k_plastic_state {
    uint64_t n_u;               /* edges (firing source, local winner) */
    uint64_t new_n;             /* entries of the next store */
    uint32_t overflow;          /* 1: the next store would exceed cap */
    uint32_t saturated;         /* 1: a weight passed BS_W_MAX on a fiber
                                   without a cap (bs_saturates) */
} bs_k_plastic_state;

/* A run of local winners sharing a connectivity block, as uploaded per
 * step: x = block | n_winners << 40, y = first winner index | (offset of
 * that winner in the block) << 32, z = offsets of the second | third <<
 * 32.  The edge finder compares a generated position with up to
 * BS_K_GROUP_INLINE offsets inline (no search, no divergence between
 * lanes: sparse winners), and searches the winners of longer runs (dense
 * winners, where splitting runs would regenerate blocks again). */
#define BS_K_GROUP_INLINE 3
typedef struct bs_k_group {
    uint64_t x, y, z, pad;
} bs_k_group;

/* Host: the groups of local winners win[0..n_win) (ascending) for blocks
 * of 2^log2_block into out[] (n_win at most); returns their number.  Can't
 * fail. */
uint64_t bs_k_groups(const uint64_t *win, uint64_t n_win, uint32_t log2_block,
                     bs_k_group *out);

typedef struct bs_k_find_args {
    bs_fiber_geom geom;
    const uint64_t *firing;     /* device (n_firing) */
    uint64_t n_firing;
    const uint32_t *fsel;       /* device (n_sel) indices into firing, or
                                   NULL */
    uint64_t n_sel;
    const uint64_t *win;        /* device (n_win) */
    uint64_t n_win;
    const bs_k_group *groups;   /* device (n_groups) */
    uint64_t n_groups;
    uint64_t *keys;             /* device (cap) */
    uint64_t *fcount;           /* device (n_firing + 1), zeroed */
    uint64_t cap;
    bs_k_plastic_state *st;     /* device, zeroed */
    int n_sm;                   /* the device's multiprocessors */
} bs_k_find_args;

int bs_k_find_edges(const bs_k_find_args *a, void *stream, const char **what);

/* ---- kernels/store.cu ---- */

/* The store of one fiber on the device (one of its two buffers). */
typedef struct bs_k_store {
    uint64_t *src, *tgt;        /* (cap) sorted by (src, tgt) */
    uint32_t *w;                /* (cap) Q16.16 */
} bs_k_store;

/* Phase 1, stored part: input[tgt - lo] += w - 65536 for every entry of
 * the store (n entries) whose source is in firing[] (ascending), updating
 * hist, sel->max and the candidate list to match.  Integer atomics: the
 * sums are exact. */
typedef struct bs_k_corr_args {
    const uint64_t *firing;
    uint64_t n_firing;
    bs_k_store store;
    uint64_t n, lo;
    uint64_t *input, *hist;
    bs_k_select *sel;
    bs_k_list list;             /* appends targets crossing *guess */
} bs_k_corr_args;

int bs_k_corrections(const bs_k_corr_args *a, void *stream, const char **what);

/* Plasticity, steps 2-5, after bs_k_find_edges: orders the edges by
 * (source, target), looks each up in the current store `cur` (n_cur
 * entries), and writes the merged store to `next` when it fits in cap:
 * entries of cur potentiated where an edge exists, new entries with
 * potentiate(1) (never 1: the caller skips fibers where potentiate(1) is
 * 1).  st->new_n receives the merged count and st->overflow 1 when it (or
 * n_u) exceeds cap, in which case `next` is left unwritten; else
 * st->saturated 1 when a weight passed BS_W_MAX without a cap (`next`
 * then holds BS_W_MAX there, and the step fails). */
typedef struct bs_k_merge_args {
    const uint64_t *firing;     /* device (n_firing) */
    uint64_t n_firing;
    const uint64_t *win;        /* device */
    uint32_t mult, cap_w;       /* Q16.16 potentiation */
    bs_k_store cur, next;
    uint64_t n_cur, cap;
    uint64_t *keys_raw, *keys, *lb;       /* (cap) scratch */
    uint64_t *ins, *ins_scan;             /* (cap + 2) scratch */
    uint8_t *hit;                         /* (cap) scratch */
    uint64_t *fcount, *foff, *ffill;      /* (n_firing + 1) scratch */
    bs_k_plastic_state *st;
    void *temp;                           /* CUB scratch */
    size_t temp_bytes;
} bs_k_merge_args;

int bs_k_plastic_merge(const bs_k_merge_args *a, void *stream,
                       const char **what);

/* The edges of a fiber's previous plasticity, kept so that the next one
 * regenerates only what changed.  With F, W this step's firing sources
 * and local new winners and F', W' the previous ones, whose edges are
 * prev_src/prev_tgt[0..n_prev):
 *   - joined sources (F \ F') x every group of W: generated;
 *   - common sources (F n F') x the dirty groups (the connectivity blocks
 *     that hold a winner not in W'): generated;
 *   - common sources x the other winners (blocks whose winners were all
 *     in W'): the previous edges (i, j) with i in F, j in W, not dirty.
 * Together: every edge of F x W once.  Afterwards this step's edges are
 * stored in prev_src/prev_tgt when there are at most prev_cap of them
 * (st->n_u says; otherwise the host must not use them). */
typedef struct bs_k_reuse_args {
    int use_prev;               /* 0: generate F x W (fsel, dgroups unused) */
    const uint32_t *fsel;       /* device (n_join + n_common): indices into F
                                   of the joined sources, then the common */
    uint64_t n_join, n_common;
    const bs_k_group *dgroups;  /* device (n_dgroups) dirty groups */
    uint64_t n_dgroups;
    const uint8_t *wdirty;      /* device (n_win) 1: winner in a dirty group */
    uint64_t *prev_src, *prev_tgt;        /* device (prev_cap) */
    uint64_t n_prev, prev_cap;
} bs_k_reuse_args;

/* Plasticity of one fiber: zeroes m's scratch (st, fcount, ffill, ins,
 * hit), finds the edges (bs_k_find_edges of f, reusing r's previous edges
 * where r->use_prev), bs_k_plastic_merge(m), then keeps the edges in r's
 * prev arrays; f's firing, win, keys, fcount, cap and st must be m's. */
int bs_k_plasticity(const bs_k_find_args *f, const bs_k_merge_args *m,
                    const bs_k_reuse_args *r, void *stream, const char **what);

/* CUB scratch bytes for bs_k_plastic_merge with stores of cap entries and
 * firing sets of at most max_firing: an upper bound that does not need a
 * device (the exact CUB size where one is present).  Can't fail. */
size_t bs_k_plastic_temp_bytes(uint64_t cap, uint64_t max_firing);

/* ---- kernels/topk.cu ---- */

/* Phase 2 on the device: the k best (input desc, id asc) of the slice as
 * candidates cand[0..k) (any order; padding (0, UINT64_MAX) when n_local <
 * k), exactly the set bs_topk_local selects.  Needs hist, sel and the list
 * as left by accumulate + corrections; updates *list.guess for the next
 * step. */
typedef struct bs_k_topk_args {
    const uint64_t *input;      /* device (n_local) */
    uint64_t n_local, lo, k;
    const uint64_t *hist;       /* device (BS_K_HIST_BINS) */
    bs_k_select *sel;           /* device */
    bs_k_list list;
    bs_cand *cand;              /* device (k) */
} bs_k_topk_args;

int bs_k_topk(const bs_k_topk_args *a, void *stream, const char **what);

/* Candidate-list entries for a slice of n_local and cap k. */
uint64_t bs_k_topk_lcap(uint64_t n_local, uint64_t k);

#endif /* BS_KERNELS_H */
