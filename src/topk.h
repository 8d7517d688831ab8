/*
 * topk.h - k-winners-take-all selection (doc/design.md section 4, phases 2 and 3).
 *
 * Order: a candidate ranks before another when its input is larger, or the
 * inputs are equal and its global id is lower.  Ids are unique, so the
 * order is total and the selected set never depends on arrival order,
 * threads or ranks.
 */
#ifndef BS_TOPK_H
#define BS_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "philox.h"

typedef struct bs_cand {
    uint64_t input;            /* Q16.16 sum */
    uint64_t id;               /* global neuron id; UINT64_MAX pads */
} bs_cand;

/* 1 iff a ranks before b.  Can't fail. */
BS_HD int bs_cand_before(bs_cand a, bs_cand b)
{
    return a.input > b.input || (a.input == b.input && a.id < b.id);
}

/*
 * Local top-k of a slice: input[0..n_local) are the inputs of neurons
 * id_lo .. id_lo + n_local - 1.  Writes the k best as candidates to out[0..k)
 * in no particular order; when n_local < k the rest are padding (input 0,
 * id UINT64_MAX), which ranks after every real neuron.  Radix select over
 * the 64-bit inputs (8-bit digits), then one collecting pass.  Can't fail.
 */
void bs_topk_local(const uint64_t *input, uint64_t n_local, uint64_t id_lo,
                   uint64_t k, bs_cand *out);

/*
 * Global top-k from the gathered candidates of every rank (n of them, k <=
 * the number of real candidates, ids distinct): reorders `gathered` and
 * writes the k winners in ascending id order to winners[0..k) and their
 * inputs to inputs[0..k).  Radix select on the inputs, the ties at the
 * threshold ordered by id, then a radix sort of the k winners by id, with
 * gathered[n..n+k) as scratch: `gathered` holds n + k candidates.  Every
 * rank computes the same result.  Can't fail.
 */
void bs_topk_merge(bs_cand *gathered, size_t n, uint64_t k,
                   uint64_t *winners, uint64_t *inputs);

/* Sorts v[0..n) ascending (ids of an assembly: a set, or a sample drawn
 * in another order).  Can't fail. */
void bs_sort_u64(uint64_t *v, size_t n);

#endif /* BS_TOPK_H */
