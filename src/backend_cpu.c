/*
 * backend_cpu.c - the CPU backend (C11 + OpenMP): the reference for every
 * test and the fallback of the CUDA backend.  Phases 1, 2 and 4 of a step
 * on the host pool; see sim_state.h for the interface.
 */
#include "sim_state.h"

#include <string.h>

/* Phase 1 for one fiber: +1.0 for every procedural edge from a firing source
 * into [lo, hi).  Threads own disjoint blocks of targets, so the sums need
 * no atomics and are exact integers in any order. */
static void accumulate_edges(const bs_fiber_geom *g, const uint64_t *firing,
                             uint64_t n_firing, uint64_t lo, uint64_t hi,
                             uint64_t *input)
{
    const uint32_t b = g->log2_block;
    const uint64_t first = lo >> b, last = (hi - 1) >> b;
    #pragma omp parallel for schedule(dynamic, 4)
    for (uint64_t blk = first; blk <= last; blk++) {
        uint32_t pos[BS_MAX_BLOCK_EDGES];
        const uint64_t base = blk << b;
        for (uint64_t f = 0; f < n_firing; f++) {
            uint32_t m = bs_block_edges(g, firing[f], blk, pos);
            for (uint32_t t = 0; t < m; t++) {
                uint64_t tgt = base + pos[t];
                if (tgt >= lo && tgt < hi)
                    input[tgt - lo] += BS_W_ONE;
            }
        }
    }
}

static bs_status cpu_accumulate(bs_sim *s, int a)
{
    bs_area_state *as = &s->areas[a];
    memset(as->input, 0, as->n_local * sizeof *as->input);
    if (as->n_local == 0)
        return BS_OK;
    for (int f = 0; f < s->exp->n_fibers; f++) {
        const bs_fiber_state *fs = &s->fibers[f];
        if (!fs->active || s->exp->fibers[f].dst != a)
            continue;
        uint64_t n_firing;
        const uint64_t *firing = bs_sim_firing(s, f, &n_firing);
        if (n_firing == 0)
            continue;
        accumulate_edges(&fs->geom, firing, n_firing, as->lo, as->hi, as->input);
        bs_store_accumulate(&fs->store[fs->cur], firing, n_firing, as->lo,
                            as->input);
    }
    return BS_OK;
}

static bs_status cpu_local_topk(bs_sim *s, int a, bs_cand *out)
{
    const bs_area_state *as = &s->areas[a];
    bs_topk_local(as->input, as->n_local, as->lo, as->k, out);
    return BS_OK;
}

static bs_status cpu_plasticity(bs_sim *s, int f)
{
    bs_fiber_state *fs = &s->fibers[f];
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    uint64_t n_firing, first;
    const uint64_t *firing = bs_sim_firing(s, f, &n_firing);
    const bs_area_state *dst = &s->areas[spec->dst];
    uint64_t n_win = bs_sim_local_next(dst, &first);
    const uint64_t *win = dst->next + first;
    if (n_firing == 0 || n_win == 0)
        return BS_OK;
    bs_status st = bs_store_potentiate(&fs->store[fs->cur],
                                       &fs->store[fs->cur ^ 1], &fs->geom,
                                       firing, n_firing, win, n_win, fs->mult,
                                       fs->cap, s->scratch);
    if (st == BS_ERR_CAPACITY)
        return bs_sim_store_full(s, f);
    fs->cur ^= 1;
    return st;
}

static void cpu_destroy(bs_sim *s)
{
    (void)s;
}

const bs_backend_ops bs_backend_cpu = {
    .name = "cpu",
    .accumulate = cpu_accumulate,
    .local_topk = cpu_local_topk,
    .plasticity = cpu_plasticity,
    .destroy = cpu_destroy,
};
