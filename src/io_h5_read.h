/*
 * io_h5_read.h - checked reads of brainsim files (outputs and checkpoints,
 * possibly written by others, truncated or hostile): every read checks
 * the type class, size, sign, rank and extent of what it reads before
 * reading it, and a string is never read as a variable-length one (HDF5
 * 1.10 crashes or hangs decoding a corrupt global heap).
 *
 * Each read returns BS_OK, or c->corrupt (BS_ERR_CHECKPOINT for a
 * checkpoint, BS_ERR_IO otherwise; BS_ERR_IO when unset) with a message
 * naming the file, the object and what is wrong: a value that is missing,
 * not as brainsim writes it, or that HDF5 fails to read.  Local (no
 * agreement).  Internal to libbrainsim (includes hdf5.h through io_h5.h).
 */
#ifndef BS_IO_H5_READ_H
#define BS_IO_H5_READ_H

#include <stddef.h>
#include <stdint.h>

#include "io_h5.h"

/* The status of a file that is not as brainsim writes it: c->corrupt, or
 * BS_ERR_IO when that is unset.  Can't fail. */
bs_status bs_h5_corrupt(const bs_h5_ctx *c);

/* Records a printf-style message (as bs_h5_msg) and returns
 * bs_h5_corrupt(c). */
bs_status bs_h5_bad(bs_h5_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An HDF5 call in a read: BS_OK when it succeeds, else the message of
 * H5CK and bs_h5_corrupt(ctx). */
#define H5RD(ctx, obj, expr) \
    (H5CK((ctx), (obj), (expr)) ? BS_OK : bs_h5_corrupt(ctx))

/* The single attribute `name` of loc (path obj), of exactly type u64 / i32,
 * into *out. */
bs_status bs_h5_attr_get_u64(bs_h5_ctx *c, hid_t loc, const char *obj,
                             const char *name, uint64_t *out);
bs_status bs_h5_attr_get_i32(bs_h5_ctx *c, hid_t loc, const char *obj,
                             const char *name, int32_t *out);
/* A single f64 attribute (IEEE 8 bytes) `name` of loc (path obj) into
 * *out; fails as the integer readers. */
bs_status bs_h5_attr_get_f64(bs_h5_ctx *c, hid_t loc, const char *obj,
                             const char *name, double *out);

/* A single fixed-length string attribute into out (len bytes,
 * NUL-terminated); one of len bytes or more is refused, and so is a
 * variable-length one ("... is a variable-length string; brainsim files
 * store fixed-length strings"), without reading it. */
bs_status bs_h5_attr_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                          const char *name, char *out, size_t len);

/* The root of a brainsim file: attribute format_version (i32, read first,
 * so that a file of another version is refused with the reason) is
 * BS_H5_FORMAT_VERSION, and attribute format (a fixed-length string, into
 * format: len bytes) is `want`, or when want is NULL either format. */
bs_status bs_h5_format_check(bs_h5_ctx *c, hid_t file, const char *want,
                             char *format, size_t len);

/* Opens dataset `name` of loc (path obj) after checking that it is 1-D,
 * of unsigned integers of `size` bytes and, unless want is UINT64_MAX, of
 * exactly want values; its length into *len (*d invalid on failure). */
bs_status bs_h5_dset_open(bs_h5_ctx *c, hid_t loc, const char *obj,
                          const char *name, size_t size, uint64_t want,
                          hid_t *d, uint64_t *len);

/* Reads values [start, start + count) of the 1-D dataset d (path obj) of
 * memory type mtype into buf, with an independent transfer. */
bs_status bs_h5_dset_range(bs_h5_ctx *c, hid_t d, const char *obj,
                           hid_t mtype, uint64_t start, uint64_t count,
                           void *buf);

/*
 * The range [*p, *q) of the values in [lo, hi) of the 1-D u64 dataset d
 * (path obj, len values, ascending) by two binary searches of one-value
 * reads.  With last != 0 (the caller owns the last slice) also fails when
 * a value follows the range, with "<value> at <index>: <what>".
 */
bs_status bs_h5_sorted_range(bs_h5_ctx *c, hid_t d, const char *obj,
                             uint64_t len, uint64_t lo, uint64_t hi, int last,
                             const char *what, uint64_t *p, uint64_t *q);

/* The scalar fixed-length string dataset `name` of loc (path obj) of at
 * most max_bytes, NUL-terminated into a new *out (free(); NULL on
 * failure). */
bs_status bs_h5_dset_text(bs_h5_ctx *c, hid_t loc, const char *obj,
                          const char *name, size_t max_bytes, char **out);

/* Checksums of format_version 3 (rowsum.h).  bs_h5_checksum_get: the
 * u64 attribute `checksum` of dataset d (path obj) into *want.
 * bs_h5_checksum_local: refuses dataset d, read whole into v (n values of
 * size 4 or 8 bytes), when its checksum differs ("checksum mismatch ...
 * the file is corrupt").  bs_h5_checksum_agree: sums the ranks' parts of
 * n <= 3 datasets read in slices of spans (hi - lo) and, when the spans
 * add up to `whole` (the slices partition the ids), refuses the first
 * whose sum differs from its stored checksum; collective, the same status
 * on every rank (BS_ERR_MPI when the sum fails). */
typedef struct bs_h5_dsum {
    uint64_t part, want;       /* this rank's part, the stored checksum */
    char obj[224];             /* the dataset's path, for messages */
} bs_h5_dsum;
bs_status bs_h5_checksum_get(bs_h5_ctx *c, hid_t d, const char *obj,
                             uint64_t *want);
bs_status bs_h5_checksum_local(bs_h5_ctx *c, hid_t d, const char *obj,
                               const void *v, size_t size, uint64_t n);
bs_status bs_h5_checksum_agree(bs_h5_ctx *c, bs_comm *comm,
                               const bs_h5_dsum *s, int n, uint64_t span,
                               uint64_t whole);

#endif /* BS_IO_H5_READ_H */
