/*
 * test_io.c - the output file (src/io.c): written through bs_io, read back
 * with the plain HDF5 API and checked value by value.
 *
 * Runs under MPI (1 rank, or e.g. mpirun -np 3): every rank runs the same
 * tests in the same order without forking (CK_NOFORK), every rank reads the
 * whole file back, and the exit status is non-zero when any rank failed.
 * Files are created in the current directory as test_io_out_<test>.h5 and
 * removed afterwards.  HDF5 reads are finished and closed before any
 * assertion, so a failure never leaves a rank outside a collective close.
 */
#include <check.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "io.h"
#include "io_h5.h"
#include "check_main.h"

static bs_comm *g_comm;

/* ---- the data written by the round-trip test ---------------------------- */

enum { N_AREAS = 2, N_ROWS = 5, K_MAX = 4, N_OPS = 2 };
static const char *const area_names[N_AREAS] = {"A", "B"};
static const uint64_t area_n[N_AREAS] = {1000, 50};
static const uint64_t area_k[N_AREAS] = {4, 2};
static const char *const ops[N_OPS] = {"project: {fibers: [s->A], rounds: 3}",
                                       "project: {fibers: [A->B], rounds: 2}"};
static const char *const experiment = "seed: 42\nareas:\n  - {name: A}\n";

typedef struct rows_data {
    uint64_t winners[N_AREAS][N_ROWS * K_MAX]; /* [area][row * k + j] */
    uint64_t inputs[N_AREAS][N_ROWS * K_MAX];
    uint64_t support[N_AREAS][N_ROWS];
    bs_schedule_row schedule[N_ROWS];
    bs_metrics_row metrics[N_ROWS];
} rows_data;

/* Area B has not fired in row 0: its winners are UINT64_MAX padding. */
static void rows_fill(rows_data *d)
{
    int a, r, j, i;
    memset(d, 0, sizeof *d);
    for (a = 0; a < N_AREAS; a++)
        for (r = 0; r < N_ROWS; r++) {
            for (j = 0; j < (int)area_k[a]; j++) {
                int at = r * (int)area_k[a] + j;
                d->winners[a][at] = (a == 1 && r == 0)
                                        ? UINT64_MAX
                                        : (uint64_t)(10 * r + 3 * j + a);
                d->inputs[a][at] = (uint64_t)(r * 4 + j + 1) * 65536u + 7u;
            }
            d->support[a][r] = (a == 1 && r == 0) ? 0 : (uint64_t)(4 * r + a);
        }
    for (r = 0; r < N_ROWS; r++) {
        d->schedule[r].step = (uint64_t)r;
        d->schedule[r].op = r < 3 ? 0 : 1;
        d->schedule[r].round = (uint64_t)(r < 3 ? r : r - 3);
        for (i = 0; i < BS_N_PHASES; i++)
            d->metrics[r].seconds[i] = r + 0.125 * i;
        d->metrics[r].synaptic_events = 1000u * (uint64_t)r + 7u;
    }
}

static bs_io_meta meta_make(void)
{
    bs_io_meta m = {experiment, 42, 0, "cpu", "no CUDA device", N_ROWS,
                    N_AREAS, area_names, area_n, area_k, N_OPS, ops};
    m.n_ranks = bs_comm_size(g_comm);
    return m;
}

/* Writes rows [first, first + n) of d. */
static bs_status rows_write(bs_io *io, const rows_data *d, uint64_t first,
                            uint64_t n, char *err, size_t err_len)
{
    const uint64_t *w[N_AREAS], *in[N_AREAS], *s[N_AREAS];
    bs_io_rows rows = {first, n, w, in, s, d->schedule + first,
                       d->metrics + first};
    int a;
    for (a = 0; a < N_AREAS; a++) {
        w[a] = d->winners[a] + first * area_k[a];
        in[a] = d->inputs[a] + first * area_k[a];
        s[a] = d->support[a] + first;
    }
    return bs_io_write(io, &rows, err, err_len);
}

/* Open HDF5 files, groups, datasets and attributes of this process. */
static ssize_t h5_open_objects(void)
{
    return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
}

/* ---- reading back with plain HDF5 --------------------------------------- */

typedef struct reader {
    hid_t file;
    int errors;
    char where[200]; /* first failing read */
} reader;

#define R(r, expr) r_check((r), (int64_t)(expr), #expr, __LINE__)

static int r_check(reader *r, int64_t v, const char *expr, int line)
{
    if (v >= 0)
        return 1;
    if (r->errors++ == 0)
        snprintf(r->where, sizeof r->where, "line %d: %s", line, expr);
    return 0;
}

/* Opens path read-only on every rank (collective); a failure is counted in
 * r and the reads that follow fail too. */
static void r_open(reader *r, const char *path)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    memset(r, 0, sizeof *r);
    R(r, fapl);
    R(r, H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL));
    R(r, r->file = H5Fopen(path, H5F_ACC_RDONLY, fapl));
    H5Pclose(fapl);
}

/* Collective; then rank 0 removes the file. */
static void r_close_remove(reader *r, const char *path)
{
    if (r->file >= 0)
        R(r, H5Fclose(r->file));
    MPI_Barrier(MPI_COMM_WORLD);
    if (bs_comm_rank(g_comm) == 0)
        remove(path);
}

static void attr_read(reader *r, const char *obj, const char *name,
                      hid_t mtype, void *buf)
{
    hid_t a = H5I_INVALID_HID;
    if (R(r, a = H5Aopen_by_name(r->file, obj, name, H5P_DEFAULT,
                                 H5P_DEFAULT)))
        R(r, H5Aread(a, mtype, buf));
    if (a >= 0)
        H5Aclose(a);
}

/* String attributes: n strings copied into out[n][len].  Each must be what
 * the writer promises (a fixed-length, NUL-padded UTF-8 string, never a
 * variable-length one), else a read error is counted; the size of one
 * string into *size (may be NULL). */
static void attr_strs_size(reader *r, const char *obj, const char *name,
                           int n, char *out, size_t len, size_t *size)
{
    hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    size_t one = 0;
    char *v = NULL;
    int i;
    if (R(r, a = H5Aopen_by_name(r->file, obj, name, H5P_DEFAULT,
                                 H5P_DEFAULT)) &&
        R(r, s = H5Aget_space(a)) &&
        R(r, H5Sget_simple_extent_npoints(s) == n ? 0 : -1) &&
        R(r, t = H5Aget_type(a)) &&
        R(r, H5Tget_class(t) == H5T_STRING ? 0 : -1) &&
        R(r, H5Tis_variable_str(t) == 0 ? 0 : -1) &&
        R(r, H5Tget_strpad(t) == H5T_STR_NULLPAD ? 0 : -1) &&
        R(r, H5Tget_cset(t) == H5T_CSET_UTF8 ? 0 : -1) &&
        R(r, (one = H5Tget_size(t)) > 0 ? 0 : -1) &&
        R(r, (v = calloc((size_t)n + 1, one)) ? 0 : -1) &&
        R(r, H5Aread(a, t, v)))
        for (i = 0; i < n; i++)
            snprintf(out + (size_t)i * len, len, "%.*s", (int)one,
                     v + (size_t)i * one);
    if (size)
        *size = one;
    if (t >= 0)
        H5Tclose(t);
    if (s >= 0)
        H5Sclose(s);
    if (a >= 0)
        H5Aclose(a);
    free(v);
}

static void attr_strs(reader *r, const char *obj, const char *name, int n,
                      char *out, size_t len)
{
    attr_strs_size(r, obj, name, n, out, len, NULL);
}

static void attr_str(reader *r, const char *obj, const char *name, char *out,
                     size_t len)
{
    attr_strs(r, obj, name, 1, out, len);
}

/* Reads dataset path (at most cap elements of mtype) into buf, unless buf
 * is NULL, and its dimensions into dims[0..1] (dims[1] = 0 for 1-D). */
static void dset_read(reader *r, const char *path, hid_t mtype, void *buf,
                      hsize_t cap, hsize_t dims[2])
{
    hid_t d = H5I_INVALID_HID, s = H5I_INVALID_HID;
    dims[0] = dims[1] = 0;
    if (R(r, d = H5Dopen2(r->file, path, H5P_DEFAULT)) &&
        R(r, s = H5Dget_space(d)) &&
        R(r, H5Sget_simple_extent_dims(s, dims, NULL)) && buf != NULL &&
        R(r, (hsize_t)H5Sget_simple_extent_npoints(s) <= cap ? 0 : -1))
        R(r, H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
}

/* Member names of the compound dataset at path, comma-separated. */
static void members(reader *r, const char *path, char *out, size_t len)
{
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID;
    int i, n = 0;
    out[0] = '\0';
    if (R(r, d = H5Dopen2(r->file, path, H5P_DEFAULT)) &&
        R(r, t = H5Dget_type(d)) && R(r, n = H5Tget_nmembers(t)))
        for (i = 0; i < n; i++) {
            char *m = H5Tget_member_name(t, (unsigned)i);
            size_t at = strlen(out);
            snprintf(out + at, len - at, "%s%s", i ? "," : "", m ? m : "?");
            H5free_memory(m);
        }
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
}

/* The /experiment text (malloc'd), or NULL. */
static char *experiment_read(reader *r)
{
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID;
    char *text = NULL;
    size_t size = 0;
    if (R(r, d = H5Dopen2(r->file, "/experiment", H5P_DEFAULT)) &&
        R(r, t = H5Dget_type(d)) &&
        R(r, H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t) &&
                     H5Tget_cset(t) == H5T_CSET_UTF8 ? 0 : -1) &&
        R(r, (size = H5Tget_size(t)) > 0 ? 0 : -1) &&
        R(r, (text = calloc(size + 1, 1)) ? 0 : -1) &&
        !R(r, H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, text))) {
        free(text);
        text = NULL;
    }
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return text;
}

static hid_t sched_mtype(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(bs_schedule_row));
    H5Tinsert(t, "step", HOFFSET(bs_schedule_row, step), H5T_NATIVE_UINT64);
    H5Tinsert(t, "op", HOFFSET(bs_schedule_row, op), H5T_NATIVE_UINT32);
    H5Tinsert(t, "round", HOFFSET(bs_schedule_row, round), H5T_NATIVE_UINT64);
    return t;
}

static hid_t metrics_mtype(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(bs_metrics_row));
    char name[32];
    int i;
    for (i = 0; i < BS_N_PHASES; i++) {
        snprintf(name, sizeof name, "%s_s", bs_phase_names[i]);
        H5Tinsert(t, name, HOFFSET(bs_metrics_row, seconds) +
                               (size_t)i * sizeof(double), H5T_NATIVE_DOUBLE);
    }
    H5Tinsert(t, "synaptic_events", HOFFSET(bs_metrics_row, synaptic_events),
              H5T_NATIVE_UINT64);
    return t;
}

/* ---- tests -------------------------------------------------------------- */

#define ERR_LEN 1024

/* Everything the round-trip test reads back. */
typedef struct view {
    uint64_t steps_complete, steps_total, seed, area_n[N_AREAS];
    uint64_t area_k[N_AREAS];
    int32_t n_ranks, format_version;
    char format[64], version[32], backend[32], fallback[64];
    size_t format_size, ops_size;  /* bytes of one string of the attribute */
    char units[N_AREAS][64], ops[N_OPS][64], sched_m[128], metrics_m[256];
    char experiment[128];
    hsize_t wdims[N_AREAS][2], idims[N_AREAS][2], sdims[N_AREAS][2];
    hsize_t sched_dims[2], metrics_dims[2];
    rows_data d;
} view;

static void view_read(reader *r, view *v)
{
    hid_t st = sched_mtype(), mt = metrics_mtype();
    char path[64], *text;
    int a;
    attr_read(r, "/", "steps_complete", H5T_NATIVE_UINT64, &v->steps_complete);
    attr_read(r, "/", "steps_total", H5T_NATIVE_UINT64, &v->steps_total);
    attr_read(r, "/", "seed", H5T_NATIVE_UINT64, &v->seed);
    attr_read(r, "/", "n_ranks", H5T_NATIVE_INT32, &v->n_ranks);
    attr_read(r, "/", "format_version", H5T_NATIVE_INT32, &v->format_version);
    attr_strs_size(r, "/", "format", 1, v->format, sizeof v->format,
                   &v->format_size);
    attr_str(r, "/", "brainsim_version", v->version, sizeof v->version);
    attr_str(r, "/", "backend", v->backend, sizeof v->backend);
    attr_str(r, "/", "fallback_reason", v->fallback, sizeof v->fallback);
    text = experiment_read(r);
    snprintf(v->experiment, sizeof v->experiment, "%s", text ? text : "");
    free(text);
    for (a = 0; a < N_AREAS; a++) {
        hsize_t cap = N_ROWS * area_k[a];
        snprintf(path, sizeof path, "/areas/%s", area_names[a]);
        attr_read(r, path, "n", H5T_NATIVE_UINT64, &v->area_n[a]);
        attr_read(r, path, "k", H5T_NATIVE_UINT64, &v->area_k[a]);
        snprintf(path, sizeof path, "/areas/%s/winners", area_names[a]);
        dset_read(r, path, H5T_NATIVE_UINT64, v->d.winners[a], cap,
                  v->wdims[a]);
        snprintf(path, sizeof path, "/areas/%s/inputs", area_names[a]);
        dset_read(r, path, H5T_NATIVE_UINT64, v->d.inputs[a], cap,
                  v->idims[a]);
        attr_str(r, path, "units", v->units[a], sizeof v->units[a]);
        snprintf(path, sizeof path, "/areas/%s/support", area_names[a]);
        dset_read(r, path, H5T_NATIVE_UINT64, v->d.support[a], N_ROWS,
                  v->sdims[a]);
    }
    dset_read(r, "/schedule", st, v->d.schedule, N_ROWS, v->sched_dims);
    attr_strs_size(r, "/schedule", "operations", N_OPS, v->ops[0],
                   sizeof v->ops[0], &v->ops_size);
    members(r, "/schedule", v->sched_m, sizeof v->sched_m);
    dset_read(r, "/metrics", mt, v->d.metrics, N_ROWS, v->metrics_dims);
    members(r, "/metrics", v->metrics_m, sizeof v->metrics_m);
    H5Tclose(st);
    H5Tclose(mt);
}

/* The root, area and schedule attributes and all dimensions. */
static void view_check_meta(const view *v)
{
    int a, i;
    ck_assert_uint_eq(v->steps_complete, 5);
    ck_assert_uint_eq(v->steps_total, N_ROWS);
    ck_assert_uint_eq(v->seed, 42);
    ck_assert_int_eq(v->n_ranks, bs_comm_size(g_comm));
    ck_assert_int_eq(v->format_version, 3);
    ck_assert_str_eq(v->format, "brainsim-output");
    ck_assert_uint_eq(v->format_size, strlen("brainsim-output"));
    ck_assert_uint_eq(v->ops_size, strlen(ops[0]) > strlen(ops[1])
                                       ? strlen(ops[0]) : strlen(ops[1]));
    ck_assert_str_eq(v->version, BS_VERSION_STRING);
    ck_assert_str_eq(v->backend, "cpu");
    ck_assert_str_eq(v->fallback, "no CUDA device");
    ck_assert_str_eq(v->experiment, experiment);
    for (a = 0; a < N_AREAS; a++) {
        ck_assert_uint_eq(v->area_n[a], area_n[a]);
        ck_assert_uint_eq(v->area_k[a], area_k[a]);
        ck_assert_uint_eq(v->wdims[a][0], N_ROWS);
        ck_assert_uint_eq(v->wdims[a][1], area_k[a]);
        ck_assert_uint_eq(v->idims[a][0], N_ROWS);
        ck_assert_uint_eq(v->idims[a][1], area_k[a]);
        ck_assert_uint_eq(v->sdims[a][0], N_ROWS);
        ck_assert_uint_eq(v->sdims[a][1], 0);
        ck_assert_str_eq(v->units[a], "Q16.16 fixed point (divide by 65536)");
    }
    ck_assert_uint_eq(v->sched_dims[0], N_ROWS);
    ck_assert_uint_eq(v->metrics_dims[0], N_ROWS);
    ck_assert_str_eq(v->sched_m, "step,op,round");
    ck_assert_str_eq(v->metrics_m, "accumulate_s,topk_s,merge_s,"
                                   "plasticity_s,record_s,agree_s,"
                                   "synaptic_events");
    for (i = 0; i < N_OPS; i++)
        ck_assert_str_eq(v->ops[i], ops[i]);
}

/* Every value of every row. */
static void view_check_rows(const rows_data *got, const rows_data *want)
{
    int a, i, p;
    for (a = 0; a < N_AREAS; a++) {
        for (i = 0; i < N_ROWS * (int)area_k[a]; i++) {
            ck_assert_uint_eq(got->winners[a][i], want->winners[a][i]);
            ck_assert_uint_eq(got->inputs[a][i], want->inputs[a][i]);
        }
        for (i = 0; i < N_ROWS; i++)
            ck_assert_uint_eq(got->support[a][i], want->support[a][i]);
    }
    ck_assert_uint_eq(got->winners[1][0], UINT64_MAX); /* the padding */
    ck_assert_uint_eq(got->winners[1][1], UINT64_MAX);
    for (i = 0; i < N_ROWS; i++) {
        ck_assert_uint_eq(got->schedule[i].step, want->schedule[i].step);
        ck_assert_uint_eq(got->schedule[i].op, want->schedule[i].op);
        ck_assert_uint_eq(got->schedule[i].round, want->schedule[i].round);
        for (p = 0; p < BS_N_PHASES; p++)
            ck_assert_double_eq(got->metrics[i].seconds[p],
                                want->metrics[i].seconds[p]);
        ck_assert_uint_eq(got->metrics[i].synaptic_events,
                          want->metrics[i].synaptic_events);
    }
}

/* Two blocks (3 rows, then 2), two areas of different k, read back. */
START_TEST(test_roundtrip)
{
    const char *path = "test_io_out_roundtrip.h5";
    static rows_data d;
    static view v;
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[ERR_LEN] = "";
    bs_status st[3] = {BS_ERR_STATE, BS_ERR_STATE, BS_ERR_STATE};
    ssize_t n_open;
    reader r;
    int i;
    rows_fill(&d);
    memset(&v, 0, sizeof v);
    st[0] = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    if (st[0] == BS_OK)
        st[1] = rows_write(io, &d, 0, 3, err, sizeof err);
    if (st[1] == BS_OK)
        st[2] = rows_write(io, &d, 3, 2, err, sizeof err);
    bs_io_close(&io);
    n_open = h5_open_objects();
    r_open(&r, path);
    view_read(&r, &v);
    r_close_remove(&r, path);

    for (i = 0; i < 3; i++)
        ck_assert_msg(st[i] == BS_OK, "call %d: %s", i, err);
    ck_assert_ptr_null(io);
    ck_assert_int_eq(n_open, 0);
    ck_assert_msg(r.errors == 0, "%d read errors, first %s", r.errors,
                  r.where);
    view_check_meta(&v);
    view_check_rows(&v.d, &d);
}
END_TEST

START_TEST(test_unwritable_path)
{
    const char *path = "/nonexistent/dir/run.h5";
    bs_io_meta m = meta_make();
    bs_io *io = (bs_io *)&m; /* must come back NULL */
    char err[ERR_LEN] = "";
    bs_status st = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    ck_assert_int_eq(st, BS_ERR_IO);
    ck_assert_ptr_null(io);
    ck_assert_msg(strstr(err, path) != NULL, "message lacks path: %s", err);
    ck_assert_msg(strstr(err, "H5Fcreate") != NULL, "message: %s", err);
    ck_assert_int_eq(h5_open_objects(), 0);
}
END_TEST

/* A failure inside the layout (two areas named A) is an I/O error naming
 * the object; nothing stays open. */
START_TEST(test_duplicate_area)
{
    static const char *const dup[N_AREAS] = {"A", "A"};
    const char *path = "test_io_out_duplicate.h5";
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[ERR_LEN] = "";
    bs_status st;
    ssize_t n_open;
    m.area_names = dup;
    st = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    n_open = h5_open_objects();
    MPI_Barrier(MPI_COMM_WORLD);
    if (bs_comm_rank(g_comm) == 0)
        remove(path);
    ck_assert_int_eq(st, BS_ERR_IO);
    ck_assert_ptr_null(io);
    ck_assert_msg(strstr(err, path) && strstr(err, "/areas/A: H5Gcreate2"),
                  "message: %s", err);
    ck_assert_int_eq(n_open, 0);
}
END_TEST

/* An existing file is truncated; a block written past the end leaves the
 * rows before it at the fill value. */
START_TEST(test_truncate_and_gap)
{
    const char *path = "test_io_out_truncate.h5";
    static rows_data d;
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[ERR_LEN] = "";
    bs_status st[4];
    hsize_t dims[2];
    H5G_info_t info = {0};
    uint64_t w[N_ROWS * K_MAX], steps = 0;
    reader r;
    int i;
    rows_fill(&d);
    st[0] = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    st[1] = io ? rows_write(io, &d, 0, 5, err, sizeof err) : BS_ERR_STATE;
    bs_io_close(&io);
    m.n_areas = 1;            /* only "A" this time */
    st[2] = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    st[3] = io ? rows_write(io, &d, 3, 2, err, sizeof err) : BS_ERR_STATE;
    bs_io_close(&io);
    r_open(&r, path);
    R(&r, H5Gget_info_by_name(r.file, "/areas", &info, H5P_DEFAULT));
    attr_read(&r, "/", "steps_complete", H5T_NATIVE_UINT64, &steps);
    dset_read(&r, "/areas/A/winners", H5T_NATIVE_UINT64, w, N_ROWS * K_MAX,
              dims);
    r_close_remove(&r, path);

    for (i = 0; i < 4; i++)
        ck_assert_msg(st[i] == BS_OK, "call %d: %s", i, err);
    ck_assert_msg(r.errors == 0, "%d read errors, first %s", r.errors,
                  r.where);
    ck_assert_uint_eq(info.nlinks, 1); /* B of the first file is gone */
    ck_assert_uint_eq(steps, 5);
    ck_assert_uint_eq(dims[0], 5);
    for (i = 0; i < 3 * K_MAX; i++)
        ck_assert_uint_eq(w[i], UINT64_MAX);
    for (i = 3 * K_MAX; i < 5 * K_MAX; i++)
        ck_assert_uint_eq(w[i], d.winners[0][i]);
}
END_TEST

/* Rank 0 rewrites the root attribute `name` of path with serial HDF5: a
 * variable-length string value str, or (str NULL) the i32 value v. */
static void root_attr_set(const char *path, const char *name,
                          const char *str, int32_t v)
{
    if (bs_comm_rank(g_comm) == 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t t = str ? H5Tcopy(H5T_C_S1) : H5Tcopy(H5T_STD_I32LE);
        hid_t s = H5Screate(H5S_SCALAR), a;
        if (str)
            H5Tset_size(t, H5T_VARIABLE);
        H5Adelete(f, name);
        a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
        if (str)
            H5Awrite(a, t, &str);
        else
            H5Awrite(a, H5T_NATIVE_INT32, &v);
        H5Aclose(a);
        H5Sclose(s);
        H5Tclose(t);
        H5Fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* A resumed run's output of an older format (version 1: variable-length
 * strings), or with a variable-length string attribute, is refused with
 * the reason and left as it was. */
START_TEST(test_reopen_refuses_old_format)
{
    const char *path = "test_io_out_reopen.h5";
    static rows_data d;
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[3][ERR_LEN] = {"", "", ""};
    bs_status st[4] = {BS_ERR_STATE, BS_ERR_STATE, BS_OK, BS_OK};
    uint64_t steps = 0;
    reader r;
    rows_fill(&d);
    st[0] = bs_io_create(path, g_comm, &m, &io, err[0], ERR_LEN);
    st[1] = io ? rows_write(io, &d, 0, 5, err[0], ERR_LEN) : BS_ERR_STATE;
    bs_io_close(&io);
    if (st[0] == BS_OK && st[1] == BS_OK) {   /* reopens as written */
        st[1] = bs_io_reopen(path, g_comm, &m, 5, &io, err[0], ERR_LEN);
        bs_io_close(&io);
    }
    root_attr_set(path, "format", "brainsim-output", 0);
    st[2] = bs_io_reopen(path, g_comm, &m, 3, &io, err[1], ERR_LEN);
    bs_io_close(&io);
    root_attr_set(path, "format_version", NULL, 1);
    st[3] = bs_io_reopen(path, g_comm, &m, 3, &io, err[2], ERR_LEN);
    bs_io_close(&io);
    r_open(&r, path);
    attr_read(&r, "/", "steps_complete", H5T_NATIVE_UINT64, &steps);
    r_close_remove(&r, path);

    ck_assert_msg(st[0] == BS_OK && st[1] == BS_OK, "%s", err[0]);
    ck_assert_int_eq(st[2], BS_ERR_IO);
    ck_assert_msg(strstr(err[1], path) &&
                  strstr(err[1], "attribute 'format' of / is a "
                         "variable-length string; brainsim files store "
                         "fixed-length strings"), "message: %s", err[1]);
    ck_assert_int_eq(st[3], BS_ERR_IO);
    ck_assert_msg(strstr(err[2], path) &&
                  strstr(err[2], "'format_version' of / is 1") &&
                  strstr(err[2], "older brainsim") &&
                  strstr(err[2], "reads version 3"), "message: %s", err[2]);
    ck_assert_msg(r.errors == 0, "%d read errors, first %s", r.errors,
                  r.where);
    ck_assert_uint_eq(steps, 5);   /* untouched by the refused reopens */
}
END_TEST

/* Rows missing on one rank (the last) fail on every rank without a hang;
 * the file stays usable. */
START_TEST(test_invalid_rows_one_rank)
{
    const char *path = "test_io_out_one_rank.h5";
    static rows_data d;
    const uint64_t *w[N_AREAS], *in[N_AREAS], *s[N_AREAS];
    bs_io_rows rows = {0, N_ROWS, w, in, s, NULL, NULL};
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[ERR_LEN] = "";
    bs_status st[3] = {BS_ERR_STATE, BS_OK, BS_ERR_STATE};
    int a, last = bs_comm_rank(g_comm) == bs_comm_size(g_comm) - 1;
    rows_fill(&d);
    for (a = 0; a < N_AREAS; a++) {
        w[a] = d.winners[a];
        in[a] = d.inputs[a];
        s[a] = d.support[a];
    }
    rows.schedule = d.schedule;
    rows.metrics = last ? NULL : d.metrics;
    st[0] = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    if (io) {
        st[1] = bs_io_write(io, &rows, err, sizeof err);
        st[2] = rows_write(io, &d, 0, N_ROWS, err, sizeof err);
    }
    bs_io_close(&io);
    MPI_Barrier(MPI_COMM_WORLD);
    if (bs_comm_rank(g_comm) == 0)
        remove(path);
    ck_assert_int_eq(st[0], BS_OK);
    ck_assert_int_eq(st[1], BS_ERR_ARG);
    ck_assert_msg(st[2] == BS_OK, "%s", err);
}
END_TEST

/* No areas, no schedule operations, an empty experiment text. */
START_TEST(test_empty_layout)
{
    const char *path = "test_io_out_empty.h5";
    static rows_data d;
    bs_io_rows rows = {0, 2, NULL, NULL, NULL, NULL, NULL};
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[ERR_LEN] = "", *text;
    bs_status st[2] = {BS_ERR_STATE, BS_ERR_STATE};
    hid_t a = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    hssize_t n_ops = -1;
    uint64_t steps = 0;
    hsize_t dims[2];
    char reason[8] = "x";
    size_t reason_size = 0;
    reader r;
    rows_fill(&d);
    rows.schedule = d.schedule;
    rows.metrics = d.metrics;
    m.experiment_text = "";
    m.n_areas = 0;
    m.area_names = NULL;
    m.n_ops = 0;
    m.op_descriptions = NULL;
    m.fallback_reason = "";
    st[0] = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    if (io)
        st[1] = bs_io_write(io, &rows, err, sizeof err);
    bs_io_close(&io);
    r_open(&r, path);
    text = experiment_read(&r);
    attr_read(&r, "/", "steps_complete", H5T_NATIVE_UINT64, &steps);
    attr_strs_size(&r, "/", "fallback_reason", 1, reason, sizeof reason,
                   &reason_size);
    dset_read(&r, "/schedule", H5T_NATIVE_UINT64, NULL, 0, dims);
    if (R(&r, a = H5Aopen_by_name(r.file, "/schedule", "operations",
                                  H5P_DEFAULT, H5P_DEFAULT)) &&
        R(&r, sp = H5Aget_space(a)))
        n_ops = H5Sget_simple_extent_npoints(sp);
    if (sp >= 0)
        H5Sclose(sp);
    if (a >= 0)
        H5Aclose(a);
    r_close_remove(&r, path);

    ck_assert_msg(st[0] == BS_OK && st[1] == BS_OK, "%s", err);
    ck_assert_msg(r.errors == 0, "%d read errors, first %s", r.errors,
                  r.where);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "");
    free(text);
    ck_assert_uint_eq(steps, 2);
    ck_assert_uint_eq(dims[0], 2);
    ck_assert_int_eq(n_ops, 0);
    ck_assert_str_eq(reason, "");         /* an empty string: 1 byte, NUL */
    ck_assert_uint_eq(reason_size, 1);
}
END_TEST

/* An experiment text over 64 KiB and thousands of operations. */
START_TEST(test_large_text)
{
    enum { TEXT_LEN = 100000, MANY_OPS = 5000 };
    const char *path = "test_io_out_large.h5";
    char *text = malloc(TEXT_LEN + 1), *back, (*op)[16] = calloc(MANY_OPS, 16);
    const char **op_ptr = calloc(MANY_OPS, sizeof *op_ptr);
    char last[16] = "";
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[ERR_LEN] = "";
    bs_status st;
    reader r;
    int i, same;
    ck_assert(text && op && op_ptr);
    for (i = 0; i < TEXT_LEN; i++)
        text[i] = (char)('a' + i % 26);
    text[TEXT_LEN] = '\0';
    for (i = 0; i < MANY_OPS; i++) {
        snprintf(op[i], sizeof op[i], "op %d", i);
        op_ptr[i] = op[i];
    }
    m.experiment_text = text;
    m.n_ops = MANY_OPS;
    m.op_descriptions = op_ptr;
    st = bs_io_create(path, g_comm, &m, &io, err, sizeof err);
    bs_io_close(&io);
    r_open(&r, path);
    back = experiment_read(&r);
    {
        char (*all)[16] = calloc(MANY_OPS, 16);
        attr_strs(&r, "/schedule", "operations", MANY_OPS, all[0], 16);
        memcpy(last, all[MANY_OPS - 1], sizeof last);
        free(all);
    }
    r_close_remove(&r, path);
    same = back && strcmp(back, text) == 0;
    free(back);
    free(text);
    free(op);
    free(op_ptr);
    ck_assert_msg(st == BS_OK, "%s", err);
    ck_assert_msg(r.errors == 0, "%d read errors, first %s", r.errors,
                  r.where);
    ck_assert_msg(same, "experiment text differs");
    ck_assert_str_eq(last, "op 4999");
}
END_TEST

START_TEST(test_bad_arguments)
{
    static const char *const bad_names[N_AREAS] = {"A", "x/y"};
    bs_io_meta m = meta_make();
    bs_io *io = NULL;
    char err[ERR_LEN] = "";
    ck_assert_int_eq(bs_io_create(NULL, g_comm, &m, &io, err, sizeof err),
                     BS_ERR_ARG);
    ck_assert_int_eq(bs_io_create("x.h5", g_comm, NULL, &io, err, sizeof err),
                     BS_ERR_ARG);
    m.area_names = bad_names;
    ck_assert_int_eq(bs_io_create("x.h5", g_comm, &m, &io, err, sizeof err),
                     BS_ERR_ARG);
    ck_assert_ptr_null(io);
    ck_assert_msg(strstr(err, "x/y") != NULL, "message: %s", err);
    ck_assert_int_eq(bs_io_write(NULL, NULL, err, sizeof err), BS_ERR_ARG);
    bs_io_close(NULL);
    bs_io_close(&io);
    ck_assert_ptr_null(io);
}
END_TEST

/* After a failed write, the message gains the space left on the file
 * system (rank 0's number on every rank); nothing without a message or
 * when the file system cannot be read. */
START_TEST(test_note_space)
{
    char err[ERR_LEN] = "", err2[ERR_LEN] = "", err3[ERR_LEN] = "";
    char tail[128] = "";
    const char *head = "out.h5: /areas/A/winners: H5Dwrite failed";
    unsigned long long n = 0;
    int low = 0, parsed = 0;
    bs_h5_ctx c = {"out.h5", err, sizeof err, 0, "/", "", BS_ERR_IO};
    bs_h5_ctx none = {"out.h5", err2, sizeof err2, 0, "/", "", BS_ERR_IO};
    bs_h5_ctx gone = {"out.h5", err3, sizeof err3, 0, "/", "", BS_ERR_IO};
    bs_h5_msg(&c, "%s", head);
    bs_h5_note_space(g_comm, &c, ".");
    bs_h5_note_space(g_comm, &none, ".");    /* no message: nothing */
    bs_h5_msg(&gone, "%s", head);
    bs_h5_note_space(g_comm, &gone, "no-such-dir/out.h5");
    if (strncmp(err, head, strlen(head)) == 0) {
        const char *rest = err + strlen(head);
        low = strncmp(rest, " (no space left: ", 17) == 0;
        parsed = low ? sscanf(rest, " (no space left: %llu bytes free on "
                              "the file system of %127[^\n]", &n, tail)
                     : sscanf(rest, " (%llu bytes free on its file "
                              "system%127[^\n]", &n, tail);
    }
    ck_assert_msg(parsed == 2, "message: %s", err);
    if (low) {
        ck_assert_uint_lt(n, 1u << 20);
        ck_assert_str_eq(tail, "out.h5)");
    } else {
        ck_assert_uint_ge(n, 1u << 20);
        ck_assert_str_eq(tail, ")");
    }
    ck_assert_str_eq(c.note, err);           /* the shared note too */
    ck_assert_str_eq(err2, "");              /* nothing appended */
    ck_assert_str_eq(none.note, "");
    ck_assert_str_eq(err3, head);
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("io");
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_unwritable_path);
    tcase_add_test(tc, test_duplicate_area);
    tcase_add_test(tc, test_truncate_and_gap);
    tcase_add_test(tc, test_reopen_refuses_old_format);
    tcase_add_test(tc, test_invalid_rows_one_rank);
    tcase_add_test(tc, test_empty_layout);
    tcase_add_test(tc, test_large_text);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_note_space);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    char err[256] = "";
    int rank = 0;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (bs_comm_create(&g_comm, err, sizeof err) != BS_OK) {
        fprintf(stderr, "rank %d: bs_comm_create: %s\n", rank, err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int rc = check_run(io_suite(), CHECK_MPI, "io");
    bs_comm_destroy(&g_comm);
    MPI_Finalize();
    return rc;
}
