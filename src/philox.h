/*
 * philox.h - Philox4x32-10 counter-based generator (Salmon et al., SC'11,
 * "Parallel random numbers: as easy as 1, 2, 3"), the only source of
 * randomness in brainsim.
 *
 * One implementation for host C and CUDA device code: every function is
 * static inline and marked BS_HD.  The generator is a pure function of a
 * 128-bit counter and a 64-bit key, so a value never depends on a rank, a
 * thread or the order of calls (doc/design.md section 2).
 *
 * Contract: bs_philox4x32(ctr, key) returns the same four words on every
 * platform; known-answer vectors from Random123 are checked in
 * tests/test_philox.c.  This function can't fail.
 */
#ifndef BS_PHILOX_H
#define BS_PHILOX_H

#include <stdint.h>

#if defined(__CUDACC__)
#define BS_HD __host__ __device__ __forceinline__
#else
#define BS_HD static inline
#endif

typedef struct { uint32_t v[4]; } bs_ctr4;
typedef struct { uint32_t v[2]; } bs_key2;

#define BS_PHILOX_M0 0xD2511F53u
#define BS_PHILOX_M1 0xCD9E8D57u
#define BS_PHILOX_W0 0x9E3779B9u
#define BS_PHILOX_W1 0xBB67AE85u

BS_HD uint32_t bs_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi)
{
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

BS_HD bs_ctr4 bs_philox_round(bs_ctr4 c, bs_key2 k)
{
    uint32_t hi0, hi1;
    uint32_t lo0 = bs_mulhilo32(BS_PHILOX_M0, c.v[0], &hi0);
    uint32_t lo1 = bs_mulhilo32(BS_PHILOX_M1, c.v[2], &hi1);
    bs_ctr4 r;
    r.v[0] = hi1 ^ c.v[1] ^ k.v[0];
    r.v[1] = lo1;
    r.v[2] = hi0 ^ c.v[3] ^ k.v[1];
    r.v[3] = lo0;
    return r;
}

/* Philox4x32 with 10 rounds. */
BS_HD bs_ctr4 bs_philox4x32(bs_ctr4 c, bs_key2 k)
{
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k.v[0] += BS_PHILOX_W0;
            k.v[1] += BS_PHILOX_W1;
        }
        c = bs_philox_round(c, k);
    }
    return c;
}

/* Uniform integer in [0, range) from one 32-bit draw by multiply-high
 * (Lemire); bias below range / 2^32, integer-only.  range >= 1. */
BS_HD uint32_t bs_bounded32(uint32_t draw, uint32_t range)
{
    return (uint32_t)(((uint64_t)draw * (uint64_t)range) >> 32);
}

#endif /* BS_PHILOX_H */
