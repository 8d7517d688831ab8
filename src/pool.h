/*
 * pool.h - one allocation per memory space, carved into aligned views
 * (doc/design.md section 4).
 *
 * Use: bs_pool_add() every buffer (name, shape text, element size, count,
 * where to store the view), then bs_pool_alloc() once.  The list of entries
 * is the pool's manifest: `brainsim plan` prints it, and bs_pool_bytes()
 * after planning equals what bs_pool_alloc() then allocates.  Nothing is
 * allocated after that; views stay valid until bs_pool_destroy().
 *
 * The same planning serves the device pool: the CUDA backend plans with an
 * allocator of its own (see bs_pool_alloc_with).
 */
#ifndef BS_POOL_H
#define BS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "brainsim.h"

#define BS_POOL_ALIGN 256      /* bytes; every view starts at a multiple */

typedef struct bs_pool_entry {
    char name[160];            /* "areas.A.input" */
    char shape[48];            /* "(n_local) u64" */
    size_t elem_bytes;
    size_t n_elems;
    size_t offset;             /* bytes from the pool base */
    void **view;               /* where the carved pointer is stored */
} bs_pool_entry;

typedef struct bs_pool {
    bs_pool_entry *entries;
    size_t n_entries, cap_entries;
    size_t n_bytes;            /* planned total, aligned */
    void *base;                /* NULL until allocated */
    void (*release)(void *);   /* frees base */
} bs_pool;

/* Initialises an empty pool.  Can't fail. */
void bs_pool_init(bs_pool *pool);

/* Adds a buffer of n_elems * elem_bytes (0 is allowed: the view is NULL).
 * Returns BS_ERR_NOMEM if the manifest cannot grow, BS_ERR_LIMIT on size
 * overflow, BS_ERR_STATE after allocation. */
bs_status bs_pool_add(bs_pool *pool, const char *name, const char *shape,
                      size_t elem_bytes, size_t n_elems, void **view);

/* Total planned bytes.  Can't fail. */
size_t bs_pool_bytes_of(const bs_pool *pool);

/* Allocates the planned bytes once on the host (zeroed) and sets every
 * view.  BS_ERR_NOMEM when the allocation fails. */
bs_status bs_pool_alloc(bs_pool *pool);

/* Same, with a caller's allocator (for device memory): alloc returns the
 * base or NULL; release frees it.  Memory is not zeroed. */
bs_status bs_pool_alloc_with(bs_pool *pool, void *(*alloc)(size_t n_bytes),
                             void (*release)(void *));

/* Frees the memory and the manifest.  Accepts NULL.  Views dangle after. */
void bs_pool_destroy(bs_pool *pool);

#endif /* BS_POOL_H */
