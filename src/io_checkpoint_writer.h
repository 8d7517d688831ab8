/*
 * io_checkpoint_writer.h - a checkpoint write in progress and the dataset
 * and group writers that io_checkpoint.c (the file) and
 * io_checkpoint_lazy.c (the lazy areas' datasets) share.  Internal to the
 * io files (includes hdf5.h through io_h5.h).
 */
#ifndef BS_IO_CHECKPOINT_WRITER_H
#define BS_IO_CHECKPOINT_WRITER_H

#include "checkpoint.h"
#include "io_h5.h"

typedef struct ckpt_w {        /* one write in progress */
    bs_h5_ctx *c;
    bs_comm *comm;
    int rank;
    hid_t file, dxpl;          /* dxpl: collective transfer */
} ckpt_w;

/* Creates the 1-D dataset `name` in loc (obj: its path) of `total` values
 * of file type ftype, with fill value *fill (NULL: none, every value is
 * written), and writes collectively this rank's `count` values at
 * `offset` from buf (memory type mtype), with its checksum attribute.
 * Every rank returns the same status. */
bs_status bs_ckpt_dset_write(ckpt_w *w, hid_t loc, const char *obj,
                             const char *name, hid_t ftype, hid_t mtype,
                             uint64_t total, uint64_t offset, uint64_t count,
                             const void *buf, const uint64_t *fill);

/* Creates group `name` in loc with path gpath (also c->where).
 * H5I_INVALID_HID with the failure in c (local). */
hid_t bs_ckpt_group_create(bs_h5_ctx *c, hid_t loc, const char *name,
                           const char *gpath);

/* /lazy (io_checkpoint_lazy.c): every lazy area of h->lazy, written by
 * rank 0 (the state is replicated).  Nothing when h->lazy is NULL or
 * holds no lazy area.  The same status on every rank. */
bs_status bs_ckpt_lazy_write(ckpt_w *w, const bs_ckpt_header *h);

/* Publishes the closed file tmp as path on rank 0 (io_checkpoint_publish.c):
 * tmp synced, the older checkpoints rotated to keep `keep` of them
 * (path.1 ...), tmp renamed to path, the directory synced.  Collective (the
 * status agreed); BS_ERR_IO naming the call and the file on failure, with
 * path still the previous checkpoint. */
bs_status bs_ckpt_publish(ckpt_w *w, const char *path, const char *tmp,
                          int keep);

#endif /* BS_IO_CHECKPOINT_WRITER_H */
