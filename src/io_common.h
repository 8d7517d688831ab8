/*
 * io_common.h - what the HDF5 files (io.c, io_checkpoint.c,
 * io_checkpoint_read.c) share: error messages that name the file, the
 * object, the failing call with file:line and the innermost HDF5 error;
 * closing ids of any type; agreement of all ranks on the outcome of a
 * collective unit of work; the free space of a file system after a failed
 * write; attribute writers; reads that check the type and shape of what
 * they read.  Internal to libbrainsim
 * (includes hdf5.h: only the io files include it).
 */
#ifndef BS_IO_COMMON_H
#define BS_IO_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "brainsim.h"
#include "comm.h"

#define BS_H5_NOTE_LEN 256  /* bytes of a message shared between ranks */

/* Root attributes of every brainsim file: format is one of these two
 * strings, format_version this number.  Version 2: every string attribute
 * is a fixed-length, NUL-padded UTF-8 string (version 1 stored them
 * variable-length; such files are refused, see bs_h5_format_check). */
#define BS_H5_FORMAT_OUTPUT "brainsim-output"
#define BS_H5_FORMAT_CHECKPOINT "brainsim-checkpoint"
#define BS_H5_FORMAT_VERSION 2

/* Where a failure is reported (the first failure wins) and the HDF5 object
 * being worked on, for messages.  Initialise as
 * {path, err, err_len, 0, "/", ""}. */
typedef struct bs_h5_ctx {
    const char *path;        /* the file: first word of every message */
    char *err;               /* caller's buffer (may be NULL) */
    size_t err_len;
    int failed;              /* 1 once a message is recorded */
    const char *where;       /* path of the current group or dataset */
    char note[BS_H5_NOTE_LEN]; /* the message again, for other ranks */
} bs_h5_ctx;

/* Records a printf-style message unless one is recorded already. */
void bs_h5_msg(bs_h5_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Returns 1 when value >= 0.  Otherwise records "<path>: <obj>: <call>
 * failed (file:line): <innermost HDF5 error>" and returns 0.  Must run right
 * after the failing call, before any other HDF5 call clears the stack.
 */
int bs_h5_check(bs_h5_ctx *c, const char *obj, int64_t value,
                const char *expr, const char *file, int line);

#define H5CK(ctx, obj, expr) \
    bs_h5_check((ctx), (obj), (int64_t)(expr), #expr, __FILE__, __LINE__)

/* The innermost error of the HDF5 error stack as "<function>: <text>"
 * into buf ("" when the stack is empty). */
void bs_h5_last_error(char *buf, size_t len);

/* Closes any HDF5 id by its type and sets it invalid; accepts invalid ids.
 * Errors are ignored (cleanup path). */
void bs_h5_close(hid_t *id);

/*
 * Collective: BS_OK when every rank passes st == BS_OK.  Otherwise every
 * rank returns the status of the lowest failing rank, and the ranks that
 * had not failed record that rank's message, prefixed "rank <r>: ".  On an
 * MPI failure, BS_ERR_MPI.
 */
bs_status bs_h5_agree_status(bs_comm *comm, bs_h5_ctx *c, bs_status st);

/* Collective: 1 iff every rank passes ok != 0 (the others get the message
 * of the lowest failing rank, as bs_h5_agree_status). */
int bs_h5_agree(bs_comm *comm, bs_h5_ctx *c, int ok);

/*
 * Collective, on every rank after an agreed failure to write the file
 * `file` (MPI-IO does not pass errno up, so the message says what failed
 * but not why): rank 0 reads the space left on file's file system
 * (statvfs, the bytes available to the user) and every rank appends to its
 * message " (no space left: N bytes free on the file system of <c->path>)"
 * when N is below 1 MiB, else " (N bytes free on its file system)".
 * Appends nothing when statvfs or the broadcast fails or no message is
 * recorded.  Can't fail.
 */
void bs_h5_note_space(bs_comm *comm, bs_h5_ctx *c, const char *file);

/* Collective: the bytes available to the user on the file system of
 * `file`, read by rank 0 (statvfs) and broadcast, in *bytes.  Returns 1,
 * or 0 (on every rank) when rank 0 could not read them or the broadcast
 * failed. */
int bs_h5_free_space(bs_comm *comm, const char *file, uint64_t *bytes);

/* The same on this rank alone (not collective).  Returns 1, or 0 when
 * statvfs fails. */
int bs_h5_free_space_here(const char *file, uint64_t *bytes);

/* Writes attribute `name` of `loc` (named c->where): file type ftype,
 * memory type mtype, n values (n < 0: scalar) from buf.  Returns 1, or 0
 * with the failure in c. */
int bs_h5_attr_put(bs_h5_ctx *c, hid_t loc, const char *name, hid_t ftype,
                   hid_t mtype, int n, const void *buf);
/* Scalar u64 / i32 little-endian attributes. */
int bs_h5_attr_u64(bs_h5_ctx *c, hid_t loc, const char *name, uint64_t v);
int bs_h5_attr_i32(bs_h5_ctx *c, hid_t loc, const char *name, int32_t v);
/* n fixed-length, NUL-padded UTF-8 strings (n < 0: the scalar string
 * strs[0]; NULL: ""), all of the length of the longest (at least 1 byte):
 * no reader has to decode a global heap. */
int bs_h5_attr_strings(bs_h5_ctx *c, hid_t loc, const char *name, int n,
                       const char *const *strs);
/* A scalar fixed-length UTF-8 string (NULL: ""). */
int bs_h5_attr_str(bs_h5_ctx *c, hid_t loc, const char *name, const char *v);

/* ---- checked reads: each returns 1, or 0 with a message naming the
 * object and what is wrong ---- */

/* The single integer attribute `name` of loc (path obj), of exactly type
 * i32 (is_signed) or u64, into out. */
int bs_h5_attr_int(bs_h5_ctx *c, hid_t loc, const char *obj, const char *name,
                   int is_signed, void *out);
/* A single fixed-length string attribute into out (len bytes,
 * NUL-terminated); one of len bytes or more is refused, and so is a
 * variable-length one ("... is a variable-length string; brainsim files
 * store fixed-length strings"), without reading it. */
int bs_h5_attr_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                    const char *name, char *out, size_t len);
/* The root of a brainsim file: attribute format_version (i32, read first,
 * so that a file of another version is refused with the reason) is
 * BS_H5_FORMAT_VERSION, and attribute format (a fixed-length string, into
 * format: len bytes) is `want`, or when want is NULL either format. */
int bs_h5_format_check(bs_h5_ctx *c, hid_t file, const char *want,
                       char *format, size_t len);
/* Opens dataset `name` of loc (path obj) after checking that it is 1-D,
 * of unsigned integers of `size` bytes and, unless want is UINT64_MAX, of
 * exactly want values; its length into *len (*d invalid on failure). */
int bs_h5_dset_open(bs_h5_ctx *c, hid_t loc, const char *obj,
                    const char *name, size_t size, uint64_t want, hid_t *d,
                    uint64_t *len);
/* Reads values [start, start + count) of the 1-D dataset d (path obj) of
 * memory type mtype into buf, with an independent transfer. */
int bs_h5_dset_range(bs_h5_ctx *c, hid_t d, const char *obj, hid_t mtype,
                     uint64_t start, uint64_t count, void *buf);

/*
 * The range [*p, *q) of the values in [lo, hi) of the 1-D u64 dataset d
 * (path obj, len values, ascending) by two binary searches of one-value
 * reads.  With last != 0 (the caller owns the last slice) also fails when
 * a value follows the range, with "<value> at <index>: <what>".
 */
int bs_h5_sorted_range(bs_h5_ctx *c, hid_t d, const char *obj, uint64_t len,
                       uint64_t lo, uint64_t hi, int last, const char *what,
                       uint64_t *p, uint64_t *q);
/* The scalar fixed-length string dataset `name` of loc (path obj) of at
 * most max_bytes, NUL-terminated into a new *out (free()). */
int bs_h5_dset_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                    const char *name, size_t max_bytes, char **out);

#endif /* BS_IO_COMMON_H */
