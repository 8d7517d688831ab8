/*
 * sim_checkpoint.c - a simulator's state to and from the rows of a
 * checkpoint (contract: sim_checkpoint.h; doc/design.md section 2: a resumed run
 * equals an uninterrupted one, on any number of ranks).  When to write
 * one is the driver's (sim.c), resuming the constructors' (sim_create.c).
 *
 * Checkpoints are taken between steps.  Their temporary row buffers (the
 * ever-fired ids and the plastic rows re-sorted by target) are allocated
 * for the write and freed after it: a checkpoint is not part of the step.
 */
#include "sim_checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy.h"
#include "log.h"

/* Ever-fired ids of area as's slice, ascending, in a new array (the caller
 * frees it) with their count in *n; NULL when out of memory. */
static uint64_t *ever_ids(const bs_area_state *as, uint64_t *n)
{
    uint64_t *ids = malloc((as->ever.count ? as->ever.count : 1) *
                           sizeof *ids);
    if (!ids)
        return NULL;
    bs_idset_sorted(&as->ever, ids);
    *n = as->ever.count;
    return ids;
}

/* A lazy area's ever_fired part: its whole support, ascending, on rank 0
 * (replicated state), none elsewhere; a new array as ever_ids. */
static uint64_t *lazy_ever_ids(const bs_sim *s, int a, uint64_t *n)
{
    const uint64_t *gid = s->lazy[a]->gid;
    uint64_t w = s->rank == 0 ? s->lazy[a]->w : 0;
    uint64_t *ids = malloc((w ? w : 1) * sizeof *ids);
    if (!ids)
        return NULL;
    memcpy(ids, gid, w * sizeof *ids);
    bs_sort_u64(ids, (size_t)w);
    *n = w;
    return ids;
}

typedef struct row { uint64_t src, tgt; uint32_t w; } row;

/* qsort order of rows: by target, then source. */
static int by_target(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->tgt != y->tgt)
        return x->tgt < y->tgt ? -1 : 1;
    return (x->src > y->src) - (x->src < y->src);
}

/* The rows of a store sorted by (target, source), as three new arrays in
 * *out (freed by free_parts).  Returns 1, or 0 when out of memory. */
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

/* Frees what collect allocated, and the arrays themselves; accepts NULL
 * and a partial collect.  Can't fail. */
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

/* Fills this rank's parts of a checkpoint (areas, fibers: one entry each).
 * Returns 1, or 0 when out of memory (free_parts frees either way). */
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
            .fixed = as->fixed, .inhibited = as->inhibited,
            .prev_support = as->prev_support, .last_growth = as->last_growth,
            .last_change = as->last_change, .beta = as->beta_default};
        areas[a].ever_local = e->areas[a].lazy
                              ? lazy_ever_ids(s, a, &areas[a].n_ever_local)
                              : ever_ids(as, &areas[a].n_ever_local);
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
            .inhibited = fs->inhibited, .geom = fs->geom,
            .beta = fs->beta_set ? fs->beta_own : 0, .beta_set = fs->beta_set};
        ok &= rows_by_target(&fs->store[fs->cur], &fibers[f]);
    }
    return ok;
}

/* Contract: sim_checkpoint.h. */
bs_status bs_sim_checkpoint_write(bs_sim *s, const char *path)
{
    const bs_experiment *e = s->exp;
    bs_ckpt_area *areas = calloc((size_t)e->n_areas + 1, sizeof *areas);
    bs_ckpt_fiber *fibers = calloc((size_t)e->n_fibers + 1, sizeof *fibers);
    bs_ckpt_lazy *lazy = NULL;
    int ok = areas && fibers && collect(s, areas, fibers) &&
             bs_lazy_ckpt_collect(s, &lazy) == BS_OK;
    if (!bs_comm_all_ok(s->comm, ok)) {
        free_parts(areas, fibers, e->n_areas, e->n_fibers);
        bs_lazy_ckpt_free(&lazy, e->n_areas);
        return bs_sim_fail(s, BS_ERR_NOMEM, "checkpoint %s: out of memory "
                           "for the rows (on some rank)", path);
    }
    bs_ckpt_header h = {
        .step = s->step, .op = s->op, .round = s->round,
        .config_hash = bs_config_hash(e->text, e->text_len), .seed = e->seed,
        .n_ranks = s->n_ranks, .n_areas = e->n_areas, .n_fibers = e->n_fibers,
        .experiment_text = e->text, .plasticity_off = s->plasticity_off,
        .n_snapshots = e->n_snapshots, .snap_count = s->snapshot_n,
        .snap_ids = (const uint64_t *const *)s->snapshot_ids, .lazy = lazy};
    double t0 = bs_now();
    bs_status st = bs_ckpt_write(path, s->keep_checkpoints, s->comm, &h,
                                 areas, fibers, s->err, sizeof s->err);
    free_parts(areas, fibers, e->n_areas, e->n_fibers);
    bs_lazy_ckpt_free(&lazy, e->n_areas);
    bs_log(st == BS_OK && s->rank == 0 && !s->quiet,
           "checkpoint %s written after %llu steps (%.3f s)", path,
           (unsigned long long)s->step, bs_now() - t0);
    return st;
}

/* Checks the schedule position of the checkpoint against the experiment
 * (the rounds before it must add up to its step) and takes it into s.  Returns BS_OK, or BS_ERR_CHECKPOINT
 * with the message in s->err. */
static bs_status check_position(bs_sim *s, const bs_ckpt_header *h,
                                const char *path)
{
    const bs_experiment *e = s->exp;
    if (h->op < 0 || h->op > e->n_ops ||
        (h->op < e->n_ops && h->round > e->ops[h->op].rounds) ||
        (h->op == e->n_ops && h->round != 0))
        return bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: schedule position "
                           "op %d round %llu is outside the schedule (%d "
                           "operations)", path, (int)h->op,
                           (unsigned long long)h->round, e->n_ops);
    uint64_t steps = h->round;
    for (int o = 0; o < h->op; o++)
        if (e->ops[o].kind == BS_OP_PROJECT)
            steps += e->ops[o].rounds;
    if (steps != h->step)
        return bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: step %llu does not match "
                           "its schedule position (op %d round %llu is step "
                           "%llu)", path, (unsigned long long)h->step,
                           (int)h->op, (unsigned long long)h->round,
                           (unsigned long long)steps);
    s->step = h->step;
    s->op = h->op;
    s->round = h->round;
    return BS_OK;
}

/* The snapshots of the checkpoint (the first ones of the experiment) into
 * s's; the experiment's later ones are empty.  Collective.  Returns BS_OK,
 * BS_ERR_CHECKPOINT (more snapshots than the experiment has),
 * BS_ERR_NOMEM or the reader's error. */
static bs_status restore_snapshots(bs_sim *s, bs_ckpt_reader *rd)
{
    const bs_experiment *e = s->exp;
    bs_ckpt_header h;
    bs_ckpt_header_of(rd, &h);
    /* an experiment that extends the checkpoint's schedule may add
     * snapshots after its own: those have not been taken yet */
    int n = h.n_snapshots;
    if (n > e->n_snapshots)
        return bs_sim_fail(s, BS_ERR_CHECKPOINT, "checkpoint: it holds %d "
                           "snapshots, the experiment has %d", n,
                           e->n_snapshots);
    uint64_t *k = malloc(2 * ((size_t)n + 1) * sizeof *k);
    if (!bs_comm_all_ok(s->comm, k != NULL)) {
        free(k);
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory reading the "
                           "snapshots");
    }
    uint64_t *area_n = k + n + 1;
    for (int i = 0; i < n; i++) {
        k[i] = e->areas[e->snapshots[i].area].k;
        area_n[i] = e->areas[e->snapshots[i].area].n_neurons;
    }
    bs_status st = bs_ckpt_read_snapshots(rd, n, k, area_n, s->snapshot_ids,
                                          s->snapshot_n, s->err, sizeof s->err);
    free(k);
    return st;
}

/* The first area with a winner in this rank's slice that its ever-fired
 * list lacks (a state no run can reach), or -1.  Can't fail. */
static int winner_never_fired(const bs_sim *s)
{
    for (int a = 0; a < s->exp->n_areas; a++) {
        const bs_area_state *as = &s->areas[a];
        for (uint64_t i = 0; i < as->n_winners; i++) {
            uint64_t v = as->winners[i];
            if (v >= as->lo && v < as->hi && !bs_idset_has(&as->ever, v))
                return a;
        }
    }
    return -1;
}

/* Compares what the checkpoint holds with what the experiment determines
 * and what a run can reach: every winner has fired, every geometry (read[f], against the one built for the
 * experiment, now in s) and every weight against its fiber's cap.
 * Collective.  Returns BS_OK, or BS_ERR_CHECKPOINT naming the dataset (on
 * every rank), or bs_sim_build_geometry's error. */
static bs_status check_fibers(bs_sim *s, const bs_fiber_geom *read,
                              const char *path)
{
    const bs_experiment *e = s->exp;
    bs_status st = bs_sim_build_geometry(s);
    int bad = -1, over = -1;
    for (int f = 0; st == BS_OK && f < e->n_fibers && bad < 0; f++) {
        const bs_fiber_geom *a = &read[f], *b = &s->fibers[f].geom;
        if (a->key.v[0] != b->key.v[0] || a->key.v[1] != b->key.v[1] ||
            a->log2_block != b->log2_block || a->n_thresh != b->n_thresh ||
            memcmp(a->thresh, b->thresh, b->n_thresh * sizeof *b->thresh))
            bad = f;
    }
    for (int f = 0; st == BS_OK && f < e->n_fibers && over < 0; f++) {
        const bs_store *t = &s->fibers[f].store[0];
        for (uint64_t i = 0; i < t->n && over < 0; i++)
            if (t->w[i] > s->fibers[f].cap)
                over = f;
    }
    if (st != BS_OK)
        return st;
    int never = winner_never_fired(s);
    if (never >= 0)
        bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: /areas/%s/winners: a winner "
                    "is missing from /areas/%s/ever_fired: the file is "
                    "corrupt", path, e->areas[never].name,
                    e->areas[never].name);
    else if (bad >= 0)
        bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: /fibers/%s/geometry differs "
                    "from the one its experiment determines (p, seed): the "
                    "file is corrupt or not of this experiment", path,
                    e->fibers[bad].name);
    else if (over >= 0)
        bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: /fibers/%s/weight: a weight "
                    "is above the fiber's cap (%.6g): the file is corrupt",
                    path, e->fibers[over].name,
                    s->fibers[over].cap / 65536.0);
    int ok = never < 0 && bad < 0 && over < 0;
    if (bs_comm_all_ok(s->comm, ok))
        return BS_OK;
    if (ok)
        bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: a winner never fired or a "
                    "weight exceeds its cap on another rank: the file is "
                    "corrupt", path);
    return BS_ERR_CHECKPOINT;
}

/* Contract: sim_checkpoint.h. */
bs_status bs_sim_restore(bs_sim *s, bs_ckpt_reader *rd)
{
    const bs_experiment *e = s->exp;
    const char *path = bs_ckpt_path(rd);
    bs_ckpt_header h;
    bs_status st = bs_ckpt_header_of(rd, &h);
    bs_fiber_geom *read = calloc((size_t)e->n_fibers + 1, sizeof *read);
    if (!read)
        st = bs_sim_fail(s, BS_ERR_NOMEM, "out of memory reading %s", path);
    if (st == BS_OK)
        st = check_position(s, &h, path);
    for (int a = 0; st == BS_OK && a < e->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        st = bs_ckpt_read_area(rd, e->areas[a].name, as->n_neurons, as->k,
                               as->lo, as->hi, as->winners, as->win_inputs,
                               &as->n_winners, &as->support, &as->fixed,
                               &as->inhibited, &as->ever, s->err,
                               sizeof s->err);
    }
    for (int a = 0; st == BS_OK && a < e->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        bs_ckpt_area_track t;
        st = bs_ckpt_read_area_track(rd, e->areas[a].name, as->support,
                                     s->step, &t, s->err, sizeof s->err);
        as->prev_support = t.prev_support;
        as->last_growth = t.last_growth;
        as->last_change = t.last_change;
        as->beta_default = t.beta;
    }
    for (int f = 0; st == BS_OK && f < e->n_fibers; f++)
        st = bs_ckpt_read_fiber_beta(rd, e->fibers[f].name,
                                     &s->fibers[f].beta_own,
                                     &s->fibers[f].beta_set, s->err,
                                     sizeof s->err);
    if (st == BS_OK)
        st = restore_snapshots(s, rd);
    if (st == BS_OK)
        st = bs_lazy_restore(s, rd);
    if (st == BS_OK) {
        s->plasticity_off = h.plasticity_off;
        bs_sim_update_mult(s);
    }
    for (int f = 0; st == BS_OK && f < e->n_fibers; f++) {
        const bs_fiber_spec *spec = &e->fibers[f];
        bs_fiber_state *fs = &s->fibers[f];
        uint64_t n_src = spec->src_is_stim ? e->stims[spec->src].k
                                           : e->areas[spec->src].n_neurons;
        const bs_area_state *dst = &s->areas[spec->dst];
        fs->cur = 0;
        /* the spare store's source column is the reordering scratch; a
         * store too small for the rows of some rank (BS_ERR_CAPACITY on
         * every rank) doubles on every rank, as agreed, and is read again */
        for (;;) {
            st = bs_ckpt_read_fiber(rd, spec->name, n_src, dst->n_neurons,
                                    dst->lo, dst->hi, &read[f],
                                    &fs->inhibited, &fs->store[0],
                                    fs->store[1].src, s->err, sizeof s->err);
            uint64_t cap = fs->store[0].cap;
            if (st != BS_ERR_CAPACITY || cap >= UINT64_C(1) << 50 ||
                !bs_comm_all_ok(s->comm, bs_sim_resize_fiber(s, f, 2 * cap)))
                break;
        }
    }
    if (st == BS_OK)
        st = check_fibers(s, read, path);
    free(read);
    return st;
}
