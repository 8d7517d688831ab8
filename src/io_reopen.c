/*
 * io_reopen.c - the output file reopened for a resumed run: its layout and
 * description checked against the experiment, the datasets cut back to the
 * checkpoint's step (contract: bs_io_reopen in io.h; the file's layout is
 * documented in io.c, whose helpers it shares through io_output.h).  An io
 * file: it calls HDF5.
 */
#include "io.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "io_h5.h"
#include "io_h5_read.h"
#include "io_output.h"

/* ---- reopening for a resumed run ---------------------------------------- */

/* Opens the existing file (flags: H5F_ACC_RDONLY or H5F_ACC_RDWR) with
 * the MPI-IO driver.  Returns 1, or 0 with the failure in c. */
static int file_open(bs_h5_ctx *c, bs_io *io, unsigned flags)
{
    return bs_h5_file_mpio(c, io->comm, "file", io->path, flags, &io->file,
                           &io->dxpl);
}

/* Whether type t is of the class and size of `want` (and its sign, or
 * its number of members): what this writer made, in any byte order. */
static int type_like(hid_t t, hid_t want)
{
    H5T_class_t k = H5Tget_class(want);
    return H5Tget_class(t) == k && H5Tget_size(t) == H5Tget_size(want) &&
           (k != H5T_INTEGER || H5Tget_sign(t) == H5Tget_sign(want)) &&
           (k != H5T_COMPOUND || H5Tget_nmembers(t) == H5Tget_nmembers(want));
}

/* Opens dataset `name` under loc (path obj), checks its type (like
 * `type`) and row width (cols, 0 for 1-D) and, when resize, cuts or
 * extends it to `rows` rows.  Returns the dataset, or H5I_INVALID_HID with
 * the failure in c. */
static hid_t dset_reopen(bs_h5_ctx *c, hid_t loc, const char *obj,
                         const char *name, hid_t type, uint64_t cols,
                         uint64_t rows, int resize)
{
    hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID, t = H5I_INVALID_HID;
    hsize_t dims[2] = {0, 0}, ext[2] = {rows, cols};
    int want = cols ? 2 : 1;
    int ok = H5CK(c, obj, d = H5Dopen2(loc, name, H5P_DEFAULT)) &&
             H5CK(c, obj, sp = H5Dget_space(d)) &&
             H5CK(c, obj, t = H5Dget_type(d));
    if (ok && !type_like(t, type)) {
        bs_h5_msg(c, "%s: %s: type is not the one brainsim writes", c->path,
                  obj);
        ok = 0;
    }
    if (ok && (H5Sget_simple_extent_ndims(sp) != want ||
               H5Sget_simple_extent_dims(sp, dims, NULL) != want ||
               (cols && dims[1] != cols))) {
        bs_h5_msg(c, "%s: %s: shape does not match the experiment (k = %llu)",
                c->path, obj, (unsigned long long)cols);
        ok = 0;
    }
    if (ok && !resize && dims[0] < rows) {
        bs_h5_msg(c, "%s: %s: %llu rows, fewer than the %llu steps of the "
                  "checkpoint: the output is damaged or of another run",
                  c->path, obj, (unsigned long long)dims[0],
                  (unsigned long long)rows);
        ok = 0;
    }
    ok = ok && (!resize || H5CK(c, obj, H5Dset_extent(d, ext)));
    bs_h5_close(&t);
    bs_h5_close(&sp);
    if (!ok)
        bs_h5_close(&d);
    return d;
}

/* Checks what the experiment determines in an existing output: the seed,
 * every area's n and k, and steps_complete >= rows (the rows the
 * checkpoint continues from).  Returns 1, or 0 with the failure in c. */
static int meta_matches(bs_h5_ctx *c, bs_io *io, const bs_io_meta *m,
                        uint64_t rows)
{
    uint64_t seed = 0, done = 0, n = 0, k = 0;
    char grp[96];
    if (bs_h5_attr_get_u64(c, io->file, "/", "seed", &seed) != BS_OK ||
        bs_h5_attr_get_u64(c, io->file, "/", "steps_complete", &done) !=
            BS_OK)
        return 0;
    if (seed != m->seed || done < rows) {
        bs_h5_msg(c, "%s: %s is %llu, the checkpoint needs %s %llu: the "
                  "output is damaged or of another run", c->path,
                  seed != m->seed ? "seed" : "steps_complete",
                  (unsigned long long)(seed != m->seed ? seed : done),
                  seed != m->seed ? "" : "at least",
                  (unsigned long long)(seed != m->seed ? m->seed : rows));
        return 0;
    }
    for (int a = 0; a < m->n_areas; a++) {
        hid_t g = H5I_INVALID_HID;
        snprintf(grp, sizeof grp, "/areas/%s", m->area_names[a]);
        int ok = H5CK(c, grp, g = H5Gopen2(io->file, grp, H5P_DEFAULT)) &&
                 bs_h5_attr_get_u64(c, g, grp, "n", &n) == BS_OK &&
                 bs_h5_attr_get_u64(c, g, grp, "k", &k) == BS_OK;
        bs_h5_close(&g);
        if (ok && (n != m->area_n[a] || k != m->area_k[a])) {
            bs_h5_msg(c, "%s: %s: n = %llu, k = %llu, the experiment has n = "
                      "%llu, k = %llu: the output is damaged or of another "
                      "run", c->path, grp, (unsigned long long)n,
                      (unsigned long long)k,
                      (unsigned long long)m->area_n[a],
                      (unsigned long long)m->area_k[a]);
            ok = 0;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

/* Rewrites what an experiment that appends operations changes: the root's
 * steps_total, /experiment and /schedule's operations.  Collective.
 * Returns 1, or 0 with the failure in c. */
static int meta_update(bs_h5_ctx *c, bs_io *io, const bs_io_meta *m)
{
    int ok = H5CK(c, "steps_total", H5Adelete(io->file, "steps_total")) &&
             bs_h5_attr_u64(c, io->file, "steps_total", m->steps_total) &&
             H5CK(c, "/experiment", H5Ldelete(io->file, "experiment",
                                              H5P_DEFAULT)) &&
             bs_h5_text_put(c, io->file, "/experiment", "experiment",
                            m->experiment_text, io->rank, io->dxpl);
    c->where = "/schedule";
    ok = ok && H5CK(c, "operations", H5Adelete(io->schedule, "operations")) &&
         bs_h5_attr_strings(c, io->schedule, "operations", m->n_ops,
                            m->op_descriptions);
    c->where = "/";
    return ok;
}

/* Opens every dataset of an existing output into io and checks its type
 * and shape (at least `rows` rows); when resize, sets them to `rows` rows.
 * Returns 1, or 0 with the failure in c. */
static int layout_reopen(bs_h5_ctx *c, bs_io *io, const bs_io_meta *m,
                         uint64_t rows, int resize)
{
    char obj[128], grp[96];
    int ok = 1;
    for (int a = 0; ok && a < m->n_areas; a++) {
        hid_t g = H5I_INVALID_HID;
        snprintf(grp, sizeof grp, "/areas/%s", m->area_names[a]);
        ok = H5CK(c, grp, g = H5Gopen2(io->file, grp, H5P_DEFAULT));
        for (int i = 0; ok && i < BS_DS_PER_AREA; i++) {
            snprintf(obj, sizeof obj, "%s/%s", grp, bs_io_ds_names[i]);
            uint64_t cols = i == BS_DS_SUPPORT ? 0 : m->area_k[a];
            io->areas[a].ds[i] = dset_reopen(c, g, obj, bs_io_ds_names[i],
                                             H5T_STD_U64LE, cols, rows,
                                             resize);
            ok = io->areas[a].ds[i] >= 0;
        }
        bs_h5_close(&g);
    }
    hid_t ft = H5I_INVALID_HID;
    ok = ok && bs_io_sched_types(c, &io->sched_mem, &ft) &&
         (io->schedule = dset_reopen(c, io->file, "/schedule", "schedule", ft,
                                     0, rows, resize)) >= 0;
    bs_h5_close(&ft);
    ok = ok && bs_io_metrics_types(c, &io->metrics_mem, &ft) &&
         (io->metrics = dset_reopen(c, io->file, "/metrics", "metrics", ft, 0,
                                    rows, resize)) >= 0;
    bs_h5_close(&ft);
    return ok;
}

/*
 * Sets steps_complete to `steps` and flushes (bs_io_steps_put): returns 1,
 * or 0 with the failure in c when it failed here on the only rank.  When
 * it failed here while there are several ranks, the others may wait for
 * this one inside HDF5, and the caller of bs_io_reopen (bs_resume) would
 * then wait too, closing the checkpoint it read collectively: the job is
 * ended here, with bs_io_stranded_msg on stderr (MPI_Abort; bs_resume's
 * contract in brainsim.h says so).  The only place the library ends the
 * job itself.
 */
static int steps_put_or_end(bs_h5_ctx *c, bs_io *io, uint64_t steps)
{
    char msg[BS_H5_NOTE_LEN + 256];
    if (bs_io_steps_put(c, io, steps))
        return 1;
    if (bs_comm_size(io->comm) == 1)
        return 0;
    bs_io_stranded_msg(c, io, msg, sizeof msg);
    fprintf(stderr, "brainsim: error: %s\n", msg);
    fflush(stderr);
    bs_comm_abort(1);
    return 0;
}

bs_status bs_io_reopen(const char *path, bs_comm *comm, const bs_io_meta *meta,
                       uint64_t rows, bs_io **out, char *err, size_t err_len)
{
    bs_h5_ctx c = {path ? path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_IO};
    if (!path || !meta || !out || !comm)
        return BS_ERR_ARG;
    *out = NULL;
    bs_h5_quiet();
    bs_status st = bs_io_meta_check(&c, meta);
    if (!bs_h5_agree(comm, &c, st == BS_OK))
        return BS_ERR_ARG;
    bs_io *io = bs_io_alloc(path, comm, meta);
    if (!bs_h5_agree(comm, &c, io != NULL)) {
        bs_io_free(io);
        return BS_ERR_NOMEM;
    }
    /* Read-only first: HDF5 1.10 can fail to close a file opened for
     * writing whose objects turn out to be corrupt, and then crashes at
     * exit; a file whose format, version and layout read cleanly is then
     * opened to write. */
    char format[64];
    int readable = bs_h5_agree(comm, &c, file_open(&c, io, H5F_ACC_RDONLY)) &&
                   bs_h5_agree(comm, &c,
                               bs_h5_format_check(&c, io->file,
                                                  BS_H5_FORMAT_OUTPUT, format,
                                                  sizeof format) == BS_OK) &&
                   bs_h5_agree(comm, &c, meta_matches(&c, io, meta, rows)) &&
                   bs_h5_agree(comm, &c, layout_reopen(&c, io, meta, rows, 0));
    bs_io_close_handles(io);
    if (!readable ||
        !bs_h5_agree(comm, &c, file_open(&c, io, H5F_ACC_RDWR))) {
        bs_io_close(&io);
        return BS_ERR_IO;
    }
    if (!bs_h5_agree(comm, &c, layout_reopen(&c, io, meta, rows, 1)) ||
        !bs_h5_agree(comm, &c, meta_update(&c, io, meta)) ||
        !bs_h5_agree(comm, &c, steps_put_or_end(&c, io, rows))) {
        bs_h5_note_space(comm, &c, path);
        bs_io_close(&io);
        return BS_ERR_IO;
    }
    io->n_rows = io->steps_complete = rows;
    *out = io;
    return BS_OK;
}
