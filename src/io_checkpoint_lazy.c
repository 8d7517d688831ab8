/*
 * io_checkpoint_lazy.c - the /lazy datasets of a checkpoint (layout:
 * checkpoint.h): the replicated state of every lazy area (src/lazy.h),
 * written by rank 0 into the file io_checkpoint.c writes, and read whole
 * by every rank.  Every dataset has its checksum (rowsum.h), verified on
 * load; ids, counts and targets are checked against their bounds.
 */
#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "io_checkpoint_reader.h"
#include "io_checkpoint_writer.h"

void bs_ckpt_lazy_free(bs_ckpt_lazy *l)
{
    if (!l)
        return;
    free(l->support);
    l->support = NULL;
    for (int f = 0; l->fibers && f < l->n_fibers; f++) {
        bs_ckpt_lazy_fiber *lf = &l->fibers[f];
        free(lf->sources);
        free(lf->counts);
        free(lf->targets);
        free(lf->weights);
        lf->sources = lf->counts = NULL;
        lf->targets = lf->weights = NULL;
    }
}

/* ---- writing ------------------------------------------------------------ */

/* One dataset of the /lazy tree: n values written by rank 0. */
static bs_status put(ckpt_w *w, hid_t g, const char *gpath, const char *name,
                     int u32, uint64_t n, const void *v)
{
    char obj[320];
    snprintf(obj, sizeof obj, "%s/%s", gpath, name);
    return bs_ckpt_dset_write(w, g, obj, name,
                              u32 ? H5T_STD_U32LE : H5T_STD_U64LE,
                              u32 ? H5T_NATIVE_UINT32 : H5T_NATIVE_UINT64, n,
                              0, w->rank == 0 ? n : 0, v, NULL);
}

/* /lazy/<area>/<fiber>: its four datasets. */
static bs_status fiber_put(ckpt_w *w, hid_t ga, const char *apath,
                           const bs_ckpt_lazy_fiber *f)
{
    char gpath[320];
    snprintf(gpath, sizeof gpath, "%s/%s", apath, f->name);
    hid_t g = bs_ckpt_group_create(w->c, ga, f->name, gpath);
    bs_status st = bs_h5_agree_status(w->comm, w->c,
                                      g >= 0 ? BS_OK : BS_ERR_IO);
    if (st == BS_OK)
        st = put(w, g, gpath, "sources", 0, f->n_src, f->sources);
    if (st == BS_OK)
        st = put(w, g, gpath, "counts", 0, f->n_src, f->counts);
    if (st == BS_OK)
        st = put(w, g, gpath, "targets", 1, f->n_edges, f->targets);
    if (st == BS_OK)
        st = put(w, g, gpath, "weights", 1, f->n_edges, f->weights);
    bs_h5_close(&g);
    return st;
}

/* /lazy/<area>: support and every fiber into it. */
static bs_status area_put(ckpt_w *w, hid_t root, const bs_ckpt_lazy *l)
{
    char gpath[192];
    snprintf(gpath, sizeof gpath, "/lazy/%s", l->name);
    hid_t g = bs_ckpt_group_create(w->c, root, l->name, gpath);
    bs_status st = bs_h5_agree_status(w->comm, w->c,
                                      g >= 0 ? BS_OK : BS_ERR_IO);
    if (st == BS_OK)
        st = put(w, g, gpath, "support", 0, l->w, l->support);
    for (int f = 0; st == BS_OK && f < l->n_fibers; f++)
        if (l->fibers[f].name)
            st = fiber_put(w, g, gpath, &l->fibers[f]);
    bs_h5_close(&g);
    return st;
}

bs_status bs_ckpt_lazy_write(ckpt_w *w, const bs_ckpt_header *h)
{
    int any = 0;
    for (int a = 0; h->lazy && a < h->n_areas; a++)
        any |= h->lazy[a].name != NULL;
    if (!any)
        return BS_OK;
    hid_t root = bs_ckpt_group_create(w->c, w->file, "lazy", "/lazy");
    bs_status st = bs_h5_agree_status(w->comm, w->c,
                                      root >= 0 ? BS_OK : BS_ERR_IO);
    for (int a = 0; st == BS_OK && a < h->n_areas; a++)
        if (h->lazy[a].name)
            st = area_put(w, root, &h->lazy[a]);
    bs_h5_close(&root);
    w->c->where = "/";
    return st;
}

/* ---- reading ------------------------------------------------------------ */

/* Dataset `name` of g (path gpath/name) of want values (UINT64_MAX: any;
 * its length into *len), of 4 or 8 bytes, whole into a new *out, its
 * checksum verified. */
static bs_status get(bs_h5_ctx *c, hid_t g, const char *gpath,
                     const char *name, size_t size, uint64_t want,
                     uint64_t *len, void **out)
{
    char obj[320];
    snprintf(obj, sizeof obj, "%s/%s", gpath, name);
    hid_t d = H5I_INVALID_HID;
    uint64_t n = 0;
    bs_status st = bs_h5_dset_open(c, g, obj, name, size, want, &d, &n);
    void *v = NULL;
    if (st == BS_OK && n > (UINT64_C(1) << 40))
        st = bs_h5_bad(c, "%s: %s: %llu values are beyond brainsim's limits",
                       c->path, obj, (unsigned long long)n);
    if (st == BS_OK && !(v = malloc(n ? n * size : 1))) {
        bs_h5_msg(c, "%s: out of memory reading %s", c->path, obj);
        st = BS_ERR_NOMEM;
    }
    if (st == BS_OK && n)
        st = bs_h5_dset_range(c, d, obj, size == 4 ? H5T_NATIVE_UINT32
                                                   : H5T_NATIVE_UINT64,
                              0, n, v);
    if (st == BS_OK)
        st = bs_h5_checksum_local(c, d, obj, v, size, n);
    bs_h5_close(&d);
    if (st != BS_OK) {
        free(v);
        v = NULL;
    }
    *out = v;
    if (len)
        *len = n;
    return st;
}

/* The first of v[0..n) at or above bound, as an error naming obj; BS_OK
 * when none. */
static bs_status below(bs_h5_ctx *c, const char *obj, const void *v,
                       size_t size, uint64_t n, uint64_t bound)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x = size == 4 ? ((const uint32_t *)v)[i]
                               : ((const uint64_t *)v)[i];
        if (x >= bound)
            return bs_h5_bad(c, "%s: %s: value %llu at %llu is out of range "
                             "(must be < %llu)", c->path, obj,
                             (unsigned long long)x, (unsigned long long)i,
                             (unsigned long long)bound);
    }
    return BS_OK;
}

/* /lazy/<area>/<fiber> into f (targets below w). */
static bs_status fiber_get(bs_h5_ctx *c, hid_t file, const char *apath,
                           uint64_t w, bs_ckpt_lazy_fiber *f)
{
    char gpath[320], obj[352];
    snprintf(gpath, sizeof gpath, "%s/%s", apath, f->name);
    hid_t g = H5I_INVALID_HID;
    uint64_t m = 0, total = 0;
    bs_status st = bs_ckpt_group_open(c, file, gpath, &g);
    if (st == BS_OK)
        st = get(c, g, gpath, "sources", 8, UINT64_MAX, &m,
                 (void **)&f->sources);
    snprintf(obj, sizeof obj, "%s/sources", gpath);
    if (st == BS_OK)
        st = below(c, obj, f->sources, 8, m, f->n_src);
    if (st == BS_OK)
        st = get(c, g, gpath, "counts", 8, m, NULL, (void **)&f->counts);
    for (uint64_t i = 0; st == BS_OK && i < m; i++) {
        total += f->counts[i];
        if (f->counts[i] > w || total > (UINT64_C(1) << 40))
            st = bs_h5_bad(c, "%s: %s/counts: value %llu at %llu exceeds the "
                           "support (%llu)", c->path, gpath,
                           (unsigned long long)f->counts[i],
                           (unsigned long long)i, (unsigned long long)w);
    }
    if (st == BS_OK)
        st = get(c, g, gpath, "targets", 4, total, NULL,
                 (void **)&f->targets);
    snprintf(obj, sizeof obj, "%s/targets", gpath);
    if (st == BS_OK)
        st = below(c, obj, f->targets, 4, total, w);
    if (st == BS_OK)
        st = get(c, g, gpath, "weights", 4, total, NULL,
                 (void **)&f->weights);
    for (uint64_t i = 0; st == BS_OK && i < total; i++)
        if (f->weights[i] < 65536u)
            st = bs_h5_bad(c, "%s: %s/weights: value %u at %llu is below "
                           "1.0 (Q16.16 65536)", c->path, gpath,
                           (unsigned)f->weights[i], (unsigned long long)i);
    f->n_src = m;
    f->n_edges = total;
    bs_h5_close(&g);
    return st;
}

/* bs_ckpt_read_lazy on this rank, without agreement. */
static bs_status lazy_get(bs_h5_ctx *c, bs_ckpt_reader *r, bs_ckpt_lazy *l,
                          uint64_t n, uint64_t support)
{
    char gpath[192], obj[224];
    snprintf(gpath, sizeof gpath, "/lazy/%s", l->name);
    snprintf(obj, sizeof obj, "%s/support", gpath);
    hid_t g = H5I_INVALID_HID;
    bs_status st = bs_ckpt_group_open(c, r->file, gpath, &g);
    if (st == BS_OK)
        st = get(c, g, gpath, "support", 8, support, NULL,
                 (void **)&l->support);
    if (st == BS_OK)
        st = below(c, obj, l->support, 8, support, n);
    l->w = support;
    bs_h5_close(&g);
    for (int f = 0; st == BS_OK && f < l->n_fibers; f++)
        if (l->fibers[f].name)
            st = fiber_get(c, r->file, gpath, support, &l->fibers[f]);
    return st;
}

bs_status bs_ckpt_read_lazy(bs_ckpt_reader *r, bs_ckpt_lazy *l, uint64_t n,
                            uint64_t support, char *err, size_t err_len)
{
    bs_h5_ctx c = {r ? r->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_CHECKPOINT};
    if (!r || !l || !l->name)
        return BS_ERR_ARG;
    bs_status st = bs_h5_agree_status(r->comm, &c,
                                      lazy_get(&c, r, l, n, support));
    if (st != BS_OK)
        bs_ckpt_lazy_free(l);
    return st;
}
