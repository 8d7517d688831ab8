/*
 * backend_cuda_stub.c - the CUDA backend of a build without CUDA
 * (configure --with-cuda=no, or no nvcc found): bs_backend_cuda exists, so
 * that the host code never asks which backends were built, but it is
 * never usable, and so never selected: --backend auto falls back to the
 * CPU and --backend cuda is an error naming the configure option.
 */
#include <stdio.h>

#include "sim_state.h"

int bs_cuda_usable(int local_rank, int local_size, char *reason,
                   size_t reason_len)
{
    (void)local_rank;
    (void)local_size;
    snprintf(reason, reason_len, "built without CUDA (configure "
             "--with-cuda=yes)");
    return 0;
}

/* No phase is set: bs_cuda_usable() is 0, so the creation never takes
 * this backend. */
const bs_backend_ops bs_backend_cuda = {
    .name = "cuda",
};
