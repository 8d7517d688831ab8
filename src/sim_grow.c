/*
 * sim_grow.c - plastic stores that grow (DESIGN section 4: the pool grows
 * between steps).  With operations arriving one at a time there is no
 * schedule to plan the stores from, so the planned reservation (or
 * --plastic-capacity) is only the initial one.
 *
 * The decision, before every step and per active fiber f (its target's
 * slice on this rank): the step adds at most one entry per edge from the
 * F firing sources into the k_loc = min(k, n_local) local new winners.
 * F * k_loc bounds that exactly but is far too large at scale (10^9
 * entries a step for n = 10^9, k = 31,623); a target's edges from the
 * firing set are Binomial(F, p), so the bound taken is k_loc times the
 * planner's quantile, F p + 6 sqrt(F p) + 6 (at most F), over n entries
 * now, never more than every pair of the slice: the sum over k_loc
 * winners of their edge counts exceeds it only if their mean count lies
 * beyond 6 sigma (measured: the default projection peaks at 5.7 entries
 * per winner for a mean of 1, the bound is 13).  Should a step still add
 * more, it fails with the store-full error of the plastic store (nothing
 * is written past the capacity).  None is added when potentiate(1) = 1
 * (beta 0, or cap 1).  When that bound exceeds the reservation,
 * the capacity doubles until it fits, both stores move to one heap block
 * of their own (the pool keeps the initial views, unused from then on),
 * the current entries are copied, and the backend's own stores follow
 * (its grow op: on CUDA a new device pool, the old one freed after the
 * copy).  One line of log per growth names the fiber, rank and new size.
 * Growth never happens inside a step, and the result does not depend on
 * the reservation (a run
 * from a reservation of 4 entries equals one from a large one, bit for
 * bit).  When memory runs out the step fails on this rank with
 * BS_ERR_CAPACITY, its message naming the sizes and --plastic-capacity,
 * the stores as they were; the step's agreement stops every rank.  A
 * resumed run starts from the initial reservation as well, and
 * bs_sim_resize_fiber grows a store to its checkpoint's synapses before
 * the backend plans its memory (sim_checkpoint.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sim_state.h"

/* The capacity fiber f needs before this step: the entries now plus the
 * most the step can add; 0 when it adds none.  Can't fail. */
static uint64_t needed(const bs_sim *s, int f)
{
    const bs_fiber_state *fs = &s->fibers[f];
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    const bs_area_state *dst = &s->areas[spec->dst];
    uint64_t n_firing;
    bs_sim_firing(s, f, &n_firing);
    if (!fs->active || n_firing == 0 || dst->n_local == 0 ||
        bs_potentiate(BS_W_ONE, fs->mult, fs->cap) == BS_W_ONE)
        return 0;
    const uint64_t k_loc = dst->k < dst->n_local ? dst->k : dst->n_local;
    const uint64_t n_src = spec->src_is_stim ? s->exp->stims[spec->src].k
                                             : s->exp->areas[spec->src].n_neurons;
    const uint64_t n = fs->store[fs->cur].n;
    /* Each local new winner gains at most one entry per edge from the
     * firing set, and a target's edges from F firing sources are
     * Binomial(F, p): take the planner's quantile, F p + 6 sqrt(F p) + 6,
     * never more than F (k, n <= 2^40: the products are taken as
     * doubles). */
    const double fp = (double)n_firing * spec->p;
    double per_winner = fp + 6.0 * sqrt(fp) + 6.0;
    if (per_winner > (double)n_firing)
        per_winner = (double)n_firing;
    double bound = (double)n + per_winner * (double)k_loc;
    double pairs = (double)n_src * (double)dst->n_local;
    if (bound > pairs)
        bound = pairs;
    return bound >= 9e15 ? (uint64_t)9e15 : (uint64_t)bound;
}

/* Moves fiber f's stores to a new heap block of new_cap entries each,
 * copying the current entries.  Returns 1, or 0 when out of memory
 * (nothing changed). */
static int move_stores(bs_fiber_state *fs, uint64_t new_cap)
{
    const size_t per = 2 * sizeof(uint64_t) + sizeof(uint32_t);
    if (new_cap > SIZE_MAX / (2 * per))
        return 0;
    unsigned char *block = malloc((size_t)new_cap * 2 * per);
    if (!block)
        return 0;
    bs_store old = fs->store[fs->cur];
    for (int b = 0; b < 2; b++) {
        bs_store *st = &fs->store[b];
        unsigned char *base = block + (size_t)b * new_cap * per;
        st->src = (uint64_t *)base;
        st->tgt = (uint64_t *)(base + new_cap * sizeof(uint64_t));
        st->w = (uint32_t *)(base + 2 * new_cap * sizeof(uint64_t));
        st->cap = new_cap;
    }
    bs_store *cur = &fs->store[fs->cur];
    cur->n = old.n;
    memcpy(cur->src, old.src, old.n * sizeof *cur->src);
    memcpy(cur->tgt, old.tgt, old.n * sizeof *cur->tgt);
    memcpy(cur->w, old.w, old.n * sizeof *cur->w);
    fs->store[fs->cur ^ 1].n = 0;
    free(fs->grown);
    fs->grown = block;
    return 1;
}

/* The out-of-memory error of growing fiber f from `cap` to `new_cap`
 * entries when it needs `want`.  Returns BS_ERR_CAPACITY. */
static bs_status grow_failed(bs_sim *s, int f, uint64_t cap, uint64_t want,
                             uint64_t new_cap, const char *where)
{
    char why[BS_ERR_LEN];
    snprintf(why, sizeof why, "%s", s->err);
    const uint64_t n = s->fibers[f].store[s->fibers[f].cur].n;
    return bs_sim_fail(s, BS_ERR_CAPACITY, "fiber %s on rank %d: the plastic "
                       "store holds %llu of %llu entries reserved and step "
                       "%llu may add up to %llu more; growing it to %llu "
                       "entries failed: out of %s memory%s%s; raise the "
                       "initial reservation with --plastic-capacity N "
                       "(entries per fiber per rank) or use more ranks",
                       s->exp->fibers[f].name, s->rank,
                       (unsigned long long)n, (unsigned long long)cap,
                       (unsigned long long)s->step,
                       (unsigned long long)(want - n),
                       (unsigned long long)new_cap, where, why[0] ? ": " : "",
                       why);
}

/* Sets every fiber's capacity back to old_cap[] (the arrays of a moved
 * store are larger: harmless) and returns the error of the first fiber
 * that had grown, or of fiber `failed` (host memory).  Returns
 * BS_ERR_CAPACITY. */
static bs_status undo(bs_sim *s, const uint64_t *old_cap, int failed,
                      uint64_t failed_cap, const char *where)
{
    int first = failed;
    uint64_t new_cap = failed_cap;
    for (int f = 0; f < s->exp->n_fibers; f++) {
        bs_fiber_state *fs = &s->fibers[f];
        if (fs->store[0].cap == old_cap[f])
            continue;
        if (first < 0) {
            first = f;
            new_cap = fs->store[0].cap;
        }
        fs->store[0].cap = fs->store[1].cap = old_cap[f];
    }
    return grow_failed(s, first, old_cap[first], needed(s, first), new_cap,
                       where);
}

int bs_sim_resize_fiber(bs_sim *s, int f, uint64_t new_cap)
{
    bs_fiber_state *fs = &s->fibers[f];
    if (new_cap <= fs->store[0].cap)
        return 1;
    if (!move_stores(fs, new_cap))
        return 0;
    bs_log(!s->quiet, "rank %d: fiber %s: plastic store grown to %llu "
           "entries for the checkpoint's synapses", s->rank,
           s->exp->fibers[f].name, (unsigned long long)new_cap);
    return 1;
}

bs_status bs_sim_grow_stores(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    int any = 0;
    for (int f = 0; f < e->n_fibers && !any; f++)
        any = needed(s, f) > s->fibers[f].store[0].cap;
    if (!any)
        return BS_OK;
    /* the host views must hold the current entries before they move */
    bs_status st = s->be->download ? s->be->download(s) : BS_OK;
    if (st != BS_OK)
        return st;
    uint64_t old_cap[BS_MAX_ENTITIES];
    for (int f = 0; f < e->n_fibers; f++)
        old_cap[f] = s->fibers[f].store[0].cap;
    s->err[0] = '\0';
    for (int f = 0; f < e->n_fibers; f++) {
        bs_fiber_state *fs = &s->fibers[f];
        uint64_t want = needed(s, f), new_cap = old_cap[f] ? old_cap[f] : 1;
        if (want <= old_cap[f])
            continue;
        while (new_cap < want)
            new_cap *= 2;
        if (!move_stores(fs, new_cap))
            return undo(s, old_cap, f, new_cap, "host");
        bs_log(!s->quiet, "rank %d: fiber %s: plastic store grown to %llu "
               "entries (%llu used, step %llu)", s->rank, e->fibers[f].name,
               (unsigned long long)new_cap,
               (unsigned long long)fs->store[fs->cur].n,
               (unsigned long long)s->step);
    }
    if (!s->be->grow || (st = s->be->grow(s)) == BS_OK)
        return BS_OK;
    return undo(s, old_cap, -1, 0, "device");   /* the backend kept its own */
}
