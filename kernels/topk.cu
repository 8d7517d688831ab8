/*
 * topk.cu - phase 2 on the device: the k best (input desc, id asc) of a
 * rank's slice, the set bs_topk_local() selects, as unordered candidates.
 *
 * Passes, all enqueued without a host round trip:
 *   bin      (1 CTA) the threshold bin d of the histogram that accumulate
 *            fused into its write-out (bs_k_hist_key is monotone, so every
 *            input with key > d beats every input with key < d), and the
 *            view the radix passes scan: the candidate list accumulate
 *            appended (every key >= the previous step's d - 2) when it is
 *            still valid (d >= that guess, no overflow); else a list
 *            refilled by one pass over the slice (compact) when the keys
 *            >= d fit; else the whole slice;
 *   digits   radix select over 8-bit digits of the inputs in the view,
 *            from the top digit of the maximum: the threshold t (the k-th
 *            largest) and `above`, how many are > t; each pass is one
 *            kernel whose last CTA picks the digit (passes above the top
 *            digit return at once);
 *   above    every input > t to a candidate slot (any order); counts ties;
 *   ids      when there are more ties than slots left: radix select over
 *            the ids of the ties, ascending (ties go to the lowest ids);
 *   ties     the chosen ties to the remaining slots.
 * The common case reads only the list; the view never needs an order.
 */
#include <cuda_runtime.h>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

extern "C" {
#include "kernels.h"
}
#include "device.cuh"

#define SEL_THREADS 512
#define SEL_CTAS 264
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

__device__ __forceinline__ uint64_t view_size(const bs_k_topk_args &a,
                                              const bs_k_select *s)
{
    if (s->mode == BS_K_VIEW_FULL)
        return a.n_local;
    return s->n_list < a.list.lcap ? s->n_list : a.list.lcap;
}

/* Item j of the view: its input, and its index in the slice in *idx. */
__device__ __forceinline__ uint64_t view_item(const bs_k_topk_args &a,
                                              uint32_t mode, uint64_t j,
                                              uint64_t *idx)
{
    uint64_t i = mode == BS_K_VIEW_FULL ? j : a.list.idx[j];
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

/* The threshold bin d: (count of keys > d) < k <= (count of keys >= d);
 * the view; the next step's guess. */
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
                const uint64_t d = (uint64_t)(rt * BINS_PER_THREAD + i);
                const uint64_t guess = *a.list.guess;
                s->bin = d;
                s->bin_above = above;
                s->bin_count = h[i];
                if (guess != BS_K_NO_GUESS && d >= guess &&
                    s->n_list <= a.list.lcap) {
                    s->mode = BS_K_VIEW_LIST;
                } else if (above + h[i] <= a.list.lcap) {
                    s->mode = BS_K_VIEW_COMPACT;
                    s->n_list = 0;
                } else {
                    s->mode = BS_K_VIEW_FULL;
                }
                *a.list.guess = d >= 3 ? d - 2 : BS_K_NO_GUESS;
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
        s->done = 0;
    }
}

/* Compact mode: the list of every index with key >= d, one pass. */
__global__ void __launch_bounds__(SEL_THREADS) compact_kernel(bs_k_topk_args a)
{
    bs_k_select *s = a.sel;
    if (s->mode != BS_K_VIEW_COMPACT)
        return;
    const uint64_t d = s->bin;
    const int lane = threadIdx.x & 31;
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t j0 = (uint64_t)blockIdx.x * blockDim.x; j0 < a.n_local;
         j0 += stride) {
        uint64_t j = j0 + threadIdx.x;
        bool app = j < a.n_local && bs_k_hist_key(__ldg(&a.input[j])) >= d;
        uint32_t ball = __ballot_sync(FULL, app);
        if (!ball)
            continue;
        unsigned long long first = 0;
        int leader = __ffs(ball) - 1;
        if (lane == leader)
            first = atomicAdd((unsigned long long *)&s->n_list,
                              (unsigned long long)__popc(ball));
        first = __shfl_sync(FULL, first, leader);
        uint64_t pos = first + __popc(ball & lanes_below());
        if (app && pos < a.list.lcap)
            a.list.idx[pos] = j;
    }
}

/* Last CTA of a pass: 1 for the block that finished last (after a fence,
 * so it sees every CTA's histogram). */
__device__ static bool last_cta(bs_k_select *s)
{
    __shared__ int last;
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0)
        last = atomicAdd(&s->done, 1u) == gridDim.x - 1;
    __syncthreads();
    if (last)
        __threadfence();
    return last;
}

/* Adds the block's histogram h to s->dhist; in the last CTA copies the
 * total to hs and clears s->dhist.  Returns whether this is the last CTA. */
__device__ static bool merge_hist(bs_k_select *s, const unsigned int *h,
                                  unsigned long long *hs)
{
    __syncthreads();
    for (int i = threadIdx.x; i < 256; i += blockDim.x)
        if (h[i])
            atomicAdd((unsigned long long *)&s->dhist[i], (unsigned long long)h[i]);
    if (!last_cta(s))
        return false;
    for (int i = threadIdx.x; i < 256; i += blockDim.x) {
        hs[i] = __ldcg((const unsigned long long *)&s->dhist[i]);
        s->dhist[i] = 0;
    }
    __syncthreads();
    return true;
}

/* One radix pass over the inputs at `shift`; the last CTA picks the digit
 * as bs_topk_local does (from 255 down while the bin holds fewer than
 * need). */
__global__ void __launch_bounds__(SEL_THREADS) digit_kernel(bs_k_topk_args a,
                                                           int shift)
{
    bs_k_select *s = a.sel;
    if (shift > top_shift(s->max))
        return;
    __shared__ unsigned int h[256];
    __shared__ unsigned long long hs[256];
    for (int i = threadIdx.x; i < 256; i += blockDim.x)
        h[i] = 0;
    __syncthreads();
    const uint64_t n = view_size(a, s), prefix = s->prefix, mask = s->mask;
    const uint32_t mode = s->mode;
    for (uint64_t j = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < n;
         j += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t idx, v = view_item(a, mode, j, &idx);
        if ((v & mask) == prefix)
            atomicAdd(&h[(v >> shift) & 0xFF], 1u);
    }
    if (!merge_hist(s, h, hs) || threadIdx.x != 0)
        return;
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
    s->want = a.k - above;
    s->done = 0;
}

/* Inputs > t to slots [0, above) in any order; counts the ties. */
__global__ void __launch_bounds__(SEL_THREADS) collect_above_kernel(bs_k_topk_args a)
{
    typedef cub::BlockReduce<unsigned long long, SEL_THREADS> red_t;
    __shared__ typename red_t::TempStorage tmp;
    bs_k_select *s = a.sel;
    const uint64_t t = s->prefix, n = view_size(a, s);
    const uint32_t mode = s->mode;
    unsigned long long ties = 0;
    for (uint64_t j = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < n;
         j += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t idx, v = view_item(a, mode, j, &idx);
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
    if (threadIdx.x == 0 && ties)
        atomicAdd((unsigned long long *)&s->n_ties, ties);
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        s->iprefix = 0;
        s->imask = 0;
        s->ineed = s->want;
    }
}

/* One radix pass over the ids of the ties at `shift` (skipped when every
 * tie is taken); the last CTA picks the digit from 0 up. */
__global__ void __launch_bounds__(SEL_THREADS) id_digit_kernel(bs_k_topk_args a,
                                                              int shift)
{
    bs_k_select *s = a.sel;
    if (s->n_ties <= s->want)
        return;
    __shared__ unsigned int h[256];
    __shared__ unsigned long long hs[256];
    for (int i = threadIdx.x; i < 256; i += blockDim.x)
        h[i] = 0;
    __syncthreads();
    const uint64_t n = view_size(a, s), t = s->prefix;
    const uint64_t iprefix = s->iprefix, imask = s->imask;
    const uint32_t mode = s->mode;
    for (uint64_t j = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < n;
         j += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t idx, v = view_item(a, mode, j, &idx);
        if (v == t && (idx & imask) == iprefix)
            atomicAdd(&h[(idx >> shift) & 0xFF], 1u);
    }
    if (!merge_hist(s, h, hs) || threadIdx.x != 0)
        return;
    uint64_t need = s->ineed;
    int d = 0;
    for (; d < 255 && hs[d] < need; d++)
        need -= hs[d];
    s->ineed = need;
    s->iprefix = iprefix | (uint64_t)d << shift;
    s->imask = imask | (uint64_t)0xFF << shift;
    s->done = 0;
}

/* The chosen ties (all, or ids <= the selected id) to slots above...k. */
__global__ void __launch_bounds__(SEL_THREADS) collect_ties_kernel(bs_k_topk_args a)
{
    bs_k_select *s = a.sel;
    const uint64_t t = s->prefix, n = view_size(a, s), above = s->above;
    const bool all = s->n_ties <= s->want;
    const uint64_t u = s->iprefix;
    const uint32_t mode = s->mode;
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        if (s->out_fill != above)
            atomicOr(&s->error, 1u);
        if (s->n_ties < s->want)
            atomicOr(&s->error, 8u);
    }
    for (uint64_t j = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; j < n;
         j += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t idx, v = view_item(a, mode, j, &idx);
        if (v == t && (all || idx <= u)) {
            unsigned long long slot =
                atomicAdd((unsigned long long *)&s->tie_fill, 1ull);
            if (above + slot < a.k)
                a.cand[above + slot] = bs_cand{v, a.lo + idx};
            else
                atomicOr(&s->error, 2u);
        }
    }
}

extern "C" int bs_k_topk(const bs_k_topk_args *a, void *stream, const char **what)
{
    cudaStream_t st = (cudaStream_t)stream;
    const bs_k_topk_args A = *a;
    if (a->n_local <= a->k) {
        uint64_t g = (a->k + 255) / 256;
        LAUNCH(all_kernel, (unsigned)(g < 1024 ? g : 1024), 256, 0, st, A);
        return 0;
    }
    LAUNCH(bin_kernel, 1, BIN_THREADS, 0, st, A);
    LAUNCH(compact_kernel, SEL_CTAS * 2, SEL_THREADS, 0, st, A);
    for (int shift = 56; shift >= 0; shift -= 8)
        LAUNCH(digit_kernel, SEL_CTAS, SEL_THREADS, 0, st, A, shift);
    LAUNCH(collect_above_kernel, SEL_CTAS, SEL_THREADS, 0, st, A);
    int top = 0;                /* id digits: the top one of n_local - 1 */
    while (top < 56 && ((a->n_local - 1) >> (top + 8)) != 0)
        top += 8;
    for (int shift = top; shift >= 0; shift -= 8)
        LAUNCH(id_digit_kernel, SEL_CTAS, SEL_THREADS, 0, st, A, shift);
    LAUNCH(collect_ties_kernel, SEL_CTAS, SEL_THREADS, 0, st, A);
    return 0;
}

extern "C" uint64_t bs_k_topk_lcap(uint64_t n_local, uint64_t k)
{
    uint64_t c = 16 * k > (1u << 20) ? 16 * k : (1u << 20);
    return c < n_local ? c : n_local;
}
