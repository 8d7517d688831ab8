/*
 * connectome.h - procedural connectivity (doc/design.md section 3).  Edges are
 * regenerated on demand, never stored.
 *
 * For fiber f with probability p the target id space is split into blocks of
 * T = 2^b targets, b the smallest with T * p >= 3 (from p alone).  For source
 * neuron i and block B, the Philox stream keyed by bs_fiber_key(seed, hash
 * of f's source and target names) with counter
 * (i, B, draw) gives
 *   - the edge count m ~ Binomial(T, p): word 0 of draw 0 compared against a
 *     table of cumulative thresholds (integer compares only);
 *   - m distinct positions in [0, T): the top b bits of the following words
 *     (words 1..3 of draw 0, then 4 words per draw), duplicates redrawn.
 * Targets are B * T + position, those below n.  So each edge (i, j) exists
 * independently with probability p (up to the 2^-32 resolution of the
 * table), the graph does not depend on how targets are partitioned, and
 * testing one edge regenerates one block.
 *
 * Counter layout: c0 = bits 0..31 of i, c1 = bits 32..39 of i | domain << 24,
 * c2 = bits 0..31 of B, c3 = bits 32..39 of B << 16 | draw.  The domain
 * separates the streams that share a key (edges, random assemblies, random
 * subsets).  Ids are below 2^40 (BS_MAX_NEURONS).
 *
 * Everything marked BS_HD runs on host and device alike.
 */
#ifndef BS_CONNECTOME_H
#define BS_CONNECTOME_H

#include <stdint.h>

#include "philox.h"

#define BS_MAX_BLOCK_EDGES 64   /* table entries; largest possible m */
#define BS_MAX_DRAWS 65535      /* draws per (i, B) stream */
#define BS_BLOCK_MIN_MEAN 3.0   /* T * p >= this */

enum { BS_DOMAIN_EDGES = 0, BS_DOMAIN_ASSEMBLY = 1, BS_DOMAIN_SUBSET = 2 };

/* Fixed-point weights: Q16.16 in uint32.  BS_W_MAX (65535.99998) is the
 * largest weight and a fiber's cap when it has none: every cap an
 * experiment can give (at most 65535) is below it. */
#define BS_W_ONE 65536u
#define BS_W_MAX 0xFFFFFFFFu
#define BS_P_MIN 1e-9            /* smallest connection probability: the
                                   parser's range is [BS_P_MIN, 1] */

/* Everything needed to regenerate a fiber's edges.  Plain data, copied by
 * value to devices and stored in checkpoints. */
typedef struct bs_fiber_geom {
    bs_key2 key;
    uint32_t log2_block;                  /* b */
    uint32_t n_thresh;                    /* count m is n_thresh when the draw
                                             passes every threshold */
    uint32_t thresh[BS_MAX_BLOCK_EDGES];  /* m = least m with u < thresh[m] */
} bs_fiber_geom;

/* The Philox key of stream `fiber` under `seed`, for the streams that are
 * numbered (random assemblies and subsets: fiber = 0x40000000 + area, see
 * schedule.c).  Can't fail. */
BS_HD bs_key2 bs_stream_key(uint64_t seed, uint32_t fiber)
{
    bs_key2 k;
    k.v[0] = (uint32_t)seed;
    k.v[1] = (uint32_t)(seed >> 32) ^ (0x9E3779B9u * (fiber + 1u));
    return k;
}

/* The Philox key of a fiber's edges: the seed xor its name hash
 * (bs_fiber_hash), so distinct fibers of one experiment have distinct keys
 * exactly when their hashes differ (sim_create.c refuses equal ones), and a
 * fiber's graph depends on its source, target and the seed alone, not on
 * its position in the list.  Edge streams are kept apart from the
 * numbered streams of bs_stream_key by the counter's domain
 * (BS_DOMAIN_EDGES), whatever the keys.  Can't fail. */
BS_HD bs_key2 bs_fiber_key(uint64_t seed, uint64_t fiber_hash)
{
    bs_key2 k;
    uint64_t x = seed ^ fiber_hash;
    k.v[0] = (uint32_t)x;
    k.v[1] = (uint32_t)(x >> 32);
    return k;
}

BS_HD bs_ctr4 bs_block_ctr(uint64_t src, uint64_t block, uint32_t domain,
                           uint32_t draw)
{
    bs_ctr4 c;
    c.v[0] = (uint32_t)src;
    c.v[1] = (uint32_t)((src >> 32) & 0xFFu) | (domain << 24);
    c.v[2] = (uint32_t)block;
    c.v[3] = (uint32_t)(((block >> 32) & 0xFFu) << 16) | draw;
    return c;
}

/*
 * Generates the edges of source `src` into block `block` from the Philox
 * stream of counter domain `domain` (BS_DOMAIN_EDGES: the procedural
 * connectome; lazy.c draws its own in BS_DOMAIN_LAZY): writes their
 * positions within the block (distinct, in [0, 2^b), in draw order) to
 * pos[0..m) and returns m <= BS_MAX_BLOCK_EDGES.  Can't fail.
 */
BS_HD uint32_t bs_block_edges_in(const bs_fiber_geom *g, uint64_t src,
                                 uint64_t block, uint32_t domain,
                                 uint32_t *pos)
{
    bs_ctr4 r = bs_philox4x32(bs_block_ctr(src, block, domain, 0), g->key);
    uint32_t m = 0;
    while (m < g->n_thresh && r.v[0] >= g->thresh[m])
        m++;
    const uint32_t shift = 32u - g->log2_block;
    uint32_t n = 0, word = 1, draw = 0;
    while (n < m) {
        if (word == 4) {
            if (++draw > BS_MAX_DRAWS)
                break;
            r = bs_philox4x32(bs_block_ctr(src, block, domain, draw), g->key);
            word = 0;
        }
        uint32_t x = (uint32_t)((uint64_t)r.v[word++] >> shift);
        uint32_t dup = 0;
        for (uint32_t t = 0; t < n; t++)
            dup |= (pos[t] == x);
        if (!dup)
            pos[n++] = x;
    }
    return n;
}

/* The procedural connectome's edges of source `src` into block `block`
 * (bs_block_edges_in of BS_DOMAIN_EDGES).  Can't fail. */
BS_HD uint32_t bs_block_edges(const bs_fiber_geom *g, uint64_t src,
                              uint64_t block, uint32_t *pos)
{
    return bs_block_edges_in(g, src, block, BS_DOMAIN_EDGES, pos);
}

/* 1 when the edge src -> tgt exists.  Can't fail. */
BS_HD int bs_has_edge(const bs_fiber_geom *g, uint64_t src, uint64_t tgt)
{
    uint32_t pos[BS_MAX_BLOCK_EDGES];
    uint32_t m = bs_block_edges(g, src, tgt >> g->log2_block, pos);
    uint32_t want = (uint32_t)(tgt & ((UINT64_C(1) << g->log2_block) - 1));
    for (uint32_t t = 0; t < m; t++)
        if (pos[t] == want)
            return 1;
    return 0;
}

/* Q16.16 potentiation: min(cap, round(w * M / 2^16)), M = round((1+beta)
 * 2^16).  Integer only.  Can't fail. */
BS_HD uint32_t bs_potentiate(uint32_t w, uint32_t mult, uint32_t cap)
{
    uint64_t x = ((uint64_t)w * mult + 32768u) >> 16;
    return x > cap ? cap : (uint32_t)x;
}

/* 1 when potentiating w on a fiber without a cap (cap == BS_W_MAX) would
 * pass BS_W_MAX: the weight saturates, which is an error of the step
 * (doc/design.md section 7), not the cap working by design.  Can't fail. */
BS_HD int bs_saturates(uint32_t w, uint32_t mult, uint32_t cap)
{
    return cap == BS_W_MAX && (((uint64_t)w * mult + 32768u) >> 16) > BS_W_MAX;
}

/*
 * Host only: the stable 64-bit identity of the fiber from `src` (an area
 * or stimulus name) to `dst` (an area name): FNV-1a 64 of the bytes
 * "fiber\0" src "\0" dst.  Names hold no NUL, so distinct (src, dst) pairs
 * hash distinct texts.  Can't fail.
 */
uint64_t bs_fiber_hash(const char *src, const char *dst);

/*
 * Host only: the geometry of a fiber with probability p (0 < p <= 1,
 * p >= 1e-9) under `seed`, its key bs_fiber_key(seed, fiber_hash).  Uses
 * long double arithmetic (libm): call it on one rank and broadcast the
 * result (doc/design.md section 2).  Returns 0, or -1 when p is out of
 * range.
 */
int bs_geom_build(double p, uint64_t seed, uint64_t fiber_hash,
                  bs_fiber_geom *g);

/* Q16.16 multiplier for plasticity beta (>= 0), and a cap in Q16.16 from a
 * real cap (0: none).  Host only, exact IEEE arithmetic (no libm). */
uint32_t bs_beta_mult(double beta);
uint32_t bs_cap_q16(double cap);

#endif /* BS_CONNECTOME_H */
