/*
 * io_inspect.c - `brainsim inspect`: a short summary of an output or
 * checkpoint file, read with serial HDF5 (an io file: only they call
 * HDF5).  Refuses (BS_ERR_IO, message in err) a file that is not a brainsim file
 * of this format_version, and any string attribute that is not a
 * fixed-length string, before reading it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "paths.h"

#include "brainsim.h"
#include "io_h5_read.h"

/* Reads a single integer attribute as u64 into *v; returns 1 on success,
 * 0 when absent or of another kind. */
static int attr_u64(hid_t loc, const char *name, uint64_t *v)
{
    if (H5Aexists(loc, name) <= 0)
        return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    int ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER &&
             H5Sget_simple_extent_npoints(sp) == 1 &&
             H5Aread(a, H5T_NATIVE_UINT64, v) >= 0;
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return ok;
}

/* A string attribute of the root into buf: "" when absent; BS_ERR_IO with
 * the message in c when it cannot be read (a variable-length string is
 * refused unread, as by every reader of brainsim files). */
static bs_status attr_str(bs_h5_ctx *c, hid_t loc, const char *name,
                          char *buf, size_t len)
{
    buf[0] = '\0';
    if (H5Aexists(loc, name) <= 0)
        return BS_OK;
    return bs_h5_attr_text(c, loc, "/", name, buf, len);
}

/* Rows of dataset `name` under loc (first dimension), or -1. */
static long long rows_of(hid_t loc, const char *name)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = {0, 0};
    long long n = -1;
    if (sp >= 0 && H5Sget_simple_extent_ndims(sp) >= 1 &&
        H5Sget_simple_extent_ndims(sp) <= 2 &&
        H5Sget_simple_extent_dims(sp, dims, NULL) >= 1)
        n = (long long)dims[0];
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return n;
}

typedef struct walk_ctx { FILE *out; int checkpoint; } walk_ctx;

/* H5Literate callbacks: one line for area / fiber `name` of group g (what
 * cannot be read is left out); return 0 (go on). */
static herr_t show_area(hid_t g, const char *name, const H5L_info_t *info,
                        void *data)
{
    (void)info;
    walk_ctx *w = data;
    hid_t a = H5Gopen2(g, name, H5P_DEFAULT);
    if (a < 0)
        return 0;
    uint64_t n = 0, k = 0, v = 0;
    attr_u64(a, "n", &n);
    attr_u64(a, "k", &k);
    fprintf(w->out, "  %s: n %" PRIu64 ", k %" PRIu64, name, n, k);
    if (w->checkpoint) {
        if (attr_u64(a, "support", &v))
            fprintf(w->out, ", support %" PRIu64, v);
        if (attr_u64(a, "n_winners", &v))
            fprintf(w->out, ", %s", v ? "has an assembly" : "never fired");
        if (attr_u64(a, "fixed", &v) && v)
            fprintf(w->out, ", fixed");
        if (attr_u64(a, "inhibited", &v) && v)
            fprintf(w->out, ", inhibited");
    } else {
        fprintf(w->out, ", %lld rows", rows_of(a, "winners"));
    }
    fputc('\n', w->out);
    H5Gclose(a);
    return 0;
}

static herr_t show_fiber(hid_t g, const char *name, const H5L_info_t *info,
                         void *data)
{
    (void)info;
    walk_ctx *w = data;
    hid_t f = H5Gopen2(g, name, H5P_DEFAULT);
    if (f < 0)
        return 0;
    uint64_t inh = 0;
    attr_u64(f, "inhibited", &inh);
    fprintf(w->out, "  %s: %lld potentiated synapses%s\n", name,
            rows_of(f, "target"), inh ? ", inhibited" : "");
    H5Gclose(f);
    return 0;
}

#define SHOW_OPS 200            /* operations listed, the rest counted */
#define READ_ROWS (1u << 24)    /* /schedule rows read for the step ranges */

/* The op column of /schedule's first n rows into a new array (free()),
 * or NULL when it cannot be read. */
static uint32_t *schedule_ops(hid_t d, hsize_t n)
{
    uint32_t *ops = malloc((n ? n : 1) * sizeof *ops);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(uint32_t));
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &n, NULL);
    hsize_t start = 0;
    int ok = ops && t >= 0 && fs >= 0 && ms >= 0 &&
             H5Tinsert(t, "op", 0, H5T_NATIVE_UINT32) >= 0 &&
             (n == 0 || (H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL,
                                             &n, NULL) >= 0 &&
                         H5Dread(d, t, ms, fs, H5P_DEFAULT, ops) >= 0));
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (t >= 0) H5Tclose(t);
    if (!ok) { free(ops); ops = NULL; }
    return ops;
}

/* "schedule: N operations" and a line per operation (its description and
 * the steps it took, from /schedule's rows); nothing when /schedule or
 * its operations cannot be read.  An output written by a session that
 * applied operations one at a time says so.  Can't fail. */
static void show_schedule(hid_t f, uint64_t steps, FILE *out)
{
    char head[160] = "";
    hid_t x = H5Lexists(f, "experiment", H5P_DEFAULT) > 0
              ? H5Dopen2(f, "experiment", H5P_DEFAULT) : -1;
    hid_t xt = x >= 0 ? H5Dget_type(x) : -1;
    if (xt >= 0 && H5Tget_class(xt) == H5T_STRING && !H5Tis_variable_str(xt)) {
        size_t len = H5Tget_size(xt);
        char *text = malloc(len + 1);
        if (text && H5Dread(x, xt, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) >= 0) {
            text[len] = '\0';
            snprintf(head, sizeof head, "%s", text);
        }
        free(text);
    }
    if (xt >= 0) H5Tclose(xt);
    if (x >= 0) H5Dclose(x);
    if (strstr(head, "the experiment as it ran"))
        fprintf(out, "experiment: recorded as it ran (operations applied one "
                "at a time included)\n");
    hid_t d = H5Lexists(f, "schedule", H5P_DEFAULT) > 0
              ? H5Dopen2(f, "schedule", H5P_DEFAULT) : -1;
    hid_t a = d >= 0 && H5Aexists(d, "operations") > 0
              ? H5Aopen(d, "operations", H5P_DEFAULT) : -1;
    hid_t t = a >= 0 ? H5Aget_type(a) : -1, sp = a >= 0 ? H5Aget_space(a) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    size_t len = t >= 0 ? H5Tget_size(t) : 0;
    char *names = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t) &&
        n >= 0 && len > 0 && (names = malloc((size_t)n * len + 1)) &&
        H5Aread(a, t, names) >= 0) {
        hsize_t rows = steps < READ_ROWS ? steps : 0;
        uint32_t *ops = schedule_ops(d, rows);
        fprintf(out, "schedule: %lld operation%s\n", (long long)n,
                n == 1 ? "" : "s");
        for (hssize_t i = 0; i < n && i < SHOW_OPS; i++) {
            uint64_t first = 0, last = 0, count = 0;
            for (hsize_t r = 0; ops && r < rows; r++)
                if (ops[r] == (uint32_t)i) {
                    if (!count++) first = r;      /* row r: step r */
                    last = r;
                }
            fprintf(out, "  %lld: %.*s", (long long)i, (int)len,
                    names + (size_t)i * len);
            if (count)
                fprintf(out, " (steps %" PRIu64 "-%" PRIu64 ")", first, last);
            fprintf(out, "\n");
        }
        if (n > SHOW_OPS)
            fprintf(out, "  ... %lld more\n", (long long)(n - SHOW_OPS));
        free(ops);
    }
    free(names);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (d >= 0) H5Dclose(d);
}

/* "title:" and a line per member of `group` (none when it is absent). */
static void show_group(hid_t file, const char *group, const char *title,
                       H5L_iterate_t fn, walk_ctx *w)
{
    if (H5Lexists(file, group, H5P_DEFAULT) <= 0)
        return;
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0)
        return;
    fprintf(w->out, "%s:\n", title);
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, fn, w);
    H5Gclose(g);
}

bs_status bs_inspect(const char *path, FILE *out, char *err, size_t err_len)
{
    if (bs_path_check_read(path, "file", err, err_len) != BS_OK)
        return BS_ERR_IO;   /* a FIFO would block, a directory is noisy */
    bs_h5_quiet();
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, err_len, "%s: not an HDF5 file or not readable", path);
        return BS_ERR_IO;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        snprintf(err, err_len, "%s: cannot open as HDF5", path);
        return BS_ERR_IO;
    }
    bs_h5_ctx c = {path, err, err_len, 0, "/", "", BS_ERR_IO};
    char format[64], version[64], backend[64], reason[512];
    uint64_t fv = 0, v = 0, total = 0;
    if (bs_h5_format_check(&c, f, NULL, format, sizeof format) != BS_OK ||
        attr_str(&c, f, "brainsim_version", version, sizeof version) !=
            BS_OK ||
        attr_str(&c, f, "backend", backend, sizeof backend) != BS_OK ||
        attr_str(&c, f, "fallback_reason", reason, sizeof reason) != BS_OK) {
        H5Fclose(f);
        return BS_ERR_IO;
    }
    walk_ctx w = {out, strcmp(format, BS_H5_FORMAT_CHECKPOINT) == 0};
    attr_u64(f, "format_version", &fv);
    fprintf(out, "file: %s\nformat: %s %" PRIu64 " (brainsim %s)\n", path,
            format, fv, version);
    if (attr_u64(f, "seed", &v))
        fprintf(out, "seed: %" PRIu64 "\n", v);
    if (attr_u64(f, "n_ranks", &v))
        fprintf(out, "written by: %" PRIu64 " rank%s\n", v, v == 1 ? "" : "s");
    if (w.checkpoint) {
        uint64_t op = 0, round = 0;
        attr_u64(f, "step", &v);
        attr_u64(f, "op", &op);
        attr_u64(f, "round", &round);
        fprintf(out, "step: %" PRIu64 " (steps done; schedule operation %"
                PRIu64 ", round %" PRIu64 ")\n", v, op, round);
    } else {
        attr_u64(f, "steps_complete", &v);
        attr_u64(f, "steps_total", &total);
        fprintf(out, "steps: %" PRIu64 " of %" PRIu64 " complete\n", v, total);
        fprintf(out, "backend: %s%s%s%s\n", backend,
                reason[0] ? " (fallback: " : "", reason, reason[0] ? ")" : "");
        show_schedule(f, v, out);
    }
    show_group(f, "areas", "areas", show_area, &w);
    show_group(f, "fibers", "fibers", show_fiber, &w);
    H5Fclose(f);
    return BS_OK;
}
