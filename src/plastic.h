/*
 * plastic.h - the store of potentiated synapses of one fiber on one rank
 * (doc/design.md section 4): entries (source id, target id, Q16.16 weight) for
 * every synapse whose weight is not 1 and whose target is in the rank's
 * slice, sorted by (source, target).  Only synapses between neurons that
 * have fired change, so the store stays small relative to n * n * p.
 *
 * Storage is structure of arrays in pool views; a fiber owns two stores and
 * the plasticity phase writes the next one from the current one.
 */
#ifndef BS_PLASTIC_H
#define BS_PLASTIC_H

#include <stdint.h>

#include "brainsim.h"
#include "connectome.h"

typedef struct bs_store {
    uint64_t *src;             /* (cap) source ids, ascending */
    uint64_t *tgt;             /* (cap) target ids, ascending within a source */
    uint32_t *w;               /* (cap) Q16.16 weights */
    uint64_t n, cap;           /* entries used, entries reserved */
} bs_store;

/* Index of the first entry with source >= src (n when none).  Can't fail. */
uint64_t bs_store_lower(const bs_store *s, uint64_t src);

/* Writes (target, w - 1) of the stored synapses of every firing source
 * (ascending list) to tgt[] and delta[] (room for s->n entries) and
 * returns how many; adding them to inputs is bs_store_accumulate.  Can't
 * fail. */
uint64_t bs_store_corrections(const bs_store *s, const uint64_t *firing,
                              uint64_t n_firing, uint64_t *tgt,
                              uint64_t *delta);

/* Adds (w - 1) of the stored synapses of every firing source (ascending
 * list) to input[tgt - id_lo].  Can't fail. */
void bs_store_accumulate(const bs_store *s, const uint64_t *firing,
                         uint64_t n_firing, uint64_t id_lo, uint64_t *input);

/*
 * Hebbian update: writes to `next` the store `cur` in which every synapse
 * (i, j) with i in firing[] (ascending), j in winners[] (the new winners in
 * this rank's slice, ascending) and an edge i -> j has weight
 * potentiate(w, mult, cap) (w = 1 when not stored).  scratch holds n_winners
 * u64.  Returns BS_OK, or BS_ERR_CAPACITY when next->cap is too small (next
 * is then incomplete and cur untouched), or BS_ERR_SATURATED when next is
 * complete but a weight of a fiber without a cap passed the Q16.16 maximum
 * (bs_saturates; it holds BS_W_MAX there).  Capacity is reported first, as
 * the CUDA backend checks it before it writes.
 */
bs_status bs_store_potentiate(const bs_store *cur, bs_store *next,
                              const bs_fiber_geom *g, const uint64_t *firing,
                              uint64_t n_firing, const uint64_t *winners,
                              uint64_t n_winners, uint32_t mult, uint32_t cap,
                              uint64_t *scratch);

/*
 * The same update from edges found elsewhere (the CPU backend records them
 * while it accumulates): the targets in this rank's slice of firing source
 * firing[f] that are new winners with an edge from it are
 * edges[start[f] .. start[f + 1]), ascending.  Same result and failure as
 * bs_store_potentiate.
 */
bs_status bs_store_potentiate_edges(const bs_store *cur, bs_store *next,
                                    const uint64_t *firing, uint64_t n_firing,
                                    const uint64_t *start,
                                    const uint64_t *edges, uint32_t mult,
                                    uint32_t cap);

/* The targets among winners[0..n_winners) (ascending) that source i has
 * an edge to, ascending, into out (n_winners u64 at most); one block
 * generation per block that holds winners.  Returns their count; can't
 * fail. */
uint64_t bs_store_edge_targets(const bs_fiber_geom *g, uint64_t i,
                               const uint64_t *winners, uint64_t n_winners,
                               uint64_t *out);

/* Weight of synapse (src, tgt) in the store, or BS_W_ONE.  Can't fail. */
uint32_t bs_store_weight(const bs_store *s, uint64_t src, uint64_t tgt);

#endif /* BS_PLASTIC_H */
