/*
 * topk.cu - phase 2 on the device: the k best (input desc, id asc) of a
 * rank's slice, the set bs_topk_local() selects, as unordered candidates.
 *
 * Passes, all enqueued without a host round trip:
 *   bin      (1 CTA) the threshold bin d of the histogram that accumulate
 *            fused into its write-out (bs_k_hist_key is monotone, so every
 *            input with key > d beats every input with key < d);
 *   select   (CUB DeviceSelect::If, one read of the slice) the ids with
 *            key >= d in id order, when they fit the scratch (the fast
 *            path); otherwise nothing, and the radix passes scan the slice;
 *   digits   radix select over 8-bit digits of the inputs in that view,
 *            from the top digit of the maximum: threshold t (the k-th
 *            largest) and `above` = how many are > t; each pass is one
 *            kernel whose last CTA picks the digit (no host decisions:
 *            passes above the top digit return at once);
 *   collect  every input > t to a candidate slot (any order), then the
 *            k - above lowest-id inputs == t: per-CTA counts over fixed
 *            contiguous chunks of the view, a scan, and an in-order block
 *            scan inside each chunk, so the choice depends on ids only.
 * With the fused histogram the common case reads the slice once (select)
 * plus the small view; the degenerate case (most inputs in one bin, such
 * as an area whose sources have not fired) reads it a few times.
 */
#include <cuda_runtime.h>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

extern "C" {
#include "kernels.h"
}

#define SEL_THREADS 512
#define BIN_THREADS 256
#define BINS_PER_THREAD (BS_K_HIST_BINS / BIN_THREADS)

/* The top radix shift: as bs_topk_local, the highest multiple of 8 below
 * which every bit of max lies (0 for max < 256). */
__device__ __forceinline__ int top_shift(uint64_t max)
{
    int top = 0;
    while (top < 56 && (max >> (top + 8)) != 0)
        top += 8;
    return top;
}

/* Item j of the view: its input and its index in the slice. */
__device__ __forceinline__ uint64_t view_item(const bs_k_topk_args &a,
                                              uint32_t fast, uint64_t j,
                                              uint64_t *idx)
{
    uint64_t i = fast ? a.sel_idx[j] : j;
    *idx = i;
    return a.input[i];
}

/* n_local <= k: every neuron is a candidate, then padding. */
__global__ void all_kernel(bs_k_topk_args a)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < a.k;
         i += (uint64_t)gridDim.x * blockDim.x)
        a.cand[i] = i < a.n_local ? bs_cand{a.input[i], a.lo + i}
                                  : bs_cand{0, UINT64_MAX};
}

/* The threshold bin: d with (count of keys > d) < k <= (count >= d). */
__global__ void __launch_bounds__(BIN_THREADS) bin_kernel(bs_k_topk_args a)
{
    typedef cub::BlockScan<unsigned long long, BIN_THREADS> scan_t;
    __shared__ typename scan_t::TempStorage tmp;
    const int t = threadIdx.x;
    const int rt = BIN_THREADS - 1 - t;   /* thread rt holds the top bins */
    unsigned long long h[BINS_PER_THREAD], sum = 0;
    for (int i = 0; i < BINS_PER_THREAD; i++) {
        h[i] = a.hist[rt * BINS_PER_THREAD + i];
        sum += h[i];
    }
    unsigned long long above;
    scan_t(tmp).ExclusiveSum(sum, above);
    bs_k_select *s = a.sel;
    if (above < a.k && above + sum >= a.k) {
        for (int i = BINS_PER_THREAD - 1; i >= 0; i--) {
            if (above + h[i] >= a.k) {
                s->bin = (uint64_t)(rt * BINS_PER_THREAD + i);
                s->bin_above = above;
                s->bin_count = h[i];
                s->fast = above + h[i] <= a.scap;
                s->n_view = s->fast ? above + h[i] : a.n_local;
                break;
            }
            above += h[i];
        }
    }
    if (t == 0) {
        s->need = a.k;
        s->above = 0;
        s->prefix = 0;
        s->mask = 0;
        s->out_fill = 0;
        s->done = 0;
    }
}

/* Fast-path predicate: key(input[i]) >= d, only when the view fits. */
struct select_pred {
    const uint64_t *input;
    const bs_k_select *sel;
    __device__ __forceinline__ bool operator()(uint64_t i) const
    {
        return sel->fast && bs_k_hist_key(__ldg(&input[i])) >= sel->bin;
    }
};

/* One radix pass at `shift`; the last CTA to finish picks the digit as
 * bs_topk_local does (from 255 down while the bin holds fewer than need). */
__global__ void __launch_bounds__(SEL_THREADS) digit_kernel(bs_k_topk_args a,
                                                           int shift)
{
    bs_k_select *s = a.sel;
    if (shift > top_shift(s->max))
        return;
    __shared__ unsigned int h[256];
    __shared__ unsigned long long hs[256];
    __shared__ int last;
    for (int i = threadIdx.x; i < 256; i += blockDim.x)
        h[i] = 0;
    __syncthreads();
    const uint64_t n = s->n_view, prefix = s->prefix, mask = s->mask;
    const uint32_t fast = s->fast;
    for (uint64_t j = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < n;
         j += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t idx, v = view_item(a, fast, j, &idx);
        if ((v & mask) == prefix)
            atomicAdd(&h[(v >> shift) & 0xFF], 1u);
    }
    __syncthreads();
    for (int i = threadIdx.x; i < 256; i += blockDim.x)
        if (h[i])
            atomicAdd((unsigned long long *)&s->dhist[i], (unsigned long long)h[i]);
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0)
        last = atomicAdd(&s->done, 1u) == gridDim.x - 1;
    __syncthreads();
    if (!last)
        return;
    __threadfence();
    for (int i = threadIdx.x; i < 256; i += blockDim.x) {
        hs[i] = __ldcg((const unsigned long long *)&s->dhist[i]);
        s->dhist[i] = 0;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        uint64_t need = s->need, above = s->above;
        int d = 255;
        for (; d > 0 && hs[d] < need; d--) {
            need -= hs[d];
            above += hs[d];
        }
        s->need = need;
        s->above = above;
        s->prefix = prefix | (uint64_t)d << shift;
        s->mask = mask | (uint64_t)0xFF << shift;
        s->done = 0;
    }
}

/* Chunk of CTA c over n items: [c * per, min(n, (c + 1) * per)). */
__device__ __forceinline__ void chunk_of(uint64_t n, uint64_t *c0, uint64_t *c1)
{
    uint64_t per = (n + gridDim.x - 1) / gridDim.x;
    *c0 = blockIdx.x * per < n ? blockIdx.x * per : n;
    *c1 = *c0 + per < n ? *c0 + per : n;
}

/* Inputs > t to slots [0, above); ties counted per chunk. */
__global__ void __launch_bounds__(SEL_THREADS) collect_above_kernel(bs_k_topk_args a)
{
    typedef cub::BlockReduce<unsigned long long, SEL_THREADS> red_t;
    __shared__ typename red_t::TempStorage tmp;
    bs_k_select *s = a.sel;
    const uint64_t t = s->prefix;
    const uint32_t fast = s->fast;
    uint64_t c0, c1;
    chunk_of(s->n_view, &c0, &c1);
    unsigned long long ties = 0;
    for (uint64_t j = c0 + threadIdx.x; j < c1; j += blockDim.x) {
        uint64_t idx, v = view_item(a, fast, j, &idx);
        if (v > t) {
            unsigned long long slot =
                atomicAdd((unsigned long long *)&s->out_fill, 1ull);
            if (slot < a.k)
                a.cand[slot] = bs_cand{v, a.lo + idx};
            else
                atomicOr(&s->error, 4u);
        } else if (v == t) {
            ties++;
        }
    }
    ties = red_t(tmp).Sum(ties);
    if (threadIdx.x == 0)
        s->ties[blockIdx.x] = ties;
}

/* The k - above lowest-id ties, in view (= id) order, to slots above... */
__global__ void __launch_bounds__(SEL_THREADS) collect_ties_kernel(bs_k_topk_args a)
{
    typedef cub::BlockScan<unsigned int, SEL_THREADS> scan_t;
    typedef cub::BlockReduce<unsigned long long, SEL_THREADS> red_t;
    __shared__ typename scan_t::TempStorage tmp;
    __shared__ typename red_t::TempStorage rtmp;
    bs_k_select *s = a.sel;
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        if (s->out_fill != s->above)
            atomicOr(&s->error, 1u);
        if (s->fast && s->n_sel != s->bin_above + s->bin_count)
            atomicOr(&s->error, 2u);
    }
    const uint64_t t = s->prefix, above = s->above;
    const uint64_t want = a.k - above;
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        unsigned long long all = 0;
        for (unsigned c = 0; c < gridDim.x; c++)
            all += s->ties[c];
        if (above > a.k || all < want)
            atomicOr(&s->error, 8u);
    }
    unsigned long long part = 0;
    for (unsigned c = threadIdx.x; c < blockIdx.x; c += blockDim.x)
        part += s->ties[c];
    const unsigned long long base = red_t(rtmp).Sum(part);
    __shared__ unsigned long long base_sh;
    if (threadIdx.x == 0)
        base_sh = base;
    __syncthreads();
    unsigned long long run = base_sh;
    if (run >= want || s->ties[blockIdx.x] == 0)
        return;
    const uint32_t fast = s->fast;
    uint64_t c0, c1;
    chunk_of(s->n_view, &c0, &c1);
    for (uint64_t j0 = c0; j0 < c1 && run < want; j0 += blockDim.x) {
        uint64_t j = j0 + threadIdx.x, idx = 0;
        unsigned int tie = 0;
        if (j < c1)
            tie = view_item(a, fast, j, &idx) == t;
        unsigned int rank, total;
        scan_t(tmp).ExclusiveSum(tie, rank, total);
        if (tie && run + rank < want)
            a.cand[above + run + rank] = bs_cand{t, a.lo + idx};
        run += total;
        __syncthreads();        /* tmp reused */
    }
}

#define LAUNCH(name, grid, block, ...)                                         \
    do {                                                                       \
        *what = #name;                                                         \
        name<<<(grid), (block), 0, st>>>(__VA_ARGS__);                         \
        cudaError_t e_ = cudaGetLastError();                                   \
        if (e_ != cudaSuccess)                                                 \
            return (int)e_;                                                    \
    } while (0)

extern "C" int bs_k_topk(const bs_k_topk_args *a, void *stream, const char **what)
{
    cudaStream_t st = (cudaStream_t)stream;
    const bs_k_topk_args A = *a;
    if (a->n_local <= a->k) {
        LAUNCH(all_kernel, (unsigned)((a->k + 255) / 256 < 1024 ? (a->k + 255) / 256 : 1024),
               256, A);
        return 0;
    }
    LAUNCH(bin_kernel, 1, BIN_THREADS, A);
    size_t temp = a->temp_bytes;
    *what = "cub::DeviceSelect::If";
    select_pred pred = {a->input, a->sel};
    cudaError_t e = cub::DeviceSelect::If(
        a->temp, temp, thrust::counting_iterator<uint64_t>(0), a->sel_idx,
        &a->sel->n_sel, (int64_t)a->n_local, pred, st);
    if (e != cudaSuccess)
        return (int)e;
    for (int shift = 56; shift >= 0; shift -= 8)
        LAUNCH(digit_kernel, BS_K_SELECT_CTAS, SEL_THREADS, A, shift);
    LAUNCH(collect_above_kernel, BS_K_SELECT_CTAS, SEL_THREADS, A);
    LAUNCH(collect_ties_kernel, BS_K_SELECT_CTAS, SEL_THREADS, A);
    return 0;
}

extern "C" uint64_t bs_k_topk_scap(uint64_t n_local, uint64_t k)
{
    uint64_t c = 16 * k > (1u << 20) ? 16 * k : (1u << 20);
    return c < n_local ? c : n_local;
}

extern "C" size_t bs_k_topk_temp_bytes(uint64_t n_local)
{
    size_t bound = (size_t)(n_local / 64) + (1u << 20), exact = 0;
    int dev;
    select_pred pred = {NULL, NULL};
    if (cudaGetDevice(&dev) == cudaSuccess &&
        cub::DeviceSelect::If(NULL, exact, thrust::counting_iterator<uint64_t>(0),
                              (uint64_t *)NULL, (uint64_t *)NULL,
                              (int64_t)n_local, pred) == cudaSuccess &&
        exact > bound)
        bound = exact;
    cudaGetLastError();
    return bound;
}
