/*
 * io_checkpoint_read.c - reading checkpoints with parallel HDF5
 * (checkpoint.h; the layout and types are fixed in io_checkpoint.c).
 *
 * The file is opened and closed collectively; every read is independent:
 * each rank reads what its slice needs.  The id columns (ever_fired,
 * target) are sorted, so a rank finds its range [lower_bound(lo),
 * lower_bound(hi)) by binary search with one-value reads, then reads that
 * range only.  Validation comes before use: every attribute's and
 * dataset's type class, size, sign, rank and extent are checked before a
 * read, attribute values are checked against the caller's expectations
 * before they size anything, and every value read is range-checked.
 * Sortedness across ranks holds because each rank checks its range (values
 * in its slice, strictly increasing) and the rank owning the last slice
 * checks that nothing follows it: the ranges of a partition tile the
 * dataset.  A file that opens but cannot be read is corrupt:
 * BS_ERR_CHECKPOINT (the status of every checked read here, io_h5_read.h):
 * each reader below returns BS_OK or that status with a message naming
 * the object and what is wrong (rows_read also BS_ERR_CAPACITY).  Every
 * public function agrees across ranks before it returns, so every rank
 * returns the same status.
 */
#include "checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "io_h5.h"
#include "io_h5_read.h"
#include "rowsum.h"

#define GEOM_WORDS (4 + BS_MAX_BLOCK_EDGES)
#define TEXT_MAX (64u << 20)   /* bytes of /experiment accepted */
#define EVER_PIECE 1024        /* ever_fired ids read at a time */
#define SORT_SMALL 16          /* insertion sort below this */

#include "io_checkpoint_reader.h"

/* Contract: io_checkpoint_reader.h. */
bs_status bs_ckpt_attr_flag(bs_h5_ctx *c, hid_t loc, const char *obj,
                            const char *name, int *out)
{
    int32_t v = 0;
    bs_status st = bs_h5_attr_get_i32(c, loc, obj, name, &v);
    if (st == BS_OK && v != 0 && v != 1)
        st = bs_h5_bad(c, "%s: attribute '%s' of %s is %d, not 0 or 1",
                       c->path, name, obj, (int)v);
    *out = v;
    return st;
}

/* ---- open / close ------------------------------------------------------ */

/* Opens the file on every rank: BS_ERR_IO when it cannot be read at all,
 * BS_ERR_CHECKPOINT when HDF5 cannot open it. */
static bs_status file_open(bs_h5_ctx *c, bs_comm *comm, const char *path,
                           hid_t *file)
{
    hid_t fapl = H5I_INVALID_HID;
    FILE *f = fopen(path, "rb");
    bs_status st = BS_OK;
    if (!f) {
        bs_h5_msg(c, "%s: cannot open the checkpoint: %s", path,
                  strerror(errno));
        st = BS_ERR_IO;
    } else {
        fclose(f);
    }
    st = bs_h5_agree_status(comm, c, st);
    if (st != BS_OK)
        return st;
    if (!bs_h5_fapl_mpio(c, comm, "file", 0, &fapl))
        st = BS_ERR_IO;
    else if ((*file = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0) {
        char inner[160];
        bs_h5_last_error(inner, sizeof inner);
        st = bs_h5_bad(c, "%s: not a valid HDF5 file (truncated or corrupt): "
                       "%s", path, inner);
    }
    bs_h5_close(&fapl);
    return bs_h5_agree_status(comm, c, st);
}

/* Opens the group at path gpath of file into *g (invalid on failure);
 * fails naming it when it is missing. */
bs_status bs_ckpt_group_open(bs_h5_ctx *c, hid_t file, const char *gpath,
                             hid_t *g)
{
    htri_t ex;
    bs_status st = H5RD(c, gpath, ex = H5Lexists(file, gpath, H5P_DEFAULT));
    if (st == BS_OK && !ex)
        st = bs_h5_bad(c, "%s: group %s: missing", c->path, gpath);
    if (st == BS_OK)
        st = H5RD(c, gpath, *g = H5Gopen2(file, gpath, H5P_DEFAULT));
    return st;
}

/* Group `name` of the root: present, with exactly `count` members. */
static bs_status group_count(bs_h5_ctx *c, hid_t file, const char *name,
                             int32_t count)
{
    hid_t g = H5I_INVALID_HID;
    H5G_info_t info;
    bs_status st = bs_ckpt_group_open(c, file, name, &g);
    if (st == BS_OK)
        st = H5RD(c, name, H5Gget_info(g, &info));
    if (st == BS_OK && info.nlinks != (hsize_t)count)
        st = bs_h5_bad(c, "%s: group %s: has %llu members, the root "
                       "attribute says %d", c->path, name,
                       (unsigned long long)info.nlinks, (int)count);
    bs_h5_close(&g);
    return st;
}

/* The root attributes, the group sizes and /experiment into r->h and
 * r->text.  BS_OK, or BS_ERR_CHECKPOINT naming what is wrong (local). */
static bs_status header_read(bs_h5_ctx *c, bs_ckpt_reader *r)
{
    bs_ckpt_header *h = &r->h;
    hid_t f = r->file;
    char format[64];
    bs_status st = bs_h5_format_check(c, f, BS_H5_FORMAT_CHECKPOINT, format,
                                      sizeof format);
    /* each read runs only while every one before it succeeded */
    if (st == BS_OK) st = bs_h5_attr_get_u64(c, f, "/", "step", &h->step);
    if (st == BS_OK) st = bs_h5_attr_get_i32(c, f, "/", "op", &h->op);
    if (st == BS_OK) st = bs_h5_attr_get_u64(c, f, "/", "round", &h->round);
    if (st == BS_OK)
        st = bs_h5_attr_get_u64(c, f, "/", "config_hash", &h->config_hash);
    if (st == BS_OK) st = bs_h5_attr_get_u64(c, f, "/", "seed", &h->seed);
    if (st == BS_OK)
        st = bs_h5_attr_get_i32(c, f, "/", "n_ranks", &h->n_ranks);
    if (st == BS_OK)
        st = bs_h5_attr_get_i32(c, f, "/", "n_areas", &h->n_areas);
    if (st == BS_OK)
        st = bs_h5_attr_get_i32(c, f, "/", "n_fibers", &h->n_fibers);
    int plasticity = 1;
    if (st == BS_OK)
        st = bs_ckpt_attr_flag(c, f, "/", "plasticity", &plasticity);
    h->plasticity_off = !plasticity;
    if (st == BS_OK)
        st = bs_h5_attr_get_i32(c, f, "/", "n_snapshots", &h->n_snapshots);
    if (st == BS_OK && (h->n_ranks < 1 || h->n_areas < 0 || h->n_fibers < 0 ||
                        h->n_snapshots < 0))
        st = bs_h5_bad(c, "%s: root attributes n_ranks %d, n_areas %d, "
                       "n_fibers %d, n_snapshots %d out of range", c->path,
                       (int)h->n_ranks, (int)h->n_areas, (int)h->n_fibers,
                       (int)h->n_snapshots);
    if (st == BS_OK)
        st = group_count(c, f, "/areas", h->n_areas);
    if (st == BS_OK)
        st = group_count(c, f, "/fibers", h->n_fibers);
    if (st == BS_OK)
        st = bs_h5_dset_text(c, f, "/experiment", "experiment", TEXT_MAX,
                             &r->text);
    h->experiment_text = r->text;
    return st;
}

void bs_ckpt_close(bs_ckpt_reader **rp)
{
    bs_ckpt_reader *r = rp ? *rp : NULL;
    if (!r)
        return;
    bs_h5_close(&r->file);
    free(r->text);
    free(r->path);
    free(r);
    *rp = NULL;
}

bs_status bs_ckpt_open(const char *path, bs_comm *comm, bs_ckpt_reader **out,
                       bs_ckpt_header *h, char *err, size_t err_len)
{
    bs_h5_ctx c = {path ? path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_CHECKPOINT};
    bs_ckpt_reader *r = NULL;
    if (out)
        *out = NULL;
    if (!comm) {
        bs_h5_msg(&c, "%s: bs_ckpt_open: NULL communicator", c.path);
        return BS_ERR_ARG;
    }
    if (!path || !out || !h)
        bs_h5_msg(&c, "%s: bs_ckpt_open: NULL argument", c.path);
    bs_status st = bs_h5_agree_status(comm, &c, path && out && h ? BS_OK
                                                                : BS_ERR_ARG);
    if (st != BS_OK)
        return st;
    bs_h5_quiet();
    r = calloc(1, sizeof *r);
    if (r) {
        r->comm = comm;
        r->file = H5I_INVALID_HID;
        r->path = malloc(strlen(path) + 1);
    }
    if (!r || !r->path)
        bs_h5_msg(&c, "%s: out of memory", c.path);
    st = bs_h5_agree_status(comm, &c, r && r->path ? BS_OK : BS_ERR_NOMEM);
    if (st == BS_OK) {
        strcpy(r->path, path);
        st = file_open(&c, comm, path, &r->file);
    }
    if (st == BS_OK)
        st = bs_h5_agree_status(comm, &c, header_read(&c, r));
    if (st != BS_OK) {
        bs_ckpt_close(&r);   /* collective: every rank agreed */
        return st;
    }
    *h = r->h;
    *out = r;
    return BS_OK;
}

const char *bs_ckpt_path(const bs_ckpt_reader *r)
{
    return r ? r->path : "(no checkpoint)";
}

bs_status bs_ckpt_header_of(const bs_ckpt_reader *r, bs_ckpt_header *h)
{
    if (!r || !h)
        return BS_ERR_ARG;
    *h = r->h;
    return BS_OK;
}

/* ---- areas ------------------------------------------------------------- */

/* ever_fired ids of [lo, hi): ascending, distinct, into the set (emptied
 * first). */
static bs_status ever_read(bs_h5_ctx *c, hid_t g, const char *gpath,
                           uint64_t support, uint64_t n, uint64_t lo,
                           uint64_t hi, bs_idset *set, bs_h5_dsum *ds)
{
    char obj[224];
    uint64_t buf[EVER_PIECE], len = 0, p = 0, q = 0, prev = 0;
    hid_t d = H5I_INVALID_HID;
    snprintf(obj, sizeof obj, "%s/ever_fired", gpath);
    bs_status st = bs_h5_dset_open(c, g, obj, "ever_fired", 8, support, &d,
                                   &len);
    snprintf(ds->obj, sizeof ds->obj, "%.223s", obj);
    ds->part = 0;
    if (st == BS_OK)
        st = bs_h5_checksum_get(c, d, obj, &ds->want);
    if (st == BS_OK)
        st = bs_h5_sorted_range(c, d, obj, len, lo, hi, hi == n,
                                "not ascending or >= n", &p, &q);
    bs_idset_free(set);
    if (st == BS_OK && bs_idset_reserve(set, q - p) != 0) {
        bs_h5_msg(c, "%s: %s: out of memory for %llu ever-fired ids",
                  c->path, obj, (unsigned long long)(q - p));
        st = BS_ERR_NOMEM;
    }
    for (uint64_t at = p; st == BS_OK && at < q; at += EVER_PIECE) {
        uint64_t m = q - at < EVER_PIECE ? q - at : EVER_PIECE;
        st = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, at, m, buf);
        ds->part += st == BS_OK ? bs_rowsum(buf, 8, at, m) : 0;
        for (uint64_t i = 0; st == BS_OK && i < m; i++) {
            uint64_t v = buf[i];
            if (v < lo || v >= hi || (at + i > p && v <= prev))
                st = bs_h5_bad(c, "%s: %s: value %llu at %llu is not "
                               "ascending or out of range", c->path, obj,
                               (unsigned long long)v,
                               (unsigned long long)(at + i));
            else
                bs_idset_add(set, v);
            prev = v;
        }
    }
    bs_h5_close(&d);
    return st;
}

/* winners (ascending < n, or all UINT64_MAX when none) and win_inputs. */
static bs_status winners_read(bs_h5_ctx *c, hid_t g, const char *gpath,
                              uint64_t n, uint64_t k, uint64_t n_winners,
                              uint64_t *winners, uint64_t *win_inputs)
{
    char obj[224];
    uint64_t len = 0;
    hid_t d = H5I_INVALID_HID;
    snprintf(obj, sizeof obj, "%s/winners", gpath);
    bs_status st = bs_h5_dset_open(c, g, obj, "winners", 8, k, &d, &len);
    if (st == BS_OK)
        st = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, 0, k, winners);
    for (uint64_t i = 0; st == BS_OK && i < k; i++)
        if (i < n_winners ? winners[i] >= n ||
                                (i > 0 && winners[i] <= winners[i - 1])
                          : winners[i] != UINT64_MAX)
            st = bs_h5_bad(c, "%s: %s: value %llu at %llu: %s", c->path,
                           obj, (unsigned long long)winners[i],
                           (unsigned long long)i,
                           i < n_winners ? "not ascending or >= n"
                                         : "not UINT64_MAX (past n_winners)");
    if (st == BS_OK)
        st = bs_h5_checksum_local(c, d, obj, winners, 8, k);
    bs_h5_close(&d);
    snprintf(obj, sizeof obj, "%s/win_inputs", gpath);
    if (st == BS_OK)
        st = bs_h5_dset_open(c, g, obj, "win_inputs", 8, k, &d, &len);
    if (st == BS_OK)
        st = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, 0, k, win_inputs);
    if (st == BS_OK)
        st = bs_h5_checksum_local(c, d, obj, win_inputs, 8, k);
    bs_h5_close(&d);
    return st;
}

/* bs_ckpt_read_area on this rank, without agreement: BS_OK, or
 * BS_ERR_CHECKPOINT naming the object and what is wrong. */
static bs_status area_read(bs_h5_ctx *c, bs_ckpt_reader *r, const char *name,
                           uint64_t n, uint64_t k, uint64_t lo, uint64_t hi,
                           uint64_t *winners, uint64_t *win_inputs,
                           uint64_t *n_winners, uint64_t *support, int *fixed,
                           int *inhibited, bs_idset *ever)
{
    char gpath[192];
    uint64_t fn = 0, fk = 0;
    hid_t g = H5I_INVALID_HID;
    snprintf(gpath, sizeof gpath, "/areas/%s", name);
    bs_status st = bs_ckpt_group_open(c, r->file, gpath, &g);
    if (st == BS_OK) st = bs_h5_attr_get_u64(c, g, gpath, "n", &fn);
    if (st == BS_OK) st = bs_h5_attr_get_u64(c, g, gpath, "k", &fk);
    if (st == BS_OK && (fn != n || fk != k))
        st = bs_h5_bad(c, "%s: %s: n = %llu, k = %llu in the file, the "
                       "experiment has n = %llu, k = %llu", c->path, gpath,
                       (unsigned long long)fn, (unsigned long long)fk,
                       (unsigned long long)n, (unsigned long long)k);
    if (st == BS_OK)
        st = bs_h5_attr_get_u64(c, g, gpath, "n_winners", n_winners);
    if (st == BS_OK)
        st = bs_h5_attr_get_u64(c, g, gpath, "support", support);
    if (st == BS_OK) st = bs_ckpt_attr_flag(c, g, gpath, "fixed", fixed);
    if (st == BS_OK)
        st = bs_ckpt_attr_flag(c, g, gpath, "inhibited", inhibited);
    if (st == BS_OK && *n_winners > k)
        st = bs_h5_bad(c, "%s: %s: n_winners = %llu, must be in 0..k = %llu",
                       c->path, gpath, (unsigned long long)*n_winners,
                       (unsigned long long)k);
    if (st == BS_OK && *support > n)
        st = bs_h5_bad(c, "%s: %s: support = %llu > n = %llu", c->path,
                       gpath, (unsigned long long)*support,
                       (unsigned long long)n);
    if (st == BS_OK)
        st = winners_read(c, g, gpath, n, k, *n_winners, winners, win_inputs);
    if (st == BS_OK)
        st = ever_read(c, g, gpath, *support, n, lo, hi, ever,
                       &r->ds[0]);
    bs_h5_close(&g);
    return st;
}

bs_status bs_ckpt_read_area(bs_ckpt_reader *r, const char *name, uint64_t n,
                            uint64_t k, uint64_t lo, uint64_t hi,
                            uint64_t *winners, uint64_t *win_inputs,
                            uint64_t *n_winners, uint64_t *support, int *fixed,
                            int *inhibited, bs_idset *ever, char *err,
                            size_t err_len)
{
    bs_h5_ctx c = {r ? r->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_CHECKPOINT};
    if (!r) {
        bs_h5_msg(&c, "bs_ckpt_read_area: NULL reader");
        return BS_ERR_ARG;
    }
    int ok = bs_h5_name_ok(name) && lo <= hi && hi <= n && k > 0 && k <= n &&
             winners && win_inputs && n_winners && support && fixed &&
             inhibited && ever;
    if (!ok)
        bs_h5_msg(&c, "%s: bs_ckpt_read_area('%s'): invalid argument",
                  c.path, name ? name : "(null)");
    bs_status st = bs_h5_agree_status(r->comm, &c, ok ? BS_OK : BS_ERR_ARG);
    if (st == BS_OK)
        st = bs_h5_agree_status(r->comm, &c,
                                area_read(&c, r, name, n, k, lo, hi, winners,
                                          win_inputs, n_winners, support,
                                          fixed, inhibited, ever));
    if (st == BS_OK)
        st = bs_h5_checksum_agree(&c, r->comm, r->ds, 1, hi - lo, n);
    return st;
}

/* ---- fibers ------------------------------------------------------------ */

/* Rows sort: (s, t) strictly before (s2, t2). */
static int row_less(uint64_t s, uint64_t t, uint64_t s2, uint64_t t2)
{
    return s < s2 || (s == s2 && t < t2);
}

/*
 * Sorts rows [0, n) of (s, t, w) by (s, t) (keys distinct): a merge sort
 * that splits at n / 3 and moves the left third (3 u64 per row) into buf
 * (n u64, the caller's scratch) to merge.  O(n log n), no allocation.
 */
static void rows_sort(uint64_t *s, uint64_t *t, uint32_t *w, uint64_t n,
                      uint64_t *buf)
{
    if (n < SORT_SMALL) {
        for (uint64_t i = 1; i < n; i++) {
            uint64_t ks = s[i], kt = t[i], j = i;
            uint32_t kw = w[i];
            for (; j > 0 && row_less(ks, kt, s[j - 1], t[j - 1]); j--) {
                s[j] = s[j - 1];
                t[j] = t[j - 1];
                w[j] = w[j - 1];
            }
            s[j] = ks;
            t[j] = kt;
            w[j] = kw;
        }
        return;
    }
    uint64_t l = n / 3, i = 0, j = l, k = 0;
    rows_sort(s, t, w, l, buf);
    rows_sort(s + l, t + l, w + l, n - l, buf);
    if (row_less(s[l - 1], t[l - 1], s[l], t[l]))
        return;
    uint64_t *bs = buf, *bt = buf + l, *bw = buf + 2 * l;
    for (uint64_t x = 0; x < l; x++) {
        bs[x] = s[x];
        bt[x] = t[x];
        bw[x] = w[x];
    }
    for (; i < l; k++) {     /* k < j: the right part is read before */
        if (j < n && row_less(s[j], t[j], bs[i], bt[i])) {
            s[k] = s[j];
            t[k] = t[j];
            w[k] = w[j++];
        } else {
            s[k] = bs[i];
            t[k] = bt[i];
            w[k] = (uint32_t)bw[i++];
        }
    }
}

/* The geometry dataset, validated, into *geom. */
static bs_status geom_read(bs_h5_ctx *c, hid_t g, const char *gpath,
                           bs_fiber_geom *geom)
{
    char obj[224];
    uint32_t v[GEOM_WORDS];
    uint64_t len = 0;
    hid_t d = H5I_INVALID_HID;
    snprintf(obj, sizeof obj, "%s/geometry", gpath);
    bs_status st = bs_h5_dset_open(c, g, obj, "geometry", 4, GEOM_WORDS, &d,
                                   &len);
    if (st == BS_OK)
        st = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT32, 0, GEOM_WORDS, v);
    if (st == BS_OK && (v[2] < 2 || v[2] > 32))
        st = bs_h5_bad(c, "%s: %s: log2_block %u, must be 2..32", c->path,
                       obj, v[2]);
    if (st == BS_OK && v[3] > BS_MAX_BLOCK_EDGES)
        st = bs_h5_bad(c, "%s: %s: n_thresh %u, must be <= %d", c->path, obj,
                       v[3], BS_MAX_BLOCK_EDGES);
    for (uint32_t m = 1; st == BS_OK && m < v[3]; m++)
        if (v[4 + m] < v[4 + m - 1])
            st = bs_h5_bad(c, "%s: %s: threshold %u decreases", c->path, obj,
                           m);
    if (st == BS_OK)
        st = bs_h5_checksum_local(c, d, obj, v, 4, GEOM_WORDS);
    bs_h5_close(&d);
    if (st == BS_OK) {
        geom->key.v[0] = v[0];
        geom->key.v[1] = v[1];
        geom->log2_block = v[2];
        geom->n_thresh = v[3];
        memcpy(geom->thresh, v + 4, sizeof geom->thresh);
    }
    return st;
}

/* Checks rows [0, m) read for targets [lo, hi) (`at`: index of row 0). */
static bs_status rows_check(bs_h5_ctx *c, const char *gpath,
                            const bs_store *s, uint64_t m, uint64_t at,
                            uint64_t n_src, uint64_t lo, uint64_t hi)
{
    for (uint64_t i = 0; i < m; i++) {
        const char *why =
            s->tgt[i] < lo || s->tgt[i] >= hi ? "target out of range"
            : s->src[i] >= n_src              ? "source >= n_src"
            : s->w[i] < BS_W_ONE              ? "weight < 65536 (1.0)"
            : i > 0 && !row_less(s->tgt[i - 1], s->src[i - 1], s->tgt[i],
                                 s->src[i])
                ? "rows not strictly increasing by (target, source)"
                : NULL;
        if (why)
            return bs_h5_bad(c, "%s: %s/{source,target,weight}: row %llu "
                             "(source %llu, target %llu, weight %u): %s",
                             c->path, gpath, (unsigned long long)(at + i),
                             (unsigned long long)s->src[i],
                             (unsigned long long)s->tgt[i], s->w[i], why);
    }
    return BS_OK;
}

/* The rows of targets [lo, hi) into store, checked and sorted by source. */
static bs_status rows_read(bs_h5_ctx *c, hid_t g, const char *gpath,
                           uint64_t n_src, uint64_t dst_n, uint64_t lo,
                           uint64_t hi, bs_store *store, uint64_t *scratch,
                           bs_h5_dsum *ds)
{
    static const char *const names[3] = {"source", "target", "weight"};
    char obj[3][224];
    hid_t d[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID};
    uint64_t len[3] = {0, 0, 0}, p = 0, q = 0;
    bs_status st = BS_OK;
    store->n = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(obj[i], sizeof obj[i], "%s/%s", gpath, names[i]);
        if (st == BS_OK)
            st = bs_h5_dset_open(c, g, obj[i], names[i], i == 2 ? 4 : 8,
                                 i == 0 ? UINT64_MAX : len[0], &d[i],
                                 &len[i]);
        snprintf(ds[i].obj, sizeof ds[i].obj, "%.223s", obj[i]);
        ds[i].part = 0;
        if (st == BS_OK)
            st = bs_h5_checksum_get(c, d[i], obj[i], &ds[i].want);
    }
    if (st == BS_OK)
        st = bs_h5_sorted_range(c, d[1], obj[1], len[1], lo, hi,
                                hi == dst_n, "not ascending or >= dst_n", &p,
                                &q);
    if (st == BS_OK && q - p > store->cap) {
        bs_h5_msg(c, "%s: %s: %llu rows with targets in [%llu, %llu) exceed "
                  "the plastic store of %llu entries per fiber per rank; "
                  "raise --plastic-capacity", c->path, gpath,
                  (unsigned long long)(q - p), (unsigned long long)lo,
                  (unsigned long long)hi, (unsigned long long)store->cap);
        st = BS_ERR_CAPACITY;
    }
    if (st == BS_OK)
        st = bs_h5_dset_range(c, d[0], obj[0], H5T_NATIVE_UINT64, p, q - p,
                              store->src);
    if (st == BS_OK)
        st = bs_h5_dset_range(c, d[1], obj[1], H5T_NATIVE_UINT64, p, q - p,
                              store->tgt);
    if (st == BS_OK)
        st = bs_h5_dset_range(c, d[2], obj[2], H5T_NATIVE_UINT32, p, q - p,
                              store->w);
    if (st == BS_OK) {
        ds[0].part = bs_rowsum(store->src, 8, p, q - p);
        ds[1].part = bs_rowsum(store->tgt, 8, p, q - p);
        ds[2].part = bs_rowsum(store->w, 4, p, q - p);
        st = rows_check(c, gpath, store, q - p, p, n_src, lo, hi);
    }
    if (st == BS_OK) {
        rows_sort(store->src, store->tgt, store->w, q - p, scratch);
        store->n = q - p;
    }
    for (int i = 0; i < 3; i++)
        bs_h5_close(&d[i]);
    return st;
}

/* bs_ckpt_read_fiber on this rank, without agreement: BS_OK,
 * BS_ERR_CAPACITY, or BS_ERR_CHECKPOINT naming what is wrong. */
static bs_status fiber_read(bs_h5_ctx *c, bs_ckpt_reader *r, const char *name,
                            uint64_t n_src, uint64_t dst_n, uint64_t lo,
                            uint64_t hi, bs_fiber_geom *geom, int *inhibited,
                            bs_store *store, uint64_t *scratch)
{
    char gpath[192];
    uint64_t fsrc = 0, fdst = 0;
    hid_t g = H5I_INVALID_HID;
    snprintf(gpath, sizeof gpath, "/fibers/%s", name);
    bs_status st = bs_ckpt_group_open(c, r->file, gpath, &g);
    if (st == BS_OK)
        st = bs_ckpt_attr_flag(c, g, gpath, "inhibited", inhibited);
    if (st == BS_OK) st = bs_h5_attr_get_u64(c, g, gpath, "n_src", &fsrc);
    if (st == BS_OK) st = bs_h5_attr_get_u64(c, g, gpath, "dst_n", &fdst);
    if (st == BS_OK && (fsrc != n_src || fdst != dst_n))
        st = bs_h5_bad(c, "%s: %s: n_src = %llu, dst_n = %llu in the file, "
                       "the experiment has %llu, %llu", c->path, gpath,
                       (unsigned long long)fsrc, (unsigned long long)fdst,
                       (unsigned long long)n_src, (unsigned long long)dst_n);
    if (st == BS_OK)
        st = geom_read(c, g, gpath, geom);
    if (st == BS_OK)
        st = rows_read(c, g, gpath, n_src, dst_n, lo, hi, store, scratch,
                       r->ds);
    bs_h5_close(&g);
    return st;
}

bs_status bs_ckpt_read_fiber(bs_ckpt_reader *r, const char *name,
                             uint64_t n_src, uint64_t dst_n, uint64_t lo,
                             uint64_t hi, bs_fiber_geom *geom, int *inhibited,
                             bs_store *store, uint64_t *scratch, char *err,
                             size_t err_len)
{
    bs_h5_ctx c = {r ? r->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_CHECKPOINT};
    if (!r) {
        bs_h5_msg(&c, "bs_ckpt_read_fiber: NULL reader");
        return BS_ERR_ARG;
    }
    int ok = bs_h5_name_ok(name) && lo <= hi && hi <= dst_n && geom && inhibited &&
             store && (store->cap == 0 ||
                       (store->src && store->tgt && store->w && scratch));
    if (!ok)
        bs_h5_msg(&c, "%s: bs_ckpt_read_fiber('%s'): invalid argument",
                  c.path, name ? name : "(null)");
    bs_status st = bs_h5_agree_status(r->comm, &c, ok ? BS_OK : BS_ERR_ARG);
    if (st == BS_OK)
        st = bs_h5_agree_status(r->comm, &c,
                                fiber_read(&c, r, name, n_src, dst_n, lo, hi,
                                           geom, inhibited, store, scratch));
    if (st == BS_OK)
        st = bs_h5_checksum_agree(&c, r->comm, r->ds, 3, hi - lo, dst_n);
    return st;
}
