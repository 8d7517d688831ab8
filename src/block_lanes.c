/*
 * block_lanes.c - the CPU backend's edge generator: bs_block_edges for a
 * batch of sources at once (block_lanes.h).
 */
#include "block_lanes.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define BS_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef BS_SIMD_CLONES
#define BS_SIMD_CLONES
#endif

/* Philox4x32-10 of the counters (c0[l], c1[l], c2, c3), l < n <= BS_LANES,
 * under key k into x[word][l]: bs_philox4x32 lane by lane, written so that
 * the compiler vectorises across lanes.  Can't fail. */
BS_SIMD_CLONES
static void philox_lanes(const uint32_t *c0, const uint32_t *c1, uint32_t c2,
                         uint32_t c3, bs_key2 k, uint32_t x[4][BS_LANES])
{
    uint32_t x0[BS_LANES], x1[BS_LANES], x2[BS_LANES], x3[BS_LANES];
    for (int l = 0; l < BS_LANES; l++) {
        x0[l] = c0[l];
        x1[l] = c1[l];
        x2[l] = c2;
        x3[l] = c3;
    }
    uint32_t k0 = k.v[0], k1 = k.v[1];
    for (int r = 0; r < 10; r++) {
        #pragma omp simd
        for (int l = 0; l < BS_LANES; l++) {
            uint64_t p0 = (uint64_t)BS_PHILOX_M0 * x0[l];
            uint64_t p1 = (uint64_t)BS_PHILOX_M1 * x2[l];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ x1[l] ^ k0;
            uint32_t n2 = (uint32_t)(p0 >> 32) ^ x3[l] ^ k1;
            x0[l] = n0;
            x1[l] = (uint32_t)p1;
            x2[l] = n2;
            x3[l] = (uint32_t)p0;
        }
        k0 += BS_PHILOX_W0;
        k1 += BS_PHILOX_W1;
    }
    memcpy(x[0], x0, sizeof x0);
    memcpy(x[1], x1, sizeof x1);
    memcpy(x[2], x2, sizeof x2);
    memcpy(x[3], x3, sizeof x3);
}

/* Appends position x to pos[0..n) unless it is there; returns the count. */
static inline uint32_t add_pos(uint32_t *pos, uint32_t n, uint32_t x)
{
    uint32_t dup = 0;
    for (uint32_t t = 0; t < n; t++)
        dup |= (pos[t] == x);
    if (!dup)
        pos[n++] = x;
    return n;
}

/* See block_lanes.h. */
uint32_t bs_block_edges_lanes(const bs_fiber_geom *g, const uint64_t *src,
                                  uint32_t n, uint64_t idx0, uint64_t blk,
                                  uint64_t *out)
{
    uint32_t c0[BS_LANES] = {0}, c1[BS_LANES] = {0}, x[4][BS_LANES], y[4][BS_LANES];
    uint32_t m[BS_LANES], need[BS_LANES], n_need = 0, n_out = 0;
    const bs_ctr4 base = bs_block_ctr(0, blk, BS_DOMAIN_EDGES, 0);
    for (uint32_t l = 0; l < n; l++) {
        bs_ctr4 c = bs_block_ctr(src[l], blk, BS_DOMAIN_EDGES, 0);
        c0[l] = c.v[0];
        c1[l] = c.v[1];
    }
    philox_lanes(c0, c1, base.v[2], base.v[3], g->key, x);
    /* m = the thresholds at or below the count draw (they ascend), all
     * lanes at once, until no lane passes one */
    memset(m, 0, sizeof m);
    for (uint32_t k = 0; k < g->n_thresh; k++) {
        const uint32_t th = g->thresh[k];
        uint32_t any = 0;
        #pragma omp simd reduction(|:any)
        for (uint32_t l = 0; l < BS_LANES; l++) {
            uint32_t pass = x[0][l] >= th;
            m[l] += pass;
            any |= pass;
        }
        if (!any)
            break;
    }
    for (uint32_t l = 0; l < n; l++)
        if (m[l] > 3)
            need[n_need++] = l;
    for (uint32_t i = 0; i < n_need; i++) {     /* their second draw */
        c0[i] = (uint32_t)src[need[i]];
        c1[i] = bs_block_ctr(src[need[i]], blk, BS_DOMAIN_EDGES, 1).v[1];
    }
    if (n_need)
        philox_lanes(c0, c1, base.v[2], base.v[3] | 1u, g->key, y);
    const uint32_t shift = 32u - g->log2_block;
    for (uint32_t l = 0, i = 0; l < n; l++) {
        uint32_t pos[BS_MAX_BLOCK_EDGES], np = 0;
        for (uint32_t w = 1; w < 4 && np < m[l]; w++)
            np = add_pos(pos, np, x[w][l] >> shift);
        uint32_t draw = 1;                      /* the next draw */
        if (i < n_need && need[i] == l) {
            for (uint32_t w = 0; w < 4 && np < m[l]; w++)
                np = add_pos(pos, np, y[w][i] >> shift);
            i++;
            draw = 2;
        }
        for (; np < m[l] && draw <= BS_MAX_DRAWS; draw++) {
            bs_ctr4 r = bs_philox4x32(bs_block_ctr(src[l], blk,
                                                   BS_DOMAIN_EDGES, draw),
                                      g->key);         /* further draws */
            for (uint32_t w = 0; w < 4 && np < m[l]; w++)
                np = add_pos(pos, np, r.v[w] >> shift);
        }
        for (uint32_t t = 0; t < np; t++)
            out[n_out++] = (idx0 + l) << 32 | pos[t];
    }
    return n_out;
}
