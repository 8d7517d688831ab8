#define _POSIX_C_SOURCE 200809L
/*
 * io_h5.c - the HDF5 context, call checks, agreement of the ranks, free
 * space, opening files with the MPI-IO driver, and the attribute and
 * string writers shared by the io files; contracts in io_h5.h.
 */
#include "io_h5.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <mpi.h>

#define SPACE_LOW_BYTES (UINT64_C(1) << 20) /* "no space left" below this */

/* ---- messages, checks, closing ----------------------------------------- */

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
    /* the sec2 driver's text: "file write failed: time = <ctime>\n,
     * filename = ..., error message = '<strerror>', ...": keep the
     * failure and strerror, on one line */
    char *t = strstr(inner, ": time = ");
    const char *m = strstr(inner, "error message = '");
    if (t) {
        char why[96] = "";
        if (m)
            snprintf(why, sizeof why, ": %.*s", (int)strcspn(m + 17, "'"),
                     m + 17);
        snprintf(t, sizeof inner - (size_t)(t - inner), "%s", why);
    }
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

void bs_h5_quiet(void)
{
    (void)H5dont_atexit();      /* fails once HDF5 is initialised: fine */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
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

int bs_h5_name_ok(const char *s)
{
    return s && s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* ---- agreement of the ranks -------------------------------------------- */

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

/* ---- free space after a failed write ----------------------------------- */

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

/* ---- opening a file ---------------------------------------------------- */

int bs_h5_fapl_mpio(bs_h5_ctx *c, bs_comm *comm, const char *obj, int create,
                    hid_t *fapl)
{
    MPI_Comm *mc = bs_comm_mpi(comm);
    return H5CK(c, obj, *fapl = H5Pcreate(H5P_FILE_ACCESS)) &&
           H5CK(c, obj, mc ? H5Pset_fapl_mpio(*fapl, *mc, MPI_INFO_NULL)
                           : H5Pset_fapl_sec2(*fapl)) &&
           (!create || H5CK(c, obj, H5Pset_libver_bounds(*fapl,
                                                          H5F_LIBVER_V18,
                                                          H5F_LIBVER_V18)));
}

int bs_h5_file_mpio(bs_h5_ctx *c, bs_comm *comm, const char *obj,
                    const char *path, unsigned flags, hid_t *file,
                    hid_t *dxpl)
{
    hid_t fapl = H5I_INVALID_HID;
    int create = flags == H5F_ACC_TRUNC;
    struct stat sb;
    if (create && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        bs_h5_msg(c, "%s: not a regular file (outputs and checkpoints are "
                  "written to regular files or new names)", c->path);
        return 0;
    }
    int ok = bs_h5_fapl_mpio(c, comm, obj, create, &fapl) &&
             (create ? H5CK(c, obj, *file = H5Fcreate(path, H5F_ACC_TRUNC,
                                                      H5P_DEFAULT, fapl))
                     : H5CK(c, obj, *file = H5Fopen(path, flags, fapl))) &&
             H5CK(c, obj, *dxpl = H5Pcreate(H5P_DATASET_XFER)) &&
             H5CK(c, obj, !bs_comm_mpi(comm) ? 0
                          : H5Pset_dxpl_mpio(*dxpl, H5FD_MPIO_COLLECTIVE));
    bs_h5_close(&fapl);
    return ok;
}

int bs_h5_discard(bs_comm *comm, bs_h5_ctx *c, hid_t *file, const char *path)
{
    struct stat sb;
    if (*file < 0)
        return 1;
    if (bs_comm_rank(comm) == 0 && stat(path, &sb) == 0 &&
        S_ISREG(sb.st_mode) && truncate(path, 0) != 0) {
        /* not freed: the close below may fail, and says why */
    }
    bs_h5_agree(comm, c, 1);                /* every rank after the cut */
    int ok = H5CK(c, "file", H5Fclose(*file));
    *file = H5I_INVALID_HID;
    return ok;
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

/* The fixed-length (size bytes), NUL-padded UTF-8 string type into *t
 * (failures named obj).  Returns 1, or 0 with the failure in c. */
static int str_type(bs_h5_ctx *c, const char *obj, size_t size, hid_t *t)
{
    return H5CK(c, obj, *t = H5Tcopy(H5T_C_S1)) &&
           H5CK(c, obj, H5Tset_size(*t, size)) &&
           H5CK(c, obj, H5Tset_strpad(*t, H5T_STR_NULLPAD)) &&
           H5CK(c, obj, H5Tset_cset(*t, H5T_CSET_UTF8));
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
    ok = str_type(c, name, size, &t) &&
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

/* ---- string datasets --------------------------------------------------- */

int bs_h5_text_put(bs_h5_ctx *c, hid_t loc, const char *obj,
                   const char *name, const char *text, int rank, hid_t dxpl)
{
    size_t len = text ? strlen(text) : 0;
    hid_t t = H5I_INVALID_HID, s = H5I_INVALID_HID, d = H5I_INVALID_HID;
    int ok = str_type(c, obj, len ? len : 1, &t) &&
             H5CK(c, obj, s = H5Screate(H5S_SCALAR)) &&
             (rank == 0 || H5CK(c, obj, H5Sselect_none(s))) &&
             H5CK(c, obj, d = H5Dcreate2(loc, name, t, s, H5P_DEFAULT,
                                         H5P_DEFAULT, H5P_DEFAULT)) &&
             H5CK(c, obj, H5Dwrite(d, t, s, s, dxpl, len ? text : ""));
    bs_h5_close(&d);
    bs_h5_close(&s);
    bs_h5_close(&t);
    return ok;
}
