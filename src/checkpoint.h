/*
 * checkpoint.h - checkpoint files (doc/design.md sections 2 and 7), written by
 * src/io_checkpoint.c and read by src/io_checkpoint_read.c, collectively,
 * with parallel HDF5 (io files: only they call HDF5).
 *
 * A checkpoint holds everything needed to continue bit-identically, on any
 * number of ranks:
 *   /                         attributes: format = "brainsim-checkpoint",
 *                             format_version = 3, brainsim_version, step,
 *                             op (i32), round, config_hash, seed, n_ranks
 *                             (that wrote it), n_areas, n_fibers,
 *                             plasticity (i32: 1 on, 0 off; version 3),
 *                             n_snapshots (i32; version 3)
 *   /experiment               scalar string: the experiment text (after
 *                             operations applied one at a time, the
 *                             canonical text of what ran)
 *   /areas/<name>             attributes n, k, n_winners (0..k), support,
 *                             fixed, inhibited; version 3: prev_support
 *                             (<= support), last_growth, last_change
 *                             (<= step: the verdict's tracking), beta (f64:
 *                             the area's current default beta, 0..10)
 *   /areas/<name>/winners     [k] u64: n_winners ascending ids < n, then
 *                             UINT64_MAX
 *   /areas/<name>/win_inputs  [k] u64
 *   /areas/<name>/ever_fired  [support] u64 ascending: every neuron that
 *                             has ever fired
 *   /fibers/<name>            attributes inhibited, n_src (source size),
 *                             dst_n (target area size); version 3: beta
 *                             (f64, its own beta, 0..10), beta_set (i32 0/1:
 *                             whether it has one; else the target area's
 *                             default applies)
 *   /fibers/<name>/geometry   [2 + 2 + 64] u32: key[2], log2_block,
 *                             n_thresh, thresh[64] (the tables of
 *                             doc/design.md section 2, used as stored; version 3: key is
 *                             bs_fiber_key(seed, hash of the source and
 *                             target names), version 2's was by position)
 *   /fibers/<name>/source, target [rows] u64; weight [rows] u32: the
 *                             potentiated synapses, sorted by (target,
 *                             source), strictly increasing
 *   /snapshots/count          (version 3) [n_snapshots] u64: ids held by each
 *                             snapshot of the experiment, in its order (at
 *                             most k of its area)
 *   /snapshots/ids            [sum of count] u64: each snapshot's ids,
 *                             ascending, < n of its area, one after another
 *   /lazy/<area>/support      (lazy areas, src/lazy.h; absent without
 *                             them) [w] u64: the support's global ids by
 *                             local id (firing order), distinct, < n; the
 *                             area's ever_fired holds them ascending, its
 *                             support attribute is w
 *   /lazy/<area>/<fiber>/sources  [m] u64: the fiber's realized sources
 *                             (global ids < n_src, distinct), in
 *                             realization order
 *   /lazy/<area>/<fiber>/counts   [m] u64: edges of each source
 *   /lazy/<area>/<fiber>/targets, weights  [sum of counts] u32: each
 *                             source's edges in order (local target < w,
 *                             Q16.16 weight >= 1.0 and <= the cap)
 *                             The /lazy datasets are replicated state:
 *                             rank 0 writes them, every rank reads them
 *                             whole.
 * Rows are written by each rank at offsets from an exclusive scan; on load
 * each rank reads the rows of the targets it owns (binary search on the
 * sorted target column).
 *
 * String attributes are fixed-length UTF-8 (since format_version 2;
 * version 1 stored them variable-length and is refused).  Version 3 keys
 * fibers by name (above); files of other versions are refused.
 * Version 3 also: every dataset
 * has a u64 attribute `checksum` (rowsum.h), written as the sum of every
 * rank's part and verified on load when the ranks' slices cover the
 * dataset; the loader (sim_checkpoint.c) also recomputes each fiber's
 * geometry from the experiment and compares it, and refuses weights above
 * the fiber's cap and winners missing from ever_fired.
 * Loading validates before use: format and version, the shape and type of
 * every dataset, id ranges, sortedness, counts against the reserved
 * capacities.  A truncated, corrupted or hostile file is BS_ERR_CHECKPOINT
 * with a message naming the file, the dataset and what is wrong; never a
 * crash or an out-of-bounds access.
 */
#ifndef BS_CHECKPOINT_H
#define BS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "brainsim.h"
#include "comm.h"
#include "connectome.h"
#include "idset.h"
#include "plastic.h"

typedef struct bs_ckpt_header {
    uint64_t step;               /* steps done */
    int32_t op;                  /* schedule position: operation index */
    uint64_t round;              /* rounds of it done */
    uint64_t config_hash;        /* FNV-1a 64 of the experiment text */
    uint64_t seed;
    int32_t n_ranks;             /* ranks that wrote it (informative) */
    int32_t n_areas, n_fibers;
    const char *experiment_text; /* NUL-terminated */
    int32_t plasticity_off;      /* 1: every fiber's beta is 0 */
    int32_t n_snapshots;
    const uint64_t *snap_count;  /* write: (n_snapshots) ids each holds */
    const uint64_t *const *snap_ids; /* write: each snapshot's ids */
    const struct bs_ckpt_lazy *lazy; /* write: (n_areas) NULL for none */
} bs_ckpt_header;

/* A fiber into a lazy area (write and read).  Read arrays are owned by
 * the caller (bs_ckpt_lazy_free). */
typedef struct bs_ckpt_lazy_fiber {
    const char *name;            /* NULL: not into this area */
    uint64_t n_src, n_edges;
    uint64_t *sources, *counts;  /* (n_src) */
    uint32_t *targets, *weights; /* (n_edges) */
} bs_ckpt_lazy_fiber;

/* A lazy area's replicated state (src/lazy.h), for /lazy. */
typedef struct bs_ckpt_lazy {
    const char *name;            /* NULL: an explicit area */
    uint64_t w;
    uint64_t *support;           /* (w) global ids by local id */
    int n_fibers;
    bs_ckpt_lazy_fiber *fibers;  /* (n_fibers): the experiment's fibers */
} bs_ckpt_lazy;

/* Frees the arrays of l (support, every fiber's) and nulls them; accepts
 * NULL.  Can't fail. */
void bs_ckpt_lazy_free(bs_ckpt_lazy *l);

typedef struct bs_ckpt_reader bs_ckpt_reader;

/*
 * Reads lazy area l->name of n neurons from /lazy into l: its support
 * (w of them, w = `support`, the area's attribute) and, for each fiber
 * with a name in l->fibers (n_src: its source's size), its sources,
 * counts, targets and weights, in new arrays.  Validates shapes,
 * checksums, ids below n / n_src, targets below w, counts adding up,
 * weights >= 1.0; distinctness and caps are the caller's (lazy.h).
 * Collective (the same status on every rank): BS_ERR_CHECKPOINT naming
 * the dataset, BS_ERR_NOMEM.
 */
bs_status bs_ckpt_read_lazy(bs_ckpt_reader *r, bs_ckpt_lazy *l, uint64_t n,
                            uint64_t support, char *err, size_t err_len);

/* What one rank contributes for one area.  Replicated fields (winners ...)
 * are the same on every rank; ever_local lists the ever-fired neurons of
 * this rank's slice, ascending (their concatenation in rank order is the
 * global ascending list). */
typedef struct bs_ckpt_area {
    const char *name;
    uint64_t n, k;
    uint64_t n_winners;
    const uint64_t *winners, *win_inputs;   /* (k) */
    uint64_t support;
    int fixed, inhibited;
    const uint64_t *ever_local;
    uint64_t n_ever_local;
    /* version 3: the verdict's tracking and the default beta */
    uint64_t prev_support, last_growth, last_change;
    double beta;
} bs_ckpt_area;

/* The version-3 state of an area beyond bs_ckpt_read_area's. */
typedef struct bs_ckpt_area_track {
    uint64_t prev_support, last_growth, last_change;
    double beta;
} bs_ckpt_area_track;

/* What one rank contributes for one fiber: its rows, targets in its slice,
 * sorted by (target, source). */
typedef struct bs_ckpt_fiber {
    const char *name;
    uint64_t n_src, dst_n;
    int inhibited;
    bs_fiber_geom geom;
    const uint64_t *src, *tgt;
    const uint32_t *w;
    uint64_t n_rows;
    double beta;                 /* version 3: its own beta, if beta_set */
    int beta_set;
} bs_ckpt_fiber;

/*
 * Writes a checkpoint to path, collectively: to "<path>.tmp" first, closed
 * by every rank, fsync'd, then (rank 0) the previous checkpoints rotated
 * (path -> path.1 -> ... -> path.<keep-1>, the oldest dropped; keep >= 1)
 * and "<path>.tmp" renamed to path, and the directory fsync'd.  A crash at
 * any point leaves the last complete checkpoint readable under path (or
 * path.1 during the rotation).  When the environment variable
 * BRAINSIM_TEST_CHECKPOINT_PAUSE is a number of seconds, every rank sleeps
 * that long after writing the data and before closing (tests only).
 * Returns BS_OK on every rank or the same error on every rank (BS_ERR_IO
 * naming the path and the failing call).
 */
bs_status bs_ckpt_write(const char *path, int keep, bs_comm *comm,
                        const bs_ckpt_header *h, const bs_ckpt_area *areas,
                        const bs_ckpt_fiber *fibers, char *err,
                        size_t err_len);


/*
 * Opens a checkpoint collectively and reads its header into *h (the
 * experiment text stays owned by the reader).  BS_ERR_IO when the file
 * cannot be opened, BS_ERR_CHECKPOINT when it is not a valid brainsim
 * checkpoint (message names the file and what is wrong).
 */
bs_status bs_ckpt_open(const char *path, bs_comm *comm, bs_ckpt_reader **out,
                       bs_ckpt_header *h, char *err, size_t err_len);

/* The path the reader was opened with, for messages ("(no checkpoint)"
 * for NULL).  Can't fail. */
const char *bs_ckpt_path(const bs_ckpt_reader *r);

/* The header again (as bs_ckpt_open gave it).  Can't fail but for a NULL
 * reader (BS_ERR_ARG). */
bs_status bs_ckpt_header_of(const bs_ckpt_reader *r, bs_ckpt_header *h);

/*
 * Reads area `name` (whose n and k the caller expects) for the rank owning
 * [lo, hi): winners and win_inputs (k each), *n_winners, *support, *fixed,
 * *inhibited, and the ever-fired neurons of the slice into *ever (emptied
 * first, then grown to hold them).  Validates: n and k match, n_winners is 0 or k, winners
 * ascending distinct < n, ever_fired ascending distinct < n with length
 * support.  Collective.
 */
bs_status bs_ckpt_read_area(bs_ckpt_reader *r, const char *name, uint64_t n,
                            uint64_t k, uint64_t lo, uint64_t hi,
                            uint64_t *winners, uint64_t *win_inputs,
                            uint64_t *n_winners, uint64_t *support, int *fixed,
                            int *inhibited, bs_idset *ever, char *err,
                            size_t err_len);

/*
 * Reads fiber `name` for the rank owning targets [lo, hi): *geom (validated:
 * log2_block in 2..32, n_thresh <= 64, thresholds non-decreasing),
 * *inhibited, and the rows with targets in [lo, hi) into `store` (its src,
 * tgt, w and cap set by the caller; on return store->n rows sorted by
 * (source, target) as the plastic store wants).  Validates: n_src and dst_n
 * match, sources < n_src, targets < dst_n, rows strictly increasing by
 * (target, source), weights >= 65536 (Q16.16 1.0).  More rows than
 * store->cap is BS_ERR_CAPACITY naming --plastic-capacity.  scratch holds
 * store->cap u64 (for the reordering).  Collective.
 */
bs_status bs_ckpt_read_fiber(bs_ckpt_reader *r, const char *name,
                             uint64_t n_src, uint64_t dst_n, uint64_t lo,
                             uint64_t hi, bs_fiber_geom *geom, int *inhibited,
                             bs_store *store, uint64_t *scratch, char *err,
                             size_t err_len);

/*
 * Reads the version-3 attributes of area `name` into *t: prev_support (at
 * most `support`), last_growth and last_change (at most `step`) and beta
 * (finite, 0..10).  Collective; BS_ERR_CHECKPOINT naming the attribute.
 */
bs_status bs_ckpt_read_area_track(bs_ckpt_reader *r, const char *name,
                                  uint64_t support, uint64_t step,
                                  bs_ckpt_area_track *t, char *err,
                                  size_t err_len);

/* Reads fiber `name`'s beta (finite, 0..10) and beta_set (0 or 1).
 * Collective; BS_ERR_CHECKPOINT naming the attribute. */
bs_status bs_ckpt_read_fiber_beta(bs_ckpt_reader *r, const char *name,
                                  double *beta, int *beta_set, char *err,
                                  size_t err_len);

/*
 * Reads the n snapshots (n must equal the header's n_snapshots; an
 * experiment that extends the checkpoint's schedule may have more, which
 * the caller leaves empty): ids[i]
 * (k[i] u64 each) receives snapshot i's ids and count[i] how many, after
 * checking /snapshots/count ([n], each at most k[i]) and /snapshots/ids
 * (the sum of the counts long; each snapshot's ids ascending, distinct and
 * below area_n[i]).  Collective; BS_ERR_CHECKPOINT naming the dataset.
 */
bs_status bs_ckpt_read_snapshots(bs_ckpt_reader *r, int n, const uint64_t *k,
                                 const uint64_t *area_n, uint64_t *const *ids,
                                 uint64_t *count, char *err, size_t err_len);

/* Closes; accepts NULL and *r == NULL.  Collective. */
void bs_ckpt_close(bs_ckpt_reader **r);

/* FNV-1a 64 of a text (the config hash).  Can't fail. */
uint64_t bs_config_hash(const char *text, size_t len);

#endif /* BS_CHECKPOINT_H */
