/*
 * io.c - the output file (run.h5) with parallel HDF5: its layout created,
 * its description rewritten as an interactive run grows, and closed
 * (reopened for a resumed run by io_reopen.c, rows appended by io_write.c;
 * all are io files: only they call HDF5).  Contract and
 * layout in io.h; fixed here:
 *   /experiment   the experiment text, always a scalar dataset (a text may
 *                 exceed the 64 KiB attribute limit), fixed-length UTF-8
 *                 string of exact byte length; h5py: .asstr()[()] is str
 *   attributes    strings fixed-length, NUL-padded UTF-8 of the longest
 *                 string's length (at least 1 byte; h5py: numpy bytes, the
 *                 Python reader decodes them), the operations of /schedule
 *                 an [n_ops] array of them; seed, steps_total,
 *                 steps_complete, n, k u64 LE; n_ranks, format_version i32
 *   datasets      chunked, extendible along steps; u64 LE, compounds packed
 *                 in the writer's byte order; rows never written read as
 *                 the fill value (UINT64_MAX in winners, 0 elsewhere)
 *   format        HDF5 1.8 objects (H5F_LIBVER_V18): large attributes ok
 * Every HDF5 call goes through H5CK (io_h5.h), which puts the object,
 * the call, file:line and the innermost HDF5 error in the caller's
 * message; a failed write of the created file also says how much space
 * its file system has left (bs_h5_note_space).  Ranks agree (bs_h5_agree)
 * after each collective unit of work, so a failure on one rank does not
 * leave the others waiting in the next collective (for what cannot be
 * agreed, a collective write failing on one rank of several, see
 * io_write.c and steps_put_or_end).
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

const char *const bs_phase_names[BS_N_PHASES] = {
    "accumulate", "topk", "merge", "plasticity", "record", "agree"};


#define CHUNK_BYTES (1u << 20) /* target bytes of a winners/inputs chunk */
#define CHUNK_ROWS_MAX 1024    /* also the chunk of 1-D datasets */

/* ---- types ------------------------------------------------------------ */

/* Creates the memory compound type *mem (size bytes, n native fields) and
 * its packed copy *file for dataset obj.  Returns 1, or 0 with the failure
 * in c and both invalid. */
static int compound(bs_h5_ctx *c, const char *obj, size_t size, int n,
                    const char *const *names, const size_t *offs,
                    const hid_t *types, hid_t *mem, hid_t *file)
{
    int i, ok = H5CK(c, obj, *mem = H5Tcreate(H5T_COMPOUND, size));
    for (i = 0; ok && i < n; i++)
        ok = H5CK(c, obj, H5Tinsert(*mem, names[i], offs[i], types[i]));
    ok = ok && H5CK(c, obj, *file = H5Tcopy(*mem)) &&
         H5CK(c, obj, H5Tpack(*file));
    if (!ok) {
        bs_h5_close(mem);
        bs_h5_close(file);
    }
    return ok;
}

/* The types of bs_schedule_row {step u64, op u32, round u64}; as
 * compound. */
int bs_io_sched_types(bs_h5_ctx *c, hid_t *mem, hid_t *file)
{
    const char *const names[3] = {"step", "op", "round"};
    const size_t offs[3] = {offsetof(bs_schedule_row, step),
                            offsetof(bs_schedule_row, op),
                            offsetof(bs_schedule_row, round)};
    const hid_t types[3] = {H5T_NATIVE_UINT64, H5T_NATIVE_UINT32,
                            H5T_NATIVE_UINT64};
    return compound(c, "/schedule", sizeof(bs_schedule_row), 3, names, offs,
                    types, mem, file);
}

/* The types of bs_metrics_row: "<phase>_s" f64 fields, then
 * synaptic_events u64; as compound. */
int bs_io_metrics_types(bs_h5_ctx *c, hid_t *mem, hid_t *file)
{
    enum { N = BS_N_PHASES + 1 };
    char text[N][32];
    const char *names[N];
    size_t offs[N];
    hid_t types[N];
    int i;
    for (i = 0; i < BS_N_PHASES; i++) {
        snprintf(text[i], sizeof text[i], "%s_s", bs_phase_names[i]);
        names[i] = text[i];
        offs[i] = offsetof(bs_metrics_row, seconds) + i * sizeof(double);
        types[i] = H5T_NATIVE_DOUBLE;
    }
    names[N - 1] = "synaptic_events";
    offs[N - 1] = offsetof(bs_metrics_row, synaptic_events);
    types[N - 1] = H5T_NATIVE_UINT64;
    return compound(c, "/metrics", sizeof(bs_metrics_row), N, names, offs,
                    types, mem, file);
}

/* ---- layout ------------------------------------------------------------ */

/*
 * Creates an empty extendible dataset `name` in loc (named c->where): [0]
 * (cols == 0) or [0, cols], chunked by chunk_rows, with fill value *fill
 * (NULL: 0).  Returns the dataset id, or H5I_INVALID_HID with the failure
 * in c.
 */
static hid_t dset_create(bs_h5_ctx *c, hid_t loc, const char *name,
                         hid_t ftype, uint64_t cols, uint64_t chunk_rows,
                         const uint64_t *fill)
{
    hsize_t dims[2] = {0, cols}, maxd[2] = {H5S_UNLIMITED, cols};
    hsize_t chunk[2] = {chunk_rows, cols};
    int rank = cols == 0 ? 1 : 2;
    hid_t s = H5I_INVALID_HID, p = H5I_INVALID_HID, d = H5I_INVALID_HID;
    char obj[160];
    snprintf(obj, sizeof obj, "%s%s%s", c->where,
             strcmp(c->where, "/") ? "/" : "", name);
    if (!H5CK(c, obj, s = H5Screate_simple(rank, dims, maxd)) ||
        !H5CK(c, obj, p = H5Pcreate(H5P_DATASET_CREATE)) ||
        !H5CK(c, obj, H5Pset_chunk(p, rank, chunk)) ||
        (fill &&
         !H5CK(c, obj, H5Pset_fill_value(p, H5T_NATIVE_UINT64, fill))) ||
        !H5CK(c, obj, d = H5Dcreate2(loc, name, ftype, s, H5P_DEFAULT, p,
                                      H5P_DEFAULT)))
        d = H5I_INVALID_HID;
    bs_h5_close(&p);
    bs_h5_close(&s);
    return d;
}

/* Creates /areas/<name> (area a of meta) with its attributes and three
 * datasets, their ids into io.  Returns 1, or 0 with the failure in c. */
static int area_create(bs_h5_ctx *c, bs_io *io, hid_t areas, int a,
                       const bs_io_meta *meta)
{
    const char *name = meta->area_names[a];
    const char *units = "Q16.16 fixed point (divide by 65536)";
    uint64_t k = meta->area_k[a], pad = UINT64_MAX;
    uint64_t rows = k >= CHUNK_BYTES / 8 ? 1 : CHUNK_BYTES / (8 * k);
    hid_t g = H5I_INVALID_HID, *ds = io->areas[a].ds;
    char gpath[96], ipath[112];
    int i, ok;
    if (rows > CHUNK_ROWS_MAX)
        rows = CHUNK_ROWS_MAX;
    snprintf(gpath, sizeof gpath, "/areas/%s", name);
    snprintf(ipath, sizeof ipath, "%s/inputs", gpath);
    c->where = gpath;
    ok = H5CK(c, gpath, g = H5Gcreate2(areas, name, H5P_DEFAULT, H5P_DEFAULT,
                                       H5P_DEFAULT)) &&
         bs_h5_attr_u64(c, g, "n", meta->area_n[a]) &&
         bs_h5_attr_u64(c, g, "k", k);
    for (i = 0; ok && i < BS_DS_PER_AREA; i++)
        ok = (ds[i] = dset_create(c, g, bs_io_ds_names[i], H5T_STD_U64LE,
                                  i == BS_DS_SUPPORT ? 0 : k,
                                  i == BS_DS_SUPPORT ? CHUNK_ROWS_MAX : rows,
                                  i == BS_DS_WINNERS ? &pad : NULL)) >= 0;
    c->where = ipath;
    ok = ok && bs_h5_attr_str(c, ds[BS_DS_INPUTS], "units", units);
    c->where = "/";
    bs_h5_close(&g);
    return ok;
}

/* Root attributes, /areas, /schedule and /metrics (no rows), the ids
 * into io.  Returns 1, or 0 with the failure in c. */
static int layout_create(bs_h5_ctx *c, bs_io *io, const bs_io_meta *meta)
{
    hid_t root = io->file, areas = H5I_INVALID_HID, ft = H5I_INVALID_HID;
    int a, ok;
    ok = bs_h5_attr_str(c, root, "brainsim_version", BS_VERSION_STRING) &&
         bs_h5_attr_u64(c, root, "seed", meta->seed) &&
         bs_h5_attr_i32(c, root, "n_ranks", meta->n_ranks) &&
         bs_h5_attr_str(c, root, "backend", meta->backend) &&
         bs_h5_attr_str(c, root, "fallback_reason", meta->fallback_reason) &&
         bs_h5_attr_u64(c, root, "steps_total", meta->steps_total) &&
         bs_h5_attr_u64(c, root, "steps_complete", 0) &&
         bs_h5_attr_str(c, root, "format", BS_H5_FORMAT_OUTPUT) &&
         bs_h5_attr_i32(c, root, "format_version", BS_H5_FORMAT_VERSION) &&
         H5CK(c, "/areas", areas = H5Gcreate2(root, "areas", H5P_DEFAULT,
                                               H5P_DEFAULT, H5P_DEFAULT));
    for (a = 0; ok && a < meta->n_areas; a++)
        ok = area_create(c, io, areas, a, meta);
    ok = ok && bs_io_sched_types(c, &io->sched_mem, &ft) &&
         (io->schedule = dset_create(c, root, "schedule", ft, 0,
                                     CHUNK_ROWS_MAX, NULL)) >= 0;
    bs_h5_close(&ft);
    c->where = "/schedule";
    ok = ok && bs_h5_attr_strings(c, io->schedule, "operations", meta->n_ops,
                            meta->op_descriptions);
    c->where = "/";
    ok = ok && bs_io_metrics_types(c, &io->metrics_mem, &ft) &&
         (io->metrics = dset_create(c, root, "metrics", ft, 0,
                                    CHUNK_ROWS_MAX, NULL)) >= 0;
    bs_h5_close(&ft);
    bs_h5_close(&areas);
    return ok;
}

/* ---- create / close ---------------------------------------------------- */

/* Checks what HDF5 would choke on; returns BS_OK or BS_ERR_ARG with c. */
bs_status bs_io_meta_check(bs_h5_ctx *c, const bs_io_meta *m)
{
    int a, ok = m->n_areas >= 0 && m->n_ops >= 0 &&
                (m->n_areas == 0 || (m->area_names && m->area_n &&
                                     m->area_k)) &&
                (m->n_ops == 0 || m->op_descriptions);
    for (a = 0; ok && a < m->n_ops; a++)
        ok = m->op_descriptions[a] != NULL;
    for (a = 0; ok && a < m->n_areas; a++) {
        const char *name = m->area_names[a];
        ok = name && name[0] && !strchr(name, '/') && strcmp(name, ".") &&
             m->area_k[a] > 0;
        if (!ok)
            bs_h5_msg(c, "%s: area %d ('%s'): the name must be non-empty "
                    "without '/' and k >= 1", c->path, a, name ? name : "");
    }
    if (!ok)
        bs_h5_msg(c, "%s: invalid output metadata (NULL areas or operations)",
                c->path);
    return ok ? BS_OK : BS_ERR_ARG;
}

/* A new copy of s (free()); NULL when out of memory. */
static char *str_copy(const char *s)
{
    char *t = malloc(strlen(s) + 1);
    return t ? strcpy(t, s) : NULL;
}

/* Frees what bs_io_alloc allocated; accepts NULL. */
void bs_io_free(bs_io *io)
{
    int a;
    for (a = 0; io && io->areas && a < io->n_areas; a++)
        free(io->areas[a].name);
    if (io) {
        free(io->areas);
        free(io->path);
    }
    free(io);
}

/* Allocates io for meta with every id invalid; NULL when out of memory. */
bs_io *bs_io_alloc(const char *path, bs_comm *comm, const bs_io_meta *m)
{
    int a, i, ok;
    bs_io *io = calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->comm = comm;
    io->rank = bs_comm_rank(comm);
    io->n_areas = m->n_areas;
    io->file = io->dxpl = io->schedule = io->metrics = H5I_INVALID_HID;
    io->sched_mem = io->metrics_mem = H5I_INVALID_HID;
    io->path = str_copy(path);
    io->areas = calloc((size_t)m->n_areas + 1, sizeof *io->areas);
    ok = io->path && io->areas;
    for (a = 0; ok && a < m->n_areas; a++) {
        io->areas[a].k = m->area_k[a];
        for (i = 0; i < BS_DS_PER_AREA; i++)
            io->areas[a].ds[i] = H5I_INVALID_HID;
        ok = (io->areas[a].name = str_copy(m->area_names[a])) != NULL;
    }
    if (!ok) {
        bs_io_free(io);
        return NULL;
    }
    return io;
}

/* Closes every HDF5 handle of io (the file last); io stays allocated.
 * Collective (H5Fclose); errors are ignored. */
void bs_io_close_handles(bs_io *io)
{
    for (int a = 0; a < io->n_areas; a++)
        for (int i = 0; i < BS_DS_PER_AREA; i++)
            bs_h5_close(&io->areas[a].ds[i]);
    bs_h5_close(&io->schedule);
    bs_h5_close(&io->metrics);
    bs_h5_close(&io->sched_mem);
    bs_h5_close(&io->metrics_mem);
    bs_h5_close(&io->dxpl);
    bs_h5_close(&io->file);
}

void bs_io_close(bs_io **iop)
{
    bs_io *io = iop ? *iop : NULL;
    if (!io)
        return;
    bs_io_close_handles(io);
    bs_io_free(io);
    *iop = NULL;
}

/* Bytes a new output needs before its first rows: the experiment text and
 * the metadata of its groups and datasets, with room to spare. */
#define CREATE_SPARE_BYTES (UINT64_C(64) << 10)

/* Collective: 1 when the file system of path's directory has room for a
 * new output of meta (or its free space cannot be read), else 0 with the
 * message.  Checked before H5Fcreate because a flush that fails inside
 * HDF5 1.10 leaves a file that cannot be closed (io_h5.h, bs_h5_quiet). */
static int create_space_ok(bs_h5_ctx *c, bs_comm *comm, const char *path,
                           const bs_io_meta *meta)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof dir)
        return 1;
    memcpy(dir, slash ? path : ".", slash ? n : 1);
    dir[slash ? (n ? n : 1) : 1] = '\0';
    uint64_t free_b = 0, need = CREATE_SPARE_BYTES +
        (meta->experiment_text ? strlen(meta->experiment_text) : 0);
    if (!bs_h5_free_space(comm, dir, &free_b) || free_b >= need)
        return 1;
    bs_h5_msg(c, "%s: cannot be created: a new output needs about %llu "
              "bytes (no space left: %llu bytes free on the file system of "
              "%s)", c->path, (unsigned long long)need,
              (unsigned long long)free_b, c->path);
    return 0;
}

bs_status bs_io_create(const char *path, bs_comm *comm, const bs_io_meta *meta,
                       bs_io **out, char *err, size_t err_len)
{
    bs_h5_ctx c = {path ? path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_IO};
    bs_io *io = NULL;
    bs_status st;
    if (out)
        *out = NULL;
    if (!comm) {
        bs_h5_msg(&c, "%s: bs_io_create: NULL communicator", c.path);
        return BS_ERR_ARG;
    }
    if (!path || !meta || !out)
        bs_h5_msg(&c, "%s: bs_io_create: NULL argument", c.path);
    st = (!path || !meta || !out) ? BS_ERR_ARG : bs_io_meta_check(&c, meta);
    if (!bs_h5_agree(comm, &c, st == BS_OK))
        return BS_ERR_ARG;
    bs_h5_quiet();
    io = bs_io_alloc(path, comm, meta);
    if (!io)
        bs_h5_msg(&c, "%s: out of memory", path);
    if (!bs_h5_agree(comm, &c, io != NULL)) {
        st = io ? BS_ERR_IO : BS_ERR_NOMEM;
        bs_io_free(io);
        return st;
    }
    if (!create_space_ok(&c, comm, path, meta) ||
        !bs_h5_agree(comm, &c, bs_h5_file_mpio(&c, comm, "file", io->path,
                                               H5F_ACC_TRUNC, &io->file,
                                               &io->dxpl))) {
        bs_io_close(&io);
        return BS_ERR_IO;
    }
    if (!bs_h5_agree(comm, &c, layout_create(&c, io, meta)) ||
        !bs_h5_agree(comm, &c,
                     bs_h5_text_put(&c, io->file, "/experiment", "experiment",
                                    meta->experiment_text, io->rank,
                                    io->dxpl)) ||
        !bs_h5_agree(comm, &c, H5CK(&c, "file", H5Fflush(io->file,
                                                    H5F_SCOPE_GLOBAL)))) {
        bs_h5_note_space(comm, &c, path);   /* the file exists: why? */
        hid_t file = io->file;              /* closed last, discarded */
        io->file = H5I_INVALID_HID;
        bs_io_close(&io);
        bs_h5_discard(comm, &c, &file, path);
        return BS_ERR_IO;
    }
    *out = io;
    return BS_OK;
}

/* ---- the description of a growing run ---------------------------------- */

/* Deletes attribute `name` of loc when it exists.  Returns 1, or 0 with
 * the failure in c. */
static int attr_drop(bs_h5_ctx *c, hid_t loc, const char *obj,
                     const char *name)
{
    htri_t ex = H5Aexists(loc, name);
    return H5CK(c, obj, ex) && (ex == 0 || H5CK(c, obj, H5Adelete(loc, name)));
}

bs_status bs_io_update_meta(bs_io *io, const bs_io_meta *meta, char *err,
                            size_t err_len)
{
    bs_h5_ctx c = {io ? io->path : "(null)", err, err_len, 0, "/", "",
                   BS_ERR_IO};
    if (!io || !meta || meta->n_ops < 0 || (meta->n_ops && !meta->op_descriptions))
        return BS_ERR_ARG;
    hid_t root = io->file;
    int ok = attr_drop(&c, root, "/", "steps_total") &&
             bs_h5_attr_u64(&c, root, "steps_total", meta->steps_total);
    c.where = "/schedule";
    ok = ok && attr_drop(&c, io->schedule, "/schedule", "operations") &&
         bs_h5_attr_strings(&c, io->schedule, "operations", meta->n_ops,
                            meta->op_descriptions);
    c.where = "/";
    ok = ok && H5CK(&c, "/experiment", H5Ldelete(root, "experiment",
                                                  H5P_DEFAULT));
    if (!bs_h5_agree(io->comm, &c, ok) ||
        !bs_h5_agree(io->comm, &c,
                     bs_h5_text_put(&c, root, "/experiment", "experiment",
                                    meta->experiment_text, io->rank,
                                    io->dxpl)) ||
        !bs_h5_agree(io->comm, &c, H5CK(&c, "file", H5Fflush(root,
                                                    H5F_SCOPE_GLOBAL))))
        return BS_ERR_IO;
    return BS_OK;
}
