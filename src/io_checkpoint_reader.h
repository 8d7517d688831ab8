/*
 * io_checkpoint_reader.h - the open checkpoint reader (struct
 * bs_ckpt_reader of checkpoint.h) and the checked reads that the two
 * reading files share: io_checkpoint_read.c (open, header, areas, fibers)
 * and io_checkpoint_state.c (the version-3 state: the verdict's tracking,
 * betas, snapshots).  Internal to libbrainsim (includes hdf5.h through
 * io_h5.h: only the io files include it).
 */
#ifndef BS_IO_CHECKPOINT_READER_H
#define BS_IO_CHECKPOINT_READER_H

#include "checkpoint.h"
#include "io_h5.h"
#include "io_h5_read.h"

struct bs_ckpt_reader {
    bs_comm *comm;
    bs_h5_dsum ds[3];          /* checksums of the area or fiber being
                                  read */
    char *path;                /* owned copy, for messages */
    hid_t file;
    char *text;                /* /experiment, NUL-terminated */
    bs_ckpt_header h;          /* h.experiment_text == text */
};

/* An i32 attribute `name` of loc (path obj) that must be 0 or 1, into
 * *out.  BS_OK or BS_ERR_CHECKPOINT naming it (local). */
bs_status bs_ckpt_attr_flag(bs_h5_ctx *c, hid_t loc, const char *obj,
                            const char *name, int *out);

/* Opens the group at path gpath of file into *g (invalid on failure).
 * BS_OK or BS_ERR_CHECKPOINT naming it when it is missing (local). */
bs_status bs_ckpt_group_open(bs_h5_ctx *c, hid_t file, const char *gpath,
                             hid_t *g);

#endif /* BS_IO_CHECKPOINT_READER_H */
