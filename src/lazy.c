/*
 * lazy.c - the state and the step of lazy areas (contract and scheme:
 * lazy.h).  Host code; every rank holds the same state and computes the
 * same from it, except the sampled tail, which rank 0 draws and
 * broadcasts (src/comm.c).
 *
 * A step for lazy target a, in order:
 *   1. realize: each firing source of an active fiber into a that is new
 *      to the fiber draws its Bernoulli(p) edges into the support;
 *   2. inputs: the support's exact inputs from the stored edges;
 *   3. tail: the top min(k, n - w) sampled inputs (rank 0, broadcast);
 *   4. select: the k best of support and sampled (ties: support by local
 *      id, then sampled in sampling order) into `next`;
 *   5. join: the sampled winners get local ids w, w + 1, ... in sampling
 *      order and global ids drawn among the never-fired, then their edges:
 *      Bernoulli(p) from every realized source not firing through its
 *      fiber, and exactly their sampled count from the firing sources of
 *      the active fibers.
 * Plasticity then potentiates the stored edges from firing sources to the
 * new winners, as the backends do for explicit areas.
 */
#include "lazy_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "connectome.h"
#include "sim_state.h"

/* ---- hash index: slots hold index + 1 of keys[], 0 empty --------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 27;
    x *= UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* The slot of `key` (holding it, or the empty one where it would go).
 * Can't fail (the table is never full). */
static uint64_t *h_slot(uint64_t *slot, uint64_t hcap, const uint64_t *keys,
                        uint64_t key)
{
    uint64_t i = mix64(key) & (hcap - 1);
    while (slot[i] && keys[slot[i] - 1] != key)
        i = (i + 1) & (hcap - 1);
    return &slot[i];
}

/* Index of key in keys[] through the table, or UINT64_MAX.  Can't fail. */
static uint64_t h_find(uint64_t *slot, uint64_t hcap, const uint64_t *keys,
                       uint64_t key)
{
    if (!hcap)
        return UINT64_MAX;
    uint64_t v = *h_slot(slot, hcap, keys, key);
    return v ? v - 1 : UINT64_MAX;
}

/* Makes the table hold `need` keys at load <= 1/2, rehashing the n keys
 * keys[0..n) it holds.  Returns 0, or -1 when out of memory (the table as
 * it was). */
static int h_reserve(uint64_t **slot, uint64_t *hcap, const uint64_t *keys,
                     uint64_t n, uint64_t need)
{
    if (2 * need <= *hcap)
        return 0;
    uint64_t cap = *hcap ? *hcap : 64;
    while (2 * need > cap)
        cap *= 2;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (uint64_t i = 0; i < n; i++)
        *h_slot(t, cap, keys, keys[i]) = i + 1;
    free(*slot);
    *slot = t;
    *hcap = cap;
    return 0;
}

/* ---- state -------------------------------------------------------------- */

bs_status bs_lazy_create(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    s->lazy = calloc((size_t)e->n_areas + 1, sizeof *s->lazy);
    if (!s->lazy)
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for lazy areas");
    for (int a = 0; a < e->n_areas; a++) {
        if (!e->areas[a].lazy)
            continue;
        bs_lazy_area *la = calloc(1, sizeof *la);
        if (la) {
            s->lazy[a] = la;
            la->fib = calloc((size_t)e->n_fibers + 1, sizeof *la->fib);
            la->sample = malloc((e->areas[a].k + 1) * sizeof *la->sample);
        }
        if (!la || !la->fib || !la->sample)
            return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for lazy area "
                               "%s", e->areas[a].name);
    }
    return BS_OK;
}

void bs_lazy_destroy(bs_sim *s)
{
    if (!s->lazy)
        return;
    for (int a = 0; a < s->exp->n_areas; a++) {
        bs_lazy_area *la = s->lazy[a];
        if (!la)
            continue;
        for (int f = 0; la->fib && f < s->exp->n_fibers; f++) {
            bs_lazy_fiber *lf = &la->fib[f];
            for (uint64_t i = 0; i < lf->n; i++) {
                free(lf->src[i].tgt);
                free(lf->src[i].w);
            }
            free(lf->ids);
            free(lf->src);
            free(lf->hash);
        }
        free(la->fib);
        free(la->gid);
        free(la->hash);
        free(la->input);
        free(la->won);
        free(la->sample);
        free(la->pick);
        free(la->pick_pos);
        free(la);
    }
    free(s->lazy);
    s->lazy = NULL;
}

uint64_t bs_lazy_support(const bs_sim *s, int a)
{
    return s->lazy && s->lazy[a] ? s->lazy[a]->w : 0;
}

/* Room for `need` support neurons (and need + k inputs).  Returns 0, or -1
 * when out of memory. */
int bs_lazy_reserve(bs_lazy_area *la, uint64_t need, uint64_t k)
{
    if (h_reserve(&la->hash, &la->hcap, la->gid, la->w, need) != 0)
        return -1;
    if (need <= la->cap && la->input)
        return 0;
    uint64_t cap = la->cap ? la->cap : 1024;
    while (cap < need)
        cap *= 2;
    uint64_t *gid = realloc(la->gid, cap * sizeof *gid);
    if (gid)
        la->gid = gid;
    uint64_t *in = gid ? realloc(la->input, (cap + k) * sizeof *in) : NULL;
    if (in)
        la->input = in;
    uint8_t *won = in ? realloc(la->won, cap) : NULL;
    if (!won)
        return -1;
    la->won = won;
    la->cap = cap;
    return 0;
}

/* Appends edge (tgt, Q16.16 w) to src.  Returns 0, or -1 when out of
 * memory. */
int bs_lazy_push(bs_lazy_src *src, uint32_t tgt, uint32_t w)
{
    if (src->n == src->cap) {
        uint32_t cap = src->cap ? 2 * src->cap : 4;
        uint32_t *t = realloc(src->tgt, cap * sizeof *t);
        if (t)
            src->tgt = t;
        uint32_t *v = t ? realloc(src->w, cap * sizeof *v) : NULL;
        if (!v)
            return -1;
        src->w = v;
        src->cap = cap;
    }
    src->tgt[src->n] = tgt;
    src->w[src->n++] = w;
    return 0;
}

/* ---- edges ------------------------------------------------------------- */

/* Appends source `id`'s Bernoulli(p) edges into local targets [lo, hi) to
 * src, in block order.  Returns 0, or -1 when out of memory. */
int bs_lazy_draw(const bs_fiber_geom *g, uint64_t id, uint64_t lo,
                      uint64_t hi, bs_lazy_src *src)
{
    if (lo >= hi)
        return 0;
    const uint32_t b = g->log2_block;
    uint32_t pos[BS_MAX_BLOCK_EDGES];
    for (uint64_t blk = lo >> b; blk <= (hi - 1) >> b; blk++) {
        uint32_t m = bs_block_edges_in(g, id, blk, BS_DOMAIN_LAZY, pos);
        for (uint32_t t = 0; t < m; t++) {
            uint64_t tgt = (blk << b) + pos[t];
            if (tgt >= lo && tgt < hi && bs_lazy_push(src, (uint32_t)tgt,
                                                   BS_W_ONE) != 0)
                return -1;
        }
    }
    return 0;
}

int64_t bs_lazy_add_source(bs_lazy_fiber *lf, uint64_t id)
{
    if (lf->n == lf->cap) {
        uint64_t cap = lf->cap ? 2 * lf->cap : 256;
        uint64_t *ids = realloc(lf->ids, cap * sizeof *ids);
        if (ids)
            lf->ids = ids;
        bs_lazy_src *src = ids ? realloc(lf->src, cap * sizeof *src) : NULL;
        if (!src)
            return -1;
        lf->src = src;
        lf->cap = cap;
    }
    if (h_reserve(&lf->hash, &lf->hcap, lf->ids, lf->n, lf->n + 1) != 0)
        return -1;
    lf->ids[lf->n] = id;
    memset(&lf->src[lf->n], 0, sizeof lf->src[lf->n]);
    *h_slot(lf->hash, lf->hcap, lf->ids, id) = lf->n + 1;
    return (int64_t)lf->n++;
}

/* Step 1 for active fiber f into a: its firing sources new to it join its
 * realized sources with their edges into the support.  Returns BS_OK or
 * BS_ERR_NOMEM with the message. */
bs_status bs_lazy_realize(bs_sim *s, bs_lazy_area *la, int f)
{
    bs_lazy_fiber *lf = &la->fib[f];
    uint64_t n_fire;
    const uint64_t *fire = bs_sim_firing(s, f, &n_fire);
    for (uint64_t i = 0; i < n_fire; i++) {
        if (h_find(lf->hash, lf->hcap, lf->ids, fire[i]) != UINT64_MAX)
            continue;
        int64_t at = bs_lazy_add_source(lf, fire[i]);
        if (at < 0 || bs_lazy_draw(&s->fibers[f].geom, fire[i], 0, la->w,
                                   &lf->src[at]) != 0)
            return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for the edges "
                               "of fiber %s into lazy area %s",
                               s->exp->fibers[f].name,
                               s->exp->areas[s->exp->fibers[f].dst].name);
    }
    return BS_OK;
}

/* 1 when id is in the ascending list v[0..n).  Can't fail. */
int bs_lazy_in_sorted(const uint64_t *v, uint64_t n, uint64_t id)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == id;
}

/* Appends gid to the support (room reserved by bs_lazy_reserve): local
 * id w, not a winner yet.  Can't fail. */
void bs_lazy_gid_add(bs_lazy_area *la, uint64_t gid)
{
    la->gid[la->w] = gid;
    *h_slot(la->hash, la->hcap, la->gid, gid) = la->w + 1;
    la->won[la->w] = 0;
    la->w++;
}

uint64_t bs_lazy_gid_find(bs_lazy_area *la, uint64_t gid)
{
    return h_find(la->hash, la->hcap, la->gid, gid);
}

uint64_t bs_lazy_find(bs_lazy_fiber *lf, uint64_t id)
{
    return h_find(lf->hash, lf->hcap, lf->ids, id);
}

/* ---- planning ------------------------------------------------------------ */

/* Steps of e's schedule in which area a may be a target (project
 * operations with a fiber into it); 64 when the schedule has no steps
 * (operations applied one at a time).  Can't fail. */
static uint64_t target_steps(const bs_experiment *e, int a)
{
    if (e->total_steps == 0)
        return 64;
    uint64_t steps = 0;
    for (int o = 0; o < e->n_ops; o++) {
        const bs_op *op = &e->ops[o];
        if (op->kind != BS_OP_PROJECT)
            continue;
        int into = 0;
        for (int f = 0; f < e->n_fibers && !into; f++) {
            int named = op->n_fibers < 0;
            for (int i = 0; i < op->n_fibers && !named; i++)
                named = op->fibers[i] == f;
            into = named && e->fibers[f].dst == a;
        }
        if (into)
            steps += op->rounds;
    }
    return steps;
}

/* Neurons of area or stimulus that may fire: a stimulus's k, an area's
 * min(n, k x its target steps).  Can't fail. */
static uint64_t fired_bound(const bs_experiment *e, int is_stim, int i)
{
    if (is_stim)
        return e->stims[i].k;
    double b = (double)e->areas[i].k * (double)target_steps(e, i);
    return b >= (double)e->areas[i].n_neurons ? e->areas[i].n_neurons
                                              : (uint64_t)b;
}

uint64_t bs_lazy_plan(const bs_experiment *e, int a, uint64_t *support,
                      uint64_t *edges)
{
    const uint64_t w = fired_bound(e, 0, a);
    double n_edges = 0;
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_spec *fs = &e->fibers[f];
        if (fs->dst != a)
            continue;
        uint64_t src = fired_bound(e, fs->src_is_stim, fs->src);
        double mean = (double)src * fs->p;   /* per target, + the quantile */
        n_edges += (double)w * (mean + 6.0 * sqrt(mean) + 6.0 < (double)src
                                ? mean + 6.0 * sqrt(mean) + 6.0
                                : (double)src);
    }
    *support = w;
    *edges = n_edges > 9e18 ? UINT64_MAX : (uint64_t)n_edges;
    /* per neuron: global id, two hash slots, input, won; per edge: target
     * and weight (u32 each), lists grown by doubling (x 1.5 on average) */
    double bytes = (double)w * (8 + 16 + 8 + 1) + n_edges * 8 * 1.5;
    return bytes > 9e18 ? UINT64_MAX : (uint64_t)bytes;
}

/* ---- queries ------------------------------------------------------------- */

uint64_t bs_lazy_weight_q16(const bs_sim *s, int f, uint64_t src,
                            uint64_t tgt)
{
    bs_lazy_area *la = s->lazy[s->exp->fibers[f].dst];
    uint64_t j = bs_lazy_gid_find(la, tgt);
    uint64_t i = j == UINT64_MAX ? UINT64_MAX
                                 : bs_lazy_find(&la->fib[f], src);
    if (i == UINT64_MAX)
        return 0;
    const bs_lazy_src *e = &la->fib[f].src[i];
    for (uint32_t x = 0; x < e->n; x++)
        if (e->tgt[x] == j)
            return e->w[x];
    return 0;
}

bs_status bs_support_ids(const bs_sim *sim, const char *area, uint64_t *ids,
                         size_t cap, size_t *n)
{
    if (!sim || !area || !n)
        return BS_ERR_ARG;
    int a = bs_experiment_area(sim->exp, area);
    if (a < 0)
        return BS_ERR_NOTFOUND;
    const bs_lazy_area *la = sim->lazy ? sim->lazy[a] : NULL;
    if (!la)
        return BS_ERR_ARG;
    *n = la->w;
    if (la->w > cap || (la->w && !ids))
        return BS_ERR_ARG;
    if (la->w)
        memcpy(ids, la->gid, la->w * sizeof *ids);
    return BS_OK;
}

bs_status bs_lazy_add_ids(bs_sim *s, int a, const uint64_t *ids, uint64_t n)
{
    bs_lazy_area *la = s->lazy[a];
    const uint64_t w_old = la->w;
    if (bs_lazy_reserve(la, w_old + n, s->areas[a].k) != 0)
        goto nomem;
    for (uint64_t i = 0; i < n; i++)
        if (bs_lazy_gid_find(la, ids[i]) == UINT64_MAX)
            bs_lazy_gid_add(la, ids[i]);
    for (int f = 0; f < s->exp->n_fibers; f++) {
        if (s->exp->fibers[f].dst != a)
            continue;
        bs_lazy_fiber *lf = &la->fib[f];
        for (uint64_t i = 0; i < lf->n; i++)
            if (bs_lazy_draw(&s->fibers[f].geom, lf->ids[i], w_old, la->w,
                             &lf->src[i]) != 0)
                goto nomem;
    }
    return BS_OK;
nomem:
    return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for the support of "
                       "lazy area %s", s->exp->areas[a].name);
}
