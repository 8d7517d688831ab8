/*
 * plastic.c - CPU reference of the potentiated-synapse store; see plastic.h.
 */
#include "plastic.h"

uint64_t bs_store_lower(const bs_store *s, uint64_t src)
{
    uint64_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s->src[mid] < src)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void bs_store_accumulate(const bs_store *s, const uint64_t *firing,
                         uint64_t n_firing, uint64_t id_lo, uint64_t *input)
{
    if (s->n == 0)
        return;
    uint64_t e = 0;
    for (uint64_t f = 0; f < n_firing && e < s->n; f++) {
        uint64_t i = firing[f];
        if (s->src[e] < i)
            e = bs_store_lower(s, i);
        for (; e < s->n && s->src[e] == i; e++)
            input[s->tgt[e] - id_lo] += (uint64_t)s->w[e] - BS_W_ONE;
    }
}

uint64_t bs_store_corrections(const bs_store *s, const uint64_t *firing,
                              uint64_t n_firing, uint64_t *tgt,
                              uint64_t *delta)
{
    uint64_t e = 0, n = 0;
    for (uint64_t f = 0; f < n_firing && e < s->n; f++) {
        uint64_t i = firing[f];
        if (s->src[e] < i)
            e = bs_store_lower(s, i);
        for (; e < s->n && s->src[e] == i; e++) {
            tgt[n] = s->tgt[e];
            delta[n++] = (uint64_t)s->w[e] - BS_W_ONE;
        }
    }
    return n;
}

uint32_t bs_store_weight(const bs_store *s, uint64_t src, uint64_t tgt)
{
    for (uint64_t e = bs_store_lower(s, src); e < s->n && s->src[e] == src; e++)
        if (s->tgt[e] == tgt)
            return s->w[e];
    return BS_W_ONE;
}

uint64_t bs_store_edge_targets(const bs_fiber_geom *g, uint64_t i,
                             const uint64_t *winners, uint64_t n_winners,
                             uint64_t *out)
{
    uint32_t pos[BS_MAX_BLOCK_EDGES];
    const uint32_t b = g->log2_block;
    const uint64_t mask = (UINT64_C(1) << b) - 1;
    uint64_t n_out = 0, w = 0;
    while (w < n_winners) {
        uint64_t block = winners[w] >> b;
        uint32_t m = bs_block_edges(g, i, block, pos);
        for (; w < n_winners && (winners[w] >> b) == block; w++) {
            uint32_t want = (uint32_t)(winners[w] & mask);
            for (uint32_t t = 0; t < m; t++)
                if (pos[t] == want) {
                    out[n_out++] = winners[w];
                    break;
                }
        }
    }
    return n_out;
}

static int push(bs_store *s, uint64_t src, uint64_t tgt, uint32_t w)
{
    if (s->n == s->cap)
        return 0;
    s->src[s->n] = src;
    s->tgt[s->n] = tgt;
    s->w[s->n] = w;
    s->n++;
    return 1;
}

/* Merges the old entries [e, end) of source i with its edge targets.
 * Returns 0 when next is full; sets *saturated when a weight passed
 * BS_W_MAX (bs_saturates; the entry holds BS_W_MAX). */
static int merge_source(const bs_store *cur, uint64_t e, uint64_t end,
                        uint64_t i, const uint64_t *edges, uint64_t n_edges,
                        uint32_t mult, uint32_t cap, bs_store *next,
                        int *saturated)
{
    uint64_t x = 0;
    while (e < end || x < n_edges) {
        int ok;
        if (x == n_edges || (e < end && cur->tgt[e] < edges[x])) {
            ok = push(next, i, cur->tgt[e], cur->w[e]);
            e++;
        } else if (e == end || edges[x] < cur->tgt[e]) {
            uint32_t w = bs_potentiate(BS_W_ONE, mult, cap);
            *saturated |= bs_saturates(BS_W_ONE, mult, cap);
            ok = (w == BS_W_ONE) || push(next, i, edges[x], w);
            x++;
        } else {
            *saturated |= bs_saturates(cur->w[e], mult, cap);
            ok = push(next, i, edges[x], bs_potentiate(cur->w[e], mult, cap));
            e++;
            x++;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

/* Where the edge targets of firing source number f come from: generated
 * into scratch (winners given) or read from lists (start given). */
typedef struct edge_src {
    const bs_fiber_geom *g;
    const uint64_t *winners;
    uint64_t n_winners;
    uint64_t *scratch;
    const uint64_t *start, *edges;
} edge_src;

static uint64_t edges_of(const edge_src *es, uint64_t f, uint64_t i,
                         const uint64_t **edges)
{
    if (es->start) {
        *edges = es->edges + es->start[f];
        return es->start[f + 1] - es->start[f];
    }
    *edges = es->scratch;
    return bs_store_edge_targets(es->g, i, es->winners, es->n_winners, es->scratch);
}

/* The merge of cur and the edges of every firing source into next:
 * BS_OK, BS_ERR_CAPACITY (next full: incomplete) or, once complete,
 * BS_ERR_SATURATED. */
static bs_status potentiate(const bs_store *cur, bs_store *next,
                            const uint64_t *firing, uint64_t n_firing,
                            const edge_src *es, uint32_t mult, uint32_t cap)
{
    next->n = 0;
    uint64_t e = 0, f = 0;
    int saturated = 0;
    while (e < cur->n || f < n_firing) {
        uint64_t i = (f == n_firing || (e < cur->n && cur->src[e] < firing[f]))
                         ? cur->src[e] : firing[f];
        uint64_t end = e;
        while (end < cur->n && cur->src[end] == i)
            end++;
        uint64_t n_edges = 0;
        const uint64_t *edges = NULL;
        if (f < n_firing && firing[f] == i) {
            n_edges = edges_of(es, f, i, &edges);
            f++;
        }
        if (!merge_source(cur, e, end, i, edges, n_edges, mult, cap, next,
                          &saturated))
            return BS_ERR_CAPACITY;
        e = end;
    }
    return saturated ? BS_ERR_SATURATED : BS_OK;
}

bs_status bs_store_potentiate(const bs_store *cur, bs_store *next,
                              const bs_fiber_geom *g, const uint64_t *firing,
                              uint64_t n_firing, const uint64_t *winners,
                              uint64_t n_winners, uint32_t mult, uint32_t cap,
                              uint64_t *scratch)
{
    edge_src es = {g, winners, n_winners, scratch, NULL, NULL};
    return potentiate(cur, next, firing, n_firing, &es, mult, cap);
}

bs_status bs_store_potentiate_edges(const bs_store *cur, bs_store *next,
                                    const uint64_t *firing, uint64_t n_firing,
                                    const uint64_t *start,
                                    const uint64_t *edges, uint32_t mult,
                                    uint32_t cap)
{
    edge_src es = {NULL, NULL, 0, NULL, start, edges};
    return potentiate(cur, next, firing, n_firing, &es, mult, cap);
}
