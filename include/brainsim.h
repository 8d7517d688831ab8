/*
 * brainsim.h - public C API of libbrainsim.
 *
 * The library owns all memory.  A simulator is created from an experiment
 * (YAML file or text), advanced step by step along the experiment's
 * schedule or one operation at a time (bs_apply, which appends it to the
 * schedule), queried into caller-owned buffers, and destroyed.  Every
 * function returns a bs_status; bs_strerror() names the status and
 * bs_error() gives the detailed message of the last failure of a simulator.
 *
 * MPI: the library initialises MPI itself when the caller has not
 * (MPI_Init_thread with MPI_THREAD_FUNNELED) and then finalises it at exit.
 * Every rank of MPI_COMM_WORLD must call bs_create, bs_step and
 * bs_destroy collectively.  Without mpirun the run is one rank.
 *
 * Instances share no mutable state: two simulators in one process are
 * independent.
 */
#ifndef BRAINSIM_H
#define BRAINSIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BS_VERSION_STRING "0.1.0"

typedef enum bs_status {
    BS_OK = 0,
    BS_ERR_ARG,        /* an argument is invalid (NULL, out of range) */
    BS_ERR_NOMEM,      /* the pool or a setup buffer could not be allocated */
    BS_ERR_PARSE,      /* the experiment is malformed or inconsistent */
    BS_ERR_IO,         /* a file could not be read or written */
    BS_ERR_MPI,        /* an MPI or NCCL call failed */
    BS_ERR_CUDA,       /* a CUDA call or kernel failed */
    BS_ERR_CAPACITY,   /* a reserved buffer (plastic store) is full */
    BS_ERR_BACKEND,    /* the requested backend is not usable */
    BS_ERR_CHECKPOINT, /* a checkpoint file is invalid or inconsistent */
    BS_ERR_STATE,      /* the call is not valid in the current state */
    BS_ERR_NOTFOUND,   /* a named area, stimulus or fiber does not exist */
    BS_ERR_LIMIT,      /* the experiment exceeds a size limit of brainsim */
    BS_ERR_SATURATED   /* a weight of a fiber without a cap reached the
                          Q16.16 maximum (65535.99998) in a step */
} bs_status;

typedef struct bs_sim bs_sim;

typedef enum bs_backend_kind {
    BS_BACKEND_AUTO = 0,
    BS_BACKEND_CPU,
    BS_BACKEND_CUDA
} bs_backend_kind;

typedef struct bs_options {
    bs_backend_kind backend;     /* default BS_BACKEND_AUTO */
    int n_threads;               /* OpenMP threads per rank; 0: runtime default */
    const char *out_path;        /* output HDF5 file; NULL: no output file */
    uint64_t plastic_capacity;   /* entries per fiber per rank; 0: planned */
    int quiet;                   /* 1: no log lines on stderr */
    int keep_checkpoints;        /* checkpoints kept by bs_checkpoint
                                    (path, path.1, ...); 0 means 1 */
    const char *checkpoint_path; /* the checkpoint file bs_checkpoint will
                                    write (the command's --checkpoint), or
                                    NULL: checked and locked at creation
                                    like out_path; other checkpoint files
                                    are when first written */
} bs_options;

/* Fills *opt with the defaults.  This function can't fail. */
void bs_options_init(bs_options *opt);

/* Name of a status ("invalid argument", ...).  Never returns NULL. */
const char *bs_strerror(bs_status status);

/*
 * Creates a simulator from an experiment file (bs_create_from_file; path
 * NULL means the built-in default experiment) or text
 * (bs_create_from_text; name is used in error messages, NULL means
 * "<text>").  Collective over MPI_COMM_WORLD.  On success *out owns every
 * buffer of the run.  On error *out is NULL and, when err is not NULL, a
 * message naming what is wrong and where is written to err (err_len bytes).
 * Before anything is opened for writing, every file the run writes
 * (out_path, checkpoint_path with its rotation names, the schedule's
 * checkpoint files) is checked against every file it reads and every
 * other file it writes, by inode; written files must be regular files or
 * new names, read files regular files; out_path and checkpoint_path are
 * locked for the simulator's life ("FILE.lock").  A collision, a
 * non-regular file or a lock held by another run is BS_ERR_IO naming both
 * files (README, "Files a run touches").  opt->n_threads outside 0..4096
 * or keep_checkpoints outside 0..1000 is BS_ERR_ARG.
 */
bs_status bs_create_from_file(const char *path, const bs_options *opt,
                              bs_sim **out, char *err, size_t err_len);
bs_status bs_create_from_text(const char *text, const char *name,
                              const bs_options *opt, bs_sim **out,
                              char *err, size_t err_len);

/*
 * Advances up to n_steps steps of the schedule (schedule operations that are
 * not steps, such as fix or inhibit, are applied on the way).  *n_done, when
 * not NULL, receives the steps actually taken (fewer at the schedule's end).
 * Collective.  On error the simulator keeps its last consistent state and
 * bs_error() says what failed.
 *
 * BS_ERR_SATURATED: in step S (steps are numbered from 0) a weight of a
 * fiber without a cap would have passed the Q16.16 maximum 65535.99998;
 * every rank returns it with the same message, naming the first such
 * fiber and S.  Steps 0..S-1 are complete (and written to the output by
 * bs_destroy); the simulator then refuses further steps, operations and
 * checkpoints (BS_ERR_STATE), since step S may have advanced part of its
 * state.  A fiber with a cap stops at its cap instead, by design.
 *
 * Under MPI, BS_ERR_MPI means that this rank failed inside a collective
 * call that the other ranks may still be waiting in (an MPI call, or a
 * write of the output that failed on this rank only: "...; ending the
 * job, since the other ranks may wait for this one inside HDF5"); they
 * may not return it.  The job cannot continue: end it with bs_abort(),
 * calling nothing else on the simulator first (not even bs_destroy), as
 * the brainsim command and the Python package do.  With one rank the
 * error is an ordinary one.  The library itself never ends the job here.
 */
bs_status bs_step(bs_sim *sim, uint64_t n_steps, uint64_t *n_done);

/* Runs the schedule to its end.  Collective.  Errors as bs_step. */
bs_status bs_run(bs_sim *sim);

/*
 * Applies one operation now: `operation` is the YAML of one schedule item
 * ("project: {fibers: [s->A, A->A], rounds: 1}", "fix: A", "snapshot:
 * {area: C, name: cA}", "plasticity: off", "fire: {area: A, neurons: [1,
 * 2]}", ...; the operations of an experiment's schedule, README), checked
 * by the schedule's parser with its messages (positions within the text,
 * named "<operation>"), appended to the simulator's schedule and run by
 * the same driver as scheduled operations: a project takes its rounds
 * before this returns.  The output and checkpoints then record the
 * experiment as it ran (canonical YAML that `brainsim run` replays bit for
 * bit), and bs_steps_total counts the new steps.
 *
 * Collective: rank 0's text is broadcast and every rank applies it (the
 * others' `operation` is not read and may be NULL), so ranks whose
 * programs drew different random numbers still run one simulation.
 * Winners are replicated, so a decision taken from bs_winners agrees on
 * every rank.
 *
 * Errors: BS_ERR_PARSE (a malformed operation, an unknown name, a wrong
 * type, more than k ids, ...) and BS_ERR_STATE (a project along a fiber
 * from an area without winners, fix of an area without an assembly,
 * scheduled steps still to run: bs_run first), with the message in
 * bs_error; the simulator is then unchanged and usable.  Errors of the
 * step itself are bs_step's.
 */
bs_status bs_apply(bs_sim *sim, const char *operation);

/* bs_apply of "project: {fibers: [...], rounds: N}" along the n_fibers
 * named fibers (n_fibers 0 with fibers NULL: every fiber).  BS_ERR_ARG for
 * a NULL name or one holding '"' or '\'; otherwise as bs_apply. */
bs_status bs_project(bs_sim *sim, const char *const *fibers, size_t n_fibers,
                     uint64_t rounds);

/*
 * Writes a checkpoint of the current state to path (collective): everything
 * needed to continue bit-identically on any number of ranks.  Written to
 * "<path>.tmp", fsync'd and renamed, keeping the previous
 * keep_checkpoints - 1 checkpoints as path.1, path.2, ...; a crash at any
 * point leaves the last complete checkpoint.  Buffered output rows are
 * flushed first, so the output file holds every step the checkpoint has.
 * path is checked against the run's other files and locked as at creation
 * (BS_ERR_IO naming both files, nothing written).
 * BS_ERR_IO with a message on failure (every rank returns it), but for a
 * flush of the output that fails on some ranks only: BS_ERR_MPI on those
 * ranks, which must end the job (bs_abort), as for bs_step.
 */
bs_status bs_checkpoint(bs_sim *sim, const char *path);

/*
 * Creates a simulator that continues from the checkpoint at ckpt_path
 * (collective), on any number of ranks.  The experiment is the one stored
 * in the checkpoint; when experiment_path is not NULL its experiment must
 * be the same or only extend the schedule (BS_ERR_CHECKPOINT otherwise,
 * naming the difference).  When opt->out_path exists it is reopened and
 * continues from the checkpoint's step (later rows are replaced), else it
 * is created.  Errors as bs_create_from_file, plus BS_ERR_CHECKPOINT for an
 * invalid checkpoint (the message names the dataset and what is wrong).
 * Reopening the output is the one place where the library ends the job
 * itself (MPI_Abort, the message on stderr): when its flush fails on some
 * ranks only, the others may wait inside HDF5, and no status could reach
 * them before this call's own collective cleanup.
 */
bs_status bs_resume(const char *ckpt_path, const char *experiment_path,
                    const bs_options *opt, bs_sim **out, char *err,
                    size_t err_len);

/*
 * Asks the run to stop (for signal handlers' callers: call it from the
 * main loop, not from the handler).  The request is agreed by every rank
 * during the next step, after which bs_stop_requested() returns 1 on every
 * rank at the same step.  Can't fail.
 */
void bs_request_stop(bs_sim *sim);
int bs_stop_requested(const bs_sim *sim);

/* Steps taken so far, and steps in the whole schedule (growing with the
 * operations bs_apply appends).  Can't fail. */
uint64_t bs_steps_done(const bs_sim *sim);
uint64_t bs_steps_total(const bs_sim *sim);

/* Number of areas; the name (NULL) and cap k (0) of area i, or the values
 * in parentheses when i is out of range. */
int bs_n_areas(const bs_sim *sim);
const char *bs_area_name(const bs_sim *sim, int i);
uint64_t bs_area_k(const bs_sim *sim, int i);

/*
 * Copies the current winners of `area` (ascending global ids) into ids[],
 * which holds cap elements; *n receives k or 0 when the area has not fired
 * yet.  BS_ERR_NOTFOUND for an unknown area, BS_ERR_ARG when cap < k.
 */
bs_status bs_winners(const bs_sim *sim, const char *area, uint64_t *ids,
                     size_t cap, size_t *n);

/* Number of distinct neurons of `area` that have ever fired. */
bs_status bs_support(const bs_sim *sim, const char *area, uint64_t *support);

/*
 * The support of lazy area `area` (`lazy: true`): the global ids of its
 * neurons that have ever fired, in the order they first fired (brain.py's
 * indices of a lazy area: position i holds the neuron brain.py calls i),
 * into ids[] of cap elements; *n receives their count (also when cap is
 * too small).  The same on every rank.  BS_ERR_NOTFOUND for an unknown
 * area, BS_ERR_ARG for an explicit area or cap < the count.
 */
bs_status bs_support_ids(const bs_sim *sim, const char *area, uint64_t *ids,
                         size_t cap, size_t *n);

/*
 * The current weight of each synapse (src[i], tgt[i]) of the named fiber
 * (its `name`, by default "SOURCE->TARGET") into out[i], i < n: 0.0 where
 * there is no edge (the procedural edge test: block tgt / T of source src
 * regenerated), 1.0 for an edge never potentiated, else its Q16.16 value
 * / 65536 from the plastic store, exactly.  Into a lazy area the stored
 * edges answer (0.0 where a neuron of the pair has not fired through the
 * fiber).  src ids index the source area
 * (or stimulus: 0..k-1), tgt ids the target area.  Collective: every rank
 * passes the same arguments and receives every value (each answers the
 * targets of its slice, then the answers are combined over ranks).
 * BS_ERR_NOTFOUND for an unknown fiber, BS_ERR_ARG for a NULL argument or
 * an id out of range (the message, bs_error, names which), BS_ERR_MPI or
 * the backend's error when copying its stores fails.
 */
bs_status bs_weights(bs_sim *sim, const char *fiber, size_t n,
                     const uint64_t *src, const uint64_t *tgt, double *out);

/*
 * The input each target tgt[i] (an id of the fiber's target area) receives
 * through the named fiber from its source's current firing set (a
 * stimulus's k neurons; an area's winners; none, so 0.0, when the area has
 * not fired or is inhibited), into out[i]: the sum of bs_weights over the
 * firing sources, exactly (a multiple of 2^-16).  What the next step's
 * phase 1 adds through this fiber, whether or not the fiber is inhibited.
 * Collective and errors as bs_weights.
 */
bs_status bs_inputs(bs_sim *sim, const char *fiber, size_t n,
                    const uint64_t *tgt, double *out);

/*
 * Folds the current winners of every area (in the experiment's order,
 * ascending ids, as bs_winners gives them) into the checksum h and returns
 * it: FNV-1a 64 over each id's 8 bytes, least significant first.  Start
 * from BS_CHECKSUM_INIT; `brainsim run` prints the checksum folded after
 * every step it takes.  Can't fail.
 */
#define BS_CHECKSUM_INIT UINT64_C(0xcbf29ce484222325)   /* FNV offset basis */
uint64_t bs_winners_checksum(const bs_sim *sim, uint64_t h);

/* Seconds this rank spent in each phase of the steps taken since creation
 * (accumulate, topk, merge, plasticity, record, agree: seconds[0..5]; the
 * columns of the output's /metrics) and the nominal synaptic events of
 * those steps (firing sources x n x p).  Can't fail. */
void bs_phase_seconds(const bs_sim *sim, double seconds[6], uint64_t *events);

/* The backend in use ("cpu" or "cuda") and why auto fell back ("" if not). */
const char *bs_backend_name(const bs_sim *sim);
const char *bs_fallback_reason(const bs_sim *sim);

/* Bytes of this rank's host memory (device 0: the host pool and the
 * backend's own host pool, the CPU backend's per-neuron inputs among them)
 * or device memory (device 1: the CUDA backend's pool; 0 on the CPU). */
size_t bs_pool_bytes(const bs_sim *sim, int device);

/*
 * Plans the pools of an experiment (file at path; NULL: the built-in
 * default) on n_ranks ranks without allocating or running anything, and
 * prints to `out` every rank's host pool bytes and the manifest of the
 * largest rank.  *max_bytes, when not NULL, receives the largest rank's
 * pool bytes: what bs_create then allocates on that rank.  Not collective
 * (no MPI).  Errors as bs_create_from_file.
 */
bs_status bs_plan(const char *path, int n_ranks, uint64_t plastic_capacity,
                  FILE *out, size_t *max_bytes, char *err, size_t err_len);

/* Prints a short summary of an output or checkpoint file (format, steps,
 * areas, sizes, backend, ranks) to out.  Not collective.  BS_ERR_IO naming
 * the file when it cannot be read, is not a brainsim file, is of another
 * format_version, or holds a variable-length string attribute (refused
 * unread: brainsim files store fixed-length strings). */
bs_status bs_inspect(const char *path, FILE *out, char *err, size_t err_len);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC) that the phase times
 * are measured with.  Can't fail. */
double bs_now(void);

/* This process's rank and the number of ranks (MPI_COMM_WORLD),
 * initialising MPI if needed.  BS_ERR_MPI when MPI cannot start. */
bs_status bs_world(int *rank, int *n_ranks);

/* Ends the whole job after an error that not every rank saw (MPI_Abort),
 * so that no rank waits forever in a collective.  Does not return. */
void bs_abort(int code);

/* Message of the last failure of this simulator ("" if none). */
const char *bs_error(const bs_sim *sim);

/* Flushes and closes the output and frees everything; *sim becomes NULL.
 * Accepts NULL and *sim == NULL.  Collective. */
void bs_destroy(bs_sim **sim);

/*
 * Checks the experiment's expectations (its `expect:` list) against the
 * current state and writes the one-line verdict into buf (len bytes,
 * truncated but always ending in PASS or FAIL when len >= 6), for example
 * "association: overlap(cA, cB) = 1 <= 2 ok; ... PASS".  Meaningful once
 * the schedule has run to its end (bs_steps_done == bs_steps_total).
 * Returns 1 when every expectation holds, 0 when some fails, -1 when the
 * experiment has none (or sim is NULL).  buf may be NULL.  Not collective:
 * every rank computes the same answer.  Can't fail otherwise.
 */
int bs_verdict(const bs_sim *sim, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* BRAINSIM_H */
