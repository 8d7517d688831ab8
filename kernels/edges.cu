/*
 * edges.cu - the kernels that regenerate procedural edges (doc/design.md section
 * 3) and their launchers: the tile kernel of phase 1 (a slice's inputs
 * from the firing sources' edge counts, through the input caches, with
 * the fused histogram, maximum and candidate list) and the edge finder of
 * phase 4 (the edges (firing source, local new winner) as keys), with
 * bs_k_groups, the runs of winners the finder reads.  Both walk (source,
 * connectivity block) pairs with the one staged generator of
 * generator.cuh, so both see exactly the positions bs_block_edges()
 * gives.
 *
 * Measured on an H100 (n = 1e8, k = 1e4, p = 1e-3, two fibers: 2e9 edges
 * per step): 9.0 ms, 2.2e11 edges/s, issue-bound at about 430 thread
 * instructions per (source, block) pair.  Tried and measured slower: a
 * third queued stage (draw 2), a threshold table instead of the binary
 * search, Philox keys as kernel parameters, a separate instantiation for
 * 32-bit tile offsets, 256-thread CTAs (9.3-12.7 ms: registers spill or
 * occupancy drops, and the larger code costs more than the instructions
 * saved).
 *
 * On an H200 (2026-12-02; generation at step 0, n = 1e8 / 1e9 / 4e9):
 * 32-bit tile offsets in the sink (acc_sink) took it from 2.16 / 1.95 /
 * 1.91 to 2.23 / 2.02 / 1.99 e11 edges/s.  Measured and not kept: the
 * 512-thread kernel at one CTA per multiprocessor (128 registers, no
 * spills: 1.72 / 1.53), 768 threads (80 registers: 1.95 / 1.77), 640
 * threads (1.83 / 1.68) -- occupancy matters more than the spills of the
 * 64-register cap; a stage 3 that deduplicates draw 2 in registers before
 * falling back to bs_block_edges (2.29 / 2.01 / 1.97: no gain at the
 * large sizes, and the edge finder, at 64 registers then, slowed 5%).
 */
#include <cuda_runtime.h>

extern "C" {
#include "kernels.h"
}
#include "device.cuh"
#include "generator.cuh"
#include "writeout.cuh"

/* Two instantiations of the tile kernel, alike but for their size:
 *   512 threads, 2 CTAs per multiprocessor, tiles up to 2^14 targets
 *     (64 KiB of u32 counts);
 *   1024 threads, 1 CTA per multiprocessor, tiles of 2^15 (128 KiB), for
 *     fibers whose connectivity blocks are 2^15 targets (p below about
 *     1.83e-4): a tile then holds a whole block, where a 2^14 tile would
 *     generate every (source, block) pair twice and keep half of each.
 * Both run 32 warps per multiprocessor at the same 64-register cap. */
#define ACC_THREADS 512
#define ACC_THREADS_BIG 1024
#define ACC_LOG2_TILE_SMALL 14  /* largest tile of the 512-thread kernel */
#define ACC_LOG2_TILE_BIG BS_K_TILE_MAX_LOG2

/* ---- phase 1: the tile kernel ---- */

/* Pairs (firing source s, block bi of the tile), q = s << lnb | bi; emits
 * shared-memory counts of the targets in [idx_lo, idx_lo + idx_span) of
 * the tile.
 *
 * Offsets in the tile are computed mod 2^32 (fewer registers than 64-bit
 * ones, which spilled): a pair's positions, as offsets from the tile
 * base, all lie in one interval of length 2^b <= 2^32 (b <= 32: p >=
 * BS_P_MIN) that, when b <= 31, lies within 2^31 of the tile, and when b
 * is 32 contains the whole tile (tiles never straddle a block).  Two
 * offsets of such an interval, or one of it and one of the tile, differ
 * by less than 2^32, so an offset is in the tile's range iff its value
 * mod 2^32 is: the 32-bit test is exact. */
struct acc_sink {
    const uint64_t *firing;
    uint32_t lnb, nb, b;
    uint64_t blk_first;
    uint32_t off0;              /* (blk_first << b) - tile base, mod 2^32 */
    uint32_t idx_lo, idx_span;
    uint32_t *cnt;
    uint32_t inc;               /* 1, or 2^32 - 1 for sources that left */
    struct ctx { uint32_t off; };
    __device__ __forceinline__ bool decode(uint32_t q, uint64_t &src,
                                           uint64_t &blk, ctx &c) const
    {
        uint32_t bi = q & ((1u << lnb) - 1u);
        if (bi >= nb)
            return false;
        src = __ldg(&firing[q >> lnb]);
        blk = blk_first + bi;
        c.off = off0 + (uint32_t)((uint64_t)bi << b);
        return true;
    }
    __device__ __forceinline__ void emit(const ctx &c, uint32_t x) const
    {
        const uint32_t i = c.off + x;
        if (i - idx_lo < idx_span)
            atomicAdd(&cnt[i], inc);
    }
};

/* Writes the tile's counts as inputs, their histogram, maximum and the
 * candidate list (writeout.cuh). */
template <int NT>
__device__ static void acc_write_out(const bs_k_acc_args &a, uint32_t tile,
                                     uint64_t base, uint32_t idx_lo,
                                     uint32_t idx_hi, const uint32_t *cnt,
                                     uint32_t *h)
{
    acc_out o;
    acc_out_begin(a, o, h);
    for (uint32_t i = threadIdx.x; i < tile; i += blockDim.x) {
        bool valid = i >= idx_lo && i < idx_hi;
        acc_out_item(a, o, h, valid, base + i - a.lo, (uint64_t)cnt[i] << 16);
    }
    acc_out_finish<NT>(a, o, h);
}

/* Generates fiber fb's sources into the tile counts cnt: gen[0..n_plus)
 * adding 1 per edge, then gen[n_plus..n_plus + n_minus) adding -1 (mod
 * 2^32).  One call site of gen_warp (the kernel's code size matters: a
 * copy per sign or per caller misses the instruction cache). */
template <int NT>
__device__ static void acc_fiber(const bs_k_fiber *fb, gen_geom *gs,
                                 warp_q *wqs, uint32_t *cnt, uint64_t base,
                                 uint32_t idx_lo, uint32_t idx_hi)
{
    load_geom(gs, &fb->geom);
    __syncthreads();
    const uint32_t b = gs->g.log2_block;
    acc_sink sk;
    sk.blk_first = (base + idx_lo) >> b;
    uint64_t nb = ((base + idx_hi - 1) >> b) - sk.blk_first + 1;
    sk.nb = (uint32_t)nb;
    sk.lnb = 0;
    while ((1ull << sk.lnb) < nb)
        sk.lnb++;
    sk.b = b;
    sk.off0 = (uint32_t)((sk.blk_first << b) - base);
    sk.idx_lo = idx_lo;
    sk.idx_span = idx_hi - idx_lo;
    sk.cnt = cnt;
    warp_q *wq = &wqs[threadIdx.x >> 5];
    /* sources in chunks whose pair ids fit in 32 bits */
    const uint64_t chunk = 1ull << (31 - sk.lnb);
    const uint64_t n_all = fb->n_plus + fb->n_minus;
    for (uint64_t s0 = 0; s0 < n_all;) {
        const bool plus = s0 < fb->n_plus;
        const uint64_t part_end = plus ? fb->n_plus : n_all;
        const uint64_t ns = part_end - s0 < chunk ? part_end - s0 : chunk;
        sk.inc = plus ? 1u : 0xFFFFFFFFu;
        sk.firing = fb->gen + s0;
        gen_warp(sk, gs, wq, (threadIdx.x >> 5) * 32, (uint32_t)(ns << sk.lnb),
                 NT);
        s0 += ns;
    }
}

/* Whole-tile moves between the shared counts and a cache segment (n4
 * uint4, 16-byte aligned), four loads in flight per thread. */
enum { TILE_COPY = 0, TILE_ADD = 1 };
template <int NT, int op>
__device__ static void tile_in(uint4 *cnt, const uint4 *g, uint32_t n4)
{
    for (uint32_t j = threadIdx.x; j < n4; j += 4 * NT) {
        uint4 v[4];
#pragma unroll
        for (int u = 0; u < 4; u++)
            if (j + u * NT < n4)
                v[u] = __ldcg(&g[j + u * NT]);
#pragma unroll
        for (int u = 0; u < 4; u++) {
            const uint32_t i = j + u * NT;
            if (i >= n4)
                break;
            if (op == TILE_ADD) {
                uint4 c = cnt[i];
                v[u].x += c.x;
                v[u].y += c.y;
                v[u].z += c.z;
                v[u].w += c.w;
            }
            cnt[i] = v[u];
        }
    }
}

template <int NT>
__device__ static void tile_out(uint4 *g, const uint4 *cnt, uint32_t n4)
{
    for (uint32_t j = threadIdx.x; j < n4; j += NT)
        __stcg(&g[j], cnt[j]);
}

/* One CTA per tile [base, base + 2^log2_tile) of global ids, clipped to
 * [lo, hi).  Dynamic shared memory: counts (tile u32), warp queues (the
 * histogram reuses them), geometry.
 *
 * With input caches the tile's counts hold one cached fiber at a time: for
 * each FULL or DELTA fiber, the counts start at 0 or at its cache, get its
 * edges and are stored back (the whole tile: targets outside [lo, hi) get
 * no edges and keep what they had); GEN fibers (no cache) then add theirs
 * on top of the last one's; at the end every other cached fiber's counts
 * (REUSE ones included) are added from its cache, which this CTA wrote
 * just before for the updated ones (visible to it after __syncthreads). */
template <int NT>
__global__ void __launch_bounds__(NT, 1024 / NT) acc_tile_kernel(bs_k_acc_args a)
{
    extern __shared__ uint4 smem[];
    const uint32_t tile = 1u << a.log2_tile, n4 = tile / 4;
    uint32_t *cnt = (uint32_t *)smem;
    warp_q *wqs = (warp_q *)(cnt + tile);
    gen_geom *gs = (gen_geom *)(wqs + NT / 32);
    const uint64_t base = ((a.lo >> a.log2_tile) + blockIdx.x) << a.log2_tile;
    const uint32_t idx_lo = (uint32_t)((a.lo > base ? a.lo : base) - base);
    const uint64_t end = base + tile < a.hi ? base + tile : a.hi;
    const uint32_t idx_hi = (uint32_t)(end - base);
    const uint64_t c0 = base - bs_k_cache_lo(a.lo);   /* cache index of cnt[0] */
    for (uint32_t i = threadIdx.x; i < n4; i += blockDim.x)
        smem[i] = make_uint4(0, 0, 0, 0);
    int held = -1;              /* the cached fiber whose counts cnt holds */
    /* pass 0: FULL and DELTA fibers; pass 1: GEN fibers (one loop, so
     * that acc_fiber is inlined once) */
    for (int i = 0; i < 2 * a.n_fibers; i++) {
        const int f = i % a.n_fibers;
        const bs_k_fiber *fb = &a.fibers[f];
        const uint32_t mode = fb->mode;
        const bool cached = mode == BS_K_FULL || mode == BS_K_DELTA;
        if (i < a.n_fibers ? !cached : mode != BS_K_GEN)
            continue;
        __syncthreads();        /* gs free; the last fiber's counts stored */
        if (mode == BS_K_DELTA)
            tile_in<NT, TILE_COPY>(smem, (const uint4 *)(fb->cache + c0), n4);
        else if (cached && held >= 0)
            for (uint32_t j = threadIdx.x; j < n4; j += blockDim.x)
                smem[j] = make_uint4(0, 0, 0, 0);
        if (cached)
            held = f;
        acc_fiber<NT>(fb, gs, wqs, cnt, base, idx_lo, idx_hi);
        if (cached) {
            __syncthreads();
            tile_out<NT>((uint4 *)(fb->cache + c0), smem, n4);
        }
    }
    for (int f = 0; f < a.n_fibers; f++) {
        const bs_k_fiber *fb = &a.fibers[f];
        if (fb->mode == BS_K_GEN || f == held)
            continue;
        __syncthreads();
        tile_in<NT, TILE_ADD>(smem, (const uint4 *)(fb->cache + c0), n4);
    }
    __syncthreads();
    acc_write_out<NT>(a, tile, base, idx_lo, idx_hi, cnt, (uint32_t *)wqs);
}

/* The tile kernel's threads for tiles of 2^log2_tile targets. */
static int acc_threads(uint32_t log2_tile)
{
    return log2_tile > ACC_LOG2_TILE_SMALL ? ACC_THREADS_BIG : ACC_THREADS;
}

static size_t acc_smem_bytes(uint32_t log2_tile)
{
    return ((size_t)4 << log2_tile) +
           (size_t)(acc_threads(log2_tile) / 32) * sizeof(warp_q) +
           sizeof(gen_geom);
}

extern "C" uint32_t bs_k_acc_tile(uint64_t lo, uint64_t hi, int n_sm,
                                  uint32_t log2_block_max)
{
    const uint64_t want = 4 * (uint64_t)(n_sm > 0 ? n_sm : 1);
    if (log2_block_max >= ACC_LOG2_TILE_BIG &&
        ((hi - 1) >> ACC_LOG2_TILE_BIG) - (lo >> ACC_LOG2_TILE_BIG) + 1 >= want)
        return ACC_LOG2_TILE_BIG;
    uint32_t l = ACC_LOG2_TILE_SMALL;
    while (l > 10 && ((hi - 1) >> l) - (lo >> l) + 1 < want)
        l--;
    return l;
}

extern "C" int bs_k_acc_setup(void)
{
    cudaError_t e = cudaFuncSetAttribute(
        acc_tile_kernel<ACC_THREADS>, cudaFuncAttributeMaxDynamicSharedMemorySize,
        (int)acc_smem_bytes(ACC_LOG2_TILE_SMALL));
    if (e != cudaSuccess)
        return (int)e;
    return (int)cudaFuncSetAttribute(
        acc_tile_kernel<ACC_THREADS_BIG>,
        cudaFuncAttributeMaxDynamicSharedMemorySize,
        (int)acc_smem_bytes(ACC_LOG2_TILE_BIG));
}

extern "C" int bs_k_accumulate(const bs_k_acc_args *a, void *stream,
                               const char **what)
{
    *what = "acc_tile_kernel";
    if (a->hi <= a->lo)
        return 0;
    if (a->log2_tile < 10 || a->log2_tile > ACC_LOG2_TILE_BIG)
        return (int)cudaErrorInvalidValue;
    uint64_t n_tiles = ((a->hi - 1) >> a->log2_tile) - (a->lo >> a->log2_tile) + 1;
    if (a->log2_tile > ACC_LOG2_TILE_SMALL)
        LAUNCH(acc_tile_kernel<ACC_THREADS_BIG>, (unsigned)n_tiles,
               ACC_THREADS_BIG, acc_smem_bytes(a->log2_tile),
               (cudaStream_t)stream, *a);
    else
        LAUNCH(acc_tile_kernel<ACC_THREADS>, (unsigned)n_tiles, ACC_THREADS,
               acc_smem_bytes(a->log2_tile), (cudaStream_t)stream, *a);
    return 0;
}

/* ---- phase 4, step 1: the edge finder ---- */

/* Pairs (firing index fi, winner group g), q = (fi - fi0) * n_groups + g:
 * emits the keys of edges into the group's winners. */
struct find_sink {
    const uint64_t *firing, *win;
    const uint32_t *fsel;       /* NULL: source r is firing[r] */
    const bs_k_group *groups;
    fast_div ng;
    uint32_t fi0, g0, b;        /* the CTA's first pair: (fi0, g0) */
    uint64_t *keys, *fcount;
    uint64_t cap;
    bs_k_plastic_state *st;
    struct ctx { uint32_t fi, w0, nw, off0, off1, off2; };
    __device__ __forceinline__ bool decode(uint32_t q, uint64_t &src,
                                           uint64_t &blk, ctx &c) const
    {
        q += g0;
        uint32_t r = fdiv(ng, q), g = q - r * ng.d;
        c.fi = fsel ? __ldg(&fsel[fi0 + r]) : fi0 + r;
        const ulonglong2 *gp = (const ulonglong2 *)&groups[g];
        ulonglong2 gr = __ldg(gp);
        blk = gr.x & ((1ull << 40) - 1);
        c.nw = (uint32_t)(gr.x >> 40);
        c.w0 = (uint32_t)gr.y;
        c.off0 = (uint32_t)(gr.y >> 32);
        c.off1 = c.off2 = 0;
        if (c.nw > 1) {
            ulonglong2 gz = __ldg(gp + 1);
            c.off1 = (uint32_t)gz.x;
            c.off2 = (uint32_t)(gz.x >> 32);
        }
        src = __ldg(&firing[c.fi]);
        return true;
    }
    __device__ __forceinline__ void emit(const ctx &c, uint32_t x) const
    {
        uint32_t hit = UINT32_MAX;
        if (c.nw <= BS_K_GROUP_INLINE) {
            hit = x == c.off0 ? c.w0
                : c.nw > 1 && x == c.off1 ? c.w0 + 1
                : c.nw > 2 && x == c.off2 ? c.w0 + 2 : UINT32_MAX;
        } else {                /* lower bound of the offset x */
            const uint64_t mask = (1ull << b) - 1;
            uint32_t lo = c.w0, hi = c.w0 + c.nw;
            while (lo < hi) {
                uint32_t mid = (lo + hi) >> 1;
                if ((__ldg(&win[mid]) & mask) < x)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < c.w0 + c.nw && (__ldg(&win[lo]) & mask) == x)
                hit = lo;
        }
        if (hit != UINT32_MAX) {
            unsigned long long slot =
                atomicAdd((unsigned long long *)&st->n_u, 1ull);
            if (slot < cap) {
                keys[slot] = (uint64_t)c.fi << 32 | hit;
                atomicAdd((unsigned long long *)&fcount[c.fi], 1ull);
            }
        }
    }
};

#define FIND_THREADS 256
#define FIND_MIN_PAIRS_PER_CTA 4096u
#define FIND_CTAS_PER_SM 32     /* 4 waves of 8 resident CTAs */

/* One CTA per `per` consecutive pairs, source-major: pair p is (source
 * p / n_groups, group p % n_groups), so that few sources with many groups
 * still fill the device. */
__global__ void __launch_bounds__(FIND_THREADS) find_edges_kernel(
    const bs_k_find_args a, uint32_t per, uint64_t n_pairs, fast_div ng)
{
    __shared__ gen_geom gs;
    __shared__ warp_q wqs[FIND_THREADS / 32];
    load_geom(&gs, &a.geom);
    __syncthreads();
    find_sink sk;
    sk.firing = a.firing;
    sk.fsel = a.fsel;
    sk.win = a.win;
    sk.groups = a.groups;
    sk.ng = ng;
    const uint64_t p0 = (uint64_t)blockIdx.x * per;
    sk.fi0 = (uint32_t)(p0 / a.n_groups);
    sk.g0 = (uint32_t)(p0 % a.n_groups);
    sk.b = a.geom.log2_block;
    sk.keys = a.keys;
    sk.fcount = a.fcount;
    sk.cap = a.cap;
    sk.st = a.st;
    const uint64_t n_here = n_pairs - p0 < per ? n_pairs - p0 : per;
    const uint32_t warp = threadIdx.x >> 5;
    gen_warp(sk, &gs, &wqs[warp], warp * 32, (uint32_t)n_here, FIND_THREADS);
}

extern "C" int bs_k_find_edges(const bs_k_find_args *a, void *stream,
                               const char **what)
{
    *what = "find_edges_kernel";
    const uint64_t n_src = a->fsel ? a->n_sel : a->n_firing;
    if (n_src == 0 || a->n_groups == 0)
        return 0;
    const uint64_t n_pairs = n_src * a->n_groups;
    const uint64_t ctas = (uint64_t)(a->n_sm > 0 ? a->n_sm : 132) * FIND_CTAS_PER_SM;
    uint64_t per = (n_pairs + ctas - 1) / ctas;
    if (per < FIND_MIN_PAIRS_PER_CTA)
        per = FIND_MIN_PAIRS_PER_CTA;
    /* a CTA's pair ids, offset by its first group, fit in 32 bits */
    const uint64_t per_max = (1ull << 31) - a->n_groups;
    if (per > per_max)
        per = per_max;
    const uint64_t n_ctas = (n_pairs + per - 1) / per;
    LAUNCH(find_edges_kernel, (unsigned)n_ctas, FIND_THREADS, 0,
           (cudaStream_t)stream, *a, (uint32_t)per, n_pairs,
           fast_div_init((uint32_t)a->n_groups));
    return 0;
}

/* ---- phase 4, on the host: the winner groups the finder reads ---- */

extern "C" uint64_t bs_k_groups(const uint64_t *win, uint64_t n_win,
                                uint32_t log2_block, bs_k_group *out)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < n_win;) {
        uint64_t j = i + 1, blk = win[i] >> log2_block;
        while (j < n_win && (win[j] >> log2_block) == blk)
            j++;
        const uint64_t base = blk << log2_block;
        out[n].x = blk | (j - i) << 40;
        out[n].y = i | (win[i] - base) << 32;
        out[n].z = (j - i > 1 ? win[i + 1] - base : 0) |
                   (j - i > 2 ? win[i + 2] - base : 0) << 32;
        out[n].pad = 0;
        n++;
        i = j;
    }
    return n;
}
