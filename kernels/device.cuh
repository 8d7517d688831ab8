/*
 * device.cuh - what every kernel file of kernels/ shares on the CUDA side:
 * the one launch macro of the extern "C" launchers and the full-warp mask.
 * C++ (CUDA syntax); host C never includes it.
 */
#ifndef BS_DEVICE_CUH
#define BS_DEVICE_CUH

#include <cuda_runtime.h>

/* Every lane of a warp, for the *_sync intrinsics. */
#define FULL 0xFFFFFFFFu

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

#endif /* BS_DEVICE_CUH */
