/*
 * block_lanes.h - the edges of one block from BS_LANES sources at once, for
 * the CPU backend: the same edges as bs_block_edges (connectome.h), with
 * the Philox draws of the sources computed together so that the compiler
 * vectorises them (an AVX2 variant is chosen at run time on x86-64).
 */
#ifndef BS_BLOCK_LANES_H
#define BS_BLOCK_LANES_H

#include <stdint.h>

#include "connectome.h"

#define BS_LANES 16             /* sources generated together */

/*
 * The edges of block blk from sources src[0..n) (n <= BS_LANES, the
 * firing indices idx0 + l) into out as (firing index << 32 | position in block),
 * exactly as bs_block_edges finds them: the first two draws of every
 * source are generated together, further draws one by one.  Returns the
 * entries written (at most BS_LANES * BS_MAX_BLOCK_EDGES).  Can't fail.
 */
uint32_t bs_block_edges_lanes(const bs_fiber_geom *g, const uint64_t *src,
                              uint32_t n, uint64_t idx0, uint64_t blk,
                              uint64_t *out);

#endif /* BS_BLOCK_LANES_H */
