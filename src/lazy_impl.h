/*
 * lazy_impl.h - what the two halves of the lazy areas share: lazy.c (state,
 * hash indexes, edges) and lazy_step.c (the step).  Contract of the whole:
 * lazy.h.  Internal to libbrainsim.
 */
#ifndef BS_LAZY_IMPL_H
#define BS_LAZY_IMPL_H

#include "lazy.h"
#include "connectome.h"
#include "sim_state.h"

/* Room for `need` support neurons in la (and need + k inputs).  Returns 0,
 * or -1 when out of memory (la as it was, possibly larger). */
int bs_lazy_reserve(bs_lazy_area *la, uint64_t need, uint64_t k);

/* Appends gid to the support (room reserved): local id w, not a winner.
 * Can't fail. */
void bs_lazy_gid_add(bs_lazy_area *la, uint64_t gid);

/* Local id of global id gid in the support, or UINT64_MAX.  Can't fail. */
uint64_t bs_lazy_gid_find(bs_lazy_area *la, uint64_t gid);

/* Index of realized source id in lf, or UINT64_MAX.  Can't fail. */
uint64_t bs_lazy_find(bs_lazy_fiber *lf, uint64_t id);

/* Appends edge (local tgt, Q16.16 w) to src.  Returns 0, or -1 when out of
 * memory. */
int bs_lazy_push(bs_lazy_src *src, uint32_t tgt, uint32_t w);

/* Appends source id's Bernoulli(p) edges (geometry g, lazy domain) into
 * local targets [lo, hi) to src, in block order.  Returns 0, or -1 when
 * out of memory. */
int bs_lazy_draw(const bs_fiber_geom *g, uint64_t id, uint64_t lo,
                 uint64_t hi, bs_lazy_src *src);

/* Step 1 (lazy.c): the firing sources of active fiber f new to it become
 * realized, with their edges into la's support.  Returns BS_OK or
 * BS_ERR_NOMEM with the message in s->err. */
bs_status bs_lazy_realize(bs_sim *s, bs_lazy_area *la, int f);

/* Appends id (not yet among them) to lf's realized sources, without
 * edges.  Returns its index, or -1 when out of memory. */
int64_t bs_lazy_add_source(bs_lazy_fiber *lf, uint64_t id);

/* 1 when id is in the ascending list v[0..n).  Can't fail. */
int bs_lazy_in_sorted(const uint64_t *v, uint64_t n, uint64_t id);

#endif /* BS_LAZY_IMPL_H */
