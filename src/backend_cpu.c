/*
 * backend_cpu.c - the CPU backend (C11 + OpenMP): the reference for every
 * test and the fallback of the CUDA backend.  Phases 1, 2 and 4 of a step
 * on the host pool; see sim_state.h for the interface.  Phase 1 with
 * recording is in backend_cpu_record.c (shared state: backend_cpu.h).
 *
 * Plasticity without regenerating the connectome: accumulate generates
 * every edge from the firing sources into the slice, tile by tile (a tile
 * is the largest block of the fibers into the area, so it holds whole
 * blocks of each), and records the edges into targets that can still win:
 * once a tile's inputs are final (the store's corrections are added
 * first), an edge is kept when its target's input is at least the k-th
 * largest input the thread has seen so far (a lower bound of the slice's
 * k-th largest, hence of the global threshold, read from a histogram).
 * Every edge into a new winner is therefore recorded, exactly once, and the
 * plasticity phase only picks them out.  When the area's last step had the
 * same fibers, its threshold (least winner input) also floors the
 * recording (few edges are kept from the first tiles on); the new winners
 * below that floor, if any, have their edges regenerated.  When a buffer is too small, or
 * the area did not accumulate (a fixed area), the phase regenerates the
 * blocks that hold winners instead (bs_store_potentiate): the same result.
 * BRAINSIM_CPU_RECORD=0 always regenerates.
 *
 * Manifest of the backend's own pool (cpu_init; threads = OpenMP's
 * maximum then; areas that compute have their own candidates).  The
 * per-neuron inputs are the CPU backend's, not the host pool's (a CUDA
 * rank keeps its inputs on the device, and its host memory does not grow
 * with n); the rest is there unless BRAINSIM_CPU_RECORD=0:
 *   input.<A>   (n_local.<A>)             u64   Q16.16 input sums of the
 *                                               slice (areas.<A>.input)
 *   tile        (threads, tile_cap)       u64   one tile's edges:
 *                                               source index << 32 | offset
 *   cand.<A>    (threads, cand_cap.<A>)   cand  recorded edges
 *   top.<A>     (threads, top_cap.<A>)    bs_cand  inputs at or above the
 *                                               thread's k-th bound
 *   top_n       (areas, threads)          u64   entries of top per thread
 *   top_all     (max threads x top_cap + k) bs_cand  them, gathered
 *   top_w, top_in (max k)                 u64   the selected ids, inputs
 *   cand_n      (areas, threads)          u64   edges recorded per thread
 *   hist        (threads, HIST_BINS)      u32   inputs seen, binned
 *   cnt         (threads, 2^16)           u32   edges per target of a tile
 *   mark        (max n_local / 64 + 1)    u64   bitmap of new local winners
 *   hits        (max threads x cand_cap)  cand  edges into new winners
 *   start       (max k + 1)               u64   per firing source
 *   edges       (max threads x cand_cap)  u64   targets, by source
 * and, outside the pool, the store's corrections of one area grouped by
 * tile (corr_*: as many as the area's stores hold, grown with them at the
 * start of a step; corr_off: (tiles + 1)), so that each tile zeroes and
 * corrects its own inputs.
 */
#include "backend_cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static uint64_t src_k(const bs_sim *s, int f)
{
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    return spec->src_is_stim ? s->exp->stims[spec->src].k
                             : s->exp->areas[spec->src].k;
}

/* Sorts x[0..n) ascending (a source's few edges).  Can't fail. */
static void insertion_sort(uint64_t *x, uint64_t n)
{
    for (uint64_t i = 1; i < n; i++) {
        uint64_t v = x[i], j = i;
        for (; j > 0 && x[j - 1] > v; j--)
            x[j] = x[j - 1];
        x[j] = v;
    }
}

/* Thread t's recorded edges of fiber f into marked targets, to hits[*n..),
 * as candidates.  Can't fail. */
static uint64_t pick_hits(const cpu_state *cs, const area_rec *r, int a,
                          int t, int f, uint64_t lo, cand *hits)
{
    const cand *c = r->cand + (uint64_t)t * r->cand_cap;
    const uint64_t n = cs->cand_n[(uint64_t)a * cs->n_threads + t];
    uint64_t n_hits = 0;
    for (uint64_t e = 0; e < n; e++) {
        uint64_t j = c[e].tgt - lo;
        if (c[e].fiber == (uint32_t)f && (cs->mark[j >> 6] >> (j & 63) & 1))
            hits[n_hits++] = c[e];
    }
    return n_hits;
}

/* The edges of fiber f from every firing source into the new winners
 * below the recording floor, low[0..n_low) (ascending), regenerated, as
 * candidates into hits[0..cap).  Returns their count, or cap + 1 when they
 * do not fit.  Can't fail otherwise. */
static uint64_t low_hits(bs_sim *s, int f, const uint64_t *firing,
                         uint64_t n_firing, const uint64_t *low,
                         uint64_t n_low, cand *hits, uint64_t cap)
{
    uint64_t n = 0, *out = s->scratch;              /* 4 max k >= n_low */
    for (uint64_t i = 0; i < n_firing; i++) {
        uint64_t m = bs_store_edge_targets(&s->fibers[f].geom, firing[i], low,
                                           n_low, out);
        if (n + m > cap)
            return cap + 1;
        for (uint64_t e = 0; e < m; e++)
            hits[n++] = (cand){out[e], (uint32_t)f, (uint32_t)i};
    }
    return n;
}

/* Groups the n_seg segments of hits (hits[seg_off[g] ..] of seg_n[g]) by
 * firing source: start[0..n_firing] and edges[] as
 * bs_store_potentiate_edges takes them (a counting sort by source, then
 * each source's few targets sorted).  Can't fail. */
static void group_by_source(cpu_state *cs, int n_seg, const uint64_t *seg_off,
                            const uint64_t *seg_n, uint64_t n_firing)
{
    uint64_t *start = cs->start;
    memset(start, 0, (n_firing + 1) * sizeof *start);
    for (int g = 0; g < n_seg; g++)
        for (uint64_t h = 0; h < seg_n[g]; h++)
            start[cs->hits[seg_off[g] + h].src + 1]++;
    for (uint64_t i = 0; i < n_firing; i++)
        start[i + 1] += start[i];
    for (int g = 0; g < n_seg; g++)      /* start[i] ends at source i's end */
        for (uint64_t h = 0; h < seg_n[g]; h++) {
            const cand *c = &cs->hits[seg_off[g] + h];
            cs->edges[start[c->src]++] = c->tgt;
        }
    for (uint64_t i = n_firing; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
    for (uint64_t i = 0; i < n_firing; i++)
        insertion_sort(cs->edges + start[i], start[i + 1] - start[i]);
}

/*
 * Phase 4 of fiber f from the edges recorded during accumulate: those into
 * the new local winners win[0..n_win) (inputs win_in[]) at or above the
 * recording floor, and regenerated ones into the winners below it.
 * Returns what bs_store_potentiate_edges returns (BS_ERR_SATURATED
 * included), or BS_ERR_LIMIT (nothing done) when the regenerated edges do
 * not fit the buffer.
 */
static bs_status potentiate_recorded(bs_sim *s, int f, const uint64_t *firing,
                                     uint64_t n_firing, const uint64_t *win,
                                     const uint64_t *win_in, uint64_t n_win)
{
    cpu_state *cs = s->be_state;
    bs_fiber_state *fs = &s->fibers[f];
    const int a = s->exp->fibers[f].dst;
    const bs_area_state *as = &s->areas[a];
    const area_rec *r = &cs->rec[a];
    const int nt = cs->n_threads;
    uint64_t *low = s->scratch + 2 * s->max_k, n_low = 0;   /* (k) */
    for (uint64_t w = 0; w < n_win; w++) {
        if (win_in[w] < r->floor)
            low[n_low++] = win[w];
        else
            cs->mark[(win[w] - as->lo) >> 6] |=
                UINT64_C(1) << ((win[w] - as->lo) & 63);
    }
    uint64_t off[nt + 2], n_t[nt + 1];
    off[0] = 0;
    for (int t = 0; t < nt; t++)         /* thread t's hits fit after off[t] */
        off[t + 1] = off[t] + cs->cand_n[(uint64_t)a * nt + t];
    #pragma omp parallel for num_threads(nt) schedule(static) if (off[nt] > 16384)
    for (int t = 0; t < nt; t++)
        n_t[t] = pick_hits(cs, r, a, t, f, as->lo, cs->hits + off[t]);
    for (uint64_t w = 0; w < n_win; w++)
        cs->mark[(win[w] - as->lo) >> 6] = 0;
    n_t[nt] = 0;
    if (n_low) {
        n_t[nt] = low_hits(s, f, firing, n_firing, low, n_low,
                           cs->hits + off[nt], cs->max_cand - off[nt]);
        if (n_t[nt] > cs->max_cand - off[nt])
            return BS_ERR_LIMIT;
    }
    group_by_source(cs, nt + 1, off, n_t, n_firing);
    return bs_store_potentiate_edges(&fs->store[fs->cur],
                                     &fs->store[fs->cur ^ 1], firing, n_firing,
                                     cs->start, cs->edges, fs->mult, fs->cap);
}

/* Lays out the backend's pool into cs (see the manifest above; nothing is
 * allocated): the areas' inputs, then unless BRAINSIM_CPU_RECORD=0 the
 * recording buffers.  Returns BS_OK or the pool's BS_ERR_NOMEM/LIMIT. */
static bs_status cpu_layout(const bs_sim *s, cpu_state *cs)
{
    const bs_experiment *e = s->exp;
    area_rec *rec = cs->rec;
    const char *env = getenv("BRAINSIM_CPU_RECORD");
    cs->record = !(env && strcmp(env, "0") == 0);
#ifdef _OPENMP
    cs->n_threads = omp_get_max_threads();
#else
    cs->n_threads = 1;
#endif
    bs_status st = BS_OK;
    for (int a = 0; a < e->n_areas && st == BS_OK; a++) {
        char name[96];
        snprintf(name, sizeof name, "cpu.input.%s", e->areas[a].name);
        st = bs_pool_add(&cs->pool, name, "(n_local) u64", 8,
                         s->areas[a].n_local, (void **)&cs->input[a]);
    }
    if (!cs->record || st != BS_OK)
        return st;
    const uint64_t nt = (uint64_t)cs->n_threads;
    uint64_t max_cand = 1, max_local = 0, max_src_k = 0, max_top = 1,
             max_k = 1;
    for (int a = 0; a < e->n_areas && st == BS_OK; a++) {
        const uint32_t bt = bs_cpu_tile_log2(s, a);
        uint64_t tile = 0, n_fib = 0;
        for (int f = 0; f < e->n_fibers; f++) {
            if (e->fibers[f].dst != a)
                continue;
            const uint32_t b = s->fibers[f].geom.log2_block;
            const double mean = e->fibers[f].p * (double)(UINT64_C(1) << b);
            tile += src_k(s, f) * (UINT64_C(1) << (bt - b)) *
                    (2 * (uint64_t)mean + 16);
            n_fib++;
            max_src_k = src_k(s, f) > max_src_k ? src_k(s, f) : max_src_k;
        }
        cs->tile_cap = tile > cs->tile_cap ? tile : cs->tile_cap;
        rec[a].cand_cap = n_fib ? 96 * e->areas[a].k * n_fib + 4096 : 0;
        rec[a].top_cap = n_fib ? 8 * e->areas[a].k + 65536 : 0;
        max_top = nt * rec[a].top_cap + e->areas[a].k > max_top
                      ? nt * rec[a].top_cap + e->areas[a].k : max_top;
        max_k = e->areas[a].k > max_k ? e->areas[a].k : max_k;
        max_cand = nt * rec[a].cand_cap > max_cand ? nt * rec[a].cand_cap
                                                   : max_cand;
        max_local = s->areas[a].n_local > max_local ? s->areas[a].n_local
                                                    : max_local;
        char name[96];
        snprintf(name, sizeof name, "cpu.cand.%s", e->areas[a].name);
        st = bs_pool_add(&cs->pool, name, "(threads, cand_cap) cand",
                         sizeof(cand), nt * rec[a].cand_cap,
                         (void **)&rec[a].cand);
        snprintf(name, sizeof name, "cpu.top.%s", e->areas[a].name);
        if (st == BS_OK)
            st = bs_pool_add(&cs->pool, name, "(threads, top_cap) bs_cand",
                             sizeof(bs_cand), nt * rec[a].top_cap,
                             (void **)&rec[a].top);
    }
#define ADD(nm, shape, size, n, view)                                          \
    if (st == BS_OK)                                                           \
        st = bs_pool_add(&cs->pool, nm, shape, size, n, (void **)(view))
    ADD("cpu.tile", "(threads, tile_cap) u64", 8, nt * cs->tile_cap, &cs->tile);
    ADD("cpu.cand_n", "(areas, threads) u64", 8, nt * (uint64_t)e->n_areas,
        &cs->cand_n);
    ADD("cpu.top_n", "(areas, threads) u64", 8, nt * (uint64_t)e->n_areas,
        &cs->top_n);
    ADD("cpu.top_all", "(max threads x top_cap + k) bs_cand", sizeof(bs_cand),
        max_top, &cs->top_all);
    ADD("cpu.top_w", "(max k) u64", 8, max_k, &cs->top_w);
    ADD("cpu.top_in", "(max k) u64", 8, max_k, &cs->top_in);
    ADD("cpu.hist", "(threads, bins) u32", 4, nt * HIST_BINS, &cs->hist);
    ADD("cpu.cnt", "(threads, 2^16) u32", 4, nt << CNT_LOG2, &cs->cnt);
    ADD("cpu.mark", "(max n_local / 64 + 1) u64", 8, max_local / 64 + 1,
        &cs->mark);
    ADD("cpu.hits", "(max cand) cand", sizeof(cand), max_cand, &cs->hits);
    ADD("cpu.start", "(max k + 1) u64", 8, max_src_k + 1, &cs->start);
    ADD("cpu.edges", "(max cand) u64", 8, max_cand, &cs->edges);
#undef ADD
    cs->max_cand = max_cand;
    return st;
}

/* A fresh state for s (the pool laid out, not allocated); NULL when out
 * of memory or when the layout failed (*st says which). */
static cpu_state *cpu_state_new(const bs_sim *s, bs_status *st)
{
    const int n = s->exp->n_areas;
    cpu_state *cs = calloc(1, sizeof *cs);
    area_rec *rec = calloc((size_t)n + 1, sizeof *rec);
    uint64_t **input = calloc((size_t)n + 1, sizeof *input);
    *st = BS_ERR_NOMEM;
    if (cs && rec && input) {
        cs->rec = rec;
        cs->input = input;
        bs_pool_init(&cs->pool);
        if ((*st = cpu_layout(s, cs)) == BS_OK)
            return cs;
        bs_pool_destroy(&cs->pool);
    }
    free(cs);
    free(rec);
    free(input);
    return NULL;
}

/* Plans and allocates the backend's pool, and points every area's input
 * at its view.  BS_ERR_NOMEM/LIMIT with a message. */
static bs_status cpu_init(bs_sim *s)
{
    bs_status st;
    cpu_state *cs = cpu_state_new(s, &st);
    if (!cs)
        return bs_sim_fail(s, st, "cpu: out of host memory laying out the "
                           "backend's pool");
    s->be_state = cs;
    st = bs_pool_alloc(&cs->pool);
    if (st != BS_OK)
        return bs_sim_fail(s, st, "cpu: cannot allocate the backend's %zu "
                           "bytes (the inputs of every area's slice%s; "
                           "`brainsim plan` shows the manifest)",
                           bs_pool_bytes_of(&cs->pool), cs->record
                           ? " and the buffers that record edges for "
                             "plasticity, which BRAINSIM_CPU_RECORD=0 leaves "
                             "out" : "");
    for (int a = 0; a < s->exp->n_areas; a++)
        s->areas[a].input = cs->input[a];
    return BS_OK;
}

/* Bytes of the pool cpu_init would allocate for s (the allocated pool's
 * once it exists).  0 when it cannot be laid out. */
static size_t cpu_host_bytes(const bs_sim *s)
{
    const cpu_state *have = s->be == &bs_backend_cpu ? s->be_state : NULL;
    if (have)
        return bs_pool_bytes_of(&have->pool);
    bs_status st;
    cpu_state *cs = cpu_state_new(s, &st);
    if (!cs)
        return 0;
    size_t n_bytes = bs_pool_bytes_of(&cs->pool);
    bs_pool_destroy(&cs->pool);
    free(cs->rec);
    free(cs->input);
    free(cs);
    return n_bytes;
}

/* Phase 1 for fiber f, without recording: +1.0 for every procedural edge
 * from a firing source into [lo, hi).  Threads own disjoint blocks of
 * targets, so the sums need no atomics and are exact integers in any
 * order; small work stays on one thread. */
static void accumulate_edges(const bs_fiber_geom *g, const uint64_t *firing,
                             uint64_t n_firing, uint64_t lo, uint64_t hi,
                             uint64_t *input)
{
    const uint32_t b = g->log2_block;
    const uint64_t first = lo >> b, last = (hi - 1) >> b;
    #pragma omp parallel for schedule(dynamic, 4) \
        if ((last - first + 1) * n_firing > 4096)
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

/* input[0..n) = 0, by every thread when n is large.  Can't fail. */
static void zero_input(uint64_t *input, uint64_t n)
{
    const uint64_t chunk = UINT64_C(1) << 16;
    #pragma omp parallel for schedule(static) if (n >= 4 * chunk)
    for (uint64_t i = 0; i < n; i += chunk)
        memset(input + i, 0, (n - i < chunk ? n - i : chunk) * sizeof *input);
}

static bs_status cpu_accumulate(bs_sim *s, int a)
{
    cpu_state *cs = s->be_state;
    bs_area_state *as = &s->areas[a];
    cs->rec[a].step = 0;
    if (as->n_local == 0)
        return BS_OK;
    if (!cs->record)
        zero_input(as->input, as->n_local);
    int fibers[s->exp->n_fibers], n_fib = 0;
    for (int f = 0; f < s->exp->n_fibers; f++) {
        const bs_fiber_state *fs = &s->fibers[f];
        uint64_t n_firing;
        const uint64_t *firing = bs_sim_firing(s, f, &n_firing);
        if (!fs->active || s->exp->fibers[f].dst != a || n_firing == 0)
            continue;
        fibers[n_fib++] = f;
        if (!cs->record)
            bs_store_accumulate(&fs->store[fs->cur], firing, n_firing, as->lo,
                                as->input);
    }
    if (cs->record) {
        bs_status st = bs_cpu_group_corrections(s, a, fibers, n_fib,
                                                bs_cpu_tile_log2(s, a));
        if (st == BS_OK)
            bs_cpu_record_edges(s, a, fibers, n_fib);
        return st;
    }
    for (int i = 0; i < n_fib; i++) {
        uint64_t n_firing;
        const uint64_t *firing = bs_sim_firing(s, fibers[i], &n_firing);
        accumulate_edges(&s->fibers[fibers[i]].geom, firing, n_firing, as->lo,
                         as->hi, as->input);
    }
    return BS_OK;
}

/* Phase 2 of area a: when accumulate recorded this step, the k best of the
 * inputs it kept (each thread kept every input at or above its running
 * k-th bound, which is at most the slice's k-th largest input, so they
 * hold every local winner: at least k of them), selected in the one order
 * of topk.h; else a pass over the slice.  Can't fail. */
static bs_status cpu_local_topk(bs_sim *s, int a, bs_cand *out)
{
    const cpu_state *cs = s->be_state;
    const bs_area_state *as = &s->areas[a];
    const area_rec *r = &cs->rec[a];
    if (!cs->record || r->step != s->step + 1 || r->top_full ||
        as->n_local <= as->k) {
        bs_topk_local(as->input, as->n_local, as->lo, as->k, out);
        return BS_OK;
    }
    uint64_t m = 0;
    for (int t = 0; t < cs->n_threads; t++) {
        uint64_t n = cs->top_n[(uint64_t)a * cs->n_threads + t];
        memcpy(cs->top_all + m, r->top + (uint64_t)t * r->top_cap,
               n * sizeof *cs->top_all);
        m += n;
    }
    bs_topk_merge(cs->top_all, m, as->k, cs->top_w, cs->top_in);
    for (uint64_t i = 0; i < as->k; i++)
        out[i] = (bs_cand){cs->top_in[i], cs->top_w[i]};
    return BS_OK;
}

static bs_status cpu_plasticity(bs_sim *s, int f)
{
    cpu_state *cs = s->be_state;
    bs_fiber_state *fs = &s->fibers[f];
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    uint64_t n_firing, first;
    const uint64_t *firing = bs_sim_firing(s, f, &n_firing);
    const bs_area_state *dst = &s->areas[spec->dst];
    uint64_t n_win = bs_sim_local_next(dst, &first);
    const uint64_t *win = dst->next + first;
    if (n_firing == 0 || n_win == 0)
        return BS_OK;
    area_rec *r = &cs->rec[spec->dst];
    uint64_t thresh = UINT64_MAX;        /* the next step's floor */
    for (uint64_t i = 0; i < dst->k; i++)
        thresh = dst->next_inputs[i] < thresh ? dst->next_inputs[i] : thresh;
    r->last_thresh = thresh;
    bs_status st = BS_ERR_LIMIT;
    if (r->step == s->step + 1 && !r->overflow)
        st = potentiate_recorded(s, f, firing, n_firing, win,
                                 dst->next_inputs + first, n_win);
    if (st == BS_ERR_LIMIT)
        st = bs_store_potentiate(&fs->store[fs->cur], &fs->store[fs->cur ^ 1],
                                 &fs->geom, firing, n_firing, win, n_win,
                                 fs->mult, fs->cap, s->scratch);
    if (st == BS_ERR_CAPACITY)
        return bs_sim_store_full(s, f);
    if (st == BS_ERR_SATURATED)          /* the step fails: cur stays */
        return bs_sim_saturated(s, f);
    fs->cur ^= 1;
    return st;
}

static void cpu_destroy(bs_sim *s)
{
    cpu_state *cs = s->be_state;
    if (!cs)
        return;
    bs_pool_destroy(&cs->pool);
    free(cs->corr_tgt);
    free(cs->corr_d);
    free(cs->corr_tgt2);
    free(cs->corr_d2);
    free(cs->corr_off);
    free(cs->rec);
    free(cs->input);
    free(cs);
    for (int a = 0; a < s->exp->n_areas; a++)
        s->areas[a].input = NULL;
    s->be_state = NULL;
}

const bs_backend_ops bs_backend_cpu = {
    .name = "cpu",
    .init = cpu_init,
    .accumulate = cpu_accumulate,
    .local_topk = cpu_local_topk,
    .plasticity = cpu_plasticity,
    .destroy = cpu_destroy,
    .host_bytes = cpu_host_bytes,
};
