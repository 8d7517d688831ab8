/*
 * backend_cpu.h - what the two files of the CPU backend share (private to
 * them): its state, the recorded edges, and phase 1 with recording
 * (backend_cpu_record.c).  The manifest of the backend's pool is in
 * backend_cpu.c's opening comment.
 */
#ifndef BS_BACKEND_CPU_H
#define BS_BACKEND_CPU_H

#include "sim_state.h"
#include "pool.h"

#define HIST_BINS (1024 + 38 * 16)
#define CNT_LOG2 16            /* tiles up to 2^16 count edges in u32 */

typedef struct cand {
    uint64_t tgt;               /* global id */
    uint32_t fiber, src;        /* fiber index, index into its firing set */
} cand;

typedef struct area_rec {
    uint64_t step;              /* s->step + 1 when recorded for this step */
    int overflow;               /* a buffer was full: not complete */
    uint64_t cand_cap;          /* per thread */
    cand *cand;                 /* (threads, cand_cap) */
    uint64_t floor;             /* this step's: inputs below are not
                                   recorded (0: none) */
    uint64_t last_thresh;       /* least winner input of the last step */
    uint64_t last_fibers;       /* its active fibers, a bit each; 0: none */
    uint64_t top_cap;           /* per thread */
    bs_cand *top;               /* (threads, top_cap) */
    int top_full;               /* a top buffer was full: not complete */
} area_rec;

typedef struct cpu_state {
    bs_pool pool;
    int record, n_threads;
    uint64_t tile_cap;          /* per thread */
    uint64_t max_cand;          /* entries of hits and edges */
    uint64_t *tile, *cand_n, *mark, *start, *edges, *top_n, *top_w, *top_in;
    bs_cand *top_all;
    uint32_t *hist, *cnt;
    cand *hits;
    area_rec *rec;              /* (areas) */
    uint64_t **input;           /* (areas): views input.<A> of the pool */
    uint64_t corr_cap, *corr_tgt, *corr_d, *corr_tgt2, *corr_d2;
    uint64_t off_cap, *corr_off;  /* by tile - corr_first */
    uint64_t corr_first;
} cpu_state;

/* Log2 of the tile of area a: the largest block of a fiber into it.
 * Can't fail. */
uint32_t bs_cpu_tile_log2(const bs_sim *s, int a);

/* The corrections (w - 1) of the active fibers[0..n_fib)' stores of area a
 * for their firing sources, grouped by tile of 2^bt targets, into the
 * corr_* arrays of the backend's state (grown as the stores grow).
 * BS_ERR_NOMEM with a message. */
bs_status bs_cpu_group_corrections(bs_sim *s, int a, const int *fibers,
                                   int n_fib, uint32_t bt);

/* Phase 1 of area a for the active fibers[0..n_fib) with recording, after
 * bs_cpu_group_corrections: each tile zeroes its inputs, adds its
 * corrections and the edges of every firing source, then keeps the edges
 * and the inputs that can still win (see backend_cpu.c).  Sets the area's
 * record (step, overflow, floor, top_full).  Can't fail. */
void bs_cpu_record_edges(bs_sim *s, int a, const int *fibers, int n_fib);

#endif /* BS_BACKEND_CPU_H */
