/*
 * io_h5.h - what every HDF5 file of brainsim (the io files: io.c,
 * io_checkpoint.c, io_checkpoint_read.c, io_inspect.c; only they call
 * HDF5) works with: the context that carries a failure's message, the
 * check of each HDF5 call, agreement of all ranks on the outcome of a
 * collective unit of work, the free space of a file system after a failed
 * write, the one way files are opened with the MPI-IO driver, and the
 * writers of attributes and of string datasets.  Checked reads are in
 * io_h5_read.h.  Internal to libbrainsim (includes hdf5.h: only the io
 * files include it).
 */
#ifndef BS_IO_H5_H
#define BS_IO_H5_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "brainsim.h"
#include "comm.h"

#define BS_H5_NOTE_LEN 256  /* bytes of a message shared between ranks */

/* Root attributes of every brainsim file: format is one of these two
 * strings, format_version this number.  Version 2: every string attribute
 * is a fixed-length, NUL-padded UTF-8 string (version 1 stored them
 * variable-length; such files are refused, see bs_h5_format_check).
 * Version 3: a fiber's connectivity is keyed by the hash of its source and
 * target names (connectome.h, bs_fiber_key), not its position, so every
 * winner and checksum differs from version 2's; checkpoints store
 * snapshots, the verdict's tracking, the plasticity state and winners of
 * 1..k (checkpoint.h); outputs of an interactive session record what ran
 * (io.h); every checkpoint dataset has a `checksum` attribute (rowsum.h),
 * verified on load.  Files of version 2 are refused as any other version. */
#define BS_H5_FORMAT_OUTPUT "brainsim-output"
#define BS_H5_FORMAT_CHECKPOINT "brainsim-checkpoint"
#define BS_H5_FORMAT_VERSION 3

/* Where a failure is reported (the first failure wins), the HDF5 object
 * being worked on, for messages, and what a checked read (io_h5_read.h)
 * returns for a file that does not hold what brainsim writes.  Initialise
 * as {path, err, err_len, 0, "/", "", status}. */
typedef struct bs_h5_ctx {
    const char *path;        /* the file: first word of every message */
    char *err;               /* caller's buffer (may be NULL) */
    size_t err_len;
    int failed;              /* 1 once a message is recorded */
    const char *where;       /* path of the current group or dataset */
    char note[BS_H5_NOTE_LEN]; /* the message again, for other ranks */
    bs_status corrupt;       /* BS_ERR_CHECKPOINT for a checkpoint,
                                BS_ERR_IO otherwise (BS_OK reads as it) */
} bs_h5_ctx;

/* Records a printf-style message unless one is recorded already.  Can't
 * fail (a long message is truncated). */
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
 * into buf ("" when the stack is empty).  Can't fail. */
void bs_h5_last_error(char *buf, size_t len);

/*
 * What every io entry point calls before its first HDF5 call: silences
 * HDF5's own error printing (brainsim reports the error stack itself) and,
 * when HDF5 is not yet initialised in this process, keeps it from
 * installing its atexit handler.  HDF5 1.10 frees a file whose H5Fclose
 * fails (the close's flush fails on a full disk or /dev/full; after a
 * failed H5Fflush every later flush fails) but keeps its id, and the
 * exit-time close of that id dereferences the freed file: a SIGSEGV after
 * the run's error.  brainsim closes every file it opens on every path, so
 * it needs no exit-time close.  (Under MPI, HDF5 also closes at
 * MPI_Finalize; failed closes are avoided there, see bs_h5_discard.)
 * Can't fail.
 */
void bs_h5_quiet(void);

/* Closes any HDF5 id by its type and sets it invalid; accepts invalid ids.
 * Errors are ignored (cleanup path). */
void bs_h5_close(hid_t *id);

/* 1 iff s can name a group of a checkpoint: non-NULL, non-empty, without
 * '/', not "." or "..".  Can't fail. */
int bs_h5_name_ok(const char *s);

/* ---- agreement of the ranks -------------------------------------------- */

/*
 * Collective: BS_OK when every rank passes st == BS_OK.  Otherwise every
 * rank returns the status of the lowest failing rank, and the ranks that
 * had not failed record that rank's message, prefixed "rank <r>: ".  On an
 * MPI failure, BS_ERR_MPI.
 */
bs_status bs_h5_agree_status(bs_comm *comm, bs_h5_ctx *c, bs_status st);

/* Collective: 1 iff every rank passes ok != 0 (the others get the message
 * of the lowest failing rank, as bs_h5_agree_status); 0 otherwise. */
int bs_h5_agree(bs_comm *comm, bs_h5_ctx *c, int ok);

/* ---- free space after a failed write ----------------------------------- */

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

/* ---- opening a file ---------------------------------------------------- */

/*
 * A file access list for the MPI-IO driver over comm (HDF5's default
 * driver when comm runs without MPI, comm.h) into *fapl (the
 * caller closes it); with create, also HDF5 1.8 objects
 * (H5F_LIBVER_V18: attributes over 64 KiB allowed).  Returns 1, or 0 with
 * the failure (named obj) in c.  Local; the caller agrees.
 */
int bs_h5_fapl_mpio(bs_h5_ctx *c, bs_comm *comm, const char *obj, int create,
                    hid_t *fapl);

/*
 * Creates `path` (flags H5F_ACC_TRUNC, truncating; refused unless path is
 * a new name or a regular file: HDF5 cannot close a file on a device that
 * fails its writes, such as /dev/full) or opens it (flags
 * H5F_ACC_RDONLY or H5F_ACC_RDWR) with the access list of bs_h5_fapl_mpio,
 * into *file, and makes a collective transfer list *dxpl.  Returns 1, or 0
 * with the failure (named obj) in c and the ids not made left invalid (the
 * caller closes the others).  Collective (H5Fcreate, H5Fopen); the caller
 * agrees.
 */
int bs_h5_file_mpio(bs_h5_ctx *c, bs_comm *comm, const char *obj,
                    const char *path, unsigned flags, hid_t *file,
                    hid_t *dxpl);

/*
 * Collective, on every rank, for a file `path` being written whose write
 * failed and that is to be thrown away: rank 0 cuts the file to 0 bytes
 * (a regular file only), so that on a full disk the space it held is free
 * again and the flush inside H5Fclose succeeds (HDF5 1.10 keeps the id of a
 * file whose close failed, see bs_h5_quiet), then every rank closes *file
 * (and sets it invalid).  Returns 1 when the close succeeded, else 0 (the
 * first message in c stays).  Accepts an invalid *file (returns 1).
 */
int bs_h5_discard(bs_comm *comm, bs_h5_ctx *c, hid_t *file, const char *path);

/* ---- writers: attributes and strings ----------------------------------- */

/* Writes attribute `name` of `loc` (named c->where): file type ftype,
 * memory type mtype, n values (n < 0: scalar) from buf.  Returns 1, or 0
 * with the failure in c. */
int bs_h5_attr_put(bs_h5_ctx *c, hid_t loc, const char *name, hid_t ftype,
                   hid_t mtype, int n, const void *buf);
/* Scalar u64 / i32 little-endian attributes; as bs_h5_attr_put. */
int bs_h5_attr_u64(bs_h5_ctx *c, hid_t loc, const char *name, uint64_t v);
int bs_h5_attr_i32(bs_h5_ctx *c, hid_t loc, const char *name, int32_t v);
/* n fixed-length, NUL-padded UTF-8 strings (n < 0: the scalar string
 * strs[0]; NULL: ""), all of the length of the longest (at least 1 byte):
 * no reader has to decode a global heap.  As bs_h5_attr_put (also 0 when
 * out of memory). */
int bs_h5_attr_strings(bs_h5_ctx *c, hid_t loc, const char *name, int n,
                       const char *const *strs);
/* A scalar fixed-length UTF-8 string (NULL: ""); as bs_h5_attr_put. */
int bs_h5_attr_str(bs_h5_ctx *c, hid_t loc, const char *name, const char *v);

/*
 * Creates the scalar dataset `name` of loc (path obj) holding text (NULL:
 * ""), a fixed-length, NUL-padded UTF-8 string of its exact byte length (1
 * byte, NUL, for an empty text): a text may exceed the attribute limit.
 * Rank 0 writes it, the others take part selecting nothing, with transfer
 * list dxpl (H5P_DEFAULT: independent).  Returns 1, or 0 with the failure
 * in c.  Collective (H5Dcreate2); the caller agrees.
 */
int bs_h5_text_put(bs_h5_ctx *c, hid_t loc, const char *obj,
                   const char *name, const char *text, int rank, hid_t dxpl);

#endif /* BS_IO_H5_H */
