/*
 * sim_state.h - the simulator's state (struct bs_sim), the backend
 * interface and the state accessors (sim_state.c), shared by the step, the
 * schedule, the checkpoint and both backends.  Internal to libbrainsim.
 *
 * Manifest of the host pool (per rank; see sim_state.c).  No per-neuron
 * input: each backend keeps its slice's input sums in its own memory (the
 * CPU backend in its host pool, cpu.input.<A>; CUDA on the device).  A lazy area
 * (lazy.h) has an empty slice on every rank: its per-neuron views hold
 * nothing, and its state lives in s->lazy, outside the pool:
 *   areas.<A>.winners    (k)                u64   firing set, ascending ids
 *   areas.<A>.win_inputs (k)                u64   inputs of the winners
 *   areas.<A>.next       (k)                u64   winners being computed
 *   areas.<A>.next_inputs(k)                u64
 *   areas.<A>.rec_*      (rows, k)/(rows)   u64   output rows not yet written
 *                                                 (rows <= BS_MAX_REC_ROWS)
 *   stims.<S>.ids        (k)                u64   0..k-1, its firing set
 *   snapshots.<name>     (k of its area)    u64   saved winners, ascending
 *                                                 (snapshots of operations
 *                                                 applied later, bs_apply,
 *                                                 are host allocations of
 *                                                 the same shape)
 *   snapshots.count      (snapshots)        u64   ids held by each
 *   fibers.<F>.store{0,1}.{src,tgt,w} (cap) u64/u64/u32  plastic stores:
 *                                 the initial reservation (planned, or
 *                                 --plastic-capacity); when a step could
 *                                 outgrow it they move to a heap block of
 *                                 their own, grown by doubling between
 *                                 steps (sim_grow.c)
 *   cand                 (sum k)            bs_cand  local candidates
 *   gathered             (ranks, sum k)     bs_cand  every rank's candidates
 *   merge                (ranks+1, max k)   bs_cand  one area's candidates
 *                                                 + sorting scratch
 *   scratch    (max(4 max k, areas+fibers+2)) u64  Floyd's sample set
 *                                                 (schedule.c), a fiber's
 *                                                 local winners (plastic.h),
 *                                                 the step's agreement
 *                                                 (sim_step.c)
 *   rec.schedule / rec.metrics (rows)       records not yet written
 */
#ifndef BS_SIM_STATE_H
#define BS_SIM_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "brainsim.h"
#include "comm.h"
#include "connectome.h"
#include "experiment.h"
#include "idset.h"
#include "io.h"
#include "plastic.h"
#include "pool.h"
#include "topk.h"

#define BS_ERR_LEN 1024
#define BS_MAX_REC_ROWS 64      /* output rows buffered before a write */

typedef struct bs_area_state {
    uint64_t n_neurons, k;
    uint64_t lo, hi, n_local;   /* this rank's slice [lo, hi) */
    uint64_t cand_offset;       /* into sim->cand, per rank */
    uint64_t *input;            /* (n_local): the CPU backend's view
                                   (cpu.input.<A>); NULL under others */
    uint64_t *winners, *win_inputs;   /* (k) */
    uint64_t *next, *next_inputs;     /* (k); ids past the count of new
                                         winners are UINT64_MAX */
    uint64_t n_winners;         /* 0 before the area first fires (or after
                                   reset), fewer than k after fire_subset,
                                   else k */
    uint64_t n_local_winners;   /* winners in [lo, hi) */
    uint64_t local_first;       /* index of the first of them in winners */
    bs_idset ever;              /* ids of the slice that fired at least
                                   once (heap, grown by doubling before a
                                   step: bs_sim_reserve_fired; memory
                                   follows the support, not n) */
    uint64_t support;           /* global count of ever-fired neurons */
    uint64_t prev_support;      /* support before the last step */
    uint64_t last_growth;       /* steps done when the support last grew
                                   (it grew in step last_growth - 1,
                                   numbered from 0); 0: none yet */
    uint64_t last_change;       /* steps done when the winners last
                                   changed (in step last_change - 1, or
                                   by an operation after it); 0: none */
    uint64_t *rec_winners, *rec_inputs, *rec_support;
    double beta_default;        /* beta of fibers into it without their own */
    int fixed, inhibited;
    int is_target;              /* target of an active fiber this step */
} bs_area_state;

typedef struct bs_fiber_state {
    bs_fiber_geom geom;
    uint32_t mult, cap;         /* Q16.16; mult from the effective beta
                                   (bs_sim_update_mult); cap BS_W_MAX
                                   when the fiber has none */
    double beta_own;            /* its own beta, when beta_set */
    int beta_set;               /* 1: given in the experiment or by a fiber
                                   plasticity operation */
    int inhibited;
    int active;                 /* in this step */
    bs_store store[2];
    int cur;                    /* store[cur] is current */
    void *grown;                /* after a growth (sim_grow.c): the heap
                                   block holding both stores; NULL while
                                   they are the pool's views */
} bs_fiber_state;

struct bs_sim;

/* A backend computes phases 1, 2 and 4 of a step on its memory space.  Every
 * function returns BS_OK or an error with a message in sim->err. */
typedef struct bs_backend_ops {
    const char *name;
    /* after the host pool is allocated and initialised: plans and
     * allocates the backend's own memory (NULL for none).  On failure
     * returns BS_ERR_NOMEM/BS_ERR_CUDA/BS_ERR_BACKEND with a message. */
    bs_status (*init)(struct bs_sim *s);
    /* phase 1: inputs of target area a from every active fiber into it */
    bs_status (*accumulate)(struct bs_sim *s, int a);
    /* phase 2: k local candidates of area a into out[0..k) */
    bs_status (*local_topk)(struct bs_sim *s, int a, bs_cand *out);
    /* phase 4: potentiate fiber f (firing = its source's winners, new
     * winners = its target's next); a full store is bs_sim_store_full's
     * error, a weight passing BS_W_MAX without a cap (bs_saturates)
     * bs_sim_saturated's, the fiber's current store unchanged in both */
    bs_status (*plasticity)(struct bs_sim *s, int f);
    /* copies state the host views lack (the plastic stores on a device)
     * into them, before a checkpoint; NULL when the host is current */
    bs_status (*download)(struct bs_sim *s);
    void (*destroy)(struct bs_sim *s);
    /* phase 3's exchange: fills s->gathered (host) with every rank's
     * candidates of every area (rank-major, s->sum_k each); NULL: the
     * host candidates in s->cand are allgathered over MPI */
    bs_status (*exchange)(struct bs_sim *s);
    /* bytes of the backend's own memory (its device pool) for s's layout,
     * as `brainsim plan` and bs_pool_bytes report them (s laid out, not
     * necessarily allocated; 0 when it cannot be planned); NULL: the
     * backend has no memory of its own.  Does not allocate the pool. */
    size_t (*device_bytes)(const struct bs_sim *s);
    /* after the host stores grew (sim_grow.c: their caps raised, their
     * current entries current): gives the backend's own stores the same
     * caps and entries, between steps.  On failure (BS_ERR_NOMEM,
     * BS_ERR_CUDA, with a message) the backend keeps its memory as it
     * was, for the caller to restore the old caps.  NULL: the backend has
     * no stores of its own. */
    bs_status (*grow)(struct bs_sim *s);
    /* bytes of the backend's own host memory for s's layout (after
     * bs_sim_layout; s need not be allocated), which `brainsim plan` and
     * the memory check count with the host pool; NULL: none.  Does not
     * allocate it.  0 when it cannot be planned. */
    size_t (*host_bytes)(const struct bs_sim *s);
} bs_backend_ops;

/* The backends: src/backend_cpu.c, and kernels/backend_cuda.cu when
 * configure builds the CUDA backend, else src/backend_cuda_stub.c, whose
 * bs_cuda_usable is always 0 (so its phases are never called). */
extern const bs_backend_ops bs_backend_cpu;
extern const bs_backend_ops bs_backend_cuda;

/* Whether a CUDA device is usable for local rank `local_rank` of the
 * `local_size` ranks on this host (each needs a device of its own: NCCL
 * refuses two ranks on one device): returns 1, or 0 with the reason ("no
 * CUDA device", "3 ranks on this host share 1 CUDA device", "built
 * without CUDA ...") in reason.  Not collective; does not allocate. */
int bs_cuda_usable(int local_rank, int local_size, char *reason,
                   size_t reason_len);

struct bs_sim {
    bs_experiment *exp;
    bs_comm *comm;              /* NULL in a planning-only sim */
    int rank, n_ranks;
    int quiet;
    const bs_backend_ops *be;
    void *be_state;
    char backend_name[16];
    int backend_requested;      /* bs_backend_kind asked for */
    char fallback[256];

    bs_pool pool;
    bs_area_state *areas;
    uint64_t **stim_ids;        /* per stimulus: (k) 0..k-1 */
    uint64_t **snapshot_ids;    /* per snapshot: (k of its area) */
    uint64_t *snapshot_n;       /* (n_snapshots) ids each holds (host) */
    int n_snap_pool;            /* snapshots laid out in the pool; those
                                   after them are malloc'd (bs_apply) */
    int snap_slots;             /* entries of snapshot_ids, snapshot_n */
    int plasticity_off;         /* 1: every fiber's beta is 0 */
    int text_stale;             /* 1: operations were applied since
                                   exp->text was last emitted */
    int meta_stale;             /* 1: the output's text, steps_total and
                                   operations are behind exp */
    char *op_text;              /* bs_apply: the operation's text, shared */
    size_t op_text_cap;         /* bytes of op_text */
    bs_fiber_state *fibers;
    struct bs_lazy_area **lazy; /* (n_areas) lazy.h: the state of each lazy
                                   area, NULL for explicit ones (host,
                                   replicated on every rank) */
    bs_cand *cand, *gathered, *merge;
    uint64_t sum_k, max_k;
    uint64_t *scratch;
    uint64_t plastic_capacity;  /* entries per fiber per rank; per fiber
                                   when 0 (planned) */
    uint64_t *fiber_capacity;   /* (n_fibers) planned entries */

    /* schedule position */
    uint64_t step;              /* steps done */
    int op;                     /* current operation */
    uint64_t round;             /* rounds of it done */

    /* output */
    bs_io *io;
    uint64_t rec_rows, rec_cap; /* rows buffered, rows reserved */
    bs_schedule_row *rec_schedule;
    bs_metrics_row *rec_metrics;
    const uint64_t **rec_of;    /* (3 n_areas) host: every area's
                                   rec_winners, then rec_inputs, then
                                   rec_support, as bs_io_write takes them */
    double phase_s[BS_N_PHASES];     /* this step, this rank */
    double phase_total[BS_N_PHASES]; /* since creation, this rank */
    uint64_t events_total;

    /* stopping (SIGTERM): requested here, agreed over ranks in a step */
    int stop_local, stop_agreed;
    int keep_checkpoints;

    /* weight saturation (bs_sim_saturated): the fiber of this rank's
     * failure in the current step; once a step failed so (failed = 1,
     * its message in failure), later steps and checkpoints are refused */
    int saturated_fiber;
    int failed;
    char failure[BS_ERR_LEN];
    struct bs_paths *paths;     /* files read and written, locks (rank 0) */

    char err[BS_ERR_LEN];
};

/* Lays out the pool of rank s->rank of s->n_ranks for s->exp (planning
 * only: the pool is not allocated); s->exp, rank, n_ranks and
 * plastic_capacity must be set.  Allocates the host arrays of s (areas,
 * fibers, stim_ids, snapshot_ids, fiber_capacity, rec_of).  Returns BS_OK,
 * or BS_ERR_NOMEM / BS_ERR_LIMIT with a message in s->err (what was
 * allocated is then for bs_sim_layout_free). */
bs_status bs_sim_layout(struct bs_sim *s);

/* Frees what bs_sim_layout allocated (not the pool) and nulls it; accepts
 * a partial layout.  Can't fail. */
void bs_sim_layout_free(struct bs_sim *s);

/* Fills the state that does not come from zeroed memory (stimulus ids,
 * fibers' multipliers and caps, the output row views) once the pool is
 * allocated.  Can't fail. */
void bs_sim_init_state(struct bs_sim *s);

/* Sets every fiber's mult from its effective beta: 0 when plasticity
 * is off, else its own beta when set, else its target area's default.
 * Can't fail. */
void bs_sim_update_mult(struct bs_sim *s);

/* Makes room for every snapshot of s->exp (after bs_apply added one):
 * grows snapshot_ids and snapshot_n and allocates the ids of the new
 * ones.  Returns BS_OK or BS_ERR_NOMEM with the message in s->err. */
bs_status bs_sim_snapshots_grow(struct bs_sim *s);

/* The firing set of fiber f's source: its ids (ascending) with their count
 * in *n (0 when the area has not fired or is inhibited).  Can't fail. */
const uint64_t *bs_sim_firing(const struct bs_sim *s, int f, uint64_t *n);

/* Returns BS_ERR_CAPACITY with the message naming fiber f, the rank, the
 * step and the option that raises the reservation (both backends). */
bs_status bs_sim_store_full(struct bs_sim *s, int f);

/* Returns BS_ERR_SATURATED with the message naming fiber f and the step
 * (s->step, counted from 0) that a weight reached the Q16.16 maximum in,
 * and what avoids it; records f in s->saturated_fiber (both backends,
 * then the step's agreement, which names the same fiber on every rank). */
bs_status bs_sim_saturated(struct bs_sim *s, int f);

/* Before a step (its active fibers marked): grows the plastic stores of
 * every active fiber that the step could outgrow, so that the entries
 * now plus the most the step can add fit (sim_grow.c).  Not collective.
 * Returns BS_OK, or BS_ERR_CAPACITY (memory exhausted: the message names
 * the fiber, the sizes and --plastic-capacity) with every store and its
 * capacity as before. */
bs_status bs_sim_grow_stores(struct bs_sim *s);

/* Grows fiber f's stores to new_cap entries each (nothing when they hold
 * that many), keeping the current entries: for a checkpoint's synapses,
 * before the backend is set up (sim_checkpoint.c).  Not collective.
 * Returns 1, or 0 when out of host memory (nothing changed). */
int bs_sim_resize_fiber(struct bs_sim *s, int f, uint64_t new_cap);

/* The new winners of an area (its `next` list) that lie in this rank's
 * slice: next[*first .. *first + n), n returned.  Can't fail. */
uint64_t bs_sim_local_next(const bs_area_state *as, uint64_t *first);

/* Makes room in every area's ever-fired set for k more ids (those of
 * area a only when a >= 0), so that commits cannot fail.  Returns BS_OK,
 * or BS_ERR_NOMEM with the area and the numbers in s->err (the sets as
 * they were). */
bs_status bs_sim_reserve_fired(bs_sim *s, int a);

/* Makes area's `next` list (ascending ids, with next_inputs; UINT64_MAX
 * past the last) its winners by swapping the views, adds them to the
 * ever-fired set (room reserved: bs_sim_reserve_fired) and adds the
 * neurons of this rank's slice that fire for the first time to
 * *new_local.  When they differ from the previous winners, records `step`
 * as the area's last change.  Can't fail. */
void bs_sim_commit_area(bs_area_state *as, uint64_t step,
                        uint64_t *new_local);

/* Writes the printf-style message into s->err and returns st.  Can't
 * fail (a long message is truncated). */
bs_status bs_sim_fail(struct bs_sim *s, bs_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* BS_SIM_STATE_H */
