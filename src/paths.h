/*
 * paths.h - the files of one run (paths.c): which it reads, which it
 * writes, and the locks that keep two runs off the same output or
 * checkpoint.  Internal to libbrainsim; no MPI (the caller runs it on rank
 * 0 and shares the verdict).
 *
 * Contract (doc/design.md section 7, "Files a run touches"):
 *   identity   every file a run writes is compared with every file it reads
 *              and every other file it writes, by inode when it exists
 *              (symbolic and hard links, `./x`) and by its canonical name
 *              (realpath of the directory + the last component) when it
 *              does not, before anything is opened for writing.  A
 *              checkpoint's names are FILE, FILE.tmp and FILE.1 ..
 *              FILE.<keep-1> (its rotation); the checkpoint a run resumes
 *              from may be one of them (it is read before any is written).
 *   regular    a file that is read must be a regular file (a FIFO would
 *              block open(), a directory makes MPI-IO print pages of
 *              errors); a file that is written must be a regular file or
 *              not exist (a device node, a directory, a dangling symbolic
 *              link are refused).
 *   names      the last component of every name is at most
 *              BS_PATH_MAX_NAME bytes (Open MPI's shared-file-pointer
 *              component overflows a buffer on longer ones), and `.`,
 *              `..` or a trailing `/` name no file.
 *   locks      an output and a checkpoint are locked (flock, exclusive,
 *              non-blocking) through "FILE.lock" beside it, which holds
 *              "pid <pid> on <host>" of the holder; a second run is refused
 *              naming the file and the holder.  The lock file is removed
 *              when released (a locker that finds its file replaced
 *              retries), so no lock file outlives its run but after
 *              kill -9, where the stale one is free and reused.
 */
#ifndef BS_PATHS_H
#define BS_PATHS_H

#include <stddef.h>

#include "brainsim.h"

#define BS_PATH_MAX_NAME 200   /* bytes of a name's last component */

typedef struct bs_paths bs_paths;

/* An empty set of files.  Returns NULL when out of memory. */
bs_paths *bs_paths_create(void);

/* Releases every lock (removing its lock file) and frees p; *p becomes
 * NULL.  Accepts NULL and *p == NULL.  Can't fail. */
void bs_paths_destroy(bs_paths **p);

/* Checks that path names an existing regular file with a valid name;
 * `role` names it in messages ("experiment", "checkpoint").  Does not
 * open it.  Returns BS_OK, or BS_ERR_IO with "<role> <path>: ..." in err
 * (missing, a FIFO, a directory, a device, a name too long). */
bs_status bs_path_check_read(const char *path, const char *role, char *err,
                             size_t err_len);

/* Registers a file that the run reads (bs_path_check_read, then its
 * identity).  Returns BS_OK, or BS_ERR_IO or BS_ERR_NOMEM with a message
 * in err. */
bs_status bs_paths_add_read(bs_paths *p, const char *path, const char *role,
                            char *err, size_t err_len);

/* Registers a file that the run writes: its names (path alone when keep is
 * 0, an output; else a checkpoint's rotation of `keep` files and its .tmp)
 * are checked against every file registered so far and must be regular
 * files or absent; with `lock` its lock is taken.  A path registered
 * before with the same role and keep is accepted at once.  Returns BS_OK,
 * or BS_ERR_IO (a collision naming both files and their roles, a
 * non-regular file, a bad name, the lock held by another run naming it,
 * a lock file that cannot be created) or BS_ERR_NOMEM, with the message in
 * err; nothing is registered then. */
bs_status bs_paths_add_write(bs_paths *p, const char *path, const char *role,
                             int keep, int lock, char *err, size_t err_len);

#endif /* BS_PATHS_H */
