#define _POSIX_C_SOURCE 200809L
/*
 * io_common.c - helpers shared by the HDF5 files; contracts in io_common.h.
 */
#include "io_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#define SPACE_LOW_BYTES (UINT64_C(1) << 20) /* "no space left" below this */

void bs_h5_msg(bs_h5_ctx *c, const char *fmt, ...)
{
    va_list ap;
    if (c->failed)
        return;
    c->failed = 1;
    va_start(ap, fmt);
    vsnprintf(c->note, sizeof c->note, fmt, ap);
    va_end(ap);
    if (c->err != NULL && c->err_len > 0) {
        va_start(ap, fmt);
        vsnprintf(c->err, c->err_len, fmt, ap);
        va_end(ap);
    }
}

/* H5Ewalk2 callback: "<function>: <description>" of the innermost error
 * into data (char[256]). */
static herr_t walk_first(unsigned n, const H5E_error2_t *e, void *data)
{
    if (n == 0)
        snprintf(data, 256, "%s: %s", e->func_name ? e->func_name : "?",
                 e->desc ? e->desc : "?");
    return 0;
}

void bs_h5_last_error(char *buf, size_t len)
{
    char inner[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_first, inner);
    snprintf(buf, len, "%s", inner);
}

int bs_h5_check(bs_h5_ctx *c, const char *obj, int64_t value,
                const char *expr, const char *file, int line)
{
    char inner[256] = "";
    const char *call = strstr(expr, "H5"); /* the call's name ends at '(' */
    if (value >= 0)
        return 1;
    bs_h5_last_error(inner, sizeof inner);
    if (call == NULL)
        call = expr;
    bs_h5_msg(c, "%s: %s: %.*s failed (%s:%d)%s%s", c->path, obj,
              (int)strcspn(call, "("), call, file, line,
              inner[0] ? ": " : "", inner);
    return 0;
}

void bs_h5_close(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: break;
    }
    *id = H5I_INVALID_HID;
}

/* The failure path of the agreement: the lowest failing rank is found with
 * a max-reduction, then its status and message reach every rank as a sum
 * in which only that rank contributes (two small reductions, no
 * allocation). */
bs_status bs_h5_agree_status(bs_comm *comm, bs_h5_ctx *c, bs_status st)
{
    enum { WORDS = 1 + BS_H5_NOTE_LEN / 8 };
    uint64_t note[WORDS];
    char mpi_err[128] = "";
    int rank = bs_comm_rank(comm), size = bs_comm_size(comm), first;
    double key = st != BS_OK ? (double)(size - rank) : 0.0;
    if (bs_comm_all_ok(comm, st == BS_OK))
        return BS_OK;
    if (bs_comm_max_f64(comm, &key, 1, mpi_err, sizeof mpi_err) != BS_OK) {
        bs_h5_msg(c, "%s: agreement on an error failed: %s", c->path,
                  mpi_err);
        return BS_ERR_MPI;
    }
    first = size - (int)key;
    memset(note, 0, sizeof note);
    if (rank == first) {
        note[0] = (uint64_t)st;
        memcpy(note + 1, c->note, BS_H5_NOTE_LEN);
    }
    if (bs_comm_sum_u64(comm, note, WORDS, mpi_err, sizeof mpi_err) !=
        BS_OK) {
        bs_h5_msg(c, "%s: agreement on an error failed: %s", c->path,
                  mpi_err);
        return BS_ERR_MPI;
    }
    ((char *)(note + 1))[BS_H5_NOTE_LEN - 1] = '\0';
    if (key == 0.0 || note[0] == BS_OK) /* not possible: all_ok said no */
        note[0] = BS_ERR_MPI;
    bs_h5_msg(c, "rank %d: %s", first, (const char *)(note + 1));
    return (bs_status)note[0];
}

int bs_h5_agree(bs_comm *comm, bs_h5_ctx *c, int ok)
{
    return bs_h5_agree_status(comm, c, ok ? BS_OK : BS_ERR_IO) == BS_OK;
}

/* Appends text to the message recorded in c (c->note and c->err). */
static void msg_append(bs_h5_ctx *c, const char *text)
{
    size_t at = strlen(c->note);
    snprintf(c->note + at, sizeof c->note - at, "%s", text);
    if (c->err != NULL && c->err_len > 0) {
        at = strnlen(c->err, c->err_len - 1);
        snprintf(c->err + at, c->err_len - at, "%s", text);
    }
}

int bs_h5_free_space_here(const char *file, uint64_t *bytes)
{
    struct statvfs fs;
    if (file == NULL || statvfs(file, &fs) != 0)
        return 0;
    *bytes = (uint64_t)fs.f_bavail * (uint64_t)fs.f_frsize;
    return 1;
}

int bs_h5_free_space(bs_comm *comm, const char *file, uint64_t *bytes)
{
    /* [0]: 1 when rank 0 could read the free space, [1]: the bytes */
    uint64_t v[2] = {0, 0};
    char mpi_err[128];
    if (bs_comm_rank(comm) == 0)
        v[0] = (uint64_t)bs_h5_free_space_here(file, &v[1]);
    if (bs_comm_bcast(comm, v, sizeof v, mpi_err, sizeof mpi_err) != BS_OK)
        return 0;
    *bytes = v[1];
    return v[0] != 0;
}

void bs_h5_note_space(bs_comm *comm, bs_h5_ctx *c, const char *file)
{
    uint64_t v[2] = {0, 0};
    char text[256];
    v[0] = (uint64_t)bs_h5_free_space(comm, file, &v[1]);
    if (!c->failed || v[0] == 0)
        return;
    if (v[1] < SPACE_LOW_BYTES)
        snprintf(text, sizeof text, " (no space left: %llu bytes free on "
                 "the file system of %s)", (unsigned long long)v[1],
                 c->path);
    else
        snprintf(text, sizeof text, " (%llu bytes free on its file system)",
                 (unsigned long long)v[1]);
    msg_append(c, text);
}

/* ---- attributes -------------------------------------------------------- */

int bs_h5_attr_put(bs_h5_ctx *c, hid_t loc, const char *name, hid_t ftype,
                   hid_t mtype, int n, const void *buf)
{
    hid_t a = H5I_INVALID_HID, s = H5I_INVALID_HID;
    hsize_t dim = n < 0 ? 1 : (hsize_t)n;
    char obj[160];
    int ok;
    snprintf(obj, sizeof obj, "attribute '%s' of %s", name,
             c->where ? c->where : "/");
    ok = H5CK(c, obj, s = n < 0 ? H5Screate(H5S_SCALAR)
                                : H5Screate_simple(1, &dim, NULL)) &&
         H5CK(c, obj, a = H5Acreate2(loc, name, ftype, s, H5P_DEFAULT,
                                     H5P_DEFAULT)) &&
         H5CK(c, obj, H5Awrite(a, mtype, buf));
    bs_h5_close(&a);
    bs_h5_close(&s);
    return ok;
}

int bs_h5_attr_u64(bs_h5_ctx *c, hid_t loc, const char *name, uint64_t v)
{
    return bs_h5_attr_put(c, loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, -1,
                          &v);
}

int bs_h5_attr_i32(bs_h5_ctx *c, hid_t loc, const char *name, int32_t v)
{
    return bs_h5_attr_put(c, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT32, -1,
                          &v);
}

int bs_h5_attr_strings(bs_h5_ctx *c, hid_t loc, const char *name, int n,
                       const char *const *strs)
{
    hid_t t = H5I_INVALID_HID;
    size_t count = n < 0 ? 1 : (size_t)n, size = 1, i;
    char *buf;
    int ok;
    for (i = 0; i < count; i++)
        if (strs[i] && strlen(strs[i]) > size)
            size = strlen(strs[i]);
    buf = calloc(count ? count : 1, size);   /* NUL-padded values */
    if (!buf) {
        bs_h5_msg(c, "%s: attribute '%s' of %s: out of memory", c->path,
                  name, c->where ? c->where : "/");
        return 0;
    }
    for (i = 0; i < count; i++)
        if (strs[i])
            memcpy(buf + i * size, strs[i], strlen(strs[i]));
    ok = H5CK(c, name, t = H5Tcopy(H5T_C_S1)) &&
         H5CK(c, name, H5Tset_size(t, size)) &&
         H5CK(c, name, H5Tset_strpad(t, H5T_STR_NULLPAD)) &&
         H5CK(c, name, H5Tset_cset(t, H5T_CSET_UTF8)) &&
         bs_h5_attr_put(c, loc, name, t, t, n, buf);
    bs_h5_close(&t);
    free(buf);
    return ok;
}

int bs_h5_attr_str(bs_h5_ctx *c, hid_t loc, const char *name, const char *v)
{
    const char *strs[1] = {v ? v : ""};
    return bs_h5_attr_strings(c, loc, name, -1, strs);
}

/* ---- checked reads ----------------------------------------------------- */

/* Opens attribute `name` of loc (described by what) with its space and
 * type; 0 naming it when it is missing. */
static int attr_open(bs_h5_ctx *c, hid_t loc, const char *what,
                     const char *name, hid_t *a, hid_t *s, hid_t *t)
{
    htri_t ex;
    if (!H5CK(c, what, ex = H5Aexists(loc, name)))
        return 0;
    if (!ex) {
        bs_h5_msg(c, "%s: %s: missing", c->path, what);
        return 0;
    }
    return H5CK(c, what, *a = H5Aopen(loc, name, H5P_DEFAULT)) &&
           H5CK(c, what, *s = H5Aget_space(*a)) &&
           H5CK(c, what, *t = H5Aget_type(*a));
}

int bs_h5_attr_int(bs_h5_ctx *c, hid_t loc, const char *obj, const char *name,
                   int is_signed, void *out)
{
    hid_t a = H5I_INVALID_HID, s = H5I_INVALID_HID, t = H5I_INVALID_HID;
    char what[192];
    snprintf(what, sizeof what, "attribute '%s' of %s", name, obj);
    int ok = attr_open(c, loc, what, name, &a, &s, &t);
    if (ok && (H5Sget_simple_extent_npoints(s) != 1 ||
               H5Tget_class(t) != H5T_INTEGER ||
               H5Tget_size(t) != (is_signed ? 4u : 8u) ||
               H5Tget_sign(t) != (is_signed ? H5T_SGN_2 : H5T_SGN_NONE))) {
        bs_h5_msg(c, "%s: %s: not a single %s", c->path, what,
                  is_signed ? "i32" : "u64");
        ok = 0;
    }
    ok = ok && H5CK(c, what, H5Aread(a, is_signed ? H5T_NATIVE_INT32
                                                  : H5T_NATIVE_UINT64, out));
    bs_h5_close(&t);
    bs_h5_close(&s);
    bs_h5_close(&a);
    return ok;
}

/* Whether the string attribute `what` (type t) is variable-length:
 * recorded as an error, before any read (reading one decodes the file's
 * global heap, where HDF5 1.10 crashes or hangs on corrupt files).  1 when
 * it is variable-length or the question fails. */
static int vlen_refused(bs_h5_ctx *c, const char *what, hid_t t)
{
    htri_t vlen;
    if (!H5CK(c, what, vlen = H5Tis_variable_str(t)))
        return 1;
    if (vlen)
        bs_h5_msg(c, "%s: %s is a variable-length string; brainsim files "
                  "store fixed-length strings", c->path, what);
    return vlen != 0;
}

int bs_h5_attr_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                    const char *name, char *out, size_t len)
{
    hid_t a = H5I_INVALID_HID, s = H5I_INVALID_HID, t = H5I_INVALID_HID;
    char what[192];
    snprintf(what, sizeof what, "attribute '%s' of %s", name, obj);
    memset(out, 0, len);
    int ok = attr_open(c, loc, what, name, &a, &s, &t);
    if (ok && H5Tget_class(t) != H5T_STRING) {
        bs_h5_msg(c, "%s: %s: not a string", c->path, what);
        ok = 0;
    }
    ok = ok && !vlen_refused(c, what, t);
    if (ok && (H5Sget_simple_extent_npoints(s) != 1 ||
               H5Tget_size(t) >= len)) {
        bs_h5_msg(c, "%s: %s: not a single string of < %zu bytes", c->path,
                  what, len);
        ok = 0;
    }
    /* read as stored (memory type = file type): no conversion */
    ok = ok && H5CK(c, what, H5Aread(a, t, out));
    out[len - 1] = '\0';
    bs_h5_close(&t);
    bs_h5_close(&s);
    bs_h5_close(&a);
    return ok;
}

int bs_h5_format_check(bs_h5_ctx *c, hid_t file, const char *want,
                       char *format, size_t len)
{
    int32_t version = 0;
    htri_t ex;
    int ok = H5CK(c, "attribute 'format_version' of /",
                  ex = H5Aexists(file, "format_version"));
    memset(format, 0, len);
    if (ok && !ex) {
        bs_h5_msg(c, "%s: not a brainsim file (no root attribute "
                  "'format_version')", c->path);
        ok = 0;
    }
    ok = ok && bs_h5_attr_int(c, file, "/", "format_version", 1, &version);
    if (ok && version == 1)
        bs_h5_msg(c, "%s: attribute 'format_version' of / is 1: the file was "
                  "written by an older brainsim, whose files store "
                  "variable-length strings; this brainsim reads version %d",
                  c->path, BS_H5_FORMAT_VERSION);
    else if (ok && version != BS_H5_FORMAT_VERSION)
        bs_h5_msg(c, "%s: attribute 'format_version' of / is %d: this "
                  "brainsim reads version %d", c->path, (int)version,
                  BS_H5_FORMAT_VERSION);
    ok = ok && version == BS_H5_FORMAT_VERSION &&
         bs_h5_attr_text(c, file, "/", "format", format, len);
    if (ok && (want ? strcmp(format, want) != 0
                    : strcmp(format, BS_H5_FORMAT_OUTPUT) != 0 &&
                      strcmp(format, BS_H5_FORMAT_CHECKPOINT) != 0)) {
        bs_h5_msg(c, "%s: attribute 'format' of / is '%s': not a brainsim "
                  "%s", c->path, format,
                  !want ? "file"
                  : strcmp(want, BS_H5_FORMAT_OUTPUT) == 0 ? "output"
                                                            : "checkpoint");
        ok = 0;
    }
    return ok;
}

int bs_h5_dset_open(bs_h5_ctx *c, hid_t loc, const char *obj,
                    const char *name, size_t size, uint64_t want, hid_t *d,
                    uint64_t *len)
{
    hid_t t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    hsize_t dim = 0;
    htri_t ex;
    int ok = H5CK(c, obj, ex = H5Lexists(loc, name, H5P_DEFAULT));
    if (ok && !ex) {
        bs_h5_msg(c, "%s: %s: missing", c->path, obj);
        ok = 0;
    }
    ok = ok && H5CK(c, obj, *d = H5Dopen2(loc, name, H5P_DEFAULT)) &&
         H5CK(c, obj, t = H5Dget_type(*d)) &&
         H5CK(c, obj, s = H5Dget_space(*d));
    if (ok && (H5Tget_class(t) != H5T_INTEGER || H5Tget_size(t) != size ||
               H5Tget_sign(t) != H5T_SGN_NONE)) {
        bs_h5_msg(c, "%s: %s: values are not u%zu", c->path, obj, size * 8);
        ok = 0;
    }
    if (ok && (H5Sget_simple_extent_ndims(s) != 1 ||
               H5Sget_simple_extent_dims(s, &dim, NULL) != 1)) {
        bs_h5_msg(c, "%s: %s: not one-dimensional", c->path, obj);
        ok = 0;
    }
    if (ok && want != UINT64_MAX && dim != want) {
        bs_h5_msg(c, "%s: %s: has %llu values, expected %llu", c->path, obj,
                  (unsigned long long)dim, (unsigned long long)want);
        ok = 0;
    }
    *len = dim;
    bs_h5_close(&t);
    bs_h5_close(&s);
    if (!ok)
        bs_h5_close(d);
    return ok;
}

int bs_h5_dset_range(bs_h5_ctx *c, hid_t d, const char *obj, hid_t mtype,
                     uint64_t start, uint64_t count, void *buf)
{
    hsize_t first = start, n = count;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    if (count == 0)
        return 1;
    int ok = H5CK(c, obj, fs = H5Dget_space(d)) &&
             H5CK(c, obj, ms = H5Screate_simple(1, &n, NULL)) &&
             H5CK(c, obj, H5Sselect_hyperslab(fs, H5S_SELECT_SET, &first,
                                              NULL, &n, NULL)) &&
             H5CK(c, obj, H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf));
    bs_h5_close(&ms);
    bs_h5_close(&fs);
    return ok;
}

/* The first index of u64 dataset d (len values) whose value is >= v, or
 * len. */
static int lower_bound(bs_h5_ctx *c, hid_t d, const char *obj, uint64_t len,
                       uint64_t v, uint64_t *pos)
{
    uint64_t a = 0, b = len, x = 0;
    int ok = 1;
    while (ok && a < b) {
        uint64_t mid = a + (b - a) / 2;
        ok = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, mid, 1, &x);
        if (x < v)
            a = mid + 1;
        else
            b = mid;
    }
    *pos = a;
    return ok;
}

int bs_h5_sorted_range(bs_h5_ctx *c, hid_t d, const char *obj, uint64_t len,
                       uint64_t lo, uint64_t hi, int last, const char *what,
                       uint64_t *p, uint64_t *q)
{
    uint64_t x = 0;
    int ok = lower_bound(c, d, obj, len, lo, p) &&
             lower_bound(c, d, obj, len, hi, q);
    if (ok && *p > *q) {
        bs_h5_msg(c, "%s: %s: values are not ascending", c->path, obj);
        ok = 0;
    }
    if (ok && last && *q < len) {
        if (bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, *q, 1, &x))
            bs_h5_msg(c, "%s: %s: value %llu at %llu: %s", c->path, obj,
                      (unsigned long long)x, (unsigned long long)*q, what);
        ok = 0;
    }
    return ok;
}

int bs_h5_dset_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                    const char *name, size_t max_bytes, char **out)
{
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    size_t size = 0;
    htri_t ex;
    int ok = H5CK(c, obj, ex = H5Lexists(loc, name, H5P_DEFAULT));
    *out = NULL;
    if (ok && !ex) {
        bs_h5_msg(c, "%s: %s: missing", c->path, obj);
        ok = 0;
    }
    ok = ok && H5CK(c, obj, d = H5Dopen2(loc, name, H5P_DEFAULT)) &&
         H5CK(c, obj, t = H5Dget_type(d)) &&
         H5CK(c, obj, s = H5Dget_space(d));
    if (ok && (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) != 0 ||
               (size = H5Tget_size(t)) == 0 || size > max_bytes ||
               H5Sget_simple_extent_type(s) != H5S_SCALAR)) {
        bs_h5_msg(c, "%s: %s: not a scalar fixed-length string of at most "
                  "%zu bytes", c->path, obj, max_bytes);
        ok = 0;
    }
    if (ok && !(*out = calloc(size + 1, 1))) {
        bs_h5_msg(c, "%s: %s: out of memory", c->path, obj);
        ok = 0;
    }
    ok = ok && H5CK(c, obj, H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                    *out));
    if (!ok) {
        free(*out);
        *out = NULL;
    }
    bs_h5_close(&s);
    bs_h5_close(&t);
    bs_h5_close(&d);
    return ok;
}
