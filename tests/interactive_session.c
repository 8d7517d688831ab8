/*
 * interactive_session.c - an interactive session driven from C through
 * bs_apply and bs_project, for tests/test_interactive.sh: it decides from
 * winners (projects until A's winners stop changing), takes a checkpoint
 * in the middle (a `checkpoint` operation), snapshots, fixes, switches
 * plasticity off and on, fires an explicit set.  Run on any number of
 * ranks; the output must equal the 1-rank one and `brainsim run` of the
 * experiment it records.
 *
 *     interactive_session OUT.h5 CHECKPOINT.h5
 *
 * Prints "session: <steps> steps, checksum <hex>" on rank 0; exits 0, or
 * 1 with the failing call's message (every rank fails together).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "brainsim.h"

static const char experiment[] =
    "seed: 21\n"
    "defaults: {p: 0.02, beta: 0.1}\n"
    "areas:\n"
    "  - {name: A, n: 20000, k: 100}\n"
    "  - {name: B, n: 9001, k: 60, beta: 0.05}\n"
    "stimuli:\n"
    "  - {name: s, k: 100}\n"
    "fibers:\n"
    "  - {from: s, to: A}\n"
    "  - {from: A, to: A}\n"
    "  - {from: A, to: B}\n"
    "  - {from: B, to: B, cap: 2.5}\n"
    "  - {from: B, to: A, p: 0.01}\n";

#define CHECK(call)                                                         \
    do {                                                                    \
        if ((call) != BS_OK) {                                              \
            fprintf(stderr, "interactive_session: %s: %s\n", #call,        \
                    bs_error(sim));                                         \
            return 1;                                                       \
        }                                                                   \
    } while (0)

/* 1 when A's winners equal prev (k ids), which is then updated. */
static int unchanged(bs_sim *sim, uint64_t *prev, size_t *n_prev)
{
    uint64_t ids[100];
    size_t n = 0;
    bs_winners(sim, "A", ids, 100, &n);
    int same = n == *n_prev && memcmp(ids, prev, n * sizeof *ids) == 0;
    memcpy(prev, ids, n * sizeof *ids);
    *n_prev = n;
    return same;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: interactive_session OUT.h5 CHECKPOINT.h5\n");
        return 2;
    }
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    opt.backend = BS_BACKEND_CPU;
    opt.out_path = argv[1];
    bs_sim *sim = NULL;
    char err[2048], op[4200];
    if (bs_create_from_text(experiment, "session", &opt, &sim, err,
                            sizeof err) != BS_OK) {
        fprintf(stderr, "interactive_session: %s\n", err);
        return 1;
    }
    const char *stim[] = {"s->A"}, *rec[] = {"s->A", "A->A"};
    const char *ab[] = {"A->B", "B->B"};
    uint64_t prev[100];
    size_t n_prev = 0;
    CHECK(bs_project(sim, stim, 1, 1));
    for (int r = 0; r < 30; r++) {       /* until A settles */
        CHECK(bs_project(sim, rec, 2, 1));
        if (unchanged(sim, prev, &n_prev))
            break;
    }
    CHECK(bs_apply(sim, "snapshot: {area: A, name: a_trained}"));
    snprintf(op, sizeof op, "checkpoint: \"%s\"", argv[2]);
    CHECK(bs_apply(sim, op));
    CHECK(bs_apply(sim, "fix: A"));
    CHECK(bs_project(sim, ab, 1, 1));
    CHECK(bs_project(sim, ab, 2, 3));
    CHECK(bs_apply(sim, "plasticity: off"));
    CHECK(bs_project(sim, ab, 2, 2));
    CHECK(bs_apply(sim, "plasticity: {fiber: B->A, beta: 0.3}"));
    CHECK(bs_apply(sim, "plasticity: on"));
    CHECK(bs_apply(sim, "plasticity: {area: B, beta: 0.2}"));
    CHECK(bs_apply(sim, "unfix: A"));
    CHECK(bs_project(sim, NULL, 0, 2));
    CHECK(bs_apply(sim, "fire: {area: A, neurons: [5, 1, 9, 300, 19999]}"));
    CHECK(bs_apply(sim, "project: {fibers: [A->B, B->B, B->A], rounds: 2}"));
    CHECK(bs_apply(sim, "set_assembly: {area: B, neurons: [7, 8, 9], fix: "
                        "true}"));
    CHECK(bs_apply(sim, "snapshot: {area: B, name: b_set}"));
    CHECK(bs_project(sim, rec, 2, 2));
    int rank = 0, n_ranks = 1;
    bs_world(&rank, &n_ranks);
    if (rank == 0)
        printf("session: %" PRIu64 " steps of %" PRIu64 ", checksum %016"
               PRIx64 "\n", bs_steps_done(sim), bs_steps_total(sim),
               bs_winners_checksum(sim, BS_CHECKSUM_INIT));
    bs_destroy(&sim);
    return 0;
}
