/*
 * io_checkpoint_state.c - reading the version-3 state of a checkpoint
 * (checkpoint.h): the verdict's tracking and default beta of each area,
 * each fiber's own beta, the snapshots.  An io file (HDF5).  As in
 * io_checkpoint_read.c, every value is validated before use and every
 * public function agrees across ranks before it returns.  Every reader
 * below returns BS_OK or BS_ERR_CHECKPOINT with a message naming the
 * object and what is wrong (local, as io_checkpoint_read.c's).
 */
#include "checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>

#include "io_checkpoint_reader.h"

#define MAX_BETA 10.0

/* The f64 attribute `name` of g (path gpath), finite and in 0..MAX_BETA. */
static bs_status beta_read(bs_h5_ctx *c, hid_t g, const char *gpath,
                           double *beta)
{
    bs_status st = bs_h5_attr_get_f64(c, g, gpath, "beta", beta);
    if (st == BS_OK && !(isfinite(*beta) && *beta >= 0 && *beta <= MAX_BETA))
        st = bs_h5_bad(c, "%s: attribute 'beta' of %s is %g: must be in "
                       "0..10", c->path, gpath, *beta);
    return st;
}

/* bs_ckpt_read_area_track on this rank, without agreement. */
static bs_status track_read(bs_h5_ctx *c, bs_ckpt_reader *r, const char *name,
                            uint64_t support, uint64_t step,
                            bs_ckpt_area_track *t)
{
    char gpath[192];
    hid_t g = H5I_INVALID_HID;
    snprintf(gpath, sizeof gpath, "/areas/%s", name);
    bs_status st = bs_ckpt_group_open(c, r->file, gpath, &g);
    if (st == BS_OK)
        st = bs_h5_attr_get_u64(c, g, gpath, "prev_support", &t->prev_support);
    if (st == BS_OK)
        st = bs_h5_attr_get_u64(c, g, gpath, "last_growth", &t->last_growth);
    if (st == BS_OK)
        st = bs_h5_attr_get_u64(c, g, gpath, "last_change", &t->last_change);
    if (st == BS_OK && t->prev_support > support)
        st = bs_h5_bad(c, "%s: %s: prev_support = %llu > support = %llu",
                       c->path, gpath, (unsigned long long)t->prev_support,
                       (unsigned long long)support);
    if (st == BS_OK && (t->last_growth > step || t->last_change > step))
        st = bs_h5_bad(c, "%s: %s: last_growth = %llu or last_change = %llu "
                       "is after the checkpoint's step %llu", c->path, gpath,
                       (unsigned long long)t->last_growth,
                       (unsigned long long)t->last_change,
                       (unsigned long long)step);
    if (st == BS_OK)
        st = beta_read(c, g, gpath, &t->beta);
    bs_h5_close(&g);
    return st;
}

bs_status bs_ckpt_read_area_track(bs_ckpt_reader *r, const char *name,
                                  uint64_t support, uint64_t step,
                                  bs_ckpt_area_track *t, char *err,
                                  size_t err_len)
{
    bs_h5_ctx c = {r ? r->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_CHECKPOINT};
    if (!r || !t || !bs_h5_name_ok(name))
        return BS_ERR_ARG;
    return bs_h5_agree_status(r->comm, &c,
                              track_read(&c, r, name, support, step, t));
}

/* bs_ckpt_read_fiber_beta on this rank, without agreement. */
static bs_status fiber_beta_read(bs_h5_ctx *c, bs_ckpt_reader *r,
                                 const char *name, double *beta, int *set)
{
    char gpath[192];
    hid_t g = H5I_INVALID_HID;
    snprintf(gpath, sizeof gpath, "/fibers/%s", name);
    bs_status st = bs_ckpt_group_open(c, r->file, gpath, &g);
    if (st == BS_OK)
        st = bs_ckpt_attr_flag(c, g, gpath, "beta_set", set);
    if (st == BS_OK)
        st = beta_read(c, g, gpath, beta);
    bs_h5_close(&g);
    return st;
}

bs_status bs_ckpt_read_fiber_beta(bs_ckpt_reader *r, const char *name,
                                  double *beta, int *beta_set, char *err,
                                  size_t err_len)
{
    bs_h5_ctx c = {r ? r->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_CHECKPOINT};
    if (!r || !beta || !beta_set || !bs_h5_name_ok(name))
        return BS_ERR_ARG;
    return bs_h5_agree_status(r->comm, &c,
                              fiber_beta_read(&c, r, name, beta, beta_set));
}

/* /snapshots/count into count[0..n), each checked against k; the sum of
 * the counts into *total. */
static bs_status counts_read(bs_h5_ctx *c, hid_t g, int n, const uint64_t *k,
                             uint64_t *count, uint64_t *total)
{
    const char *obj = "/snapshots/count";
    hid_t d = H5I_INVALID_HID;
    uint64_t len = 0;
    bs_status st = bs_h5_dset_open(c, g, obj, "count", 8, (uint64_t)n, &d,
                                   &len);
    if (st == BS_OK && n > 0)
        st = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, 0, (uint64_t)n,
                              count);
    bs_h5_close(&d);
    *total = 0;
    for (int i = 0; st == BS_OK && i < n; i++) {
        if (count[i] > k[i])
            st = bs_h5_bad(c, "%s: %s: value %llu at %d exceeds k = %llu of "
                           "the snapshot's area", c->path, obj,
                           (unsigned long long)count[i], i,
                           (unsigned long long)k[i]);
        *total += count[i];
    }
    return st;
}

/* bs_ckpt_read_snapshots on this rank, without agreement. */
static bs_status snapshots_read(bs_h5_ctx *c, bs_ckpt_reader *r, int n,
                                const uint64_t *k, const uint64_t *area_n,
                                uint64_t *const *ids, uint64_t *count)
{
    const char *obj = "/snapshots/ids";
    hid_t g = H5I_INVALID_HID, d = H5I_INVALID_HID;
    uint64_t total = 0, len = 0, at = 0;
    if (n != r->h.n_snapshots)
        return bs_h5_bad(c, "%s: the root attribute n_snapshots is %d, the "
                         "experiment has %d snapshots", c->path,
                         (int)r->h.n_snapshots, n);
    bs_status st = bs_ckpt_group_open(c, r->file, "/snapshots", &g);
    if (st == BS_OK)
        st = counts_read(c, g, n, k, count, &total);
    if (st == BS_OK)
        st = bs_h5_dset_open(c, g, obj, "ids", 8, total, &d, &len);
    for (int i = 0; st == BS_OK && i < n; at += count[i], i++) {
        if (count[i] > 0)
            st = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, at, count[i],
                                  ids[i]);
        for (uint64_t j = 0; st == BS_OK && j < count[i]; j++)
            if (ids[i][j] >= area_n[i] || (j > 0 && ids[i][j] <= ids[i][j - 1]))
                st = bs_h5_bad(c, "%s: %s: value %llu at %llu (snapshot %d): "
                               "not ascending or >= n = %llu", c->path, obj,
                               (unsigned long long)ids[i][j],
                               (unsigned long long)(at + j), i,
                               (unsigned long long)area_n[i]);
    }
    bs_h5_close(&d);
    bs_h5_close(&g);
    return st;
}

bs_status bs_ckpt_read_snapshots(bs_ckpt_reader *r, int n, const uint64_t *k,
                                 const uint64_t *area_n, uint64_t *const *ids,
                                 uint64_t *count, char *err, size_t err_len)
{
    bs_h5_ctx c = {r ? r->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_CHECKPOINT};
    if (!r || n < 0 || (n > 0 && (!k || !area_n || !ids || !count)))
        return BS_ERR_ARG;
    return bs_h5_agree_status(r->comm, &c,
                              snapshots_read(&c, r, n, k, area_n, ids, count));
}
