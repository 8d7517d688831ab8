/*
 * lazy_step.c - the step of a lazy target and its plasticity (contract:
 * lazy.h; the order of the step: lazy.c's header).  Every rank runs the
 * same code on the same replicated state; only the tail is drawn on rank
 * 0 and broadcast.
 */
#include "lazy_impl.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "topk.h"

__extension__ typedef unsigned __int128 u128;

/* A Philox stream of 64-bit words: key, an id (a local neuron id or a
 * step), a domain, and the index of the next word.  */
typedef struct stream {
    bs_key2 key;
    uint64_t id;
    uint32_t domain;
    uint64_t idx;
} stream;

static uint64_t next64(stream *st)
{
    uint64_t i = st->idx++;
    bs_ctr4 r = bs_philox4x32(bs_block_ctr(st->id, i >> 17, st->domain,
                                           (uint32_t)(i >> 1) & 0xFFFFu),
                              st->key);
    return (i & 1) ? ((uint64_t)r.v[2] << 32 | r.v[3])
                   : ((uint64_t)r.v[0] << 32 | r.v[1]);
}

/* Uniform in [0, range), range >= 1, exactly (Lemire's multiply and
 * reject).  Can't fail. */
static uint64_t below(stream *st, uint64_t range)
{
    u128 m = (u128)next64(st) * range;
    if ((uint64_t)m < range) {
        const uint64_t t = (0 - range) % range;
        while ((uint64_t)m < t)
            m = (u128)next64(st) * range;
    }
    return (uint64_t)(m >> 64);
}

static bs_key2 area_key(const bs_sim *s, int a)
{
    return bs_stream_key(s->exp->seed, BS_LAZY_STREAM + (uint32_t)a);
}

/* Step 2: la->input[0..w) the support's inputs from the active fibers
 * into a (every firing source realized).  Can't fail. */
static void support_inputs(bs_sim *s, bs_lazy_area *la, int a)
{
    memset(la->input, 0, la->w * sizeof *la->input);
    for (int f = 0; f < s->exp->n_fibers; f++) {
        if (!s->fibers[f].active || s->exp->fibers[f].dst != a)
            continue;
        bs_lazy_fiber *lf = &la->fib[f];
        uint64_t n_fire;
        const uint64_t *fire = bs_sim_firing(s, f, &n_fire);
        for (uint64_t i = 0; i < n_fire; i++) {
            const bs_lazy_src *src = &lf->src[bs_lazy_find(lf, fire[i])];
            for (uint32_t e = 0; e < src->n; e++)
                la->input[src->tgt[e]] += src->w[e];
        }
    }
}

/* Step 3: la->sample[0..*n_out) the top sampled counts of the m = n - w
 * never-fired neurons, drawn on rank 0 (fibers with equal p pooled, in
 * fiber order) and broadcast in one message: the k counts and, in slot
 * k, how many of them hold (UINT64_MAX: rank 0 ran out of memory).
 * Collective.  Returns BS_OK, BS_ERR_NOMEM (on every rank when rank 0 ran
 * out) or BS_ERR_MPI. */
static bs_status tail(bs_sim *s, bs_lazy_area *la, int a, uint64_t *n_out)
{
    const bs_experiment *e = s->exp;
    const uint64_t k = e->areas[a].k;
    if (s->rank == 0) {
        uint64_t n_fire[BS_MAX_ENTITIES];
        double p[BS_MAX_ENTITIES];
        int g = 0;
        for (int f = 0; f < e->n_fibers; f++) {
            if (!s->fibers[f].active || e->fibers[f].dst != a)
                continue;
            uint64_t n;
            bs_sim_firing(s, f, &n);
            int i = 0;
            while (i < g && p[i] != e->fibers[f].p)
                i++;
            if (i == g) {
                p[g] = e->fibers[f].p;
                n_fire[g++] = 0;
            }
            n_fire[i] += n;
        }
        int64_t n = bs_lazy_sample_tail(n_fire, p, g,
                                        e->areas[a].n_neurons - la->w, k,
                                        area_key(s, a), s->step, la->sample);
        la->sample[k] = n < 0 ? UINT64_MAX : (uint64_t)n;
    }
    bs_status st = bs_comm_bcast(s->comm, la->sample,
                                 (k + 1) * sizeof *la->sample, s->err,
                                 sizeof s->err);
    if (st == BS_OK && la->sample[k] == UINT64_MAX)
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory sampling lazy "
                           "area %s (on rank 0)", e->areas[a].name);
    *n_out = la->sample[k];
    return st;
}

static int by_id(const void *x, const void *y)
{
    const bs_cand *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Total firing sources of the active fibers into a.  Can't fail. */
static uint64_t total_firing(const bs_sim *s, int a)
{
    uint64_t t = 0;
    for (int f = 0; f < s->exp->n_fibers; f++)
        if (s->fibers[f].active && s->exp->fibers[f].dst == a) {
            uint64_t n;
            bs_sim_firing(s, f, &n);
            t += n;
        }
    return t;
}

/* Step 5, the Bernoulli(p) part: every realized source of every fiber into
 * a that does not fire through it draws its edges into [w_old, w).
 * Returns 0, or -1 when out of memory. */
static int join_unconditioned(bs_sim *s, bs_lazy_area *la, int a,
                              uint64_t w_old)
{
    for (int f = 0; f < s->exp->n_fibers; f++) {
        if (s->exp->fibers[f].dst != a)
            continue;
        bs_lazy_fiber *lf = &la->fib[f];
        uint64_t n_fire = 0;
        const uint64_t *fire = s->fibers[f].active
                               ? bs_sim_firing(s, f, &n_fire) : NULL;
        for (uint64_t i = 0; i < lf->n; i++) {
            if (n_fire && bs_lazy_in_sorted(fire, n_fire, lf->ids[i]))
                continue;
            if (bs_lazy_draw(&s->fibers[f].geom, lf->ids[i], w_old, la->w,
                             &lf->src[i]) != 0)
                return -1;
        }
    }
    return 0;
}

/* The edge from the firing source at position pos of the active fibers'
 * concatenation (fiber order) into a to local target j.  Returns 0, or -1
 * when out of memory. */
static int add_picked(bs_sim *s, bs_lazy_area *la, int a, uint64_t pos,
                      uint64_t j)
{
    for (int f = 0; f < s->exp->n_fibers; f++) {
        if (!s->fibers[f].active || s->exp->fibers[f].dst != a)
            continue;
        uint64_t n;
        const uint64_t *fire = bs_sim_firing(s, f, &n);
        if (pos < n) {
            bs_lazy_fiber *lf = &la->fib[f];
            return bs_lazy_push(&lf->src[bs_lazy_find(lf, fire[pos])],
                                (uint32_t)j, BS_W_ONE);
        }
        pos -= n;
    }
    return 0;
}

/* Step 5, the conditioned part: joiner t (local id w_old + t) gets edges
 * from exactly counts[t] firing sources, distinct positions of the active
 * fibers' concatenation drawn uniformly.  Returns 0, or -1 when out of
 * memory. */
static int join_conditioned(bs_sim *s, bs_lazy_area *la, int a,
                            uint64_t w_old, const uint64_t *counts)
{
    const uint64_t total = total_firing(s, a);
    if (total > la->pick_n) {
        uint8_t *p = realloc(la->pick, total);
        if (p)
            la->pick = p;
        uint64_t *q = p ? realloc(la->pick_pos, total * sizeof *q) : NULL;
        if (!q)
            return -1;
        la->pick_pos = q;
        memset(la->pick + la->pick_n, 0, total - la->pick_n);
        la->pick_n = total;
    }
    for (uint64_t j = w_old; j < la->w; j++) {
        stream st = {area_key(s, a), j, BS_DOMAIN_LAZY_PICK, 0};
        const uint64_t x = counts[j - w_old];
        for (uint64_t n = 0; n < x;) {
            uint64_t pos = below(&st, total);
            if (!la->pick[pos]) {
                la->pick[pos] = 1;
                la->pick_pos[n++] = pos;
            }
        }
        int bad = 0;
        for (uint64_t n = 0; n < x; n++) {
            la->pick[la->pick_pos[n]] = 0;
            bad |= add_picked(s, la, a, la->pick_pos[n], j);
        }
        if (bad)
            return -1;
    }
    return 0;
}

/* Steps 4 and 5: the k best of support and sampled (s->merge as
 * scratch), the joiners into the support, their edges, and `next`.
 * Returns BS_OK or BS_ERR_NOMEM with the message. */
static bs_status select_join(bs_sim *s, bs_lazy_area *la, int a, uint64_t ms)
{
    bs_area_state *as = &s->areas[a];
    const uint64_t w_old = la->w, k = as->k;
    for (uint64_t i = 0; i < ms; i++)
        la->input[w_old + i] = la->sample[i] << 16;
    bs_cand *c = s->merge;
    bs_topk_local(la->input, w_old + ms, 0, k, c);
    qsort(c, (size_t)k, sizeof *c, by_id);
    uint64_t n_win = 0, n_join = 0;
    while (n_win < k && c[n_win].id != UINT64_MAX)
        n_join += c[n_win++].id >= w_old;
    if (bs_lazy_reserve(la, w_old + n_join, k) != 0)
        goto nomem;
    memset(la->won, 0, w_old);
    uint64_t *counts = s->scratch;      /* (k): 4 max k fit */
    for (uint64_t i = 0; i < n_win; i++) {
        if (c[i].id >= w_old) {          /* a joiner, in sampling order */
            const uint64_t j = la->w;
            counts[j - w_old] = la->sample[c[i].id - w_old];
            stream st = {area_key(s, a), j, BS_DOMAIN_LAZY_ID, 0};
            uint64_t gid;
            do
                gid = below(&st, as->n_neurons);
            while (bs_lazy_gid_find(la, gid) != UINT64_MAX);
            bs_lazy_gid_add(la, gid);
            c[i].id = j;
        }
        la->won[c[i].id] = 1;
        c[i].id = la->gid[c[i].id];
    }
    if (join_unconditioned(s, la, a, w_old) != 0 ||
        join_conditioned(s, la, a, w_old, counts) != 0)
        goto nomem;
    qsort(c, (size_t)n_win, sizeof *c, by_id);
    for (uint64_t i = 0; i < k; i++) {
        as->next[i] = i < n_win ? c[i].id : UINT64_MAX;
        as->next_inputs[i] = i < n_win ? c[i].input : 0;
    }
    return BS_OK;
nomem:
    return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for the support of "
                       "lazy area %s (%llu neurons)", s->exp->areas[a].name,
                       (unsigned long long)la->w);
}

/* la->won from `next` (a fixed target's winners again).  Can't fail. */
static void mark_next(bs_lazy_area *la, const bs_area_state *as)
{
    memset(la->won, 0, la->w);
    for (uint64_t i = 0; i < as->k && as->next[i] != UINT64_MAX; i++) {
        uint64_t j = bs_lazy_gid_find(la, as->next[i]);
        if (j != UINT64_MAX)
            la->won[j] = 1;
    }
}

bs_status bs_lazy_step(bs_sim *s, int a)
{
    bs_lazy_area *la = s->lazy[a];
    bs_area_state *as = &s->areas[a];
    if (bs_lazy_reserve(la, la->w, as->k) != 0)
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for lazy area %s",
                           s->exp->areas[a].name);
    bs_status st = BS_OK;
    for (int f = 0; f < s->exp->n_fibers && st == BS_OK; f++)
        if (s->fibers[f].active && s->exp->fibers[f].dst == a)
            st = bs_lazy_realize(s, la, f);
    if (st != BS_OK)
        return st;
    if (as->fixed) {
        mark_next(la, as);
        return BS_OK;
    }
    support_inputs(s, la, a);
    uint64_t ms = 0;
    if ((st = tail(s, la, a, &ms)) != BS_OK)
        return st;
    return select_join(s, la, a, ms);
}

void bs_lazy_plasticity(bs_sim *s, int f)
{
    const int a = s->exp->fibers[f].dst;
    bs_lazy_area *la = s->lazy[a];
    bs_lazy_fiber *lf = &la->fib[f];
    const uint32_t mult = s->fibers[f].mult, cap = s->fibers[f].cap;
    uint64_t n_fire;
    const uint64_t *fire = bs_sim_firing(s, f, &n_fire);
    for (uint64_t i = 0; i < n_fire; i++) {
        bs_lazy_src *src = &lf->src[bs_lazy_find(lf, fire[i])];
        for (uint32_t e = 0; e < src->n; e++)
            if (la->won[src->tgt[e]])
                src->w[e] = bs_potentiate(src->w[e], mult, cap);
    }
}
