/*
 * experiment.h - an experiment: areas, stimuli, fibers and a schedule,
 * parsed from YAML with libyaml (doc/design.md section 6).
 *
 * File format (every key below; anything else is an error):
 *
 *   seed: 42                      # uint64, default 1
 *   defaults: {p: 0.01, beta: 0.05}   # p in (0, 1], beta >= 0
 *   areas:                        # at least one
 *     - {name: A, n: 100000, k: 317, beta: 0.05}   # 1 <= k <= n; beta optional
 *     - {name: L, n: 1000000000, k: 10000, lazy: true}   # lazy (src/lazy.h):
 *       # only neurons that have fired are represented; the never-fired
 *       # ones are sampled from the binomial tail; set_assembly and fire
 *       # add their new ids to its support.
 *   stimuli:                      # optional
 *     - {name: s, k: 317}
 *   fibers:                       # source -> target; source: area or stimulus
 *     - {from: s, to: A, p: 0.01, beta: 0.05, cap: 8.0, name: sA}
 *       # p, beta, cap and name optional; name defaults to "s->A";
 *       # cap (max weight, >= 1) defaults to none
 *   schedule:                     # optional (absent or []: nothing to run;
 *                                 # operations are then applied one at a
 *                                 # time, bs_apply); each a one-key map
 *     - project: {fibers: [s->A, A->A], rounds: 10}  # fibers default: all
 *     - fix: A                    # winners of A stop changing
 *     - unfix: A
 *     - set_assembly: {area: A, neurons: [0, 5, 9]}   # 1..k distinct ids < n
 *     - set_assembly: {area: A, random: true, fix: true}   # k random ids
 *     - fire: {area: A, neurons: [3, 7]}   # 1..k ids: A's firing set for
 *                                 # the next step (not fixed)
 *     - plasticity: {fiber: A->B, beta: 0.1}   # one fiber's own beta
 *     - plasticity: {area: B, beta: 0.1}   # B's default beta: every fiber
 *                                 # into B without a beta of its own
 *     - plasticity: off           # every fiber's beta is 0 until `on`
 *     - plasticity: on            # every fiber's beta again
 *     - inhibit: A                # an area or a fiber name
 *     - disinhibit: s->A
 *     - checkpoint: ckpt.h5      # write a checkpoint to this file
 *     - snapshot: {area: C, name: cA}   # save C's winners under a name
 *     - fire_subset: {area: A, fraction: 0.5}  # A fires a random part
 *     - reset: A                  # A has no winners, as before it first fired
 *   name: association             # optional: the verdict's prefix (default:
 *                                 # the file's name without directory and
 *                                 # extension); 1..63 of A-Z a-z 0-9 _ . -
 *   expect:                       # optional: checked when the run ends
 *     - {overlap: [cA, cB], max: 2}         # |cA & cB|; min, max or both
 *     - {overlap: [A, trained], min: 300}   # an area: its current winners
 *     - {support: A, max: 3200}             # neurons of A that ever fired
 *     - {support_stable: A}       # the last step added none to the support
 *                                 # (the verdict names the step after which
 *                                 # it last grew)
 *     - {converged: A, by: 22}    # A's winners unchanged since step <= 22
 *                                 # (by optional), and not changed by the
 *                                 # last step
 *
 * The assembly-calculus operations are compositions of these primitives
 * (README, "Assembly-calculus operations and the classic experiments"):
 *   - snapshot copies an area's current winners (ascending, as many as it
 *     has) into storage planned in the pool; names are unique across
 *     snapshots, areas, stimuli and fibers.
 *   - fire_subset replaces an area's winners (its firing set) by
 *     round(fraction * k) of them, fraction in (0, 1], drawn from the seed
 *     (Philox keyed by the seed and the area, counted by the operation's
 *     index and the draw: the same on every rank and backend).  The next
 *     step that targets the area selects k winners again.  The area must
 *     have at least that many winners when the operation runs.
 *   - reset leaves the area without winners and unfixes it; it fires
 *     nothing until a step or set_assembly gives it winners again.
 *   - fire and set_assembly count their ids into the support; a fixed area
 *     stays fixed with fire's ids.  A project whose active fibers come
 *     from an area that has never fired (no winners, not inhibited) is an
 *     error naming the operation and the area.
 *   - plasticity: a fiber's beta is its own (given in `fibers` or by a
 *     fiber plasticity operation) or else its target area's default
 *     (`areas[].beta`, changed by an area plasticity operation); `off`
 *     makes every fiber's beta 0 until `on` (changes made while off take
 *     effect at `on`).
 *   - Steps are numbered from 1; "converged at step t" means the winners
 *     have not changed since the t-th step (0: since before the first).
 *     Operations between steps t and t+1 that change winners (set_assembly,
 *     fire_subset, reset) count as a change at step t.
 *   - expect items are checked only when the schedule has run to its end;
 *     overlap compares two sets of the same area.
 *
 * Names are unique across areas, stimuli and fibers.  Every error message
 * names the file, line and column, the key, the bad value and what is
 * allowed:  "exp.yaml:7:8: areas[0].k: value '0' is invalid: must be an
 * integer in 1..n (n = 1000)".
 */
#ifndef BS_EXPERIMENT_H
#define BS_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "brainsim.h"

#define BS_NAME_MAX 64          /* bytes of a name, including the NUL */
#define BS_MAX_NEURONS (UINT64_C(1) << 40) /* area size limit (ids < 2^40) */
#define BS_MAX_K (UINT64_C(1) << 24)       /* cap limit per area */
#define BS_MAX_ENTITIES 4096    /* areas, stimuli, fibers, each */

typedef struct bs_area_spec {
    char name[BS_NAME_MAX];
    uint64_t n_neurons;
    uint64_t k;
    double beta;                /* default plasticity of fibers into it */
    int lazy;                   /* 1: a lazy area (src/lazy.h): only neurons
                                   that have fired exist */
    int line, col;
} bs_area_spec;

typedef struct bs_stim_spec {
    char name[BS_NAME_MAX];
    uint64_t k;                 /* its neurons 0..k-1 all fire */
    int line, col;
} bs_stim_spec;

typedef struct bs_fiber_spec {
    char name[BS_NAME_MAX];
    int src_is_stim;            /* 1: src indexes stimuli, 0: areas */
    int src;
    int dst;                    /* index into areas */
    double p;
    double beta;
    double cap;                 /* 0: no cap */
    int beta_given;             /* 1: beta given in the fiber's entry */
    int line, col;
} bs_fiber_spec;

typedef enum bs_op_kind {
    BS_OP_PROJECT = 0,
    BS_OP_FIX,
    BS_OP_UNFIX,
    BS_OP_SET_ASSEMBLY,
    BS_OP_INHIBIT,
    BS_OP_DISINHIBIT,
    BS_OP_CHECKPOINT,
    BS_OP_SNAPSHOT,
    BS_OP_FIRE_SUBSET,
    BS_OP_RESET,
    BS_OP_FIRE,
    BS_OP_PLASTICITY,
    BS_OP_N_KINDS
} bs_op_kind;

typedef struct bs_op {
    bs_op_kind kind;
    int line, col;
    /* project */
    uint64_t rounds;            /* steps this operation takes (>= 1) */
    int *fibers;                /* active fiber indices, n_fibers of them */
    int n_fibers;               /* -1: all fibers */
    /* fix, unfix, set_assembly, snapshot, fire_subset, reset */
    int area;
    /* set_assembly, fire */
    uint64_t *neurons;          /* n_neurons ascending distinct ids, or NULL */
    uint64_t n_neurons;         /* 1..k; k for random */
    int random;                 /* 1: k ids drawn from the seed */
    int fix;                    /* 1: also fix the area */
    /* inhibit, disinhibit */
    int target_is_fiber;        /* 1: target indexes fibers, 0: areas */
    int target;
    /* checkpoint */
    char *path;                 /* file to write (owned) */
    /* snapshot */
    int snapshot;               /* index into e->snapshots */
    /* fire_subset */
    double fraction;            /* in (0, 1] */
    uint64_t n_fire;            /* round(fraction * k), 1..k */
    /* plasticity */
    int plast;                  /* BS_PLAST_* */
    double beta;                /* FIBER (target), AREA (area) */
    /* 1: applied by bs_apply (positions count in its own text, named
     * "<operation>"), 0: read from the experiment's schedule */
    int applied;
} bs_op;

enum { BS_PLAST_FIBER = 0, BS_PLAST_AREA, BS_PLAST_OFF, BS_PLAST_ON };

typedef struct bs_snapshot_spec {
    char name[BS_NAME_MAX];
    int area;                   /* whose winners it saves */
    int op;                     /* the snapshot operation */
    int line, col;
} bs_snapshot_spec;

typedef enum bs_expect_kind {
    BS_EXPECT_OVERLAP = 0,      /* |set[0] & set[1]| in [min, max] */
    BS_EXPECT_SUPPORT,          /* the area's support in [min, max] */
    BS_EXPECT_SUPPORT_STABLE,   /* the last step added nothing to it */
    BS_EXPECT_CONVERGED,        /* winners unchanged since step <= by */
    BS_EXPECT_N_KINDS
} bs_expect_kind;

typedef struct bs_expect {
    bs_expect_kind kind;
    int area;                   /* the area (of both sets, for overlap) */
    int set[2];                 /* overlap: snapshot indices; -1 means the
                                   area's current winners */
    int has_min, has_max;       /* overlap, support: at least one */
    uint64_t min, max;          /* inclusive bounds */
    int has_by;                 /* converged: 1 when `by` was given */
    uint64_t by;
    int line, col;
} bs_expect;

typedef struct bs_experiment {
    char *source_name;          /* file path or "<text>" (owned) */
    char *text;                 /* the experiment text, NUL-terminated (owned) */
    size_t text_len;
    uint64_t seed;
    double p, beta;             /* defaults */
    bs_area_spec *areas;   int n_areas;
    bs_stim_spec *stims;   int n_stims;
    bs_fiber_spec *fibers; int n_fibers;
    bs_op *ops;            int n_ops;
    int ops_cap;                /* ops allocated (>= n_ops) */
    uint64_t total_steps;       /* sum of rounds of project operations */
    char name[BS_NAME_MAX];     /* `name`, or the file's base name */
    bs_snapshot_spec *snapshots; int n_snapshots;
    bs_expect *expects;    int n_expects;
} bs_experiment;

/*
 * Parses and validates `text` (len bytes; name used in messages).  Returns
 * BS_OK and a new experiment in *out, or BS_ERR_PARSE / BS_ERR_LIMIT with a
 * message in err (file:line:col: key: value: what is allowed) and *out NULL.
 * Never crashes on any input.
 */
bs_status bs_experiment_parse(const char *text, size_t len, const char *name,
                              bs_experiment **out, char *err, size_t err_len);

/*
 * Parses `text` (len bytes) as one schedule item ("fix: A", "project:
 * {rounds: 2}", ...) of experiment e, with the schedule's checks and
 * messages (positions within text, named `name`; NULL: "<operation>"),
 * and appends it to e's schedule (e->ops grows amortised; total_steps,
 * snapshots as for a scheduled item).  Returns BS_OK, or BS_ERR_PARSE /
 * BS_ERR_LIMIT / BS_ERR_NOMEM with the message in err, e unchanged.
 */
bs_status bs_experiment_parse_op(bs_experiment *e, const char *text,
                                 size_t len, const char *name, char *err,
                                 size_t err_len);

/*
 * The experiment as canonical YAML: seed, defaults, name, areas, stimuli,
 * fibers with every field they were given (reals printed %.17g, so they
 * read back exactly), the whole schedule and the expectations.  Parsing
 * it gives the same experiment.  Returns a new NUL-terminated text (the
 * caller frees it) with its length in *len, or NULL when out of memory.
 */
char *bs_experiment_emit(const bs_experiment *e, size_t *len);

/* "src:line:col" of operation op of e into buf (len bytes): the
 * experiment's source for a scheduled one, "<operation>" for an applied
 * one; returns buf.  Can't fail. */
const char *bs_op_where(const bs_experiment *e, const bs_op *op, char *buf,
                        size_t len);

/* Reads the file at path and parses it; BS_ERR_IO when it cannot be read. */
bs_status bs_experiment_load(const char *path, bs_experiment **out,
                             char *err, size_t err_len);

/* Index of the area / stimulus / fiber named `name`, or -1. */
int bs_experiment_area(const bs_experiment *e, const char *name);
int bs_experiment_stim(const bs_experiment *e, const char *name);
int bs_experiment_fiber(const bs_experiment *e, const char *name);
int bs_experiment_snapshot(const bs_experiment *e, const char *name);

/* Short description of operation i for /schedule ("project s->A,A->A"). */
void bs_op_describe(const bs_experiment *e, int i, char *buf, size_t len);

/* Frees everything; accepts NULL and *e == NULL; sets *e to NULL. */
void bs_experiment_destroy(bs_experiment **e);

/* The built-in default experiment (examples/projection.yaml). */
extern const char bs_default_experiment[];

#endif /* BS_EXPERIMENT_H */
