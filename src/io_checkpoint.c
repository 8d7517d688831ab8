#define _POSIX_C_SOURCE 200809L
/*
 * io_checkpoint.c - writing checkpoints with parallel HDF5 (checkpoint.h;
 * reading is io_checkpoint_read.c).  Fixed here, beyond the layout of
 * checkpoint.h:
 *   types         every dataset 1-D little-endian (u64, geometry and weight
 *                 u32), chunked and extendible (so 0 rows is a valid
 *                 dataset); attributes as in io.c (u64 counts, i32 flags
 *                 0/1, fixed-length UTF-8 strings); /experiment a scalar
 *                 fixed-length UTF-8 string of the text's exact length (1
 *                 byte, NUL, for an empty text)
 *   winners       the caller's first n_winners winners and win_inputs are
 *                 written: the file holds UINT64_MAX and 0 (fill values)
 *                 past them
 *   arguments     what would make an unreadable file is refused up front
 *                 (BS_ERR_ARG on every rank): unsorted or out-of-range ids,
 *                 rows not strictly increasing by (target, source), weights
 *                 below 1.0, ever-fired lists that do not add up to support
 *   full disk     a failed write or close of "<path>.tmp" also says how
 *                 much space its file system had left (bs_h5_note_space),
 *                 before the file is cut and removed
 *   durability    H5Fflush (MPI_File_sync on every rank), H5Fclose, then
 *                 rank 0 fsyncs "<path>.tmp", rotates (path.1 a hard
 *                 link to path first, so that path exists at every
 *                 instant), renames it to path and fsyncs the directory
 *                 (io_checkpoint_publish.c).  A failed rotation is undone
 *                 (but for the oldest kept file, which the first rename
 *                 replaced) and "<path>.tmp" removed.
 * Ranks agree (bs_h5_agree_status) after each collective unit of work, so
 * every rank takes the same path through the HDF5 collectives and returns
 * the same status.
 */
#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "io_checkpoint_writer.h"
#include "io_h5.h"
#include "log.h"
#include "rowsum.h"

#define ROW_CHUNK (1u << 16)   /* elements per chunk of a row dataset */
#define GEOM_WORDS (4 + BS_MAX_BLOCK_EDGES)

uint64_t bs_config_hash(const char *text, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; text != NULL && i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* ---- argument checks --------------------------------------------------- */

/* 1 iff v[0..n) is strictly ascending and below bound. */
static int ascending_below(const uint64_t *v, uint64_t n, uint64_t bound)
{
    for (uint64_t i = 0; i < n; i++)
        if (v[i] >= bound || (i > 0 && v[i] <= v[i - 1]))
            return 0;
    return 1;
}

/* Checks area i of the caller: BS_OK, or BS_ERR_ARG naming what would
 * make an unreadable file. */
static bs_status area_args(bs_h5_ctx *c, int i, const bs_ckpt_area *a)
{
    const char *why = NULL;
    if (!bs_h5_name_ok(a->name))
        why = "the name must be non-empty without '/'";
    else if (a->k == 0 || a->k > a->n || a->support > a->n)
        why = "k and support must be in 1..n and 0..n";
    else if (a->n_winners > a->k)
        why = "n_winners must be in 0..k";
    else if (a->prev_support > a->support || !(a->beta >= 0 && a->beta <= 10))
        why = "prev_support must be <= support and beta in 0..10";
    else if (a->n_winners && (!a->winners || !a->win_inputs ||
                              !ascending_below(a->winners, a->n_winners,
                                               a->n)))
        why = "winners must be ascending, distinct and below n";
    else if (a->n_ever_local && (!a->ever_local ||
                                 !ascending_below(a->ever_local,
                                                  a->n_ever_local, a->n)))
        why = "ever_local must be ascending, distinct and below n";
    if (why)
        bs_h5_msg(c, "%s: checkpoint area %d ('%s'): %s", c->path, i,
                  a->name ? a->name : "(null)", why);
    return why ? BS_ERR_ARG : BS_OK;
}

/* Checks fiber i of the caller (its geometry and rows): BS_OK, or
 * BS_ERR_ARG naming what is wrong. */
static bs_status fiber_args(bs_h5_ctx *c, int i, const bs_ckpt_fiber *f)
{
    const char *why = NULL;
    uint64_t r;
    if (!bs_h5_name_ok(f->name))
        why = "the name must be non-empty without '/'";
    else if (f->geom.log2_block < 2 || f->geom.log2_block > 32 ||
             f->geom.n_thresh > BS_MAX_BLOCK_EDGES)
        why = "invalid geometry";
    else if (f->n_rows && (!f->src || !f->tgt || !f->w))
        why = "NULL rows";
    for (r = 0; !why && r < f->n_rows; r++)
        if (f->src[r] >= f->n_src || f->tgt[r] >= f->dst_n ||
            f->w[r] < BS_W_ONE ||
            (r > 0 && (f->tgt[r] < f->tgt[r - 1] ||
                       (f->tgt[r] == f->tgt[r - 1] &&
                        f->src[r] <= f->src[r - 1]))))
            why = "rows must be strictly increasing by (target, source), "
                  "in range, with weights >= 1.0";
    if (why)
        bs_h5_msg(c, "%s: checkpoint fiber %d ('%s'): %s", c->path, i,
                  f->name ? f->name : "(null)", why);
    return why ? BS_ERR_ARG : BS_OK;
}

/* Checks every argument of bs_ckpt_write on this rank: BS_OK, or
 * BS_ERR_ARG with the message in c (not agreed). */
static bs_status args_check(bs_h5_ctx *c, const char *path, int keep,
                            const bs_ckpt_header *h, const bs_ckpt_area *areas,
                            const bs_ckpt_fiber *fibers)
{
    bs_status st = BS_OK;
    if (!path || !path[0] || keep < 1 || !h || h->n_areas < 0 ||
        h->n_fibers < 0 || h->n_snapshots < 0 ||
        (h->n_snapshots > 0 && (!h->snap_count || !h->snap_ids)) ||
        (h->n_areas > 0 && !areas) ||
        (h->n_fibers > 0 && !fibers)) {
        bs_h5_msg(c, "%s: bs_ckpt_write: NULL or invalid argument (keep = "
                  "%d)", c->path, keep);
        return BS_ERR_ARG;
    }
    for (int a = 0; st == BS_OK && a < h->n_areas; a++)
        st = area_args(c, a, &areas[a]);
    for (int f = 0; st == BS_OK && f < h->n_fibers; f++)
        st = fiber_args(c, f, &fibers[f]);
    return st;
}

/* ---- the file ---------------------------------------------------------- */


/* Places each rank's ever-fired ids and rows: off[2 i] is this rank's
 * offset and off[2 i + 1] the total, for the areas then the fibers. */
static bs_status row_offsets(ckpt_w *w, const bs_ckpt_header *h,
                             const bs_ckpt_area *areas,
                             const bs_ckpt_fiber *fibers, uint64_t *off)
{
    char mpi_err[160] = "";
    bs_status st = BS_OK;
    int n = h->n_areas + h->n_fibers;
    for (int i = 0; st == BS_OK && i < n; i++) {
        uint64_t count = i < h->n_areas ? areas[i].n_ever_local
                                        : fibers[i - h->n_areas].n_rows;
        st = bs_comm_exscan_u64(w->comm, count, &off[2 * i], &off[2 * i + 1],
                                mpi_err, sizeof mpi_err);
        if (st != BS_OK)
            bs_h5_msg(w->c, "%s: %s", w->c->path, mpi_err);
        else if (i < h->n_areas && off[2 * i + 1] != areas[i].support) {
            bs_h5_msg(w->c, "%s: checkpoint area '%s': support is %llu but "
                      "the ranks list %llu ever-fired neurons", w->c->path,
                      areas[i].name, (unsigned long long)areas[i].support,
                      (unsigned long long)off[2 * i + 1]);
            st = BS_ERR_ARG;
        }
    }
    return st;
}

/* Creates (truncating) "<path>.tmp" and the collective transfer list.
 * The same status on every rank (BS_ERR_IO naming tmp). */
static bs_status file_create(ckpt_w *w, const char *tmp)
{
    int ok = bs_h5_file_mpio(w->c, w->comm, tmp, tmp, H5F_ACC_TRUNC,
                             &w->file, &w->dxpl);
    return bs_h5_agree_status(w->comm, w->c, ok ? BS_OK : BS_ERR_IO);
}

/* The `checksum` attribute of dataset d (rowsum.h): every rank's part of
 * its count values at offset, summed over the ranks, plus the fill values
 * of the part nobody wrote (fill not NULL: a dataset with a fill value is
 * written by rank 0 alone, a prefix [0, count), or by none).
 * Collective.  Every rank returns the same status. */
static bs_status checksum_write(ckpt_w *w, hid_t d, hid_t mtype,
                                uint64_t offset, uint64_t count,
                                const void *buf, uint64_t total,
                                const uint64_t *fill)
{
    char mpi_err[160] = "";
    size_t size = H5Tequal(mtype, H5T_NATIVE_UINT32) > 0 ? 4 : 8;
    uint64_t sum[2] = {count && buf ? bs_rowsum(buf, size, offset, count)
                                    : 0, count};
    if (bs_comm_sum_u64(w->comm, sum, 2, mpi_err, sizeof mpi_err) != BS_OK) {
        bs_h5_msg(w->c, "%s: %s", w->c->path, mpi_err);
        return BS_ERR_IO;
    }
    /* the values past what was written (rank 0 writes a prefix: the
     * winners of an area with fewer than k) read as the fill value */
    if (fill && sum[1] < total)
        sum[0] += bs_rowsum_fill(*fill, sum[1], total - sum[1]);
    int ok = bs_h5_attr_u64(w->c, d, "checksum", sum[0]);
    return bs_h5_agree_status(w->comm, w->c, ok ? BS_OK : BS_ERR_IO);
}

/*
 * Creates the 1-D dataset `name` in loc (obj: its path) of `total` values
 * of file type ftype, with fill value *fill (NULL: none, every value is
 * written), and writes collectively this rank's `count` values at
 * `offset` from buf (memory type mtype).  Every rank returns the same
 * status.
 */
bs_status bs_ckpt_dset_write(ckpt_w *w, hid_t loc, const char *obj,
                            const char *name, hid_t ftype, hid_t mtype,
                            uint64_t total, uint64_t offset, uint64_t count,
                            const void *buf, const uint64_t *fill)
{
    bs_h5_ctx *c = w->c;
    hsize_t dim = total, maxd = H5S_UNLIMITED, one = 1, start = offset;
    hsize_t chunk = total == 0 ? 1 : total < ROW_CHUNK ? total : ROW_CHUNK;
    hsize_t n = count;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID, p = H5I_INVALID_HID;
    hid_t d = H5I_INVALID_HID, ap = H5I_INVALID_HID;
    static const uint64_t dummy = 0;   /* H5Dwrite wants a buffer */
    /* No chunk cache: every chunk goes to the file inside H5Dwrite, so a
     * full disk fails the write that caused it, and no dirty chunk is left
     * for the close to flush (HDF5 1.10 loses such a chunk's buffer when
     * that flush fails).  Each chunk is written once, whole or by its
     * ranks' parts, so the cache would save nothing. */
    int ok = H5CK(c, obj, ap = H5Pcreate(H5P_DATASET_ACCESS)) &&
             H5CK(c, obj, H5Pset_chunk_cache(ap, 0, 0, 1.0)) &&
             H5CK(c, obj, fs = H5Screate_simple(1, &dim, &maxd)) &&
             H5CK(c, obj, p = H5Pcreate(H5P_DATASET_CREATE)) &&
             H5CK(c, obj, H5Pset_chunk(p, 1, &chunk)) &&
             (fill ? H5CK(c, obj, H5Pset_fill_value(p, H5T_NATIVE_UINT64,
                                                    fill))
                   : H5CK(c, obj, H5Pset_fill_time(p,
                                                   H5D_FILL_TIME_NEVER))) &&
             H5CK(c, obj, d = H5Dcreate2(loc, name, ftype, fs, H5P_DEFAULT,
                                         p, ap)) &&
             H5CK(c, obj, ms = H5Screate_simple(1, count ? &n : &one, NULL));
    if (ok && count > 0)
        ok = H5CK(c, obj, H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start,
                                               NULL, &n, NULL));
    else if (ok)
        ok = H5CK(c, obj, H5Sselect_none(fs)) &&
             H5CK(c, obj, H5Sselect_none(ms));
    /* agree before the collective transfer: no rank may skip it */
    bs_status st = bs_h5_agree_status(w->comm, c, ok ? BS_OK : BS_ERR_IO);
    if (st == BS_OK) {
        ok = H5CK(c, obj, H5Dwrite(d, mtype, ms, fs, w->dxpl,
                                   count && buf ? buf : (const void *)&dummy));
        st = bs_h5_agree_status(w->comm, c, ok ? BS_OK : BS_ERR_IO);
    }
    if (st == BS_OK)
        st = checksum_write(w, d, mtype, offset, count, buf, total, fill);
    bs_h5_close(&ms);
    bs_h5_close(&fs);
    bs_h5_close(&p);
    bs_h5_close(&ap);
    bs_h5_close(&d);
    return st;
}

/* Creates group `name` in loc with path gpath (also c->where), for the
 * attributes that follow.  H5I_INVALID_HID with the failure in c. */
hid_t bs_ckpt_group_create(bs_h5_ctx *c, hid_t loc, const char *name,
                          const char *gpath)
{
    hid_t g = H5I_INVALID_HID;
    c->where = gpath;
    if (!H5CK(c, gpath, g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT,
                                        H5P_DEFAULT)))
        g = H5I_INVALID_HID;
    return g;
}

/* /areas/<name>: attributes, winners, win_inputs, ever_fired.  ev: this
 * rank's offset and the total of the ever-fired ids. */
static bs_status area_write(ckpt_w *w, hid_t areas, const bs_ckpt_area *a,
                            const uint64_t *ev)
{
    static const uint64_t absent = UINT64_MAX, zero = 0;
    bs_h5_ctx *c = w->c;
    char gpath[192], obj[224];
    uint64_t mine = w->rank == 0 ? a->n_winners : 0;
    snprintf(gpath, sizeof gpath, "/areas/%s", a->name);
    hid_t g = bs_ckpt_group_create(c, areas, a->name, gpath);
    int ok = g >= 0 && bs_h5_attr_u64(c, g, "n", a->n) &&
             bs_h5_attr_u64(c, g, "k", a->k) &&
             bs_h5_attr_u64(c, g, "n_winners", a->n_winners) &&
             bs_h5_attr_u64(c, g, "support", a->support) &&
             bs_h5_attr_i32(c, g, "fixed", a->fixed != 0) &&
             bs_h5_attr_i32(c, g, "inhibited", a->inhibited != 0) &&
             bs_h5_attr_u64(c, g, "prev_support", a->prev_support) &&
             bs_h5_attr_u64(c, g, "last_growth", a->last_growth) &&
             bs_h5_attr_u64(c, g, "last_change", a->last_change) &&
             bs_h5_attr_put(c, g, "beta", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                            -1, &a->beta);
    bs_status st = bs_h5_agree_status(w->comm, c, ok ? BS_OK : BS_ERR_IO);
    snprintf(obj, sizeof obj, "%s/winners", gpath);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, obj, "winners", H5T_STD_U64LE,
                        H5T_NATIVE_UINT64, a->k, 0, mine, a->winners,
                        &absent);
    snprintf(obj, sizeof obj, "%s/win_inputs", gpath);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, obj, "win_inputs", H5T_STD_U64LE,
                        H5T_NATIVE_UINT64, a->k, 0, mine, a->win_inputs,
                        &zero);
    snprintf(obj, sizeof obj, "%s/ever_fired", gpath);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, obj, "ever_fired", H5T_STD_U64LE,
                        H5T_NATIVE_UINT64, ev[1], ev[0], a->n_ever_local,
                        a->ever_local, NULL);
    bs_h5_close(&g);
    c->where = "/";
    return st;
}

/* /fibers/<name>: attributes, geometry, source, target, weight.  rows:
 * this rank's offset and the total. */
static bs_status fiber_write(ckpt_w *w, hid_t fibers, const bs_ckpt_fiber *f,
                             const uint64_t *rows)
{
    bs_h5_ctx *c = w->c;
    char gpath[192], obj[224];
    uint32_t geom[GEOM_WORDS] = {f->geom.key.v[0], f->geom.key.v[1],
                                 f->geom.log2_block, f->geom.n_thresh};
    memcpy(geom + 4, f->geom.thresh, sizeof f->geom.thresh);
    snprintf(gpath, sizeof gpath, "/fibers/%s", f->name);
    hid_t g = bs_ckpt_group_create(c, fibers, f->name, gpath);
    int ok = g >= 0 && bs_h5_attr_i32(c, g, "inhibited", f->inhibited != 0) &&
             bs_h5_attr_u64(c, g, "n_src", f->n_src) &&
             bs_h5_attr_u64(c, g, "dst_n", f->dst_n) &&
             bs_h5_attr_i32(c, g, "beta_set", f->beta_set != 0) &&
             bs_h5_attr_put(c, g, "beta", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                            -1, &f->beta);
    bs_status st = bs_h5_agree_status(w->comm, c, ok ? BS_OK : BS_ERR_IO);
    snprintf(obj, sizeof obj, "%s/geometry", gpath);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, obj, "geometry", H5T_STD_U32LE,
                        H5T_NATIVE_UINT32, GEOM_WORDS, 0,
                        w->rank == 0 ? GEOM_WORDS : 0, geom, NULL);
    snprintf(obj, sizeof obj, "%s/source", gpath);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, obj, "source", H5T_STD_U64LE,
                        H5T_NATIVE_UINT64, rows[1], rows[0], f->n_rows,
                        f->src, NULL);
    snprintf(obj, sizeof obj, "%s/target", gpath);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, obj, "target", H5T_STD_U64LE,
                        H5T_NATIVE_UINT64, rows[1], rows[0], f->n_rows,
                        f->tgt, NULL);
    snprintf(obj, sizeof obj, "%s/weight", gpath);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, obj, "weight", H5T_STD_U32LE,
                        H5T_NATIVE_UINT32, rows[1], rows[0], f->n_rows, f->w,
                        NULL);
    bs_h5_close(&g);
    c->where = "/";
    return st;
}

/* Root attributes, /experiment and the groups /areas and /fibers. */
static bs_status header_write(ckpt_w *w, const bs_ckpt_header *h,
                              hid_t *areas, hid_t *fibers)
{
    bs_h5_ctx *c = w->c;
    hid_t root = w->file;
    int ok = bs_h5_attr_str(c, root, "format", BS_H5_FORMAT_CHECKPOINT) &&
             bs_h5_attr_i32(c, root, "format_version",
                            BS_H5_FORMAT_VERSION) &&
             bs_h5_attr_str(c, root, "brainsim_version", BS_VERSION_STRING) &&
             bs_h5_attr_u64(c, root, "step", h->step) &&
             bs_h5_attr_i32(c, root, "op", h->op) &&
             bs_h5_attr_u64(c, root, "round", h->round) &&
             bs_h5_attr_u64(c, root, "config_hash", h->config_hash) &&
             bs_h5_attr_u64(c, root, "seed", h->seed) &&
             bs_h5_attr_i32(c, root, "n_ranks", h->n_ranks) &&
             bs_h5_attr_i32(c, root, "n_areas", h->n_areas) &&
             bs_h5_attr_i32(c, root, "n_fibers", h->n_fibers) &&
             bs_h5_attr_i32(c, root, "plasticity", !h->plasticity_off) &&
             bs_h5_attr_i32(c, root, "n_snapshots", h->n_snapshots) &&
             bs_h5_text_put(c, root, "/experiment", "experiment",
                            h->experiment_text, w->rank, H5P_DEFAULT) &&
             (*areas = bs_ckpt_group_create(c, root, "areas", "/areas")) >= 0 &&
             (*fibers = bs_ckpt_group_create(c, root, "fibers", "/fibers")) >= 0;
    c->where = "/";
    return bs_h5_agree_status(w->comm, c, ok ? BS_OK : BS_ERR_IO);
}

/* /snapshots: count and the ids one after another (rank 0 writes; the
 * same on every rank).  The same status on every rank. */
static bs_status snapshots_write(ckpt_w *w, const bs_ckpt_header *h)
{
    bs_h5_ctx *c = w->c;
    uint64_t total = 0, n = (uint64_t)h->n_snapshots;
    for (int i = 0; i < h->n_snapshots; i++)
        total += h->snap_count[i];
    uint64_t *ids = malloc((total ? total : 1) * sizeof *ids);
    int ok = ids != NULL;
    uint64_t at = 0;
    for (int i = 0; ok && i < h->n_snapshots; i++) {
        memcpy(ids + at, h->snap_ids[i], h->snap_count[i] * sizeof *ids);
        at += h->snap_count[i];
    }
    if (!ok)
        bs_h5_msg(c, "%s: out of memory for the snapshots", c->path);
    hid_t g = ok ? bs_ckpt_group_create(c, w->file, "snapshots", "/snapshots")
                 : H5I_INVALID_HID;
    bs_status st = bs_h5_agree_status(w->comm, c, g >= 0 ? BS_OK
                                      : ok ? BS_ERR_IO : BS_ERR_NOMEM);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, "/snapshots/count", "count", H5T_STD_U64LE,
                        H5T_NATIVE_UINT64, n, 0, w->rank == 0 ? n : 0,
                        h->snap_count, NULL);
    if (st == BS_OK)
        st = bs_ckpt_dset_write(w, g, "/snapshots/ids", "ids", H5T_STD_U64LE,
                        H5T_NATIVE_UINT64, total, 0, w->rank == 0 ? total : 0,
                        ids, NULL);
    free(ids);
    bs_h5_close(&g);
    c->where = "/";
    return st;
}

/* Writes the whole file "<path>.tmp" and closes it on every rank (on
 * every path); the same status on every rank. */
static bs_status file_write(ckpt_w *w, const char *tmp,
                            const bs_ckpt_header *h, const bs_ckpt_area *areas,
                            const bs_ckpt_fiber *fibers, const uint64_t *off)
{
    hid_t ga = H5I_INVALID_HID, gf = H5I_INVALID_HID;
    bs_status st = file_create(w, tmp);
    if (st == BS_OK)
        st = header_write(w, h, &ga, &gf);
    for (int a = 0; st == BS_OK && a < h->n_areas; a++)
        st = area_write(w, ga, &areas[a], &off[2 * a]);
    for (int f = 0; st == BS_OK && f < h->n_fibers; f++)
        st = fiber_write(w, gf, &fibers[f], &off[2 * (h->n_areas + f)]);
    if (st == BS_OK)
        st = snapshots_write(w, h);
    if (st == BS_OK)
        st = bs_ckpt_lazy_write(w, h);
    bs_h5_close(&ga);
    bs_h5_close(&gf);
    bs_h5_close(&w->dxpl);
    if (st == BS_OK) {
        bs_test_pause("BRAINSIM_TEST_CHECKPOINT_PAUSE");
        st = bs_h5_agree_status(w->comm, w->c,
                                H5CK(w->c, "file", H5Fflush(
                                         w->file, H5F_SCOPE_GLOBAL))
                                    ? BS_OK : BS_ERR_IO);
    }
    if (w->file >= 0) {
        /* A failed write (a full disk) makes the close's metadata flush
         * fail too, and HDF5 1.10 crashes at exit after a failed H5Fclose:
         * the file is discarded, so free its space first (after saying
         * how much was left). */
        if (st != BS_OK) {
            bs_h5_note_space(w->comm, w->c, tmp);
            if (w->rank == 0 && truncate(tmp, 0) != 0) {
                /* not freed: the close below may fail, and says why */
            }
            bs_h5_agree(w->comm, w->c, 1);   /* every rank after the cut */
        }
        int ok = H5CK(w->c, "file", H5Fclose(w->file));
        w->file = H5I_INVALID_HID;
        bs_status cst = bs_h5_agree_status(w->comm, w->c,
                                           ok ? BS_OK : BS_ERR_IO);
        if (st == BS_OK && cst != BS_OK)
            bs_h5_note_space(w->comm, w->c, tmp);
        st = st == BS_OK ? cst : st;
    }
    return st;
}

bs_status bs_ckpt_write(const char *path, int keep, bs_comm *comm,
                        const bs_ckpt_header *h, const bs_ckpt_area *areas,
                        const bs_ckpt_fiber *fibers, char *err,
                        size_t err_len)
{
    bs_h5_ctx c = {path ? path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_IO};
    ckpt_w w = {&c, comm, 0, H5I_INVALID_HID, H5I_INVALID_HID};
    uint64_t *off = NULL;
    char *tmp = NULL;
    if (!comm) {
        bs_h5_msg(&c, "%s: bs_ckpt_write: NULL communicator", c.path);
        return BS_ERR_ARG;
    }
    w.rank = bs_comm_rank(comm);
    bs_status st = bs_h5_agree_status(comm, &c,
                                      args_check(&c, path, keep, h, areas,
                                                 fibers));
    if (st != BS_OK)
        return st;
    bs_h5_quiet();
    off = calloc(2 * ((size_t)h->n_areas + (size_t)h->n_fibers) + 1,
                 sizeof *off);
    tmp = malloc(strlen(path) + 5);
    if (!off || !tmp)
        bs_h5_msg(&c, "%s: out of memory", c.path);
    st = bs_h5_agree_status(comm, &c, off && tmp ? BS_OK : BS_ERR_NOMEM);
    if (st == BS_OK)
        st = bs_h5_agree_status(comm, &c,
                                row_offsets(&w, h, areas, fibers, off));
    if (st == BS_OK) {
        snprintf(tmp, strlen(path) + 5, "%s.tmp", path);
        st = file_write(&w, tmp, h, areas, fibers, off);
        if (st == BS_OK)
            st = bs_ckpt_publish(&w, path, tmp, keep);
        if (st != BS_OK && w.rank == 0)
            remove(tmp);   /* every rank has closed it (agreed) */
    }
    free(off);
    free(tmp);
    return st;
}
