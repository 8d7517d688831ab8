/*
 * device.cuh - what every kernel file of kernels/ shares on the CUDA side:
 * the one launch macro of the extern "C" launchers, the full-warp mask,
 * the lanes below a thread and the division by multiply-high that pair
 * decoders use.
 * C++ (CUDA syntax); host C never includes it.
 */
#ifndef BS_DEVICE_CUH
#define BS_DEVICE_CUH

#include <cuda_runtime.h>

/* Every lane of a warp, for the *_sync intrinsics. */
#define FULL 0xFFFFFFFFu

/* The mask of the lanes below this thread's in its warp (its slot among
 * a ballot's set bits: __popc(ballot & lanes_below())). */
__device__ __forceinline__ uint32_t lanes_below(void)
{
    return (1u << (threadIdx.x & 31)) - 1u;
}

/* In a launcher (kernels.h: int result, const char **what): names `kernel`
 * in *what, enqueues kernel<<<grid, block, smem_bytes, stream>>>(args)
 * and, when the launch fails, returns its error (cudaGetLastError, as an
 * int) from the launcher. */
#define LAUNCH(kernel, grid, block, smem_bytes, stream, ...)                   \
    do {                                                                       \
        *what = #kernel;                                                       \
        kernel<<<(grid), (block), (smem_bytes), (stream)>>>(__VA_ARGS__);      \
        cudaError_t e_ = cudaGetLastError();                                   \
        if (e_ != cudaSuccess)                                                 \
            return (int)e_;                                                    \
    } while (0)

/* q / d for q < 2^32 by multiply-high (Granlund-Montgomery): mul, shift
 * from fast_div_init. */
struct fast_div {
    uint32_t d, mul, shift;
};

static inline fast_div fast_div_init(uint32_t d)
{
    fast_div f = {d, 0, 0};
    uint32_t l = 0;
    while ((1ull << l) < d)
        l++;
    f.shift = l;
    if (d > 1)
        f.mul = (uint32_t)((((1ull << 32) * ((1ull << l) - d)) / d) + 1);
    return f;
}

__device__ __forceinline__ uint32_t fdiv(const fast_div &f, uint32_t q)
{
    if (f.d == 1)
        return q;
    uint32_t t = __umulhi(q, f.mul);
    return (t + ((q - t) >> 1)) >> (f.shift - 1);
}

#endif /* BS_DEVICE_CUH */
