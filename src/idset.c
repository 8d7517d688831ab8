/*
 * idset.c - the set of ever-fired ids of a slice (contract: idset.h).
 */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#include "topk.h"

#define EMPTY UINT64_MAX

/* Slot of id in a table of cap slots (Fibonacci hashing: ids of one area
 * are dense, so the high bits of the product spread them). */
static uint64_t home(uint64_t id, uint64_t cap)
{
    return (id * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - __builtin_ctzll(cap));
}

static void put(uint64_t *slots, uint64_t cap, uint64_t id)
{
    uint64_t i = home(id, cap);
    while (slots[i] != EMPTY)
        i = (i + 1) & (cap - 1);
    slots[i] = id;
}

int bs_idset_reserve(bs_idset *set, uint64_t more)
{
    uint64_t want = set->count + more, cap = set->cap ? set->cap : 64;
    if (want > UINT64_MAX / 4)
        return -1;
    while (cap < 2 * want)
        cap *= 2;
    if (cap == set->cap)
        return 0;
    if (cap > SIZE_MAX / sizeof(uint64_t))
        return -1;
    uint64_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, cap * sizeof *slots);
    for (uint64_t i = 0; i < set->cap; i++)
        if (set->slots[i] != EMPTY)
            put(slots, cap, set->slots[i]);
    free(set->slots);
    set->slots = slots;
    set->cap = cap;
    return 0;
}

int bs_idset_add(bs_idset *set, uint64_t id)
{
    uint64_t i = home(id, set->cap);
    while (set->slots[i] != EMPTY) {
        if (set->slots[i] == id)
            return 0;
        i = (i + 1) & (set->cap - 1);
    }
    set->slots[i] = id;
    set->count++;
    return 1;
}

int bs_idset_has(const bs_idset *set, uint64_t id)
{
    if (!set->cap)
        return 0;
    uint64_t i = home(id, set->cap);
    while (set->slots[i] != EMPTY) {
        if (set->slots[i] == id)
            return 1;
        i = (i + 1) & (set->cap - 1);
    }
    return 0;
}

void bs_idset_sorted(const bs_idset *set, uint64_t *out)
{
    uint64_t m = 0;
    for (uint64_t i = 0; i < set->cap; i++)
        if (set->slots[i] != EMPTY)
            out[m++] = set->slots[i];
    bs_sort_u64(out, (size_t)m);
}

void bs_idset_free(bs_idset *set)
{
    free(set->slots);
    set->slots = NULL;
    set->cap = set->count = 0;
}
