/*
 * fuzz_experiment.c - libFuzzer target for the experiment parser
 * (src/experiment.c, doc/design.md section 6).
 *
 * Each input is an experiment text.  It is parsed with bs_experiment_parse;
 * when it parses, every operation is described (as /schedule does), every
 * name is looked up again, and the pool is laid out for 1 and for 3 ranks
 * (bs_sim_layout: the planning code `brainsim plan` and bs_create run,
 * with all of its size arithmetic, but no allocation of the pool).  When
 * the pool is small (<= 4 MiB), a step costs at most FUZZ_SYNAPSES
 * (firing sources x targets x p, over the fibers) and the schedule writes
 * no checkpoint, the experiment is also run: bs_create_from_text (MPI: one rank), up to
 * FUZZ_STEPS steps of its schedule (set_assembly, fire_subset, snapshot,
 * reset ... on the way), the verdict, bs_destroy; no output file.
 *
 * Contract checked: any input is accepted or rejected with BS_ERR_PARSE /
 * BS_ERR_LIMIT and a non-empty message; nothing crashes, reads or writes
 * out of bounds, hits undefined behaviour or leaks (AddressSanitizer,
 * UndefinedBehaviorSanitizer and LeakSanitizer abort the run).  A rejected
 * input must leave *out NULL.
 *
 * Build: make fuzz (tests/fuzz/fuzz.mk); see tests/fuzz/FUZZING.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "sim_state.h"

#define FUZZ_POOL_MAX (UINT64_C(4) << 20)
#define FUZZ_STEPS 4
#define FUZZ_SYNAPSES 2e6     /* so that no valid input times out */

/* Layout for rank `rank` of n_ranks; frees everything it made.  Returns
 * the pool bytes (0 when the layout refuses). */
static uint64_t layout(bs_experiment *e, int rank, int n_ranks)
{
    bs_sim s;
    memset(&s, 0, sizeof s);
    s.exp = e;
    s.rank = rank;
    s.n_ranks = n_ranks;
    s.quiet = 1;
    bs_status st = bs_sim_layout(&s);
    if (st != BS_OK && s.err[0] == '\0')
        abort();    /* a refusal must say why */
    uint64_t n_bytes = st == BS_OK ? bs_pool_bytes_of(&s.pool) : 0;
    bs_pool_destroy(&s.pool);
    bs_sim_layout_free(&s);
    return n_bytes;
}

/* Creates and steps a simulator for the text (NUL-terminated). */
static void simulate(const char *text)
{
    char err[1024] = "", verdict[512];
    bs_options opt;
    bs_options_init(&opt);
    opt.out_path = NULL;
    opt.quiet = 1;
    opt.backend = BS_BACKEND_CPU;
    opt.n_threads = 1;
    bs_sim *sim = NULL;
    if (bs_create_from_text(text, "fuzz.yaml", &opt, &sim, err, sizeof err)
        != BS_OK) {
        if (sim != NULL || err[0] == '\0')
            abort();
        return;
    }
    uint64_t done = 0, ids[64];
    size_t n;
    bs_step(sim, FUZZ_STEPS, &done);
    for (int a = 0; a < bs_n_areas(sim); a++) {
        bs_winners(sim, bs_area_name(sim, a), ids, 64, &n);
        bs_support(sim, bs_area_name(sim, a), &done);
    }
    bs_verdict(sim, verdict, sizeof verdict);
    bs_destroy(&sim);
}

/* Nominal synapses of a step with every fiber active. */
static double step_synapses(const bs_experiment *e)
{
    double n = 0;
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_spec *fs = &e->fibers[f];
        uint64_t k = fs->src_is_stim ? e->stims[fs->src].k
                                     : e->areas[fs->src].k;
        n += (double)k * (double)e->areas[fs->dst].n_neurons * fs->p;
    }
    return n;
}

static int writes_checkpoints(const bs_experiment *e)
{
    for (int i = 0; i < e->n_ops; i++)
        if (e->ops[i].kind == BS_OP_CHECKPOINT)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024] = "";
    bs_experiment *e = (bs_experiment *)1;   /* must become NULL on error */
    bs_status st = bs_experiment_parse((const char *)data, size, "fuzz.yaml",
                                       &e, err, sizeof err);
    if (st != BS_OK) {
        if (e != NULL || err[0] == '\0')
            abort();
        return 0;
    }
    char buf[256];
    for (int i = 0; i < e->n_ops; i++)
        bs_op_describe(e, i, buf, sizeof buf);
    for (int a = 0; a < e->n_areas; a++)
        if (bs_experiment_area(e, e->areas[a].name) != a)
            abort();
    for (int f = 0; f < e->n_fibers; f++)
        if (bs_experiment_fiber(e, e->fibers[f].name) != f)
            abort();
    uint64_t pool = layout(e, 0, 1);
    layout(e, 2, 3);
    int run = pool > 0 && pool <= FUZZ_POOL_MAX && !writes_checkpoints(e) &&
              step_synapses(e) <= FUZZ_SYNAPSES && !memchr(data, 0, size);
    bs_experiment_destroy(&e);
    if (e != NULL)
        abort();
    if (run) {
        char *text = malloc(size + 1);
        if (!text)
            return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        simulate(text);
        free(text);
    }
    return 0;
}
