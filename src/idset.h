/*
 * idset.h - a set of 64-bit neuron ids (open addressing, linear probing),
 * for the neurons of a slice that have ever fired: memory proportional to
 * the support, never to n.  Internal to libbrainsim; not thread-safe.
 */
#ifndef BS_IDSET_H
#define BS_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct bs_idset {
    uint64_t *slots;            /* (cap) ids; UINT64_MAX: empty */
    uint64_t cap;               /* a power of 2, or 0 before the first
                                   reservation */
    uint64_t count;             /* ids held */
} bs_idset;

/* Makes room for `more` further ids without another allocation (the load
 * stays at most one half).  Returns 0, or -1 when out of memory (the set
 * is unchanged).  UINT64_MAX is never a member. */
int bs_idset_reserve(bs_idset *set, uint64_t more);

/* Adds id (not UINT64_MAX; room reserved); returns 1 when it was new, 0
 * when it was there.  Can't fail. */
int bs_idset_add(bs_idset *set, uint64_t id);

/* 1 when id is in the set.  Can't fail. */
int bs_idset_has(const bs_idset *set, uint64_t id);

/* The members, ascending, into out[0..count).  Can't fail. */
void bs_idset_sorted(const bs_idset *set, uint64_t *out);

/* Frees the slots and empties the set.  Accepts an empty set. */
void bs_idset_free(bs_idset *set);

#endif
