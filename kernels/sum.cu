/*
 * sum.cu - phase 1 without the tile kernel, for an area whose fibers all
 * have input caches that are current or nearly so (kernels.h,
 * bs_k_accumulate_sum): the settled steps of an assembly, a stimulus, a
 * fixed area.  There the tile kernel spends its time moving whole tiles
 * between the caches and shared memory at two CTAs per multiprocessor;
 * this path streams the caches at full occupancy instead:
 *   scatter  (DELTA fibers only) the edges of the few sources that joined
 *            or left the cached firing set, +1 / -1 (mod 2^32) into the
 *            cache with global atomics, through the staged generator of
 *            generator.cuh (the positions bs_block_edges() gives);
 *   sum      input[j] = 65536 * (sum over the fibers of cache[j]), u32
 *            sums as the tile kernel's, with the histogram, maximum and
 *            candidate list of writeout.cuh.
 * Integer adds only, so the inputs and the caches are those of
 * bs_k_accumulate bit for bit (tests/test_cuda.c runs both).
 */
#include <cuda_runtime.h>

extern "C" {
#include "kernels.h"
}
#include "device.cuh"
#include "generator.cuh"
#include "writeout.cuh"

#define SUM_THREADS 512
#define SUM_UNROLL 8
#define SUM_CTAS_PER_SM 2
#define SCATTER_THREADS 256
#define SCATTER_MIN_PAIRS_PER_CTA 2048u
#define SCATTER_CTAS_PER_SM 16

/* ---- scatter: a DELTA fiber's joined and left sources into its cache ---- */

/* Pairs (source r of gen, block bi of the slice), q = r * nb + bi. */
struct scatter_sink {
    const uint64_t *gen;
    uint64_t n_plus, blk_first, lo, hi, cache_lo;
    fast_div nb;
    uint32_t q0, b;
    uint32_t *cache;
    struct ctx { uint64_t base; uint32_t inc; };
    __device__ __forceinline__ bool decode(uint32_t q, uint64_t &src,
                                           uint64_t &blk, ctx &c) const
    {
        q += q0;
        const uint32_t r = fdiv(nb, q), bi = q - r * nb.d;
        src = __ldg(&gen[r]);
        blk = blk_first + bi;
        c.base = blk << b;
        c.inc = r < n_plus ? 1u : 0xFFFFFFFFu;
        return true;
    }
    __device__ __forceinline__ void emit(const ctx &c, uint32_t x) const
    {
        const uint64_t t = c.base + x;
        if (t >= lo && t < hi)
            atomicAdd(&cache[t - cache_lo], c.inc);
    }
};

__global__ void __launch_bounds__(SCATTER_THREADS) scatter_kernel(
    const bs_k_fiber *fb, uint64_t lo, uint64_t hi, uint32_t per,
    uint32_t n_pairs, fast_div nb)
{
    __shared__ gen_geom gs;
    __shared__ warp_q wqs[SCATTER_THREADS / 32];
    load_geom(&gs, &fb->geom);
    __syncthreads();
    scatter_sink sk;
    sk.gen = fb->gen;
    sk.n_plus = fb->n_plus;
    sk.b = gs.g.log2_block;
    sk.blk_first = lo >> sk.b;
    sk.lo = lo;
    sk.hi = hi;
    sk.cache_lo = bs_k_cache_lo(lo);
    sk.nb = nb;
    sk.q0 = blockIdx.x * per;
    sk.cache = fb->cache;
    const uint32_t n_here = n_pairs - sk.q0 < per ? n_pairs - sk.q0 : per;
    const uint32_t warp = threadIdx.x >> 5;
    gen_warp(sk, &gs, &wqs[warp], warp * 32, n_here, SCATTER_THREADS);
}

/* ---- sum: the caches into the inputs ---- */

__global__ void __launch_bounds__(SUM_THREADS, SUM_CTAS_PER_SM)
sum_kernel(bs_k_acc_args a)
{
    __shared__ uint32_t h[BS_K_HIST_BINS];
    acc_out o;
    acc_out_begin(a, o, h);
    const uint64_t n = a.hi - a.lo, off = a.lo - bs_k_cache_lo(a.lo);
    const uint64_t span = (uint64_t)SUM_THREADS * SUM_UNROLL;
    /* the loop bound is the CTA's, so that warps stay whole */
    for (uint64_t c0 = blockIdx.x * span; c0 < n; c0 += gridDim.x * span) {
        uint32_t c[SUM_UNROLL];
#pragma unroll
        for (int u = 0; u < SUM_UNROLL; u++)
            c[u] = 0;
        for (int f = 0; f < a.n_fibers; f++) {
            const uint32_t *cf = a.fibers[f].cache + off;
#pragma unroll
            for (int u = 0; u < SUM_UNROLL; u++) {
                const uint64_t j = c0 + u * SUM_THREADS + threadIdx.x;
                if (j < n)
                    c[u] += __ldcs(&cf[j]);
            }
        }
#pragma unroll
        for (int u = 0; u < SUM_UNROLL; u++) {
            const uint64_t j = c0 + u * SUM_THREADS + threadIdx.x;
            acc_out_item(a, o, h, j < n, j, (uint64_t)c[u] << 16);
        }
    }
    acc_out_finish<SUM_THREADS>(a, o, h);
}

/* The connectivity blocks of fiber f that meet the slice [lo, hi). */
static uint64_t slice_blocks(const bs_k_fiber *f, uint64_t lo, uint64_t hi)
{
    const uint32_t b = f->geom.log2_block;
    return ((hi - 1) >> b) - (lo >> b) + 1;
}

/* The pairs of a DELTA fiber's scatter over the slice [lo, hi). */
static uint64_t scatter_pairs(const bs_k_fiber *f, uint64_t lo, uint64_t hi)
{
    return (f->n_plus + f->n_minus) * slice_blocks(f, lo, hi);
}

extern "C" int bs_k_sum_fits(const bs_k_fiber *f, uint64_t lo, uint64_t hi)
{
    if (f->mode == BS_K_REUSE)
        return 1;
    return f->mode == BS_K_DELTA && hi > lo &&
           scatter_pairs(f, lo, hi) < (1ull << 31);
}

extern "C" int bs_k_accumulate_sum(const bs_k_acc_args *a,
                                   const bs_k_fiber *host, int n_sm,
                                   void *stream, const char **what)
{
    *what = "sum_kernel";
    if (a->hi <= a->lo)
        return 0;
    cudaStream_t st = (cudaStream_t)stream;
    const uint64_t sms = (uint64_t)(n_sm > 0 ? n_sm : 132);
    for (int d = 0; d < a->n_fibers; d++) {
        if (!bs_k_sum_fits(&host[d], a->lo, a->hi))
            return (int)cudaErrorInvalidValue;
        if (host[d].mode != BS_K_DELTA)
            continue;
        const uint64_t nb = slice_blocks(&host[d], a->lo, a->hi);
        const uint64_t n_pairs = scatter_pairs(&host[d], a->lo, a->hi);
        if (n_pairs == 0)
            continue;
        uint64_t per = (n_pairs + sms * SCATTER_CTAS_PER_SM - 1) /
                       (sms * SCATTER_CTAS_PER_SM);
        if (per < SCATTER_MIN_PAIRS_PER_CTA)
            per = SCATTER_MIN_PAIRS_PER_CTA;
        LAUNCH(scatter_kernel, (unsigned)((n_pairs + per - 1) / per),
               SCATTER_THREADS, 0, st, a->fibers + d, a->lo, a->hi,
               (uint32_t)per, (uint32_t)n_pairs, fast_div_init((uint32_t)nb));
    }
    const uint64_t n = a->hi - a->lo;
    const uint64_t span = (uint64_t)SUM_THREADS * SUM_UNROLL;
    uint64_t ctas = (n + span - 1) / span;
    if (ctas > sms * SUM_CTAS_PER_SM)
        ctas = sms * SUM_CTAS_PER_SM;
    LAUNCH(sum_kernel, (unsigned)ctas, SUM_THREADS, 0, st, *a);
    return 0;
}
