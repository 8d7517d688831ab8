/*
 * generator.cuh - the staged generator of procedural edges (doc/design.md section
 * 3) as device templates over a sink: gen_warp() walks (source,
 * connectivity block) pairs and emits exactly the positions
 * bs_block_edges() gives, with its shared-memory geometry (gen_geom) and
 * per-warp queues (warp_q).  Included by edges.cu, whose tile kernel and
 * edge finder instantiate it with their sinks; a header, not a .cu,
 * because both kernels inline it (no separate device compilation).
 *
 * The staged generator.  bs_block_edges() draws a count m from word 0 of
 * Philox draw 0 and then positions from words 1, 2, 3, 4, ... (4 per
 * draw), skipping repeats.  With T*p about 4 most pairs need one or two
 * draws, but a warp running one pair per lane would run every lane to the
 * warp's largest m (about 10) and its third draw.  So a warp runs
 *   stage 1: one pair per lane: draw 0, the count, words 1..3;
 *   stage 2: pairs still short (m > positions so far), compacted from a
 *            per-warp queue into full warps: draw 1, words 4..7;
 *   stage 3: the rare rest (m > 7, or repeats): bs_block_edges() itself,
 *            emitting the positions after those already emitted.
 * A word is a repeat iff it equals an earlier word of the same pair (the
 * accepted positions are exactly the distinct earlier words), so stages 1
 * and 2 need no position list.  Queues live in shared memory, one per
 * warp, drained 32 entries at a time; the counts are warp-uniform.
 */
#ifndef BS_GENERATOR_CUH
#define BS_GENERATOR_CUH

#include <cuda_runtime.h>

extern "C" {
#include "kernels.h"
}
#include "device.cuh"

#define WQ_CAP 64

/* A fiber's geometry in shared memory: the full struct (stage 3) and its
 * thresholds padded to 128 with UINT32_MAX (branchless search). */
struct gen_geom {
    bs_fiber_geom g;
    uint32_t th[128];
    uint8_t start[256];         /* the count m for u = t << 24 */
};

/* One warp's queues (stage 2: pair, m | n << 8, words 1..3; stage 3:
 * pair, positions emitted). */
struct warp_q {
    uint32_t q2_pair[WQ_CAP], q2_mn[WQ_CAP], q2_x0[WQ_CAP], q2_x1[WQ_CAP],
        q2_x2[WQ_CAP];
    uint32_t q3_pair[WQ_CAP], q3_n[WQ_CAP];
};

/* Copies geometry g into shared gs (all threads of the block take part;
 * the caller synchronizes after). */
__device__ static void load_geom(gen_geom *gs, const bs_fiber_geom *g)
{
    const uint32_t *from = (const uint32_t *)g;
    uint32_t *to = (uint32_t *)&gs->g;
    for (unsigned i = threadIdx.x; i < sizeof(bs_fiber_geom) / 4; i += blockDim.x)
        to[i] = from[i];
    for (unsigned i = threadIdx.x; i < 128; i += blockDim.x)
        gs->th[i] = i < g->n_thresh && i < BS_MAX_BLOCK_EDGES ? g->thresh[i]
                                                             : 0xFFFFFFFFu;
    const uint32_t nt = g->n_thresh < BS_MAX_BLOCK_EDGES ? g->n_thresh
                                                         : BS_MAX_BLOCK_EDGES;
    for (unsigned t = threadIdx.x; t < 256; t += blockDim.x) {
        const uint32_t u = t << 24;
        uint32_t m = 0;
        while (m < nt && u >= g->thresh[m])
            m++;
        gs->start[t] = (uint8_t)m;
    }
}

/* The count m of bs_block_edges: the least m with u < thresh[m], else
 * n_thresh (thresholds are non-decreasing: the backend checks at init;
 * n_thresh <= BS_MAX_BLOCK_EDGES, also checked). */
__device__ __forceinline__ uint32_t edge_count(const gen_geom *gs, uint32_t u)
{
    /* from the count at the bottom of u's 1/256 of the range, up: mostly
     * no step, rarely more than one */
    uint32_t m = gs->start[u >> 24];
    const uint32_t nt = gs->g.n_thresh;
    while (m < nt && u >= gs->th[m])
        m++;
    return m;
}

/* Stage 3 for the lanes with `have`: positions [n_done, m) of the pair. */
template <class Sink>
__device__ static void stage3(Sink &sk, const gen_geom *gs, bool have,
                              uint32_t q, uint32_t n_done)
{
    if (!have)
        return;
    typename Sink::ctx c;
    uint64_t src, blk;
    sk.decode(q, src, blk, c);
    uint32_t pos[BS_MAX_BLOCK_EDGES];
    uint32_t m = bs_block_edges(&gs->g, src, blk, pos);
    for (uint32_t t = n_done; t < m; t++)
        sk.emit(c, pos[t]);
}

/* Drains `take` (1..32) entries from the top of the stage-3 queue. */
template <class Sink>
__device__ static void drain3(Sink &sk, const gen_geom *gs, warp_q *wq,
                              int &n3, int take)
{
    const int lane = threadIdx.x & 31;
    const bool have = lane < take;
    const int e = n3 - take + lane;
    uint32_t q = have ? wq->q3_pair[e] : 0, nd = have ? wq->q3_n[e] : 0;
    __syncwarp();
    n3 -= take;
    stage3(sk, gs, have, q, nd);
}

/* Drains `take` entries from the top of the stage-2 queue: draw 1, words
 * 4..7; pairs still short go to the stage-3 queue. */
template <class Sink>
__device__ static void drain2(Sink &sk, const gen_geom *gs, warp_q *wq,
                              int &n2, int &n3, int take)
{
    const int lane = threadIdx.x & 31;
    const bool have = lane < take;
    const int e = n2 - take + lane;
    uint32_t q = 0, mn = 0, x0 = 0, x1 = 0, x2 = 0;
    if (have) {
        q = wq->q2_pair[e];
        mn = wq->q2_mn[e];
        x0 = wq->q2_x0[e];
        x1 = wq->q2_x1[e];
        x2 = wq->q2_x2[e];
    }
    __syncwarp();
    n2 -= take;
    uint32_t m = mn & 0xFFu, n = mn >> 8;
    if (have) {
        typename Sink::ctx c;
        uint64_t src, blk;
        sk.decode(q, src, blk, c);
        const uint32_t sh = 32u - gs->g.log2_block;
        bs_ctr4 r = bs_philox4x32(bs_block_ctr(src, blk, BS_DOMAIN_EDGES, 1),
                                  gs->g.key);
        uint32_t y0 = (uint32_t)((uint64_t)r.v[0] >> sh);
        uint32_t y1 = (uint32_t)((uint64_t)r.v[1] >> sh);
        uint32_t y2 = (uint32_t)((uint64_t)r.v[2] >> sh);
        uint32_t y3 = (uint32_t)((uint64_t)r.v[3] >> sh);
        bool d0 = y0 == x0 || y0 == x1 || y0 == x2;
        if (n < m && !d0) { sk.emit(c, y0); n++; }
        bool d1 = y1 == x0 || y1 == x1 || y1 == x2 || y1 == y0;
        if (n < m && !d1) { sk.emit(c, y1); n++; }
        bool d2 = y2 == x0 || y2 == x1 || y2 == x2 || y2 == y0 || y2 == y1;
        if (n < m && !d2) { sk.emit(c, y2); n++; }
        bool d3 = y3 == x0 || y3 == x1 || y3 == x2 || y3 == y0 || y3 == y1 ||
                  y3 == y2;
        if (n < m && !d3) { sk.emit(c, y3); n++; }
    }
    bool more = have && n < m;
    uint32_t ball = __ballot_sync(FULL, more);
    if (more) {
        int at = n3 + __popc(ball & lanes_below());
        wq->q3_pair[at] = q;
        wq->q3_n[at] = n;
    }
    n3 += __popc(ball);
    __syncwarp();
    if (n3 >= 32)
        drain3(sk, gs, wq, n3, 32);
}

/*
 * Emits every edge position of the pairs q in [0, n_pairs) that this warp
 * owns (q = warp_first + lane + i * q_stride) through sk.emit().  Sink:
 *   ctx; bool decode(q, &src, &block, &ctx): false for a pair to skip
 *   (only in stage 1); emit(ctx, position).
 * Warp-uniform control flow; gs must not change during the call.
 */
template <class Sink>
__device__ static void gen_warp(Sink &sk, const gen_geom *gs, warp_q *wq,
                                uint32_t warp_first, uint32_t n_pairs,
                                uint32_t q_stride)
{
    const int lane = threadIdx.x & 31;
    const uint32_t sh = 32u - gs->g.log2_block;
    int n2 = 0, n3 = 0;
    for (uint32_t base = warp_first; base < n_pairs; base += q_stride) {
        uint32_t q = base + lane;
        typename Sink::ctx c;
        uint64_t src = 0, blk = 0;
        bool ok = q < n_pairs && sk.decode(q, src, blk, c);
        uint32_t m = 0, n = 0, x0 = 0, x1 = 0, x2 = 0;
        if (ok) {
            bs_ctr4 r = bs_philox4x32(bs_block_ctr(src, blk, BS_DOMAIN_EDGES, 0),
                                      gs->g.key);
            m = edge_count(gs, r.v[0]);
            x0 = (uint32_t)((uint64_t)r.v[1] >> sh);
            x1 = (uint32_t)((uint64_t)r.v[2] >> sh);
            x2 = (uint32_t)((uint64_t)r.v[3] >> sh);
            if (n < m) { sk.emit(c, x0); n++; }
            if (n < m && x1 != x0) { sk.emit(c, x1); n++; }
            if (n < m && x2 != x0 && x2 != x1) { sk.emit(c, x2); n++; }
        }
        bool more = ok && n < m;
        uint32_t ball = __ballot_sync(FULL, more);
        if (more) {
            int at = n2 + __popc(ball & lanes_below());
            wq->q2_pair[at] = q;
            wq->q2_mn[at] = m | n << 8;
            wq->q2_x0[at] = x0;
            wq->q2_x1[at] = x1;
            wq->q2_x2[at] = x2;
        }
        n2 += __popc(ball);
        __syncwarp();
        if (n2 >= 32)
            drain2(sk, gs, wq, n2, n3, 32);
    }
    while (n2 > 0)
        drain2(sk, gs, wq, n2, n3, n2 < 32 ? n2 : 32);
    while (n3 > 0)
        drain3(sk, gs, wq, n3, n3 < 32 ? n3 : 32);
}

#endif /* BS_GENERATOR_CUH */
