/*
 * io_write.c - appending rows to the output file (bs_io_write of io.h):
 * the check that the disk can take the next chunks, the collective writes
 * of every dataset, steps_complete and the flush, and what happens when a
 * write fails on some ranks only.
 *
 * Parallel HDF5 allocates a dataset's new chunks when it is extended, in a
 * collective call that waits in a barrier: a write that fails there on one
 * rank leaves the others inside HDF5, where no agreement of brainsim
 * reaches them.  So before an extension every rank computes the bytes it
 * allocates and all refuse together (BS_ERR_IO, agreed) when the file
 * system lacks them; should a collective write still fail on one rank of
 * several, that rank returns BS_ERR_MPI at once, without another
 * collective call, with a message saying the job ends: the top level
 * (the brainsim command, the Python package) ends it with bs_abort.
 */
#include "io_output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

const char *const bs_io_ds_names[BS_DS_PER_AREA] = {"winners", "inputs",
                                                    "support"};

#define EXTEND_MARGIN (UINT64_C(256) << 10)  /* metadata of an extension */

void bs_io_stranded_msg(const bs_h5_ctx *c, const bs_io *io, char *buf,
                        size_t len)
{
    uint64_t avail = 0;
    char space[160] = "";
    if (bs_h5_free_space_here(io->path, &avail))
        snprintf(space, sizeof space, " (%llu bytes free on the file system "
                 "of %s)", (unsigned long long)avail, io->path);
    snprintf(buf, len, "rank %d: %s%s; ending the job, since the other "
             "ranks may wait for this one inside HDF5", io->rank, c->note,
             space);
}

/*
 * The outcome of a collective write of io on this rank (ok), agreed:
 * BS_OK when every rank succeeded, BS_ERR_IO on every rank when one
 * failed, but for a rank that failed while there are several: the others
 * may be waiting for it inside HDF5 (a failed H5Dset_extent leaves them in
 * its barrier), so it makes no agreement, records bs_io_stranded_msg and
 * returns BS_ERR_MPI.
 */
static bs_status write_agree(bs_h5_ctx *c, bs_io *io, int ok)
{
    if (!ok && bs_comm_size(io->comm) > 1) {
        if (c->err && c->err_len > 0)
            bs_io_stranded_msg(c, io, c->err, c->err_len);
        return BS_ERR_MPI;
    }
    return bs_h5_agree(io->comm, c, ok) ? BS_OK : BS_ERR_IO;
}

/* Bytes the file may grow by when its datasets go from io->n_rows to
 * `extent` rows: parallel HDF5 allocates chunks when a dataset is
 * extended (early allocation), a whole chunk for every new chunk row.
 * Local (property queries only).  Returns 1, or 0 with the failure in c. */
static int extend_bytes(bs_h5_ctx *c, const bs_io *io, uint64_t extent,
                        uint64_t *bytes)
{
    const int n = io->n_areas * BS_DS_PER_AREA + 2;
    int i, ok = 1;
    *bytes = 0;
    for (i = 0; ok && i < n; i++) {
        hid_t d = i < io->n_areas * BS_DS_PER_AREA
                      ? io->areas[i / BS_DS_PER_AREA].ds[i % BS_DS_PER_AREA]
                      : i == n - 2 ? io->schedule : io->metrics;
        hid_t p = H5I_INVALID_HID, t = H5I_INVALID_HID;
        hsize_t chunk[2] = {1, 1};
        int rank = 0;
        size_t tsize = 0;
        ok = H5CK(c, "dataset", p = H5Dget_create_plist(d)) &&
             H5CK(c, "dataset", rank = H5Pget_chunk(p, 2, chunk)) &&
             H5CK(c, "dataset", t = H5Dget_type(d)) &&
             H5CK(c, "dataset", tsize = H5Tget_size(t));
        if (ok && chunk[0] > 0) {
            uint64_t row = (uint64_t)tsize * (rank == 2 ? chunk[1] : 1);
            uint64_t now = (io->n_rows + chunk[0] - 1) / chunk[0];
            uint64_t then = (extent + chunk[0] - 1) / chunk[0];
            *bytes += (then > now ? then - now : 0) * chunk[0] * row;
        }
        bs_h5_close(&t);
        bs_h5_close(&p);
    }
    return ok;
}

/*
 * Refuses, on every rank, an extension to `extent` rows that the disk
 * cannot take: a collective HDF5 call that fails on some ranks only
 * cannot be agreed (see write_agree).  The environment variable
 * BRAINSIM_TEST_NO_SPACE_CHECK skips the check (tests reach write_agree's
 * failure path so).  Returns BS_OK, or BS_ERR_IO on every rank with the
 * message (rows: the block, for it).  Collective.
 */
static bs_status space_check(bs_h5_ctx *c, bs_io *io, const bs_io_rows *rows,
                             uint64_t extent)
{
    uint64_t need = 0, avail = 0, end = rows->first_step + rows->n_rows;
    if (extent <= io->n_rows || getenv("BRAINSIM_TEST_NO_SPACE_CHECK"))
        return BS_OK;
    if (!bs_h5_agree(io->comm, c, extend_bytes(c, io, extent, &need)))
        return BS_ERR_IO;
    need += EXTEND_MARGIN;
    if (bs_h5_free_space(io->comm, io->path, &avail) && avail < need) {
        bs_h5_msg(c, "%s: steps %llu to %llu: write failed before it began: "
                  "the datasets' next chunks need %llu bytes (no space left: "
                  "%llu bytes free on the file system of %s)", c->path,
                  (unsigned long long)rows->first_step,
                  (unsigned long long)(end - 1), (unsigned long long)need,
                  (unsigned long long)avail, c->path);
        return BS_ERR_IO;
    }
    return BS_OK;
}

/*
 * Writes the rows of r to dataset d ([steps] when cols == 0, else [steps,
 * cols]) from buf in memory type mtype, after extending it to `extent`
 * rows.  Rank 0 selects the rows, the others nothing.  Collective,
 * including the agreement: returns write_agree's status.
 */
static bs_status rows_put(bs_h5_ctx *c, bs_io *io, hid_t d, const char *obj,
                          hid_t mtype, uint64_t cols, const bs_io_rows *r,
                          uint64_t extent, const void *buf)
{
    hsize_t ext[2] = {extent, cols}, start[2] = {r->first_step, 0};
    hsize_t count[2] = {r->n_rows, cols};
    int rank = cols == 0 ? 1 : 2;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    int ok = (extent <= io->n_rows || H5CK(c, obj, H5Dset_extent(d, ext))) &&
             H5CK(c, obj, fs = H5Dget_space(d)) &&
             H5CK(c, obj, ms = H5Screate_simple(rank, count, NULL));
    if (ok && io->rank == 0)
        ok = H5CK(c, obj, H5Sselect_hyperslab(fs, H5S_SELECT_SET, start,
                                               NULL, count, NULL));
    else if (ok)
        ok = H5CK(c, obj, H5Sselect_none(fs)) &&
             H5CK(c, obj, H5Sselect_none(ms));
    ok = ok && H5CK(c, obj, H5Dwrite(d, mtype, ms, fs, io->dxpl, buf));
    bs_h5_close(&ms);
    bs_h5_close(&fs);
    return write_agree(c, io, ok);
}

int bs_io_steps_put(bs_h5_ctx *c, bs_io *io, uint64_t steps)
{
    hid_t a = H5I_INVALID_HID;
    const char *obj = "attribute 'steps_complete' of /";
    int ok = H5CK(c, obj, a = H5Aopen(io->file, "steps_complete",
                                      H5P_DEFAULT)) &&
             H5CK(c, obj, H5Awrite(a, H5T_NATIVE_UINT64, &steps));
    bs_h5_close(&a);
    return ok && H5CK(c, "file", H5Fflush(io->file, H5F_SCOPE_GLOBAL));
}

/* Returns 1 iff every buffer the block needs is present. */
static int rows_valid(const bs_io *io, const bs_io_rows *r)
{
    int a;
    if (!r->schedule || !r->metrics ||
        (io->n_areas > 0 && (!r->winners || !r->inputs || !r->support)) ||
        r->first_step > UINT64_MAX - r->n_rows)
        return 0;
    for (a = 0; a < io->n_areas; a++)
        if (!r->winners[a] || !r->inputs[a] || !r->support[a])
            return 0;
    return 1;
}

/* Every dataset's rows of the block, extended to `extent` rows: the
 * status of the first write that fails (write_agree), else BS_OK. */
static bs_status datasets_put(bs_h5_ctx *c, bs_io *io,
                              const bs_io_rows *rows, uint64_t extent)
{
    char obj[128];
    bs_status st = BS_OK;
    for (int a = 0; st == BS_OK && a < io->n_areas; a++) {
        const bs_io_area *ar = &io->areas[a];
        const uint64_t *bufs[BS_DS_PER_AREA] = {
            rows->winners[a], rows->inputs[a], rows->support[a]};
        for (int i = 0; st == BS_OK && i < BS_DS_PER_AREA; i++) {
            snprintf(obj, sizeof obj, "/areas/%s/%s", ar->name,
                     bs_io_ds_names[i]);
            st = rows_put(c, io, ar->ds[i], obj, H5T_NATIVE_UINT64,
                          i == BS_DS_SUPPORT ? 0 : ar->k, rows, extent,
                          bufs[i]);
        }
    }
    if (st == BS_OK)
        st = rows_put(c, io, io->schedule, "/schedule", io->sched_mem, 0,
                      rows, extent, rows->schedule);
    if (st == BS_OK)
        st = rows_put(c, io, io->metrics, "/metrics", io->metrics_mem, 0,
                      rows, extent, rows->metrics);
    return st;
}

bs_status bs_io_write(bs_io *io, const bs_io_rows *rows, char *err,
                      size_t err_len)
{
    bs_h5_ctx c = {io ? io->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_IO};
    if (!io) {
        bs_h5_msg(&c, "%s: bs_io_write: NULL output", c.path);
        return BS_ERR_ARG;
    }
    if (!rows || !rows_valid(io, rows))
        bs_h5_msg(&c, "%s: bs_io_write: NULL or invalid rows", c.path);
    if (!bs_h5_agree(io->comm, &c, rows && rows_valid(io, rows)))
        return BS_ERR_ARG;
    if (rows->n_rows == 0)
        return BS_OK;
    uint64_t end = rows->first_step + rows->n_rows;
    uint64_t extent = end > io->n_rows ? end : io->n_rows;
    bs_status st = space_check(&c, io, rows, extent);
    if (st != BS_OK)
        return st;
    st = datasets_put(&c, io, rows, extent);
    if (st == BS_OK) {
        io->n_rows = extent;
        io->steps_complete = end > io->steps_complete ? end
                                                      : io->steps_complete;
        st = write_agree(&c, io, bs_io_steps_put(&c, io,
                                                 io->steps_complete));
    }
    if (st == BS_ERR_IO)   /* every rank: each step above agreed */
        bs_h5_note_space(io->comm, &c, io->path);
    return st;
}
