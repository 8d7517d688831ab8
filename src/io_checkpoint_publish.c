#define _POSIX_C_SOURCE 200809L   /* O_DIRECTORY, fsync, link */
/*
 * io_checkpoint_publish.c - a written checkpoint "<path>.tmp" made the
 * checkpoint: synced, the older ones rotated (FILE -> FILE.1 -> ... by
 * hard links, so that FILE exists at every instant), renamed into place
 * and its directory synced, on rank 0 (contract: bs_ckpt_publish in
 * io_checkpoint_writer.h).
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_checkpoint_writer.h"
#include "io_h5.h"
#include "log.h"

/* ---- publishing: rank 0 only ------------------------------------------- */

/* Records "<what> <a>[ to <b>] failed: <strerror(errno)>" and returns
 * BS_ERR_IO. */
static bs_status sys_fail(bs_h5_ctx *c, const char *what, const char *a,
                          const char *b)
{
    bs_h5_msg(c, "%s: %s %s%s%s failed: %s", c->path, what, a,
              b ? " to " : "", b ? b : "", strerror(errno));
    return BS_ERR_IO;
}

/* fsync of a file or (dir != 0) directory; file systems that cannot sync
 * a directory (EINVAL) are accepted. */
static bs_status sync_path(bs_h5_ctx *c, const char *p, int dir)
{
    int fd = open(p, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return sys_fail(c, "open of", p, NULL);
    if (fsync(fd) != 0 && !(dir && errno == EINVAL)) {
        bs_status st = sys_fail(c, "fsync of", p, NULL);
        close(fd);
        return st;
    }
    close(fd);
    return BS_OK;
}

/* path for i == 0, else "path.<i>", into buf (len bytes). */
static const char *kept_name(char *buf, size_t len, const char *path, int i)
{
    if (i == 0)
        snprintf(buf, len, "%s", path);
    else
        snprintf(buf, len, "%s.%d", path, i);
    return buf;
}

/* The newest kept name: path.1 becomes a hard link to path (the old
 * path.1 dropped), so that path exists at every instant of the rotation;
 * where the file system has no hard links, a rename.  When it linked,
 * BRAINSIM_TEST_ROTATE_PAUSE seconds pass (tests only: a kill -9 there
 * must leave path).  Returns 0, or -1 with errno (ENOENT: no path yet). */
static int keep_newest(const char *path, const char *to)
{
    if (unlink(to) != 0 && errno != ENOENT)
        return -1;
    if (link(path, to) == 0) {
        bs_test_pause("BRAINSIM_TEST_ROTATE_PAUSE");
        return 0;
    }
    if (errno == EPERM || errno == EXDEV || errno == EMLINK ||
        errno == ENOTSUP || errno == EOPNOTSUPP)
        return rename(path, to);
    return -1;
}

/* path -> path.1 -> ... -> path.<keep-1>, then tmp -> path; path.1 is a
 * hard link made before tmp replaces path (keep_newest), so that path
 * exists throughout.  On a failure the renames done are undone, newest
 * first. */
static bs_status rotate(bs_h5_ctx *c, const char *path, const char *tmp,
                        int keep)
{
    size_t len = strlen(path) + 16;
    char *from = malloc(len), *to = malloc(len);
    unsigned char *done = calloc((size_t)keep, 1);
    bs_status st = BS_OK;
    int i, failed_at = keep;
    if (!from || !to || !done) {
        bs_h5_msg(c, "%s: out of memory rotating the checkpoints", c->path);
        st = BS_ERR_NOMEM;
    }
    for (i = keep - 1; st == BS_OK && i >= 1; i--) {
        kept_name(from, len, path, i - 1);
        kept_name(to, len, path, i);
        if ((i == 1 ? keep_newest(from, to) : rename(from, to)) == 0)
            done[i] = 1;
        else if (errno != ENOENT)
            st = sys_fail(c, "rename of", from, to);
    }
    if (st == BS_OK && rename(tmp, path) != 0)
        st = sys_fail(c, "rename of", tmp, path);
    if (st != BS_OK && done)
        for (failed_at = 1; failed_at < keep; failed_at++)
            if (done[failed_at])
                rename(kept_name(to, len, path, failed_at),
                       kept_name(from, len, path, failed_at - 1));
    free(from);
    free(to);
    free(done);
    return st;
}

/* Rank 0: fsync tmp, rotate, rename, fsync the directory.  Collective for
 * the agreement; every rank returns rank 0's status. */
bs_status bs_ckpt_publish(ckpt_w *w, const char *path, const char *tmp,
                          int keep)
{
    bs_status st = BS_OK;
    if (w->rank == 0) {
        char *dir = malloc(strlen(path) + 2);
        char *slash;
        st = sync_path(w->c, tmp, 0);
        if (st == BS_OK)
            st = rotate(w->c, path, tmp, keep);
        if (st == BS_OK && !dir) {
            bs_h5_msg(w->c, "%s: out of memory", w->c->path);
            st = BS_ERR_NOMEM;
        }
        if (st == BS_OK) {
            strcpy(dir, path);
            slash = strrchr(dir, '/');
            if (!slash)
                strcpy(dir, ".");
            else
                slash[slash == dir] = '\0';   /* "/x" -> "/" */
            st = sync_path(w->c, dir, 1);
        }
        free(dir);
    }
    return bs_h5_agree_status(w->comm, w->c, st);
}

