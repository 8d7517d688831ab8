/*
 * sim_state.c - the state of one rank at the bottom of the simulator: sizing
 * and carving its host pool (the manifest in sim_state.h), the values that
 * do not come from zeroed memory, and the accessors that the step, the
 * schedule, the checkpoint and both backends share.  `brainsim plan` and
 * bs_create use the same layout code, so the plan is what a run allocates.
 * Calls nothing above it: only pool, experiment, connectome and topk.
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include "sim_state.h"
#include "lazy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows of output buffered before a write: about 4 MiB of winners+inputs,
 * between 1 and BS_MAX_REC_ROWS rows. */
static uint64_t record_rows(uint64_t sum_k)
{
    uint64_t rows = (UINT64_C(4) << 20) / (16 * (sum_k ? sum_k : 1));
    return rows < 1 ? 1 : rows > BS_MAX_REC_ROWS ? BS_MAX_REC_ROWS : rows;
}

/* The plan covers the first PLAN_STEPS potentiating steps of a fiber,
 * since runs converge and later steps add few entries. */
enum { PLAN_STEPS = 64 };

/* Steps in which fiber f may be active (project operations naming it, or
 * all fibers), at most PLAN_STEPS; PLAN_STEPS for every fiber when the
 * schedule has no steps (operations will be applied one at a time, and
 * there is nothing to plan from).  Can't fail. */
static uint64_t fiber_steps(const bs_experiment *e, int f)
{
    if (e->total_steps == 0)
        return PLAN_STEPS;
    uint64_t steps = 0;
    for (int o = 0; o < e->n_ops && steps < PLAN_STEPS; o++) {
        const bs_op *op = &e->ops[o];
        if (op->kind != BS_OP_PROJECT)
            continue;
        int named = op->n_fibers < 0;
        for (int i = 0; i < op->n_fibers && !named; i++)
            named = op->fibers[i] == f;
        if (named)
            steps += op->rounds;
    }
    return steps > PLAN_STEPS ? PLAN_STEPS : steps;
}

/* Planned store entries of fiber f on a rank holding n_local targets.  A
 * potentiating step adds at most the edges from the k_src firing sources
 * into the local winners, and winners are chosen for having many such
 * edges: so per winner take a high quantile of Binomial(k_src, p), mean + 6
 * sigma + 6, times the local winners, over fiber_steps() steps, never more
 * than every possible pair.  (Measured: the default projection peaks at
 * 5.7 entries per winner per step for a mean of 1; this plans 13.) */
static uint64_t fiber_capacity(const bs_experiment *e, int f, uint64_t n_local)
{
    const bs_fiber_spec *fs = &e->fibers[f];
    uint64_t k_src = fs->src_is_stim ? e->stims[fs->src].k : e->areas[fs->src].k;
    uint64_t n_src = fs->src_is_stim ? k_src : e->areas[fs->src].n_neurons;
    uint64_t k_dst = e->areas[fs->dst].k;
    uint64_t k_loc = k_dst < n_local ? k_dst : n_local;
    double mean = (double)k_src * fs->p;
    double per_winner = mean + 6.0 * sqrt(mean) + 6.0;
    if (per_winner > (double)k_src)
        per_winner = (double)k_src;
    double total = per_winner * (double)k_loc * (double)fiber_steps(e, f);
    double pairs = (double)n_src * (double)n_local;
    if (total > pairs)
        total = pairs;
    return total > 9e15 ? (uint64_t)9e15 : (uint64_t)total + 1;
}

/* Adds a pool view named name_fmt % label; on failure returns the pool's
 * status (BS_ERR_NOMEM, BS_ERR_LIMIT) from the calling function. */
#define ADD(name_fmt, shape, elem, count, view)                                \
    do {                                                                       \
        char nm_[160];                                                          \
        snprintf(nm_, sizeof nm_, name_fmt, label);                            \
        bs_status st_ = bs_pool_add(&s->pool, nm_, shape, elem, count,         \
                                    (void **)(view));                          \
        if (st_ != BS_OK)                                                      \
            return bs_sim_fail(s, st_, "pool planning failed at %s", nm_);     \
    } while (0)

/* Lays out every area's slice and views (rows: output rows buffered) and
 * sets s->sum_k, s->max_k.  Returns BS_OK or ADD's error. */
static bs_status layout_areas(bs_sim *s, uint64_t rows)
{
    const bs_experiment *e = s->exp;
    uint64_t offset = 0;
    for (int a = 0; a < e->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        const char *label = e->areas[a].name;
        as->n_neurons = e->areas[a].n_neurons;
        as->k = e->areas[a].k;
        /* a lazy area's neurons are not partitioned (lazy.h) */
        const uint64_t n_part = e->areas[a].lazy ? 0 : as->n_neurons;
        as->lo = n_part * (uint64_t)s->rank / (uint64_t)s->n_ranks;
        as->hi = n_part * (uint64_t)(s->rank + 1) / (uint64_t)s->n_ranks;
        as->n_local = as->hi - as->lo;
        as->cand_offset = offset;
        offset += as->k;
        ADD("areas.%s.winners", "(k) u64", 8, as->k, &as->winners);
        ADD("areas.%s.win_inputs", "(k) u64", 8, as->k, &as->win_inputs);
        ADD("areas.%s.next", "(k) u64", 8, as->k, &as->next);
        ADD("areas.%s.next_inputs", "(k) u64", 8, as->k, &as->next_inputs);
        ADD("areas.%s.rec_winners", "(rows, k) u64", 8, rows * as->k,
            &as->rec_winners);
        ADD("areas.%s.rec_inputs", "(rows, k) u64", 8, rows * as->k,
            &as->rec_inputs);
        ADD("areas.%s.rec_support", "(rows) u64", 8, rows, &as->rec_support);
        if (as->k > s->max_k)
            s->max_k = as->k;
    }
    s->sum_k = offset;
    return BS_OK;
}

/* Lays out every fiber's two plastic stores, planned or of
 * s->plastic_capacity entries.  Returns BS_OK or ADD's error. */
static bs_status layout_fibers(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    for (int f = 0; f < e->n_fibers; f++) {
        bs_fiber_state *fs = &s->fibers[f];
        const char *label = e->fibers[f].name;
        uint64_t n_local = s->areas[e->fibers[f].dst].n_local;
        uint64_t cap = s->plastic_capacity ? s->plastic_capacity
                                           : fiber_capacity(e, f, n_local);
        s->fiber_capacity[f] = cap;
        for (int b = 0; b < 2; b++) {
            bs_store *st = &fs->store[b];
            st->cap = cap;
            ADD(b ? "fibers.%s.store1.src" : "fibers.%s.store0.src",
                "(cap) u64", 8, cap, &st->src);
            ADD(b ? "fibers.%s.store1.tgt" : "fibers.%s.store0.tgt",
                "(cap) u64", 8, cap, &st->tgt);
            ADD(b ? "fibers.%s.store1.w" : "fibers.%s.store0.w",
                "(cap) u32", 4, cap, &st->w);
        }
    }
    return BS_OK;
}

bs_status bs_sim_layout(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    bs_pool_init(&s->pool);
    s->areas = calloc((size_t)e->n_areas, sizeof *s->areas);
    s->fibers = calloc((size_t)e->n_fibers + 1, sizeof *s->fibers);
    s->stim_ids = calloc((size_t)e->n_stims + 1, sizeof *s->stim_ids);
    s->snapshot_ids = calloc((size_t)e->n_snapshots + 1,
                             sizeof *s->snapshot_ids);
    s->snapshot_n = calloc((size_t)e->n_snapshots + 1, sizeof *s->snapshot_n);
    s->fiber_capacity = calloc((size_t)e->n_fibers + 1, sizeof(uint64_t));
    s->rec_of = calloc(3 * (size_t)e->n_areas + 1, sizeof *s->rec_of);
    if (!s->areas || !s->fibers || !s->stim_ids || !s->snapshot_ids ||
        !s->snapshot_n ||
        !s->fiber_capacity || !s->rec_of)
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory planning the pool");
    uint64_t sum_k = 0;
    for (int a = 0; a < e->n_areas; a++)
        sum_k += e->areas[a].k;
    uint64_t rows = record_rows(sum_k);
    s->rec_cap = rows;
    bs_status st = layout_areas(s, rows);
    if (st == BS_OK)
        st = layout_fibers(s);
    if (st != BS_OK)
        return st;
    for (int i = 0; i < e->n_stims; i++) {
        const char *label = e->stims[i].name;
        ADD("stims.%s.ids", "(k) u64", 8, e->stims[i].k, &s->stim_ids[i]);
    }
    for (int i = 0; i < e->n_snapshots; i++) {
        const char *label = e->snapshots[i].name;
        ADD("snapshots.%s", "(k of its area) u64", 8,
            e->areas[e->snapshots[i].area].k, &s->snapshot_ids[i]);
    }
    s->n_snap_pool = s->snap_slots = e->n_snapshots;
    const char *label = "";
    ADD("cand%s", "(sum k) cand", sizeof(bs_cand), s->sum_k, &s->cand);
    ADD("gathered%s", "(ranks, sum k) cand", sizeof(bs_cand),
        s->sum_k * (uint64_t)s->n_ranks, &s->gathered);
    uint64_t n_scratch = 4 * s->max_k;
    if (n_scratch < (uint64_t)e->n_areas + (uint64_t)e->n_fibers + 2)
        n_scratch = (uint64_t)e->n_areas + (uint64_t)e->n_fibers + 2;
    ADD("scratch%s", "(max(4 max k, areas+fibers+2)) u64", 8, n_scratch,
        &s->scratch);
    ADD("merge%s", "(ranks + 1, max k) cand", sizeof(bs_cand),
        s->max_k * ((uint64_t)s->n_ranks + 1), &s->merge);
    ADD("rec.schedule%s", "(rows) row", sizeof(bs_schedule_row), rows,
        &s->rec_schedule);
    ADD("rec.metrics%s", "(rows) row", sizeof(bs_metrics_row), rows,
        &s->rec_metrics);
    return BS_OK;
}

void bs_sim_layout_free(bs_sim *s)
{
    for (int a = 0; s->areas && a < s->exp->n_areas; a++)
        bs_idset_free(&s->areas[a].ever);
    bs_lazy_destroy(s);
    for (int f = 0; s->fibers && f < s->exp->n_fibers; f++) {
        free(s->fibers[f].grown);
        s->fibers[f].grown = NULL;
    }
    for (int i = s->n_snap_pool; s->snapshot_ids && i < s->snap_slots; i++)
        free(s->snapshot_ids[i]);
    free(s->snapshot_n);
    free(s->areas);
    free(s->fibers);
    free(s->stim_ids);
    free(s->snapshot_ids);
    free(s->fiber_capacity);
    free(s->rec_of);
    s->areas = NULL;
    s->fibers = NULL;
    s->stim_ids = NULL;
    s->snapshot_ids = NULL;
    s->snapshot_n = NULL;
    s->fiber_capacity = NULL;
    s->rec_of = NULL;
}

void bs_sim_init_state(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    for (int i = 0; i < e->n_stims; i++)
        for (uint64_t j = 0; j < e->stims[i].k; j++)
            s->stim_ids[i][j] = j;
    for (int a = 0; a < e->n_areas; a++)
        s->areas[a].beta_default = e->areas[a].beta;
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_spec *fs = &e->fibers[f];
        s->fibers[f].beta_own = fs->beta;
        s->fibers[f].beta_set = fs->beta_given;
        s->fibers[f].cap = bs_cap_q16(fs->cap);
    }
    bs_sim_update_mult(s);
    for (int a = 0; a < e->n_areas; a++) {
        s->rec_of[a] = s->areas[a].rec_winners;
        s->rec_of[e->n_areas + a] = s->areas[a].rec_inputs;
        s->rec_of[2 * e->n_areas + a] = s->areas[a].rec_support;
    }
}

void bs_sim_update_mult(bs_sim *s)
{
    for (int f = 0; f < s->exp->n_fibers; f++) {
        bs_fiber_state *fs = &s->fibers[f];
        double beta = fs->beta_set ? fs->beta_own
                      : s->areas[s->exp->fibers[f].dst].beta_default;
        fs->mult = bs_beta_mult(s->plasticity_off ? 0.0 : beta);
    }
}

bs_status bs_sim_snapshots_grow(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    if (e->n_snapshots > s->snap_slots) {
        int slots = 2 * s->snap_slots + 8;
        if (slots < e->n_snapshots)
            slots = e->n_snapshots;
        uint64_t **ids = realloc(s->snapshot_ids, (size_t)slots * sizeof *ids);
        if (ids)
            s->snapshot_ids = ids;
        uint64_t *n = ids ? realloc(s->snapshot_n, (size_t)slots * sizeof *n)
                          : NULL;
        if (!n)
            return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for the "
                               "snapshots");
        s->snapshot_n = n;
        for (int i = s->snap_slots; i < slots; i++) {
            s->snapshot_ids[i] = NULL;
            s->snapshot_n[i] = 0;
        }
        s->snap_slots = slots;
    }
    for (int i = s->n_snap_pool; i < e->n_snapshots; i++) {
        if (s->snapshot_ids[i])
            continue;
        uint64_t k = e->areas[e->snapshots[i].area].k;
        if (!(s->snapshot_ids[i] = malloc(k * sizeof(uint64_t))))
            return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for snapshot "
                               "%s", e->snapshots[i].name);
    }
    return BS_OK;
}

double bs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bs_status bs_sim_fail(bs_sim *s, bs_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

const uint64_t *bs_sim_firing(const bs_sim *s, int f, uint64_t *n)
{
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    if (spec->src_is_stim) {
        *n = s->exp->stims[spec->src].k;
        return s->stim_ids[spec->src];
    }
    const bs_area_state *as = &s->areas[spec->src];
    *n = as->inhibited ? 0 : as->n_winners;
    return as->winners;
}

bs_status bs_sim_store_full(bs_sim *s, int f)
{
    return bs_sim_fail(s, BS_ERR_CAPACITY, "fiber %s on rank %d: the plastic "
                       "store is full (%llu entries reserved, %llu used) at "
                       "step %llu; raise the initial reservation with "
                       "--plastic-capacity N (entries per fiber per rank)",
                       s->exp->fibers[f].name, s->rank,
                       (unsigned long long)s->fibers[f].store[0].cap,
                       (unsigned long long)
                           s->fibers[f].store[s->fibers[f].cur].n,
                       (unsigned long long)s->step);
}

bs_status bs_sim_saturated(bs_sim *s, int f)
{
    const bs_fiber_state *fs = &s->fibers[f];
    const double beta = fs->beta_set
        ? fs->beta_own : s->areas[s->exp->fibers[f].dst].beta_default;
    s->saturated_fiber = f;
    return bs_sim_fail(s, BS_ERR_SATURATED, "fiber %s: a weight reached the "
                       "Q16.16 maximum 65535.99998 at step %llu (steps are "
                       "numbered from 0); give the fiber a cap (cap: at most "
                       "65535) or a smaller beta (its beta is %.6g)",
                       s->exp->fibers[f].name, (unsigned long long)s->step,
                       beta);
}

uint64_t bs_sim_local_next(const bs_area_state *as, uint64_t *first)
{
    uint64_t i = 0;
    while (i < as->k && as->next[i] < as->lo)
        i++;
    uint64_t end = i;
    while (end < as->k && as->next[end] < as->hi)
        end++;
    *first = i;
    return end - i;
}

void bs_sim_commit_area(bs_area_state *as, uint64_t step, uint64_t *new_local)
{
    uint64_t n = 0;
    while (n < as->k && as->next[n] != UINT64_MAX)
        n++;
    if (n != as->n_winners ||
        memcmp(as->next, as->winners, n * sizeof *as->next) != 0)
        as->last_change = step;
    uint64_t *t = as->winners;
    as->winners = as->next;
    as->next = t;
    t = as->win_inputs;
    as->win_inputs = as->next_inputs;
    as->next_inputs = t;
    as->n_winners = n;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t id = as->winners[i];
        if (id < as->lo || id >= as->hi)
            continue;
        *new_local += (uint64_t)bs_idset_add(&as->ever, id);
    }
}

bs_status bs_sim_reserve_fired(bs_sim *s, int a)
{
    for (int i = a < 0 ? 0 : a; i < (a < 0 ? s->exp->n_areas : a + 1); i++) {
        bs_area_state *as = &s->areas[i];
        uint64_t more = as->k < as->n_local ? as->k : as->n_local;
        if (bs_idset_reserve(&as->ever, more) != 0)
            return bs_sim_fail(s, BS_ERR_NOMEM, "area %s on rank %d: out of "
                               "host memory growing the set of its %llu "
                               "ever-fired neurons by %llu",
                               s->exp->areas[i].name, s->rank,
                               (unsigned long long)as->ever.count,
                               (unsigned long long)more);
    }
    return BS_OK;
}

