/*
 * sim_step.c - one step of a project operation and its output rows
 * (contract: sim_step.h; DESIGN sections 1 and 4).  Calls nothing above
 * the state: the driver (sim.c) flushes full buffers and walks the
 * schedule.
 *
 * A step of a project operation, per target area, in named and timed
 * phases:
 *   1. accumulate  procedural edges + potentiated corrections (backend)
 *   2. topk        the k best (input, id) of this rank's slice (backend)
 *   3. merge       allgather every rank's candidates; same global top-k
 *   4. plasticity  potentiate (firing source, new winner) edges (backend)
 *   5. record      winners, inputs, support into the output rows
 * All targets update synchronously from the previous step's winners: new
 * winners go to `next` and are committed after plasticity.
 */
#include "sim_step.h"

#include <string.h>

enum { PH_ACCUMULATE, PH_TOPK, PH_MERGE, PH_PLASTICITY, PH_RECORD };

/* Marks active fibers and target areas of project operation `op`. */
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

static int computes(const bs_area_state *as)
{
    return as->is_target && !as->fixed;
}

/* Phase 3: one allgather of every area's candidates, then each computing
 * target selects its global top-k from its ranks' segments. */
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
        if (!computes(as))
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

/* Adds the global count of newly fired neurons to each area's support.
 * new_counts has n_areas + 2 elements: then this rank's failure (0 or 1),
 * so a failure on one rank (a full plastic store) stops every rank at the
 * same step instead of leaving the others in a collective; then whether a
 * stop was requested here (SIGTERM reaches ranks at different times). */
static bs_status update_support(bs_sim *s, uint64_t *new_counts, bs_status local)
{
    const int n = s->exp->n_areas;
    new_counts[n] = local != BS_OK;
    new_counts[n + 1] = s->stop_local != 0;
    bs_status st = bs_comm_sum_u64(s->comm, new_counts, (size_t)n + 2, s->err,
                                   sizeof s->err);
    if (st != BS_OK)
        return st;
    s->stop_agreed = new_counts[n + 1] != 0;
    if (local != BS_OK)
        return local;
    if (new_counts[n])
        return bs_sim_fail(s, BS_ERR_STATE, "step %llu failed on another rank "
                           "(its message is above)",
                           (unsigned long long)s->step);
    for (int a = 0; a < n; a++) {
        s->areas[a].prev_support = s->areas[a].support;
        s->areas[a].support += new_counts[a];
        if (new_counts[a])
            s->areas[a].last_growth = s->step + 1;
    }
    return BS_OK;
}

static void record_row(bs_sim *s, uint64_t events)
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
    bs_metrics_row *m = &s->rec_metrics[r];
    memcpy(m->seconds, s->phase_s, sizeof m->seconds);
    m->synaptic_events = events;
}

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

static bs_status phases_1_to_3(bs_sim *s)
{
    double t0 = bs_now();
    for (int a = 0; a < s->exp->n_areas; a++)
        if (computes(&s->areas[a])) {
            bs_status st = s->be->accumulate(s, a);
            if (st != BS_OK)
                return st;
        }
    double t1 = bs_now();
    for (int a = 0; a < s->exp->n_areas; a++)
        if (computes(&s->areas[a])) {
            bs_status st = s->be->local_topk(s, a,
                                             s->cand + s->areas[a].cand_offset);
            if (st != BS_OK)
                return st;
        }
    double t2 = bs_now();
    bs_status st = merge_all(s);
    s->phase_s[PH_ACCUMULATE] = t1 - t0;
    s->phase_s[PH_TOPK] = t2 - t1;
    s->phase_s[PH_MERGE] = bs_now() - t2;
    return st;
}

bs_status bs_sim_step_once(bs_sim *s)
{
    const bs_op *op = &s->exp->ops[s->op];
    mark_active(s, op);
    uint64_t events = nominal_events(s);
    for (int a = 0; a < s->exp->n_areas; a++) {
        bs_area_state *as = &s->areas[a];
        if (as->is_target && as->fixed) {   /* fixed: same winners again */
            memcpy(as->next, as->winners, as->n_winners * sizeof *as->next);
            for (uint64_t i = as->n_winners; i < as->k; i++)
                as->next[i] = UINT64_MAX;
            memset(as->next_inputs, 0, as->k * sizeof *as->next_inputs);
        }
    }
    bs_status st = phases_1_to_3(s);
    if (st != BS_OK)
        return st;
    double t3 = bs_now();
    for (int f = 0; f < s->exp->n_fibers && st == BS_OK; f++)
        if (s->fibers[f].active)
            st = s->be->plasticity(s, f);
    double t4 = bs_now();
    uint64_t *new_counts = s->scratch;   /* n_areas + 2 fit */
    memset(new_counts, 0, ((size_t)s->exp->n_areas + 2) * sizeof *new_counts);
    for (int a = 0; a < s->exp->n_areas && st == BS_OK; a++)
        if (s->areas[a].is_target)
            bs_sim_commit_area(&s->areas[a], s->step + 1, &new_counts[a]);
    if ((st = update_support(s, new_counts, st)) != BS_OK)
        return st;
    s->phase_s[PH_PLASTICITY] = t4 - t3;
    s->phase_s[PH_RECORD] = bs_now() - t4;
    for (int ph = 0; ph < BS_N_PHASES; ph++)
        s->phase_total[ph] += s->phase_s[ph];
    s->events_total += events;
    record_row(s, events);
    s->step++;
    s->round++;
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
    double secs[64 * BS_N_PHASES];      /* rec_cap <= 64 rows */
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
    const uint64_t *w[n], *in[n], *sup[n];
    for (int a = 0; a < n; a++) {
        w[a] = s->areas[a].rec_winners;
        in[a] = s->areas[a].rec_inputs;
        sup[a] = s->areas[a].rec_support;
    }
    bs_io_rows block = {
        .first_step = s->step - rows, .n_rows = rows, .winners = w,
        .inputs = in, .support = sup, .schedule = s->rec_schedule,
        .metrics = s->rec_metrics,
    };
    return bs_io_write(s->io, &block, s->err, sizeof s->err);
}
