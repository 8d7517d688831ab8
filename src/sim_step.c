/*
 * sim_step.c - one step of a project operation and its output rows
 * (contract: sim_step.h; doc/design.md sections 1 and 4).  Calls nothing above
 * the state: the driver (sim.c) flushes full buffers and walks the
 * schedule.
 *
 * A step of a project operation is a list of timed calls
 * (bs_sim_step_once), each phase's time into s->phase_s and /metrics,
 * after the plastic stores that it could outgrow have grown (sim_grow.c):
 *   1. accumulate  per computing target: procedural edges + potentiated
 *                  corrections (backend)
 *   2. topk        per computing target: the k best (input, id) of this
 *                  rank's slice (backend)
 *   3. merge       allgather every rank's candidates; every rank selects
 *                  the same global top-k
 *   4. plasticity  per active fiber: potentiate (firing source, new
 *                  winner) edges (backend)
 *   5. record      the new winners committed (ever-fired bitmaps), then,
 *                  after the agreement, the support and the output row
 *   6. agree       one allreduce: the newly fired counts, a failure on
 *                  any rank, a stop request on any rank
 * A lazy target (lazy.h) takes no part in the backend's phases: its step
 * (lazy.c) runs in phase 2 after the backend's top-k, its plasticity in
 * phase 4, on the host of every rank alike.
 * All targets update synchronously from the previous step's winners: new
 * winners go to `next` and are committed after plasticity.  A backend that
 * works asynchronously decides what its phase times hold (kernels/:
 * BRAINSIM_CUDA_PHASE_SYNC).
 */
#include "sim_step.h"

#include <string.h>

#include "lazy.h"

/* The phases, in the order of bs_phase_names (io.h) and of /metrics. */
enum { PH_ACCUMULATE, PH_TOPK, PH_MERGE, PH_PLASTICITY, PH_RECORD, PH_AGREE,
       PH_COUNT };
_Static_assert(PH_COUNT == BS_N_PHASES, "phases and bs_phase_names differ");

/* Marks the active fibers and the target areas of project operation op
 * (inhibited fibers and areas take no part).  Can't fail. */
static void mark_active(bs_sim *s, const bs_op *op)
{
    const bs_experiment *e = s->exp;
    for (int a = 0; a < e->n_areas; a++)
        s->areas[a].is_target = 0;
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_spec *spec = &e->fibers[f];
        int on = op->n_fibers < 0;
        for (int i = 0; i < op->n_fibers && !on; i++)
            on = op->fibers[i] == f;
        on = on && !s->fibers[f].inhibited && !s->areas[spec->dst].inhibited;
        if (!spec->src_is_stim)
            on = on && !s->areas[spec->src].inhibited;
        s->fibers[f].active = on;
        if (on)
            s->areas[spec->dst].is_target = 1;
    }
}

/* 1 when area as computes new winners this step (a target, not fixed). */
static int computes(const bs_area_state *as)
{
    return as->is_target && !as->fixed;
}

/* 1 when area a is lazy (lazy.h).  Can't fail. */
static int is_lazy(const bs_sim *s, int a)
{
    return s->exp->areas[a].lazy;
}

/* 1 when the backend computes area a's new winners this step.  Can't
 * fail. */
static int backend_computes(const bs_sim *s, int a)
{
    return computes(&s->areas[a]) && !is_lazy(s, a);
}

/* Phase 3: one allgather of every area's candidates (the backend's
 * exchange, or MPI), then each computing target selects its global top-k
 * from its ranks' segments into its `next`.  Collective.  Returns BS_OK,
 * or the exchange's error (BS_ERR_MPI, BS_ERR_CUDA) with the message in
 * s->err. */
static bs_status merge_all(bs_sim *s)
{
    bs_status st = s->be->exchange
        ? s->be->exchange(s)
        : bs_comm_allgather(s->comm, s->cand, s->gathered,
                            s->sum_k * sizeof(bs_cand), s->err, sizeof s->err);
    if (st != BS_OK)
        return st;
    for (int a = 0; a < s->exp->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        if (!backend_computes(s, a))
            continue;
        for (int r = 0; r < s->n_ranks; r++)
            memcpy(s->merge + (uint64_t)r * as->k,
                   s->gathered + (uint64_t)r * s->sum_k + as->cand_offset,
                   as->k * sizeof(bs_cand));
        bs_topk_merge(s->merge, (size_t)(as->k * (uint64_t)s->n_ranks), as->k,
                      as->next, as->next_inputs);
    }
    return BS_OK;
}

/* Appends row s->rec_rows of the output buffers: every area's winners
 * (UINT64_MAX past the last), their inputs and its support, and the
 * schedule position.  Can't fail (the driver flushes a full buffer). */
static void record_row(bs_sim *s)
{
    const uint64_t r = s->rec_rows++;
    for (int a = 0; a < s->exp->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        uint64_t *w = as->rec_winners + r * as->k;
        uint64_t *in = as->rec_inputs + r * as->k;
        for (uint64_t i = 0; i < as->k; i++) {
            w[i] = i < as->n_winners ? as->winners[i] : UINT64_MAX;
            in[i] = i < as->n_winners ? as->win_inputs[i] : 0;
        }
        as->rec_support[r] = as->support;
    }
    s->rec_schedule[r] = (bs_schedule_row){s->step, (uint32_t)s->op, s->round};
}

/* The nominal synaptic events of the step: firing sources x target
 * neurons x p over the active fibers, rounded.  Can't fail. */
static uint64_t nominal_events(const bs_sim *s)
{
    double events = 0;
    for (int f = 0; f < s->exp->n_fibers; f++) {
        if (!s->fibers[f].active)
            continue;
        uint64_t n_firing;
        bs_sim_firing(s, f, &n_firing);
        const bs_fiber_spec *spec = &s->exp->fibers[f];
        events += (double)n_firing *
                  (double)s->exp->areas[spec->dst].n_neurons * spec->p;
    }
    return (uint64_t)(events + 0.5);
}

/* Phase 1 for every computing target.  Returns the backend's status. */
static bs_status accumulate_all(bs_sim *s)
{
    bs_status st = BS_OK;
    for (int a = 0; a < s->exp->n_areas && st == BS_OK; a++)
        if (backend_computes(s, a))
            st = s->be->accumulate(s, a);
    return st;
}

/* Phase 2 for every computing target, into its segment of s->cand, then
 * the step of every lazy target (its `next`; collective).  Returns the
 * backend's or the lazy step's status. */
static bs_status topk_all(bs_sim *s)
{
    bs_status st = BS_OK;
    for (int a = 0; a < s->exp->n_areas && st == BS_OK; a++)
        if (backend_computes(s, a))
            st = s->be->local_topk(s, a, s->cand + s->areas[a].cand_offset);
    for (int a = 0; a < s->exp->n_areas && st == BS_OK; a++)
        if (is_lazy(s, a) && s->areas[a].is_target)
            st = bs_lazy_step(s, a);
    return st;
}

/* Phase 4 for every active fiber.  Returns the backend's status (a full
 * plastic store: BS_ERR_CAPACITY). */
static bs_status plasticity_all(bs_sim *s)
{
    bs_status st = BS_OK;
    for (int f = 0; f < s->exp->n_fibers && st == BS_OK; f++) {
        if (!s->fibers[f].active)
            continue;
        if (is_lazy(s, s->exp->fibers[f].dst))
            bs_lazy_plasticity(s, f);
        else
            st = s->be->plasticity(s, f);
    }
    return st;
}

/* Phase 5, first part: every target's new winners become its winners;
 * the neurons of this rank's slice that fire for the first time are
 * counted per area into s->scratch[0 .. n_areas) (a lazy area's, whose
 * support is replicated, on rank 0).  Can't fail. */
static bs_status commit_all(bs_sim *s)
{
    uint64_t *new_counts = s->scratch;   /* n_areas + 2 fit */
    memset(new_counts, 0, ((size_t)s->exp->n_areas + 2) * sizeof *new_counts);
    for (int a = 0; a < s->exp->n_areas; a++)
        if (s->areas[a].is_target) {
            bs_sim_commit_area(&s->areas[a], s->step + 1, &new_counts[a]);
            if (is_lazy(s, a) && s->rank == 0)
                new_counts[a] = bs_lazy_support(s, a) - s->areas[a].support;
        }
    return BS_OK;
}

/* Phase 6: one allreduce of s->scratch[0 .. n_areas + 2 + n_fibers): the
 * counts of commit_all, then this rank's failure (local != BS_OK), so that
 * a failure on one rank (a full plastic store) stops every rank at the
 * same step instead of leaving the others in a collective, then whether a
 * stop was requested here (SIGTERM reaches ranks at different times), then
 * a flag per fiber whose weight saturated here.  Timed into PH_AGREE.
 * Sets s->stop_agreed.  Returns BS_OK with the global counts in s->scratch;
 * BS_ERR_SATURATED naming the first fiber that saturated on any rank, on
 * every rank that did not fail otherwise (a full store aside); local when
 * this rank failed; BS_ERR_STATE when another rank did; or BS_ERR_MPI. */
static bs_status agree(bs_sim *s, bs_status local)
{
    const double t0 = bs_now();
    const int n = s->exp->n_areas, n_fib = s->exp->n_fibers;
    uint64_t *v = s->scratch;
    if (local != BS_OK)                 /* no commit: nothing fired anew */
        memset(v, 0, (size_t)n * sizeof *v);
    v[n] = local != BS_OK;
    v[n + 1] = s->stop_local != 0;
    memset(v + n + 2, 0, (size_t)n_fib * sizeof *v);
    if (local == BS_ERR_SATURATED)
        v[n + 2 + s->saturated_fiber] = 1;
    bs_status st = bs_comm_sum_u64(s->comm, v, (size_t)(n + 2 + n_fib), s->err,
                                   sizeof s->err);
    s->phase_s[PH_AGREE] = bs_now() - t0;
    if (st != BS_OK)
        return st;
    s->stop_agreed = v[n + 1] != 0;
    for (int f = 0; f < n_fib; f++)     /* the model's error before a full
                                           store, which ranks see apart */
        if (v[n + 2 + f] && (local == BS_OK || local == BS_ERR_SATURATED ||
                             local == BS_ERR_CAPACITY))
            return bs_sim_saturated(s, f);
    if (local != BS_OK)
        return local;
    if (v[n])
        return bs_sim_fail(s, BS_ERR_STATE, "step %llu failed on another rank "
                           "(its message is above)",
                           (unsigned long long)s->step);
    return BS_OK;
}

/* Phase 5, second part: the agreed counts (s->scratch) into every area's
 * support, and this step's output row (winners, inputs, support,
 * schedule position; its metrics follow in end_step).  Can't fail. */
static bs_status record(bs_sim *s)
{
    const uint64_t *new_counts = s->scratch;
    for (int a = 0; a < s->exp->n_areas; a++) {
        s->areas[a].prev_support = s->areas[a].support;
        s->areas[a].support += new_counts[a];
        if (new_counts[a])
            s->areas[a].last_growth = s->step + 1;
    }
    record_row(s);
    return BS_OK;
}

/* Runs phase function fn, adding its wall time to s->phase_s[phase].
 * Returns fn's status. */
static bs_status timed(bs_sim *s, int phase, bs_status (*fn)(bs_sim *))
{
    const double t0 = bs_now();
    bs_status st = fn(s);
    s->phase_s[phase] += bs_now() - t0;
    return st;
}

/* Sets up the step of s's project operation: active fibers and targets,
 * fixed targets' `next` (their winners again), the phase times zeroed.
 * Returns the step's nominal synaptic events.  Can't fail. */
static uint64_t begin_step(bs_sim *s)
{
    mark_active(s, &s->exp->ops[s->op]);
    for (int a = 0; a < s->exp->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        if (as->is_target && as->fixed) {   /* fixed: same winners again */
            memcpy(as->next, as->winners, as->n_winners * sizeof *as->next);
            for (uint64_t i = as->n_winners; i < as->k; i++)
                as->next[i] = UINT64_MAX;
            memset(as->next_inputs, 0, as->k * sizeof *as->next_inputs);
        }
    }
    memset(s->phase_s, 0, sizeof s->phase_s);
    return nominal_events(s);
}

/* Completes the step: its metrics row (the phase times, measured up to
 * here, and events), the totals, and the schedule position.  Can't fail. */
static void end_step(bs_sim *s, uint64_t events)
{
    bs_metrics_row *m = &s->rec_metrics[s->rec_rows - 1];
    memcpy(m->seconds, s->phase_s, sizeof m->seconds);
    m->synaptic_events = events;
    for (int ph = 0; ph < BS_N_PHASES; ph++)
        s->phase_total[ph] += s->phase_s[ph];
    s->events_total += events;
    s->step++;
    s->round++;
}

bs_status bs_sim_step_once(bs_sim *s)
{
    const uint64_t events = begin_step(s);
    /* before the phases, the stores the step could outgrow grow
     * (sim_grow.c); when that fails the stores are as they were and the
     * step fails on this rank in place of its plasticity, after the
     * collective merge, so that the agreement stops every rank */
    bs_status grown = bs_sim_grow_stores(s);
    if (grown == BS_OK)
        grown = bs_sim_reserve_fired(s, -1);
    bs_status st = timed(s, PH_ACCUMULATE, accumulate_all);
    if (st == BS_OK)
        st = timed(s, PH_TOPK, topk_all);
    if (st == BS_OK)
        st = timed(s, PH_MERGE, merge_all);
    if (st != BS_OK)
        return st;
    st = grown != BS_OK ? grown : timed(s, PH_PLASTICITY, plasticity_all);
    if (st == BS_OK)
        timed(s, PH_RECORD, commit_all);
    if ((st = agree(s, st)) != BS_OK)
        return st;
    timed(s, PH_RECORD, record);
    end_step(s, events);
    return BS_OK;
}

bs_status bs_sim_flush(bs_sim *s)
{
    if (s->rec_rows == 0)
        return BS_OK;
    uint64_t rows = s->rec_rows;
    s->rec_rows = 0;
    if (!s->io)
        return BS_OK;
    double secs[BS_MAX_REC_ROWS * BS_N_PHASES];     /* rec_cap rows fit */
    for (uint64_t r = 0; r < rows; r++)
        memcpy(secs + r * BS_N_PHASES, s->rec_metrics[r].seconds,
               sizeof s->rec_metrics[r].seconds);
    bs_status st = bs_comm_max_f64(s->comm, secs, rows * BS_N_PHASES, s->err,
                                   sizeof s->err);
    if (st != BS_OK)
        return st;
    for (uint64_t r = 0; r < rows; r++)
        memcpy(s->rec_metrics[r].seconds, secs + r * BS_N_PHASES,
               sizeof s->rec_metrics[r].seconds);
    const int n = s->exp->n_areas;
    bs_io_rows block = {
        .first_step = s->step - rows, .n_rows = rows, .winners = s->rec_of,
        .inputs = s->rec_of + n, .support = s->rec_of + 2 * n,
        .schedule = s->rec_schedule, .metrics = s->rec_metrics,
    };
    return bs_io_write(s->io, &block, s->err, sizeof s->err);
}
