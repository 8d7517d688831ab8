/*
 * io.h - the output file (run.h5), written collectively with parallel HDF5
 * by src/io.c (create, reopen, close) and src/io_write.c (rows): io files,
 * the only ones that call HDF5.
 *
 * Layout (doc/design.md section 7):
 *   /                      attributes: brainsim_version, seed, n_ranks,
 *                          backend, fallback_reason,
 *                          steps_total, steps_complete (updated on flush),
 *                          format ("brainsim-output"), format_version (3:
 *                          strings fixed-length since 2, fibers keyed by
 *                          their source and target names since 3;
 *                          checkpoints carry dataset checksums; files
 *                          of other versions are refused).
 *                          Reopened to resume: rows, seed,
 *                          steps_complete and every area's n and k must
 *                          fit the checkpoint; steps_total, /experiment
 *                          and /schedule's operations are rewritten
 *   /experiment            scalar string dataset: the experiment text (a
 *                          dataset, since texts may exceed attribute limits);
 *                          after operations applied one at a time (bs_apply)
 *                          the canonical text of what ran, which replays it
 *                          (format_version 3; steps_total and /schedule's
 *                          operations are rewritten with it)
 *   /areas/<name>/         attributes: n, k
 *   /areas/<name>/winners  [steps, k] uint64  ascending ids per row;
 *                          UINT64_MAX pads rows of an area that has not fired
 *   /areas/<name>/inputs   [steps, k] uint64  input of each winner, Q16.16
 *                          fixed point (divide by 65536); attribute units
 *   /areas/<name>/support  [steps] uint64  distinct neurons ever fired
 *   /schedule              [steps] compound {step u64, op u32, round u64};
 *                          attribute operations: one string per schedule op
 *   /metrics               [steps] compound {accumulate_s, topk_s, merge_s,
 *                          plasticity_s, record_s, agree_s: f64 (max over
 *                          ranks), synaptic_events: u64}
 * Every dataset is chunked and extendible along steps; rows are appended in
 * blocks and the file is flushed after each block, so a run that stops
 * early leaves a readable file whose steps_complete attribute says how many
 * rows are valid.
 *
 * The winners, inputs, support, schedule and metrics rows are identical on
 * every rank (the caller reduces metrics first); rank 0 writes them inside
 * collective calls and the other ranks take part with empty selections.
 */
#ifndef BS_IO_H
#define BS_IO_H

#include <stddef.h>
#include <stdint.h>

#include "brainsim.h"
#include "comm.h"

#define BS_N_PHASES 6
extern const char *const bs_phase_names[BS_N_PHASES]; /* "accumulate", ... */

typedef struct bs_schedule_row {
    uint64_t step;              /* 0-based global step */
    uint32_t op;                /* index of the schedule operation */
    uint64_t round;             /* 0-based round within that operation */
} bs_schedule_row;

typedef struct bs_metrics_row {
    double seconds[BS_N_PHASES];
    uint64_t synaptic_events;   /* firing sources x targets x p, nominal */
} bs_metrics_row;

typedef struct bs_io_meta {
    const char *experiment_text;
    uint64_t seed;
    int n_ranks;
    const char *backend;         /* "cpu" or "cuda" */
    const char *fallback_reason; /* "" when none */
    uint64_t steps_total;
    int n_areas;
    const char *const *area_names;
    const uint64_t *area_n;
    const uint64_t *area_k;
    int n_ops;
    const char *const *op_descriptions;
} bs_io_meta;

/* A block of n_rows consecutive steps starting at first_step.  winners[a]
 * and inputs[a] point to n_rows * k_a values (row-major), support[a] to
 * n_rows values. */
typedef struct bs_io_rows {
    uint64_t first_step;
    uint64_t n_rows;
    const uint64_t *const *winners;
    const uint64_t *const *inputs;
    const uint64_t *const *support;
    const bs_schedule_row *schedule;
    const bs_metrics_row *metrics;
} bs_io_rows;

typedef struct bs_io bs_io;

/*
 * Creates (truncating) the output file at path, collectively, with the
 * layout above and zero rows.  Returns BS_OK and *out, or BS_ERR_IO with a
 * message naming the path and the HDF5 failure in err (BS_ERR_ARG for an
 * invalid area name or k = 0, BS_ERR_NOMEM).  Every rank returns the same
 * status.  Collective.
 */
bs_status bs_io_create(const char *path, bs_comm *comm, const bs_io_meta *meta,
                       bs_io **out, char *err, size_t err_len);

/*
 * Reopens an existing output file to continue a resumed run: checks its
 * format and format_version (an output of another version is refused,
 * saying so) and that every dataset of meta's areas exists with the
 * right type and row width, cuts or
 * extends every dataset to `rows` rows (rows past them, from a run that
 * died after its checkpoint, are dropped and rewritten, never duplicated)
 * and sets steps_complete to rows.  BS_ERR_IO naming the path and object
 * when the file is missing or does not match.  Collective.  When setting
 * steps_complete fails on some ranks only, while others may wait for them
 * inside HDF5, those ranks end the job (MPI_Abort) with the message on
 * stderr: no status could reach the others.
 */
bs_status bs_io_reopen(const char *path, bs_comm *comm, const bs_io_meta *meta,
                       uint64_t rows, bs_io **out, char *err, size_t err_len);

/*
 * Writes rows [first_step, first_step + n_rows) of every dataset, extending
 * them as needed, then updates steps_complete and flushes the file.
 * Collective.  BS_ERR_IO with a message on failure (every rank returns
 * it), BS_ERR_ARG for NULL or invalid rows, except that a rank whose
 * collective write failed while there are several ranks returns
 * BS_ERR_MPI at once, with a message saying that the job ends: the other
 * ranks may be waiting for it inside HDF5, so it must make no other
 * collective call (bs_io_close included) before the job is ended
 * (bs_comm_abort).
 */
bs_status bs_io_write(bs_io *io, const bs_io_rows *rows, char *err,
                      size_t err_len);

/*
 * Rewrites what describes the run as it grows (operations applied one at
 * a time): the root attribute steps_total, the attribute operations of
 * /schedule and the /experiment text, from meta's steps_total,
 * op_descriptions and experiment_text (its other fields are not read),
 * then flushes.  Collective.  Returns BS_OK, or BS_ERR_IO with a message
 * naming the object on every rank.
 */
bs_status bs_io_update_meta(bs_io *io, const bs_io_meta *meta, char *err,
                            size_t err_len);

/* Closes the file; accepts NULL and *io == NULL; sets *io to NULL.
 * Collective. */
void bs_io_close(bs_io **io);

#endif /* BS_IO_H */
