/*
 * paths.c - the files of one run: identity checks of everything it reads
 * and writes, and the locks of its outputs and checkpoints (paths.h has
 * the contract).  Plain POSIX; no MPI, no HDF5.
 */
#define _DEFAULT_SOURCE        /* flock, realpath, gethostname */
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct entry {       /* one name a run reads or writes */
    char *name;              /* as the run uses it ("k.h5.1") */
    char *canon;             /* canonical name */
    int has_id;              /* the file exists: dev, ino valid */
    dev_t dev;
    ino_t ino;
    int file;                /* index of its file_rec */
    int is_tmp;              /* a checkpoint's "<path>.tmp" */
} entry;

typedef struct file_rec {    /* one file as the caller registered it */
    char *path;
    char role[40];
    int keep;                /* 0: read, or an output; else a checkpoint */
    int is_read;
    int lock_fd;             /* -1: not locked */
    char *lock_name;
} file_rec;

struct bs_paths {
    entry *e;
    int n_e, cap_e;
    file_rec *f;
    int n_f, cap_f;
};

bs_paths *bs_paths_create(void)
{
    return calloc(1, sizeof(bs_paths));
}

/* Removes the lock file, then closes it (releasing the lock): a run that
 * opened the old file before the unlink finds it replaced and retries.
 * Can't fail. */
static void release_lock(file_rec *f)
{
    if (f->lock_fd >= 0) {
        unlink(f->lock_name);
        close(f->lock_fd);
        f->lock_fd = -1;
    }
}

void bs_paths_destroy(bs_paths **p)
{
    if (!p || !*p)
        return;
    bs_paths *s = *p;
    for (int i = 0; i < s->n_f; i++) {
        release_lock(&s->f[i]);
        free(s->f[i].path);
        free(s->f[i].lock_name);
    }
    for (int i = 0; i < s->n_e; i++) {
        free(s->e[i].name);
        free(s->e[i].canon);
    }
    free(s->e);
    free(s->f);
    free(s);
    *p = NULL;
}

/* The last component of path (after the last '/'). */
static const char *last_component(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Refuses names that name no file brainsim may use: empty, ending in '/',
 * '.', '..', a last component over BS_PATH_MAX_NAME bytes.  Returns BS_OK
 * or BS_ERR_IO with the message. */
static bs_status check_name(const char *path, const char *role, char *err,
                            size_t err_len)
{
    const char *base = last_component(path);
    const char *why = NULL;
    if (!*path)
        why = "the name is empty";
    else if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        why = "the name ends in '/', '.' or '..' (a directory, not a file)";
    else if (strlen(base) > BS_PATH_MAX_NAME)
        why = "its last component is longer than "
              "200 bytes (brainsim's limit for every file it opens)";
    if (!why)
        return BS_OK;
    snprintf(err, err_len, "%s %.300s: %s", role, path, why);
    return BS_ERR_IO;
}

/* "a FIFO", "a directory", ... for a file type that is not regular. */
static const char *kind_of(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory"
         : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

bs_status bs_path_check_read(const char *path, const char *role, char *err,
                             size_t err_len)
{
    if (!path) {
        snprintf(err, err_len, "%s: NULL path", role);
        return BS_ERR_ARG;
    }
    bs_status st = check_name(path, role, err, err_len);
    if (st != BS_OK)
        return st;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, err_len, "%s %.300s: cannot open: %s", role, path,
                 strerror(errno));
        return BS_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, err_len, "%s %.300s: is %s, not a regular file", role,
                 path, kind_of(sb.st_mode));
        return BS_ERR_IO;
    }
    return BS_OK;
}

/* Canonical name of a file that may not exist: realpath of it, else of
 * its directory joined with its last component, else a copy of name.
 * Returns NULL when out of memory. */
static char *canonical(const char *name)
{
    char *r = realpath(name, NULL);
    if (r)
        return r;
    const char *base = last_component(name);
    size_t dlen = (size_t)(base - name);
    char *dir = malloc(dlen + 2);
    if (!dir)
        return NULL;
    if (dlen == 0)
        strcpy(dir, ".");
    else
        memcpy(dir, name, dlen), dir[dlen] = '\0';
    char *rdir = realpath(dir, NULL);
    free(dir);
    if (!rdir)
        return strdup(name);
    char *out = malloc(strlen(rdir) + strlen(base) + 2);
    if (out)
        sprintf(out, "%s/%s", rdir, base);
    free(rdir);
    return out;
}

/* Fills e (name, canon, identity) for name.  A written name must be a
 * regular file or absent (not a dangling symbolic link).  Returns BS_OK,
 * BS_ERR_NOMEM, or BS_ERR_IO naming display (the registered path) and
 * role. */
static bs_status identify(entry *e, const char *name, int for_write,
                          const char *display, const char *role, char *err,
                          size_t err_len)
{
    struct stat sb, lb;
    memset(e, 0, sizeof *e);
    if (stat(name, &sb) == 0) {
        if (for_write && !S_ISREG(sb.st_mode)) {
            snprintf(err, err_len, "%s %.300s: %.300s is %s; brainsim writes "
                     "only regular files (or new names)", role, display,
                     name, kind_of(sb.st_mode));
            return BS_ERR_IO;
        }
        e->has_id = 1;
        e->dev = sb.st_dev;
        e->ino = sb.st_ino;
    } else if (for_write && lstat(name, &lb) == 0 && S_ISLNK(lb.st_mode)) {
        snprintf(err, err_len, "%s %.300s: %.300s is a symbolic link to a "
                 "file that does not exist; give the target's name", role,
                 display, name);
        return BS_ERR_IO;
    }
    e->name = strdup(name);
    e->canon = canonical(name);
    if (!e->name || !e->canon) {
        free(e->name);
        free(e->canon);
        snprintf(err, err_len, "%s %.300s: out of memory", role, display);
        return BS_ERR_NOMEM;
    }
    return BS_OK;
}

/* 1 iff a and b name the same file. */
static int same_file(const entry *a, const entry *b)
{
    if (a->has_id && b->has_id)
        return a->dev == b->dev && a->ino == b->ino;
    return strcmp(a->canon, b->canon) == 0;
}

/* Grows p's arrays for one more file and `names` more entries.  Returns 0,
 * or -1 when out of memory. */
static int reserve(bs_paths *p, int names)
{
    if (p->n_f == p->cap_f) {
        int cap = p->cap_f ? 2 * p->cap_f : 8;
        file_rec *f = realloc(p->f, (size_t)cap * sizeof *f);
        if (!f)
            return -1;
        p->f = f;
        p->cap_f = cap;
    }
    if (p->n_e + names > p->cap_e) {
        int cap = p->cap_e ? 2 * p->cap_e : 16;
        while (cap < p->n_e + names)
            cap *= 2;
        entry *e = realloc(p->e, (size_t)cap * sizeof *e);
        if (!e)
            return -1;
        p->e = e;
        p->cap_e = cap;
    }
    return 0;
}

bs_status bs_paths_add_read(bs_paths *p, const char *path, const char *role,
                            char *err, size_t err_len)
{
    bs_status st = bs_path_check_read(path, role, err, err_len);
    if (st != BS_OK)
        return st;
    if (reserve(p, 1) != 0 || !(p->f[p->n_f].path = strdup(path))) {
        snprintf(err, err_len, "%s %.300s: out of memory", role, path);
        return BS_ERR_NOMEM;
    }
    file_rec *f = &p->f[p->n_f];
    snprintf(f->role, sizeof f->role, "%s", role);
    f->keep = 0;
    f->is_read = 1;
    f->lock_fd = -1;
    f->lock_name = NULL;
    st = identify(&p->e[p->n_e], path, 0, path, role, err, err_len);
    if (st != BS_OK) {
        free(f->path);
        return st;
    }
    p->e[p->n_e++].file = p->n_f++;
    return BS_OK;
}

/* Describes entry e as "<role> <path>" or "<role> <path> (its rotation
 * name <name>)" into buf. */
static const char *describe(const bs_paths *p, const entry *e, char *buf,
                            size_t len)
{
    const file_rec *f = &p->f[e->file];
    if (!strcmp(e->name, f->path))
        snprintf(buf, len, "%s %.300s", f->role, f->path);
    else
        snprintf(buf, len, "%s %.300s (its %s name %.300s)", f->role,
                 f->path, e->is_tmp ? "temporary" : "rotation", e->name);
    return buf;
}

/* Checks the new entries p->e[first..n) of file fi against every earlier
 * entry.  The checkpoint being resumed from may be among a checkpoint's
 * kept names.  Returns BS_OK or BS_ERR_IO naming both files. */
static bs_status check_collisions(const bs_paths *p, int first, int n,
                                  char *err, size_t err_len)
{
    const file_rec *nf = &p->f[p->e[first].file];
    for (int i = first; i < n; i++)
        for (int j = 0; j < first; j++) {
            const entry *a = &p->e[i], *b = &p->e[j];
            const file_rec *of = &p->f[b->file];
            if (!same_file(a, b))
                continue;
            if (of->is_read && !strcmp(of->role, "checkpoint to resume") &&
                nf->keep > 0 && !a->is_tmp)
                continue;
            char x[700], y[700];
            snprintf(err, err_len, "%s and %s are the same file; refusing to "
                     "write it (nothing was written)",
                     describe(p, a, x, sizeof x), describe(p, b, y, sizeof y));
            return BS_ERR_IO;
        }
    return BS_OK;
}

/* Names the holder of the lock file fd ("pid 12 on host") into buf. */
static void holder_of(int fd, char *buf, size_t len)
{
    ssize_t n = pread(fd, buf, len - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0])
        snprintf(buf, len, "a process that has not written its name yet");
}

/* Takes f's exclusive lock through "<path>.lock", retrying when the file
 * was replaced under it, and writes this process into it.  Returns BS_OK,
 * or BS_ERR_IO naming the file and the other run, or the lock file that
 * cannot be created. */
static bs_status take_lock(file_rec *f, char *err, size_t err_len)
{
    size_t len = strlen(f->path) + 6;
    if (!(f->lock_name = malloc(len))) {
        snprintf(err, err_len, "%s %.300s: out of memory", f->role, f->path);
        return BS_ERR_NOMEM;
    }
    snprintf(f->lock_name, len, "%s.lock", f->path);
    for (int tries = 0; tries < 100; tries++) {
        struct stat a, b;
        int fd = open(f->lock_name, O_RDWR | O_CREAT | O_CLOEXEC |
                      O_NOFOLLOW | O_NONBLOCK, 0644);
        if (fd < 0 || fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            snprintf(err, err_len, "%s %.300s: cannot create its lock file "
                     "%.300s: %s", f->role, f->path, f->lock_name,
                     fd < 0 ? strerror(errno) : "not a regular file");
            if (fd >= 0)
                close(fd);
            return BS_ERR_IO;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            char who[256];
            int busy = errno == EWOULDBLOCK;
            holder_of(fd, who, sizeof who);
            snprintf(err, err_len, busy
                     ? "%s %.300s is in use by another brainsim run (%s; "
                       "lock file %.300s): refusing to write it"
                     : "%s %.300s: cannot lock %.300s: %s", f->role, f->path,
                     busy ? who : f->lock_name,
                     busy ? f->lock_name : strerror(errno));
            close(fd);
            return BS_ERR_IO;
        }
        if (stat(f->lock_name, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            char host[128] = "", line[200];
            gethostname(host, sizeof host - 1);
            int n = snprintf(line, sizeof line, "pid %ld on %s\n",
                             (long)getpid(), host[0] ? host : "this host");
            /* the name is for messages only: the lock holds without it */
            if (ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)n, 0) < 0)
                errno = 0;
            f->lock_fd = fd;
            return BS_OK;
        }
        close(fd);   /* removed or replaced by its last holder: again */
    }
    snprintf(err, err_len, "%s %.300s: its lock file %.300s keeps being "
             "replaced", f->role, f->path, f->lock_name);
    return BS_ERR_IO;
}

/* The index of the file registered as path with role and keep, or -1. */
static int find_file(const bs_paths *p, const char *path, const char *role,
                     int keep)
{
    for (int i = 0; i < p->n_f; i++)
        if (!p->f[i].is_read && p->f[i].keep == keep &&
            !strcmp(p->f[i].path, path) && !strcmp(p->f[i].role, role))
            return i;
    return -1;
}

/* Adds the names of written file fi (path, or a checkpoint's rotation and
 * its .tmp) as entries from p->n_e on.  Returns BS_OK or identify's
 * error (the entries added are freed then). */
static bs_status add_names(bs_paths *p, int fi, char *err, size_t err_len)
{
    const file_rec *f = &p->f[fi];
    int n = f->keep > 0 ? f->keep + 1 : 1, first = p->n_e;
    size_t len = strlen(f->path) + 16;
    char *name = malloc(len);
    bs_status st = name ? BS_OK : BS_ERR_NOMEM;
    if (!name)
        snprintf(err, err_len, "%s %.300s: out of memory", f->role, f->path);
    for (int i = 0; st == BS_OK && i < n; i++) {
        if (i == 0)
            snprintf(name, len, "%s", f->path);
        else if (i == n - 1)
            snprintf(name, len, "%s.tmp", f->path);
        else
            snprintf(name, len, "%s.%d", f->path, i);
        st = identify(&p->e[p->n_e], name, 1, f->path, f->role, err,
                      err_len);
        if (st == BS_OK) {
            p->e[p->n_e].file = fi;
            p->e[p->n_e++].is_tmp = f->keep > 0 && i == n - 1;
        }
    }
    free(name);
    if (st == BS_OK)
        st = check_collisions(p, first, p->n_e, err, err_len);
    if (st != BS_OK)
        while (p->n_e > first) {
            p->n_e--;
            free(p->e[p->n_e].name);
            free(p->e[p->n_e].canon);
        }
    return st;
}

bs_status bs_paths_add_write(bs_paths *p, const char *path, const char *role,
                             int keep, int lock, char *err, size_t err_len)
{
    if (!p || !path || keep < 0 || keep > 100000) {
        snprintf(err, err_len, "%s: invalid arguments", role);
        return BS_ERR_ARG;
    }
    int fi = find_file(p, path, role, keep);
    if (fi >= 0)
        return lock && p->f[fi].lock_fd < 0 ? take_lock(&p->f[fi], err,
                                                        err_len) : BS_OK;
    bs_status st = check_name(path, role, err, err_len);
    if (st != BS_OK)
        return st;
    if (reserve(p, keep + 1) != 0 || !(p->f[p->n_f].path = strdup(path))) {
        snprintf(err, err_len, "%s %.300s: out of memory", role, path);
        return BS_ERR_NOMEM;
    }
    file_rec *f = &p->f[p->n_f];
    snprintf(f->role, sizeof f->role, "%s", role);
    f->keep = keep;
    f->is_read = 0;
    f->lock_fd = -1;
    f->lock_name = NULL;
    st = add_names(p, p->n_f, err, err_len);
    if (st == BS_OK && lock)
        st = take_lock(f, err, err_len);
    if (st != BS_OK) {
        if (f->lock_name)
            free(f->lock_name);
        free(f->path);
        while (p->n_e > 0 && p->e[p->n_e - 1].file == p->n_f) {
            p->n_e--;
            free(p->e[p->n_e].name);
            free(p->e[p->n_e].canon);
        }
        return st;
    }
    p->n_f++;
    return BS_OK;
}
