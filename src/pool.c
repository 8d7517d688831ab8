/*
 * pool.c - the pooled allocation; see pool.h.
 */
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bs_pool_init(bs_pool *pool)
{
    memset(pool, 0, sizeof *pool);
}

bs_status bs_pool_add(bs_pool *pool, const char *name, const char *shape,
                      size_t elem_bytes, size_t n_elems, void **view)
{
    if (pool->base)
        return BS_ERR_STATE;
    if (elem_bytes && n_elems > (SIZE_MAX / 2) / elem_bytes)
        return BS_ERR_LIMIT;
    size_t n_bytes = elem_bytes * n_elems;
    size_t aligned = (n_bytes + BS_POOL_ALIGN - 1) / BS_POOL_ALIGN * BS_POOL_ALIGN;
    if (aligned > SIZE_MAX / 2 - pool->n_bytes)
        return BS_ERR_LIMIT;
    if (pool->n_entries == pool->cap_entries) {
        size_t cap = pool->cap_entries ? 2 * pool->cap_entries : 32;
        bs_pool_entry *e = realloc(pool->entries, cap * sizeof *e);
        if (!e)
            return BS_ERR_NOMEM;
        pool->entries = e;
        pool->cap_entries = cap;
    }
    bs_pool_entry *e = &pool->entries[pool->n_entries++];
    snprintf(e->name, sizeof e->name, "%s", name);
    snprintf(e->shape, sizeof e->shape, "%s", shape);
    e->elem_bytes = elem_bytes;
    e->n_elems = n_elems;
    e->offset = pool->n_bytes;
    e->view = view;
    pool->n_bytes += aligned;
    if (view)
        *view = NULL;
    return BS_OK;
}

size_t bs_pool_bytes_of(const bs_pool *pool)
{
    return pool->n_bytes;
}

static void carve(bs_pool *pool)
{
    for (size_t i = 0; i < pool->n_entries; i++) {
        bs_pool_entry *e = &pool->entries[i];
        if (e->view)
            *e->view = e->n_elems ? (char *)pool->base + e->offset : NULL;
    }
}

static void host_free(void *p) { free(p); }

bs_status bs_pool_alloc(bs_pool *pool)
{
    if (pool->base)
        return BS_ERR_STATE;
    size_t n = pool->n_bytes ? pool->n_bytes : BS_POOL_ALIGN;
    pool->base = aligned_alloc(BS_POOL_ALIGN, n);
    if (!pool->base)
        return BS_ERR_NOMEM;
    memset(pool->base, 0, n);
    pool->release = host_free;
    carve(pool);
    return BS_OK;
}

bs_status bs_pool_alloc_with(bs_pool *pool, void *(*alloc)(size_t n_bytes),
                             void (*release)(void *))
{
    if (pool->base)
        return BS_ERR_STATE;
    pool->base = alloc(pool->n_bytes ? pool->n_bytes : BS_POOL_ALIGN);
    if (!pool->base)
        return BS_ERR_NOMEM;
    pool->release = release;
    carve(pool);
    return BS_OK;
}

void bs_pool_destroy(bs_pool *pool)
{
    if (!pool)
        return;
    if (pool->base && pool->release)
        pool->release(pool->base);
    free(pool->entries);
    memset(pool, 0, sizeof *pool);
}
