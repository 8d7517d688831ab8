/*
 * schedule.c - one state operation of an experiment's schedule (contract:
 * schedule.h): fix, unfix, set_assembly, inhibit, disinhibit (doc/design.md
 * section 1), and the operations the assembly-calculus experiments compose
 * with them: snapshot, fire_subset, reset, fire, plasticity (experiment.h);
 * and the check that a project's sources have fired.  Steps and
 * checkpoints are the driver's (sim.c); this file does no I/O.  Every rank
 * applies an operation identically, so it needs no communication except
 * the support count of a newly set assembly.  None allocates: snapshots
 * live in the pool.
 */
#include "schedule.h"
#include "lazy.h"

#include <string.h>

/* Uniform in [0, range) from two 32-bit words, integer only. */
static uint64_t bounded64(uint32_t hi, uint32_t lo, uint64_t range)
{
    uint64_t x = ((uint64_t)hi << 32) | lo;
    return (uint64_t)(((unsigned __int128)x * range) >> 64);
}

/* Inserts id into the open-addressing set (cap slots, a power of two,
 * UINT64_MAX empty).  Returns 1 when it was new. */
static int set_insert(uint64_t *set, uint64_t cap, uint64_t id)
{
    uint64_t h = (id * UINT64_C(0x9E3779B97F4A7C15)) & (cap - 1);
    while (set[h] != UINT64_MAX) {
        if (set[h] == id)
            return 0;
        h = (h + 1) & (cap - 1);
    }
    set[h] = id;
    return 1;
}

/* k distinct values of [0, n) drawn by Floyd's algorithm from the Philox
 * stream keyed by (seed, area) in `domain`, counted by (operation,
 * iteration): the same on every rank and backend.  Writes them ascending
 * to out.  Uses s->scratch (a set of 2k..4k slots).  Can't fail. */
static void floyd_sample(bs_sim *s, int area, uint32_t domain, uint64_t n,
                         uint64_t k, uint64_t *out)
{
    uint64_t cap = 1;
    while (cap < 2 * k)
        cap <<= 1;
    uint64_t *set = s->scratch;            /* 2k <= cap < 4k <= 4 max k */
    for (uint64_t i = 0; i < cap; i++)
        set[i] = UINT64_MAX;
    bs_key2 key = bs_stream_key(s->exp->seed, 0x40000000u + (uint32_t)area);
    uint64_t n_out = 0;
    for (uint64_t j = n - k; j < n; j++) {
        bs_ctr4 r = bs_philox4x32(bs_block_ctr((uint64_t)s->op, j - (n - k),
                                               domain, 0), key);
        uint64_t t = bounded64(r.v[0], r.v[1], j + 1);
        uint64_t pick = set_insert(set, cap, t) ? t : j;
        if (pick == j)
            set_insert(set, cap, j);
        out[n_out++] = pick;
    }
    bs_sort_u64(out, (size_t)k);
}

/* k random neurons of area a (the assembly domain), ascending, into out. */
static void random_assembly(bs_sim *s, int a, uint64_t *out)
{
    floyd_sample(s, a, BS_DOMAIN_ASSEMBLY, s->areas[a].n_neurons,
                 s->areas[a].k, out);
}

/* round(fraction k) = op->n_fire of area a's current winners, drawn by
 * Floyd's algorithm over their indices, keyed by (seed, area) as
 * random_assembly but in the subset domain, counted by (operation, draw):
 * the same on every rank and backend.  They become the winners (still
 * ascending; their inputs kept); the support does not change, since they
 * have all fired.  BS_ERR_STATE when the area has fewer winners.  Uses
 * s->scratch. */
static bs_status fire_subset(bs_sim *s, const bs_op *op)
{
    bs_area_state *as = &s->areas[op->area];
    const uint64_t m = op->n_fire, n = as->n_winners;
    char at[300];
    if (n < m)
        return bs_sim_fail(s, BS_ERR_STATE, "%s: fire_subset %s: the "
                           "area has %llu winners, fewer than the %llu to fire "
                           "(round(%g k)); project into it or set_assembly "
                           "first", bs_op_where(s->exp, op, at, sizeof at),
                           s->exp->areas[op->area].name,
                           (unsigned long long)n, (unsigned long long)m,
                           op->fraction);
    uint64_t *idx = as->next;
    floyd_sample(s, op->area, BS_DOMAIN_SUBSET, n, m, idx);
    for (uint64_t i = 0; i < m; i++) {     /* ids of the picked indices */
        as->next_inputs[i] = as->win_inputs[idx[i]];
        idx[i] = as->winners[idx[i]];
    }
    for (uint64_t i = m; i < as->k; i++)
        as->next[i] = UINT64_MAX;
    uint64_t no_new = 0;
    bs_sim_commit_area(as, s->step, &no_new);
    return BS_OK;
}

/* Saves area a's current winners as snapshot op->snapshot.  Can't fail. */
static void snapshot(bs_sim *s, const bs_op *op)
{
    const bs_area_state *as = &s->areas[op->area];
    memcpy(s->snapshot_ids[op->snapshot], as->winners,
           as->n_winners * sizeof *as->winners);
    s->snapshot_n[op->snapshot] = as->n_winners;
}

/* Area a has no winners and is not fixed.  Can't fail. */
static void reset(bs_sim *s, int a)
{
    bs_area_state *as = &s->areas[a];
    if (as->n_winners)
        as->last_change = s->step;
    as->n_winners = 0;
    as->fixed = 0;
}

/* Makes op's ids (n_neurons ascending; k random ones when op->random)
 * the winners of area op->area and counts them into the support.
 * Collective (support). */
static bs_status set_winners(bs_sim *s, const bs_op *op)
{
    const int a = op->area;
    bs_area_state *as = &s->areas[a];
    uint64_t n = op->random ? as->k : op->n_neurons;
    if (op->random)
        random_assembly(s, a, as->next);
    else
        memcpy(as->next, op->neurons, n * sizeof *as->next);
    for (uint64_t i = n; i < as->k; i++)
        as->next[i] = UINT64_MAX;
    memset(as->next_inputs, 0, as->k * sizeof *as->next_inputs);
    if (s->exp->areas[a].lazy) {        /* new ids join its support */
        bs_status st = bs_lazy_add_ids(s, a, as->next, n);
        if (st != BS_OK)
            return st;
    }
    uint64_t counts[BS_MAX_ENTITIES];
    memset(counts, 0, (size_t)s->exp->n_areas * sizeof counts[0]);
    bs_status reserved = bs_sim_reserve_fired(s, a);
    if (!bs_comm_all_ok(s->comm, reserved == BS_OK))
        return reserved != BS_OK ? reserved
               : bs_sim_fail(s, BS_ERR_STATE, "another rank ran out of "
                             "memory setting the winners of %s",
                             s->exp->areas[a].name);
    bs_sim_commit_area(as, s->step, &counts[a]);
    if (s->exp->areas[a].lazy && s->rank == 0)   /* replicated support */
        counts[a] = bs_lazy_support(s, a) - as->support;
    bs_status st = bs_comm_sum_u64(s->comm, counts, (size_t)s->exp->n_areas,
                                   s->err, sizeof s->err);
    if (st == BS_OK && counts[a]) {
        as->support += counts[a];
        as->last_growth = s->step;
    }
    return st;
}

/* A plasticity operation: one fiber's own beta, an area's default beta,
 * or every fiber off / on; then every fiber's multiplier.  Can't fail. */
static void plasticity(bs_sim *s, const bs_op *op)
{
    if (op->plast == BS_PLAST_FIBER) {
        s->fibers[op->target].beta_own = op->beta;
        s->fibers[op->target].beta_set = 1;
    } else if (op->plast == BS_PLAST_AREA) {
        s->areas[op->area].beta_default = op->beta;
    } else {
        s->plasticity_off = op->plast == BS_PLAST_OFF;
    }
    bs_sim_update_mult(s);
}

/* Contract: schedule.h. */
bs_status bs_sim_check_project(bs_sim *s, const bs_op *op)
{
    const bs_experiment *e = s->exp;
    char at[300];
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_spec *spec = &e->fibers[f];
        int on = op->n_fibers < 0;
        for (int i = 0; i < op->n_fibers && !on; i++)
            on = op->fibers[i] == f;
        if (!on || spec->src_is_stim || s->fibers[f].inhibited ||
            s->areas[spec->dst].inhibited)
            continue;
        const bs_area_state *src = &s->areas[spec->src];
        if (!src->inhibited && src->n_winners == 0)
            return bs_sim_fail(s, BS_ERR_STATE, "%s: project along %s: area "
                               "'%s' has no winners (it has never fired, or "
                               "was reset): project into it, set_assembly or "
                               "fire it first, or leave the fiber out",
                               bs_op_where(e, op, at, sizeof at), spec->name,
                               e->areas[spec->src].name);
    }
    return BS_OK;
}

/* Contract: schedule.h. */
bs_status bs_sim_apply_op(bs_sim *s, const bs_op *op)
{
    const bs_experiment *e = s->exp;
    char at[300];
    switch (op->kind) {
    case BS_OP_FIX:
        if (s->areas[op->area].n_winners == 0)
            return bs_sim_fail(s, BS_ERR_STATE,
                               "%s: fix %s: the area has no assembly yet "
                               "(it has never fired); project into it or "
                               "set_assembly first",
                               bs_op_where(e, op, at, sizeof at),
                               e->areas[op->area].name);
        s->areas[op->area].fixed = 1;
        return BS_OK;
    case BS_OP_UNFIX:
        s->areas[op->area].fixed = 0;
        return BS_OK;
    case BS_OP_SET_ASSEMBLY: {
        bs_status st = set_winners(s, op);
        if (st == BS_OK && op->fix)
            s->areas[op->area].fixed = 1;
        return st;
    }
    case BS_OP_FIRE:
        return set_winners(s, op);
    case BS_OP_PLASTICITY:
        plasticity(s, op);
        return BS_OK;
    case BS_OP_SNAPSHOT:
        snapshot(s, op);
        return BS_OK;
    case BS_OP_FIRE_SUBSET:
        return fire_subset(s, op);
    case BS_OP_RESET:
        reset(s, op->area);
        return BS_OK;
    case BS_OP_INHIBIT:
    case BS_OP_DISINHIBIT: {
        int on = op->kind == BS_OP_INHIBIT;
        if (op->target_is_fiber)
            s->fibers[op->target].inhibited = on;
        else
            s->areas[op->target].inhibited = on;
        return BS_OK;
    }
    default:
        return bs_sim_fail(s, BS_ERR_STATE, "unknown schedule operation %d",
                           (int)op->kind);
    }
}
