/*
 * io_h5_read.c - checked reads of brainsim files (attributes, the root's
 * format, 1-D datasets and their sorted ranges, string datasets);
 * contracts in io_h5_read.h.  Every read is local and independent.
 */
#include "io_h5_read.h"
#include "rowsum.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bs_status bs_h5_corrupt(const bs_h5_ctx *c)
{
    return c->corrupt != BS_OK ? c->corrupt : BS_ERR_IO;
}

bs_status bs_h5_bad(bs_h5_ctx *c, const char *fmt, ...)
{
    char text[BS_H5_NOTE_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    bs_h5_msg(c, "%s", text);
    return bs_h5_corrupt(c);
}

/* ---- attributes -------------------------------------------------------- */

/* Opens attribute `name` of loc (described by what) with its space and
 * type; fails naming it when it is missing. */
static bs_status attr_open(bs_h5_ctx *c, hid_t loc, const char *what,
                           const char *name, hid_t *a, hid_t *s, hid_t *t)
{
    htri_t ex;
    bs_status st = H5RD(c, what, ex = H5Aexists(loc, name));
    if (st == BS_OK && !ex)
        st = bs_h5_bad(c, "%s: %s: missing", c->path, what);
    if (st == BS_OK)
        st = H5CK(c, what, *a = H5Aopen(loc, name, H5P_DEFAULT)) &&
             H5CK(c, what, *s = H5Aget_space(*a)) &&
             H5CK(c, what, *t = H5Aget_type(*a)) ? BS_OK : bs_h5_corrupt(c);
    return st;
}

/* The single integer attribute `name` of loc (path obj), of exactly type
 * i32 (is_signed) or u64, into out. */
static bs_status attr_int(bs_h5_ctx *c, hid_t loc, const char *obj,
                          const char *name, int is_signed, void *out)
{
    hid_t a = H5I_INVALID_HID, s = H5I_INVALID_HID, t = H5I_INVALID_HID;
    char what[192];
    snprintf(what, sizeof what, "attribute '%s' of %s", name, obj);
    bs_status st = attr_open(c, loc, what, name, &a, &s, &t);
    if (st == BS_OK && (H5Sget_simple_extent_npoints(s) != 1 ||
                        H5Tget_class(t) != H5T_INTEGER ||
                        H5Tget_size(t) != (is_signed ? 4u : 8u) ||
                        H5Tget_sign(t) != (is_signed ? H5T_SGN_2
                                                     : H5T_SGN_NONE)))
        st = bs_h5_bad(c, "%s: %s: not a single %s", c->path, what,
                       is_signed ? "i32" : "u64");
    if (st == BS_OK)
        st = H5RD(c, what, H5Aread(a, is_signed ? H5T_NATIVE_INT32
                                                : H5T_NATIVE_UINT64, out));
    bs_h5_close(&t);
    bs_h5_close(&s);
    bs_h5_close(&a);
    return st;
}

bs_status bs_h5_attr_get_u64(bs_h5_ctx *c, hid_t loc, const char *obj,
                             const char *name, uint64_t *out)
{
    return attr_int(c, loc, obj, name, 0, out);
}

bs_status bs_h5_attr_get_i32(bs_h5_ctx *c, hid_t loc, const char *obj,
                             const char *name, int32_t *out)
{
    return attr_int(c, loc, obj, name, 1, out);
}

bs_status bs_h5_attr_get_f64(bs_h5_ctx *c, hid_t loc, const char *obj,
                             const char *name, double *out)
{
    hid_t a = H5I_INVALID_HID, s = H5I_INVALID_HID, t = H5I_INVALID_HID;
    char what[192];
    snprintf(what, sizeof what, "attribute '%s' of %s", name, obj);
    bs_status st = attr_open(c, loc, what, name, &a, &s, &t);
    if (st == BS_OK && (H5Sget_simple_extent_npoints(s) != 1 ||
                        H5Tget_class(t) != H5T_FLOAT ||
                        H5Tget_size(t) != 8u))
        st = bs_h5_bad(c, "%s: %s: not a single f64", c->path, what);
    if (st == BS_OK)
        st = H5RD(c, what, H5Aread(a, H5T_NATIVE_DOUBLE, out));
    bs_h5_close(&t);
    bs_h5_close(&s);
    bs_h5_close(&a);
    return st;
}

/* Refuses the string attribute `what` (type t) when it is variable-length,
 * before any read (reading one decodes the file's global heap, where HDF5
 * 1.10 crashes or hangs on corrupt files); also fails when the question
 * fails. */
static bs_status vlen_refused(bs_h5_ctx *c, const char *what, hid_t t)
{
    htri_t vlen;
    bs_status st = H5RD(c, what, vlen = H5Tis_variable_str(t));
    if (st == BS_OK && vlen)
        st = bs_h5_bad(c, "%s: %s is a variable-length string; brainsim "
                       "files store fixed-length strings", c->path, what);
    return st;
}

bs_status bs_h5_attr_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                          const char *name, char *out, size_t len)
{
    hid_t a = H5I_INVALID_HID, s = H5I_INVALID_HID, t = H5I_INVALID_HID;
    char what[192];
    snprintf(what, sizeof what, "attribute '%s' of %s", name, obj);
    memset(out, 0, len);
    bs_status st = attr_open(c, loc, what, name, &a, &s, &t);
    if (st == BS_OK && H5Tget_class(t) != H5T_STRING)
        st = bs_h5_bad(c, "%s: %s: not a string", c->path, what);
    if (st == BS_OK)
        st = vlen_refused(c, what, t);
    if (st == BS_OK && (H5Sget_simple_extent_npoints(s) != 1 ||
                        H5Tget_size(t) >= len))
        st = bs_h5_bad(c, "%s: %s: not a single string of < %zu bytes",
                       c->path, what, len);
    /* read as stored (memory type = file type): no conversion */
    if (st == BS_OK)
        st = H5RD(c, what, H5Aread(a, t, out));
    out[len - 1] = '\0';
    bs_h5_close(&t);
    bs_h5_close(&s);
    bs_h5_close(&a);
    return st;
}

/* ---- the root ---------------------------------------------------------- */

/* format_version of the root: present, an i32, this brainsim's version. */
static bs_status version_check(bs_h5_ctx *c, hid_t file)
{
    int32_t version = 0;
    htri_t ex;
    bs_status st = H5RD(c, "attribute 'format_version' of /",
                        ex = H5Aexists(file, "format_version"));
    if (st == BS_OK && !ex)
        st = bs_h5_bad(c, "%s: not a brainsim file (no root attribute "
                       "'format_version')", c->path);
    if (st == BS_OK)
        st = bs_h5_attr_get_i32(c, file, "/", "format_version", &version);
    if (st == BS_OK && version == 1)
        st = bs_h5_bad(c, "%s: attribute 'format_version' of / is 1: the "
                       "file was written by an older brainsim, whose files "
                       "store variable-length strings; this brainsim reads "
                       "version %d", c->path, BS_H5_FORMAT_VERSION);
    else if (st == BS_OK && version != BS_H5_FORMAT_VERSION)
        st = bs_h5_bad(c, "%s: attribute 'format_version' of / is %d: this "
                       "brainsim reads version %d", c->path, (int)version,
                       BS_H5_FORMAT_VERSION);
    return st;
}

bs_status bs_h5_format_check(bs_h5_ctx *c, hid_t file, const char *want,
                             char *format, size_t len)
{
    const char *kind = !want ? "file"
                       : !strcmp(want, BS_H5_FORMAT_OUTPUT) ? "output"
                                                            : "checkpoint";
    memset(format, 0, len);
    bs_status st = version_check(c, file);
    if (st == BS_OK)
        st = bs_h5_attr_text(c, file, "/", "format", format, len);
    if (st == BS_OK && (want ? strcmp(format, want) != 0
                             : strcmp(format, BS_H5_FORMAT_OUTPUT) != 0 &&
                               strcmp(format, BS_H5_FORMAT_CHECKPOINT) != 0))
        st = bs_h5_bad(c, "%s: attribute 'format' of / is '%s': not a "
                       "brainsim %s", c->path, format, kind);
    return st;
}

/* ---- datasets ---------------------------------------------------------- */

/* Opens dataset `name` of loc (path obj) with its type and space; fails
 * naming it when it is missing. */
static bs_status dset_open_any(bs_h5_ctx *c, hid_t loc, const char *obj,
                               const char *name, hid_t *d, hid_t *t,
                               hid_t *s)
{
    htri_t ex;
    bs_status st = H5RD(c, obj, ex = H5Lexists(loc, name, H5P_DEFAULT));
    if (st == BS_OK && !ex)
        st = bs_h5_bad(c, "%s: %s: missing", c->path, obj);
    if (st == BS_OK)
        st = H5CK(c, obj, *d = H5Dopen2(loc, name, H5P_DEFAULT)) &&
             H5CK(c, obj, *t = H5Dget_type(*d)) &&
             H5CK(c, obj, *s = H5Dget_space(*d)) ? BS_OK : bs_h5_corrupt(c);
    return st;
}

bs_status bs_h5_dset_open(bs_h5_ctx *c, hid_t loc, const char *obj,
                          const char *name, size_t size, uint64_t want,
                          hid_t *d, uint64_t *len)
{
    hid_t t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    hsize_t dim = 0;
    bs_status st = dset_open_any(c, loc, obj, name, d, &t, &s);
    if (st == BS_OK && (H5Tget_class(t) != H5T_INTEGER ||
                        H5Tget_size(t) != size ||
                        H5Tget_sign(t) != H5T_SGN_NONE))
        st = bs_h5_bad(c, "%s: %s: values are not u%zu", c->path, obj,
                       size * 8);
    if (st == BS_OK && (H5Sget_simple_extent_ndims(s) != 1 ||
                        H5Sget_simple_extent_dims(s, &dim, NULL) != 1))
        st = bs_h5_bad(c, "%s: %s: not one-dimensional", c->path, obj);
    if (st == BS_OK && want != UINT64_MAX && dim != want)
        st = bs_h5_bad(c, "%s: %s: has %llu values, expected %llu", c->path,
                       obj, (unsigned long long)dim, (unsigned long long)want);
    *len = dim;
    bs_h5_close(&t);
    bs_h5_close(&s);
    if (st != BS_OK)
        bs_h5_close(d);
    return st;
}

bs_status bs_h5_dset_range(bs_h5_ctx *c, hid_t d, const char *obj,
                           hid_t mtype, uint64_t start, uint64_t count,
                           void *buf)
{
    hsize_t first = start, n = count;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    if (count == 0)
        return BS_OK;
    int ok = H5CK(c, obj, fs = H5Dget_space(d)) &&
             H5CK(c, obj, ms = H5Screate_simple(1, &n, NULL)) &&
             H5CK(c, obj, H5Sselect_hyperslab(fs, H5S_SELECT_SET, &first,
                                              NULL, &n, NULL)) &&
             H5CK(c, obj, H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf));
    bs_h5_close(&ms);
    bs_h5_close(&fs);
    return ok ? BS_OK : bs_h5_corrupt(c);
}

/* The first index of u64 dataset d (len values) whose value is >= v, or
 * len, into *pos. */
static bs_status lower_bound(bs_h5_ctx *c, hid_t d, const char *obj,
                             uint64_t len, uint64_t v, uint64_t *pos)
{
    uint64_t a = 0, b = len, x = 0;
    bs_status st = BS_OK;
    while (st == BS_OK && a < b) {
        uint64_t mid = a + (b - a) / 2;
        st = bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, mid, 1, &x);
        if (x < v)
            a = mid + 1;
        else
            b = mid;
    }
    *pos = a;
    return st;
}

bs_status bs_h5_sorted_range(bs_h5_ctx *c, hid_t d, const char *obj,
                             uint64_t len, uint64_t lo, uint64_t hi, int last,
                             const char *what, uint64_t *p, uint64_t *q)
{
    uint64_t x = 0;
    bs_status st = lower_bound(c, d, obj, len, lo, p);
    if (st == BS_OK)
        st = lower_bound(c, d, obj, len, hi, q);
    if (st == BS_OK && *p > *q)
        st = bs_h5_bad(c, "%s: %s: values are not ascending", c->path, obj);
    if (st == BS_OK && last && *q < len) {
        if (bs_h5_dset_range(c, d, obj, H5T_NATIVE_UINT64, *q, 1, &x) ==
            BS_OK)
            bs_h5_msg(c, "%s: %s: value %llu at %llu: %s", c->path, obj,
                      (unsigned long long)x, (unsigned long long)*q, what);
        st = bs_h5_corrupt(c);
    }
    return st;
}

bs_status bs_h5_dset_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                          const char *name, size_t max_bytes, char **out)
{
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    size_t size = 0;
    *out = NULL;
    bs_status st = dset_open_any(c, loc, obj, name, &d, &t, &s);
    if (st == BS_OK && (H5Tget_class(t) != H5T_STRING ||
                        H5Tis_variable_str(t) != 0 ||
                        (size = H5Tget_size(t)) == 0 || size > max_bytes ||
                        H5Sget_simple_extent_type(s) != H5S_SCALAR))
        st = bs_h5_bad(c, "%s: %s: not a scalar fixed-length string of at "
                       "most %zu bytes", c->path, obj, max_bytes);
    if (st == BS_OK && !(*out = calloc(size + 1, 1)))
        st = bs_h5_bad(c, "%s: %s: out of memory", c->path, obj);
    if (st == BS_OK)
        st = H5RD(c, obj, H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  *out));
    if (st != BS_OK) {
        free(*out);
        *out = NULL;
    }
    bs_h5_close(&s);
    bs_h5_close(&t);
    bs_h5_close(&d);
    return st;
}

/* ---- checksums (rowsum.h) ---------------------------------------------- */

bs_status bs_h5_checksum_get(bs_h5_ctx *c, hid_t d, const char *obj,
                             uint64_t *want)
{
    return bs_h5_attr_get_u64(c, d, obj, "checksum", want);
}

bs_status bs_h5_checksum_local(bs_h5_ctx *c, hid_t d, const char *obj,
                               const void *v, size_t size, uint64_t n)
{
    uint64_t want = 0;
    bs_status st = bs_h5_checksum_get(c, d, obj, &want);
    if (st == BS_OK && bs_rowsum(v, size, 0, n) != want)
        st = bs_h5_bad(c, "%s: %s: checksum mismatch: the values are not "
                       "those written (the file is corrupt)", c->path, obj);
    return st;
}

bs_status bs_h5_checksum_agree(bs_h5_ctx *c, bs_comm *comm,
                               const bs_h5_dsum *s, int n, uint64_t span,
                               uint64_t whole)
{
    uint64_t v[4];
    char mpi_err[160] = "";
    for (int i = 0; i < n; i++)
        v[i] = s[i].part;
    v[n] = span;
    if (bs_comm_sum_u64(comm, v, (size_t)n + 1, mpi_err, sizeof mpi_err)
        != BS_OK) {
        bs_h5_msg(c, "%s: %s", c->path, mpi_err);
        return BS_ERR_MPI;
    }
    if (v[n] != whole)   /* slices that do not cover it: a test's reads */
        return BS_OK;
    for (int i = 0; i < n; i++)
        if (v[i] != s[i].want)
            return bs_h5_bad(c, "%s: %s: checksum mismatch: the values are "
                             "not those written (the file is corrupt)",
                             c->path, s[i].obj);
    return BS_OK;
}
