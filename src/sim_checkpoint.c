/*
 * sim_checkpoint.c - checkpoint, resume and stop requests (DESIGN section 2:
 * a resumed run equals an uninterrupted one, on any number of ranks).
 *
 * Checkpoints are taken between steps.  Their temporary row buffers (the
 * ever-fired ids and the plastic rows re-sorted by target) are allocated
 * for the write and freed after it: a checkpoint is not part of the step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "log.h"
#include "sim.h"

void bs_request_stop(bs_sim *sim)
{
    if (sim)
        sim->stop_local = 1;
}

int bs_stop_requested(const bs_sim *sim)
{
    return sim ? sim->stop_agreed : 0;
}

/* Ever-fired ids of area a's slice, ascending, into a new array. */
static uint64_t *ever_ids(const bs_area_state *as, uint64_t *n)
{
    uint64_t count = 0, words = as->n_local / 64 + 1;
    for (uint64_t w = 0; w < words; w++)
        count += (uint64_t)__builtin_popcountll(as->ever[w]);
    uint64_t *ids = malloc((count ? count : 1) * sizeof *ids);
    if (!ids)
        return NULL;
    uint64_t m = 0;
    for (uint64_t w = 0; w < words; w++)
        for (uint64_t x = as->ever[w]; x; x &= x - 1)
            ids[m++] = as->lo + w * 64 + (uint64_t)__builtin_ctzll(x);
    *n = m;
    return ids;
}

typedef struct row { uint64_t src, tgt; uint32_t w; } row;

static int by_target(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->tgt != y->tgt)
        return x->tgt < y->tgt ? -1 : 1;
    return (x->src > y->src) - (x->src < y->src);
}

/* The rows of a store sorted by (target, source), as three new arrays. */
static int rows_by_target(const bs_store *st, bs_ckpt_fiber *out)
{
    uint64_t n = st->n ? st->n : 1;
    row *r = malloc(n * sizeof *r);
    uint64_t *src = malloc(n * 8), *tgt = malloc(n * 8);
    uint32_t *w = malloc(n * 4);
    if (!r || !src || !tgt || !w) {
        free(r); free(src); free(tgt); free(w);
        return 0;
    }
    for (uint64_t i = 0; i < st->n; i++)
        r[i] = (row){st->src[i], st->tgt[i], st->w[i]};
    qsort(r, (size_t)st->n, sizeof *r, by_target);
    for (uint64_t i = 0; i < st->n; i++) {
        src[i] = r[i].src;
        tgt[i] = r[i].tgt;
        w[i] = r[i].w;
    }
    free(r);
    out->src = src;
    out->tgt = tgt;
    out->w = w;
    out->n_rows = st->n;
    return 1;
}

static void free_parts(bs_ckpt_area *areas, bs_ckpt_fiber *fibers, int na,
                       int nf)
{
    for (int a = 0; areas && a < na; a++)
        free((void *)areas[a].ever_local);
    for (int f = 0; fibers && f < nf; f++) {
        free((void *)fibers[f].src);
        free((void *)fibers[f].tgt);
        free((void *)fibers[f].w);
    }
    free(areas);
    free(fibers);
}

/* Fills this rank's parts of a checkpoint; 0 when out of memory. */
static int collect(bs_sim *s, bs_ckpt_area *areas, bs_ckpt_fiber *fibers)
{
    const bs_experiment *e = s->exp;
    int ok = 1;
    for (int a = 0; a < e->n_areas; a++) {
        const bs_area_state *as = &s->areas[a];
        areas[a] = (bs_ckpt_area){
            .name = e->areas[a].name, .n = as->n_neurons, .k = as->k,
            .n_winners = as->n_winners, .winners = as->winners,
            .win_inputs = as->win_inputs, .support = as->support,
            .fixed = as->fixed, .inhibited = as->inhibited};
        areas[a].ever_local = ever_ids(as, &areas[a].n_ever_local);
        ok &= areas[a].ever_local != NULL;
    }
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_spec *spec = &e->fibers[f];
        const bs_fiber_state *fs = &s->fibers[f];
        fibers[f] = (bs_ckpt_fiber){
            .name = spec->name,
            .n_src = spec->src_is_stim ? e->stims[spec->src].k
                                       : e->areas[spec->src].n_neurons,
            .dst_n = e->areas[spec->dst].n_neurons,
            .inhibited = fs->inhibited, .geom = fs->geom};
        ok &= rows_by_target(&fs->store[fs->cur], &fibers[f]);
    }
    return ok;
}

bs_status bs_checkpoint(bs_sim *s, const char *path)
{
    if (!s || !path)
        return BS_ERR_ARG;
    bs_status st = bs_sim_flush(s);
    if (st == BS_ERR_MPI)   /* this rank alone: no agreement (bs_io_write) */
        return st;
    if (st == BS_OK && s->be->download)
        st = s->be->download(s);
    if (!bs_comm_all_ok(s->comm, st == BS_OK))
        return st == BS_OK ? bs_sim_fail(s, BS_ERR_STATE, "checkpoint: "
                                         "another rank failed") : st;
    const bs_experiment *e = s->exp;
    bs_ckpt_area *areas = calloc((size_t)e->n_areas + 1, sizeof *areas);
    bs_ckpt_fiber *fibers = calloc((size_t)e->n_fibers + 1, sizeof *fibers);
    int ok = areas && fibers && collect(s, areas, fibers);
    if (!bs_comm_all_ok(s->comm, ok)) {
        free_parts(areas, fibers, e->n_areas, e->n_fibers);
        return bs_sim_fail(s, BS_ERR_NOMEM, "checkpoint %s: out of memory "
                           "for the rows (on some rank)", path);
    }
    bs_ckpt_header h = {
        .step = s->step, .op = s->op, .round = s->round,
        .config_hash = bs_config_hash(e->text, e->text_len), .seed = e->seed,
        .n_ranks = s->n_ranks, .n_areas = e->n_areas, .n_fibers = e->n_fibers,
        .experiment_text = e->text};
    double t0 = bs_now();
    st = bs_ckpt_write(path, s->keep_checkpoints, s->comm, &h, areas, fibers,
                       s->err, sizeof s->err);
    free_parts(areas, fibers, e->n_areas, e->n_fibers);
    bs_log(st == BS_OK && s->rank == 0 && !s->quiet,
           "checkpoint %s written at step %llu (%.3f s)", path,
           (unsigned long long)s->step, bs_now() - t0);
    return st;
}

/* Checks the schedule position of the checkpoint against the experiment:
 * the rounds before it must add up to its step. */
static bs_status check_position(bs_sim *s, const bs_ckpt_header *h)
{
    const bs_experiment *e = s->exp;
    if (h->op < 0 || h->op > e->n_ops ||
        (h->op < e->n_ops && h->round > e->ops[h->op].rounds) ||
        (h->op == e->n_ops && h->round != 0))
        return bs_sim_fail(s, BS_ERR_CHECKPOINT, "checkpoint: schedule "
                           "position op %d round %llu is outside the "
                           "schedule (%d operations)", (int)h->op,
                           (unsigned long long)h->round, e->n_ops);
    uint64_t steps = h->round;
    for (int o = 0; o < h->op; o++)
        if (e->ops[o].kind == BS_OP_PROJECT)
            steps += e->ops[o].rounds;
    if (steps != h->step)
        return bs_sim_fail(s, BS_ERR_CHECKPOINT, "checkpoint: step %llu does "
                           "not match its schedule position (op %d round "
                           "%llu is step %llu)", (unsigned long long)h->step,
                           (int)h->op, (unsigned long long)h->round,
                           (unsigned long long)steps);
    /* Snapshots (and the verdict's tracking of support and changes) are
     * not stored in checkpoints yet: refuse a position after a snapshot
     * rather than continue without it. */
    for (int o = 0; o < h->op; o++)
        if (e->ops[o].kind == BS_OP_SNAPSHOT)
            return bs_sim_fail(s, BS_ERR_CHECKPOINT, "checkpoint: it was taken "
                               "after the snapshot operation at line %d, and "
                               "checkpoints do not store snapshots yet: rerun "
                               "from the start", e->ops[o].line);
    s->step = h->step;
    s->op = h->op;
    s->round = h->round;
    return BS_OK;
}

bs_status bs_sim_restore(bs_sim *s, bs_ckpt_reader *rd)
{
    const bs_experiment *e = s->exp;
    bs_ckpt_header h;
    bs_status st = bs_ckpt_header_of(rd, &h);
    if (st == BS_OK)
        st = check_position(s, &h);
    for (int a = 0; st == BS_OK && a < e->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        st = bs_ckpt_read_area(rd, e->areas[a].name, as->n_neurons, as->k,
                               as->lo, as->hi, as->winners, as->win_inputs,
                               &as->n_winners, &as->support, &as->fixed,
                               &as->inhibited, as->ever, s->err,
                               sizeof s->err);
    }
    for (int f = 0; st == BS_OK && f < e->n_fibers; f++) {
        const bs_fiber_spec *spec = &e->fibers[f];
        bs_fiber_state *fs = &s->fibers[f];
        uint64_t n_src = spec->src_is_stim ? e->stims[spec->src].k
                                           : e->areas[spec->src].n_neurons;
        const bs_area_state *dst = &s->areas[spec->dst];
        fs->cur = 0;
        /* the spare store's source column is the reordering scratch */
        st = bs_ckpt_read_fiber(rd, spec->name, n_src, dst->n_neurons, dst->lo,
                                dst->hi, &fs->geom, &fs->inhibited,
                                &fs->store[0], fs->store[1].src, s->err,
                                sizeof s->err);
    }
    return st;
}

/* Whether `now` equals `then` except for operations appended to the
 * schedule; writes the first difference to why. */
static int extends(const bs_experiment *then, const bs_experiment *now,
                   char *why, size_t len)
{
#define DIFF(cond, ...) do { if (cond) { snprintf(why, len, __VA_ARGS__); return 0; } } while (0)
    DIFF(then->seed != now->seed, "the seed differs");
    DIFF(then->n_areas != now->n_areas || then->n_stims != now->n_stims ||
         then->n_fibers != now->n_fibers, "the areas, stimuli or fibers differ");
    for (int a = 0; a < then->n_areas; a++) {
        const bs_area_spec *x = &then->areas[a], *y = &now->areas[a];
        DIFF(strcmp(x->name, y->name) || x->n_neurons != y->n_neurons ||
             x->k != y->k || x->beta != y->beta, "area %s differs", x->name);
    }
    for (int i = 0; i < then->n_stims; i++)
        DIFF(strcmp(then->stims[i].name, now->stims[i].name) ||
             then->stims[i].k != now->stims[i].k, "stimulus %s differs",
             then->stims[i].name);
    for (int f = 0; f < then->n_fibers; f++) {
        const bs_fiber_spec *x = &then->fibers[f], *y = &now->fibers[f];
        DIFF(strcmp(x->name, y->name) || x->src_is_stim != y->src_is_stim ||
             x->src != y->src || x->dst != y->dst || x->p != y->p ||
             x->beta != y->beta || x->cap != y->cap, "fiber %s differs",
             x->name);
    }
    DIFF(now->n_ops < then->n_ops, "the schedule is shorter");
    for (int o = 0; o < then->n_ops; o++) {
        const bs_op *x = &then->ops[o], *y = &now->ops[o];
        int same = x->kind == y->kind && x->rounds == y->rounds &&
                   x->n_fibers == y->n_fibers && x->area == y->area &&
                   x->random == y->random && x->fix == y->fix &&
                   x->target_is_fiber == y->target_is_fiber &&
                   x->target == y->target && !x->neurons == !y->neurons &&
                   !x->path == !y->path && x->snapshot == y->snapshot &&
                   x->fraction == y->fraction && x->n_fire == y->n_fire;
        for (int i = 0; same && i < x->n_fibers; i++)
            same = x->fibers[i] == y->fibers[i];
        if (same && x->neurons)
            same = !memcmp(x->neurons, y->neurons,
                           then->areas[x->area].k * sizeof *x->neurons);
        if (same && x->path)
            same = !strcmp(x->path, y->path);
        DIFF(!same, "schedule operation %d (line %d) differs", o, y->line);
    }
#undef DIFF
    return 1;
}

/* The experiment to continue with: the checkpoint's, or experiment_path's
 * when it equals it or only extends its schedule. */
static bs_status resume_experiment(bs_comm *comm, const char *ckpt_path,
                                   const bs_ckpt_header *h,
                                   const char *experiment_path,
                                   bs_experiment **out, int quiet, char *err,
                                   size_t err_len)
{
    char name[4200];
    snprintf(name, sizeof name, "%s:/experiment", ckpt_path);
    bs_experiment *then = NULL, *now = NULL;
    bs_status st = bs_experiment_parse(h->experiment_text,
                                       strlen(h->experiment_text), name, &then,
                                       err, err_len);
    if (st != BS_OK)
        return st == BS_ERR_NOMEM ? st : BS_ERR_CHECKPOINT;
    if (!experiment_path) {
        *out = then;
        return BS_OK;
    }
    st = bs_sim_load_experiment(comm, experiment_path, &now, err, err_len);
    char why[256];
    if (st == BS_OK && !extends(then, now, why, sizeof why)) {
        snprintf(err, err_len, "%s: not the experiment of checkpoint %s (%s); "
                 "only appending operations to the schedule is allowed",
                 experiment_path, ckpt_path, why);
        st = BS_ERR_CHECKPOINT;
    } else if (st == BS_OK && now->n_ops > then->n_ops) {
        bs_log(bs_comm_rank(comm) == 0 && !quiet, "%s extends the schedule of "
               "the checkpoint (%d -> %d operations)", experiment_path,
               then->n_ops, now->n_ops);
    }
    bs_experiment_destroy(&then);
    if (st != BS_OK)
        bs_experiment_destroy(&now);
    *out = now;
    return st;
}

bs_status bs_resume(const char *ckpt_path, const char *experiment_path,
                    const bs_options *opt, bs_sim **out, char *err,
                    size_t err_len)
{
    if (!ckpt_path || !out)
        return BS_ERR_ARG;
    *out = NULL;
    bs_options defaults;
    if (!opt) {
        bs_options_init(&defaults);
        opt = &defaults;
    }
    double t0 = bs_now();
    /* the reader has a communicator of its own: the simulator takes
     * ownership of its own one, even when its creation fails */
    bs_comm *comm = NULL, *rd_comm = NULL;
    bs_status st = bs_comm_create(&rd_comm, err, err_len);
    if (st == BS_OK)
        st = bs_comm_create(&comm, err, err_len);
    bs_ckpt_reader *rd = NULL;
    bs_ckpt_header h;
    bs_experiment *exp = NULL;
    if (st == BS_OK)
        st = bs_ckpt_open(ckpt_path, rd_comm, &rd, &h, err, err_len);
    if (st == BS_OK &&
        h.config_hash != bs_config_hash(h.experiment_text,
                                        strlen(h.experiment_text))) {
        snprintf(err, err_len, "%s: /experiment does not match the "
                 "config_hash attribute (the file is corrupt)", ckpt_path);
        st = BS_ERR_CHECKPOINT;
    }
    if (st == BS_OK)
        st = resume_experiment(comm, ckpt_path, &h, experiment_path, &exp,
                               opt->quiet, err, err_len);
    if (st == BS_OK) {
        st = bs_sim_create(exp, comm, opt, rd, out, err, err_len);
        comm = NULL;    /* owned by the simulator now, or freed */
    }
    bs_ckpt_close(&rd);
    bs_comm_destroy(&comm);
    bs_comm_destroy(&rd_comm);
    if (st == BS_OK)
        bs_log(bs_comm_rank((*out)->comm) == 0 && !opt->quiet,
               "resumed from %s at step %llu (set up and read in %.3f s)",
               ckpt_path, (unsigned long long)(*out)->step, bs_now() - t0);
    return st;
}
