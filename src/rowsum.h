/*
 * rowsum.h - the checksum of a checkpoint dataset (format_version 3):
 * the sum mod 2^64 of mix(value_i ^ mix(i + 1)) over every value i of the
 * 1-D dataset, mix being SplitMix64's finaliser.  A sum of per-value
 * terms, so that ranks that each write or read a slice add their parts
 * (one allreduce), and position-dependent, so that a changed, moved or
 * missing value changes it.  Stored as the u64 attribute `checksum` of
 * the dataset (io_checkpoint.c) and verified on load
 * (io_checkpoint_read.c).  Header-only; can't fail.
 */
#ifndef BS_ROWSUM_H
#define BS_ROWSUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t bs_rowsum_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

/* The part of values v[0..n) (u32 when size is 4, else u64) that sit at
 * dataset indices first, first + 1, ... */
static inline uint64_t bs_rowsum(const void *v, size_t size, uint64_t first,
                                 uint64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x = size == 4 ? ((const uint32_t *)v)[i]
                               : ((const uint64_t *)v)[i];
        sum += bs_rowsum_mix(x ^ bs_rowsum_mix(first + i + 1));
    }
    return sum;
}

/* The part of `n` copies of fill at indices first, ... */
static inline uint64_t bs_rowsum_fill(uint64_t fill, uint64_t first,
                                      uint64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += bs_rowsum_mix(fill ^ bs_rowsum_mix(first + i + 1));
    return sum;
}

#endif /* BS_ROWSUM_H */
