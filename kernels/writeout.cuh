/*
 * writeout.cuh - the last part of phase 1 on the device, shared by the
 * tile kernel (edges.cu) and the sum kernel (sum.cu): an input value's
 * write to the slice, its bin of the fused histogram (kernels.h,
 * bs_k_hist_bin), the slice maximum and the candidate list.  A header of
 * device functions, inlined by both kernels.
 *
 *   acc_out o;
 *   acc_out_begin(a, o, h);              // every thread; zeroes h, syncs
 *   acc_out_item(a, o, h, valid, at, v); // warp-collective: all 32 lanes
 *   acc_out_finish<NT>(a, o, h);         // every thread of the CTA
 *
 * h is the CTA's shared histogram (BS_K_HIST_BINS u32).  With a list
 * guess, inputs below it count in bin 0 in one add per warp (the
 * histogram only needs them as a number); the others go to their bin,
 * aggregated over equal keys of a warp, and to the candidate list.
 */
#ifndef BS_WRITEOUT_CUH
#define BS_WRITEOUT_CUH

#include <cuda_runtime.h>

extern "C" {
#include "kernels.h"
}
#include "device.cuh"

struct acc_out {
    uint64_t theta;             /* the list guess, BS_K_NO_GUESS: none */
    bool part;                  /* theta != BS_K_NO_GUESS */
    unsigned long long vmax;
    uint32_t below;             /* this lane's inputs below the guess */
};

__device__ __forceinline__ void acc_out_begin(const bs_k_acc_args &a,
                                              acc_out &o, uint32_t *h)
{
    o.theta = *a.list.guess;
    o.part = o.theta != BS_K_NO_GUESS;
    o.vmax = 0;
    o.below = 0;
    for (unsigned b = threadIdx.x; b < BS_K_HIST_BINS; b += blockDim.x)
        h[b] = 0;
    __syncthreads();
}

/* Input v of slice index `at` when `valid`; every lane of the warp calls
 * it together. */
__device__ __forceinline__ void acc_out_item(const bs_k_acc_args &a,
                                             acc_out &o, uint32_t *h,
                                             bool valid, uint64_t at,
                                             uint64_t v)
{
    const int lane = threadIdx.x & 31;
    if (valid)
        a.input[at] = v;
    uint32_t key = valid ? bs_k_hist_key(v) : BS_K_HIST_BINS;
    if (valid)
        o.vmax = v > o.vmax ? v : o.vmax;
    bool app = valid && key >= o.theta;
    if (o.part)
        o.below += valid && !app;
    if (!o.part || __any_sync(FULL, app)) {
        uint32_t hk = o.part && !app ? BS_K_HIST_BINS : key;
        uint32_t peers = __match_any_sync(FULL, hk);
        if (hk < BS_K_HIST_BINS && lane == __ffs(peers) - 1)
            atomicAdd(&h[hk], (uint32_t)__popc(peers));
    }
    uint32_t ball = __ballot_sync(FULL, app);
    if (ball) {
        unsigned long long first = 0;
        int leader = __ffs(ball) - 1;
        if (lane == leader)
            first = atomicAdd((unsigned long long *)&a.sel->n_list,
                              (unsigned long long)__popc(ball));
        first = __shfl_sync(FULL, first, leader);
        uint64_t pos = first + __popc(ball & lanes_below());
        if (app && pos < a.list.lcap)
            a.list.idx[pos] = at;
    }
}

/* The CTA's maximum and histogram into sel->max and hist. */
template <int NT>
__device__ __forceinline__ void acc_out_finish(const bs_k_acc_args &a,
                                               acc_out &o, uint32_t *h)
{
    __shared__ unsigned long long warp_max[NT / 32];
    const int lane = threadIdx.x & 31;
    unsigned long long vmax = o.vmax;
    uint32_t below = o.below;
    for (int s = 16; s > 0; s >>= 1) {
        unsigned long long w = __shfl_xor_sync(FULL, vmax, s);
        vmax = w > vmax ? w : vmax;
        below += __shfl_xor_sync(FULL, below, s);
    }
    if (lane == 0 && below)
        atomicAdd(&h[0], below);
    if (lane == 0)
        warp_max[threadIdx.x >> 5] = vmax;
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < NT / 32; w++)
            vmax = warp_max[w] > vmax ? warp_max[w] : vmax;
        atomicMax((unsigned long long *)&a.sel->max, vmax);
    }
    for (unsigned b = threadIdx.x; b < BS_K_HIST_BINS; b += blockDim.x)
        if (h[b])
            atomicAdd((unsigned long long *)&a.hist[b], (unsigned long long)h[b]);
}

#endif /* BS_WRITEOUT_CUH */
