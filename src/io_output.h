/*
 * io_output.h - the open output file (struct bs_io of io.h) and what the
 * two files of the output share: io.c creates, reopens and closes it,
 * io_write.c appends rows.  Internal to libbrainsim (includes hdf5.h
 * through io_h5.h: only the io files include it).
 */
#ifndef BS_IO_OUTPUT_H
#define BS_IO_OUTPUT_H

#include <stdint.h>

#include "io.h"
#include "io_h5.h"

/* The datasets of /areas/<name>, in this order. */
enum { BS_DS_WINNERS, BS_DS_INPUTS, BS_DS_SUPPORT, BS_DS_PER_AREA };
extern const char *const bs_io_ds_names[BS_DS_PER_AREA]; /* "winners", ... */

typedef struct bs_io_area {
    char *name;              /* owned copy, for messages */
    uint64_t k;              /* values per winners/inputs row */
    hid_t ds[BS_DS_PER_AREA]; /* winners, inputs, support */
} bs_io_area;

struct bs_io {
    bs_comm *comm;
    char *path;              /* owned copy, for messages */
    int rank;
    hid_t file;
    hid_t dxpl;              /* collective transfer */
    int n_areas;
    bs_io_area *areas;       /* [n_areas] */
    hid_t schedule, metrics; /* datasets */
    hid_t sched_mem, metrics_mem; /* memory types of the row structs */
    uint64_t n_rows;         /* current extent of every dataset */
    uint64_t steps_complete;
};

/* Sets the root attribute steps_complete to `steps` and flushes the file.
 * Returns 1, or 0 with the failure in c.  Collective (H5Fflush); the
 * caller agrees, or, when it failed here and there are several ranks,
 * cannot (see bs_io_stranded_msg). */
int bs_io_steps_put(bs_h5_ctx *c, bs_io *io, uint64_t steps);

/*
 * The message of a collective write of io that failed on this rank, one
 * of several: "rank <r>: <c's message> (<N> bytes free on the file system
 * of <path>); ending the job, since the other ranks may wait for this one
 * inside HDF5" (the free space read on this rank alone, left out when it
 * cannot be read), into buf (len bytes).  Can't fail.
 */
void bs_io_stranded_msg(const bs_h5_ctx *c, const bs_io *io, char *buf,
                        size_t len);

/* What io.c's creation and io_reopen.c's reopening share (io.c):
 * the memory and file compound types of the /schedule and /metrics rows
 * (1, or 0 with the failure in c; the caller closes what was created);
 * the check of what HDF5 would choke on in meta (BS_OK or BS_ERR_ARG with
 * c); io allocated for meta with every id invalid (NULL when out of
 * memory), its HDF5 handles closed (the file last; io stays allocated),
 * and its memory freed (accepts NULL). */
int bs_io_sched_types(bs_h5_ctx *c, hid_t *mem, hid_t *file);
int bs_io_metrics_types(bs_h5_ctx *c, hid_t *mem, hid_t *file);
bs_status bs_io_meta_check(bs_h5_ctx *c, const bs_io_meta *m);
bs_io *bs_io_alloc(const char *path, bs_comm *comm, const bs_io_meta *m);
void bs_io_close_handles(bs_io *io);
void bs_io_free(bs_io *io);

#endif /* BS_IO_OUTPUT_H */
