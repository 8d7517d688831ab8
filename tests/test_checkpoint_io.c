#define _POSIX_C_SOURCE 200809L
/*
 * test_checkpoint_io.c - checkpoint files (src/io_checkpoint.c,
 * src/io_checkpoint_read.c): a fake simulator state written collectively
 * and read back with the writer's split and with others (1 slice, 2, 3,
 * 5), rotation, the test pause, write failures, and corrupted files that
 * must be refused with BS_ERR_CHECKPOINT and a message naming the object.
 *
 * Runs under MPI (1 rank, or mpirun -np 3): every rank runs the same tests
 * in the same order without forking (CK_NOFORK).  Results of the
 * collective part are recorded and asserted only after it, so a failure
 * never leaves a rank outside a collective; the exit status is non-zero
 * when any rank failed.  Corruptions are made by rank 0 with serial HDF5
 * between barriers.  Files go to the current directory and are removed.
 */
#include <check.h>
#include <errno.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "check_main.h"

static bs_comm *g_comm;
static int g_rank, g_size;

/* ---- the fake state ----------------------------------------------------- */

enum { NA = 2, NF = 3, K_MAX = 16, EVER_MAX = 1024, ROWS_MAX = 8192,
       CAP = 6000, ERR_LEN = 1024 };
static const char *const TEXT = "seed: 12345\nareas: [A, B]\n";
#define SEED 12345u

typedef struct farea {
    const char *name;
    uint64_t n, k, n_winners, support;
    uint64_t winners[K_MAX], inputs[K_MAX];
    int fixed, inhibited;
    uint64_t ever[EVER_MAX];   /* (support) ascending */
} farea;

typedef struct ffiber {
    const char *name;
    uint64_t n_src;
    int dst;                   /* target area */
    int inhibited;
    bs_fiber_geom geom;
    uint64_t rows;             /* sorted by (target, source) */
    uint64_t src[ROWS_MAX], tgt[ROWS_MAX];
    uint32_t w[ROWS_MAX];
} ffiber;

static farea g_areas[NA];
static ffiber g_fibers[NF];

static void add_row(ffiber *f, uint64_t s, uint64_t t, uint32_t w)
{
    f->src[f->rows] = s;
    f->tgt[f->rows] = t;
    f->w[f->rows++] = w;
}

/* A: fired, fixed.  B: never fired, inhibited.  f1: A -> A, ~4000 rows
 * over every target; f2: 5-neuron stimulus -> B, rows on targets 0..5
 * only (other ranks have none); f0: B -> A, no rows at all. */
static void fake_build(void)
{
    static const uint64_t wa[10] = {3, 17, 256, 257, 400, 512, 640, 777,
                                    901, 999};
    farea *a = &g_areas[0], *b = &g_areas[1];
    memset(g_areas, 0, sizeof g_areas);
    memset(g_fibers, 0, sizeof g_fibers);
    *a = (farea){.name = "A", .n = 1000, .k = 10, .n_winners = 10,
                 .fixed = 1};
    for (int i = 0; i < 10; i++) {
        a->winners[i] = wa[i];
        a->inputs[i] = 1000u + 7u * (uint64_t)i;
    }
    for (uint64_t i = 0; i < a->n; i++)
        if ((i * 2654435761u >> 7) % 5 == 0 || i == 999)
            a->ever[a->support++] = i;
    *b = (farea){.name = "B", .n = 64, .k = 4, .inhibited = 1};
    for (int i = 0; i < 4; i++) {  /* garbage: not read when not fired */
        b->winners[i] = 60u - (uint64_t)i;
        b->inputs[i] = 5;
    }
    const char *names[NF] = {"f1", "f2", "f0"};
    const double p[NF] = {0.05, 0.2, 0.01};
    for (int f = 0; f < NF; f++) {
        g_fibers[f].name = names[f];
        bs_geom_build(p[f], SEED, (uint32_t)f, &g_fibers[f].geom);
    }
    ffiber *f1 = &g_fibers[0], *f2 = &g_fibers[1], *f0 = &g_fibers[2];
    f1->n_src = 1000;
    f1->dst = 0;
    for (uint64_t t = 0; t < 1000; t++) {
        uint64_t s[7];
        int m = (int)(t % 7) + 1;
        for (int j = 0; j < m; j++) {   /* sources of target t, sorted */
            uint64_t x = (t * 7 + (uint64_t)j * 131) % 1000;
            int i = j;
            for (; i > 0 && s[i - 1] > x; i--)
                s[i] = s[i - 1];
            s[i] = x;
        }
        for (int j = 0; j < m; j++)
            add_row(f1, s[j], t,
                    BS_W_ONE + (uint32_t)((t * 31 + s[j] * 17) % 100000));
    }
    f2->n_src = 5;
    f2->dst = 1;
    f2->inhibited = 1;
    static const uint64_t t2[4] = {0, 1, 2, 5};
    for (int i = 0; i < 4; i++)
        for (uint64_t s = 0; s < 5; s++)
            add_row(f2, s, t2[i], BS_W_ONE + 1000u * (uint32_t)t2[i] +
                                      (uint32_t)s);
    f0->n_src = 64;
    f0->dst = 0;
}

static void slice(uint64_t n, int j, int parts, uint64_t *lo, uint64_t *hi)
{
    *lo = n * (uint64_t)j / (uint64_t)parts;
    *hi = n * (uint64_t)(j + 1) / (uint64_t)parts;
}

/* First index of v[0..n) >= x. */
static uint64_t lower(const uint64_t *v, uint64_t n, uint64_t x)
{
    uint64_t i = 0;
    while (i < n && v[i] < x)
        i++;
    return i;
}

/* Writes the fake state as this rank's part of a g_size-rank run. */
static bs_status fake_write(const char *path, int keep, uint64_t step,
                            char *err, size_t err_len)
{
    bs_ckpt_area ca[NA];
    bs_ckpt_fiber cf[NF];
    for (int a = 0; a < NA; a++) {
        const farea *x = &g_areas[a];
        uint64_t lo, hi;
        slice(x->n, g_rank, g_size, &lo, &hi);
        uint64_t b = lower(x->ever, x->support, lo);
        uint64_t e = lower(x->ever, x->support, hi);
        ca[a] = (bs_ckpt_area){x->name, x->n, x->k, x->n_winners,
                               x->winners, x->inputs, x->support, x->fixed,
                               x->inhibited, x->ever + b, e - b};
    }
    for (int f = 0; f < NF; f++) {
        const ffiber *x = &g_fibers[f];
        uint64_t lo, hi;
        slice(g_areas[x->dst].n, g_rank, g_size, &lo, &hi);
        uint64_t b = lower(x->tgt, x->rows, lo);
        uint64_t e = lower(x->tgt, x->rows, hi);
        cf[f] = (bs_ckpt_fiber){x->name, x->n_src, g_areas[x->dst].n,
                                x->inhibited, x->geom, x->src + b, x->tgt + b,
                                x->w + b, e - b};
    }
    bs_ckpt_header h = {step, 3, 4, bs_config_hash(TEXT, strlen(TEXT)), SEED,
                        g_size, NA, NF, TEXT};
    return bs_ckpt_write(path, keep, g_comm, &h, ca, cf, err, err_len);
}

/* ---- recording results -------------------------------------------------- */

typedef struct rec {
    int bad;
    char first[512];
} rec;

static void rec_fail(rec *r, const char *fmt, ...)
{
    va_list ap;
    if (r->bad++ > 0)
        return;
    va_start(ap, fmt);
    vsnprintf(r->first, sizeof r->first, fmt, ap);
    va_end(ap);
}

#define EXPECT(r, cond, ...)             \
    do {                                 \
        if (!(cond))                     \
            rec_fail((r), __VA_ARGS__);  \
    } while (0)

/* ---- reading back ------------------------------------------------------- */

static uint64_t s_src[CAP], s_tgt[CAP], s_scratch[CAP];
static uint32_t s_w[CAP];

typedef struct row { uint64_t s, t; uint32_t w; } row;

static int by_source(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static void area_check(rec *rc, const farea *x, uint64_t lo, uint64_t hi,
                       const uint64_t *win, const uint64_t *in, uint64_t nw,
                       uint64_t sup, int fixed, int inh, const bs_idset *ever)
{
    EXPECT(rc, nw == x->n_winners && sup == x->support && fixed == x->fixed &&
                   inh == x->inhibited,
           "area %s: n_winners %llu support %llu fixed %d inhibited %d",
           x->name, (unsigned long long)nw, (unsigned long long)sup, fixed,
           inh);
    for (uint64_t i = 0; i < x->k; i++)
        EXPECT(rc, win[i] == (nw ? x->winners[i] : UINT64_MAX) &&
                       in[i] == (nw ? x->inputs[i] : 0),
               "area %s: winner %llu is %llu / %llu", x->name,
               (unsigned long long)i, (unsigned long long)win[i],
               (unsigned long long)in[i]);
    uint64_t in_slice = 0;
    for (uint64_t i = lo; i < hi; i++) {
        uint64_t at = lower(x->ever, x->support, i);
        int want = at < x->support && x->ever[at] == i;
        int got = bs_idset_has(ever, i);
        in_slice += (uint64_t)want;
        EXPECT(rc, got == want, "area %s [%llu, %llu): ever-fired %llu is %d",
               x->name, (unsigned long long)lo, (unsigned long long)hi,
               (unsigned long long)i, got);
    }
    EXPECT(rc, ever->count == in_slice,
           "area %s: %llu ever-fired ids read, the slice has %llu", x->name,
           (unsigned long long)ever->count, (unsigned long long)in_slice);
}

static void fiber_check(rec *rc, const ffiber *x, uint64_t lo, uint64_t hi,
                        const bs_fiber_geom *g, int inh, const bs_store *st)
{
    static row want[ROWS_MAX];
    uint64_t b = lower(x->tgt, x->rows, lo), e = lower(x->tgt, x->rows, hi);
    for (uint64_t i = b; i < e; i++)
        want[i - b] = (row){x->src[i], x->tgt[i], x->w[i]};
    qsort(want, (size_t)(e - b), sizeof *want, by_source);
    EXPECT(rc, !memcmp(g, &x->geom, sizeof *g) && inh == x->inhibited,
           "fiber %s: geometry or inhibited differ", x->name);
    EXPECT(rc, st->n == e - b, "fiber %s [%llu, %llu): %llu rows, want %llu",
           x->name, (unsigned long long)lo, (unsigned long long)hi,
           (unsigned long long)st->n, (unsigned long long)(e - b));
    for (uint64_t i = 0; i < st->n && i < e - b; i++)
        EXPECT(rc, st->src[i] == want[i].s && st->tgt[i] == want[i].t &&
                       st->w[i] == want[i].w,
               "fiber %s: row %llu is (%llu, %llu, %u)", x->name,
               (unsigned long long)i, (unsigned long long)st->src[i],
               (unsigned long long)st->tgt[i], st->w[i]);
}

/* Reads every area and fiber for slice j of `parts` ([n, n): nothing when
 * j >= parts), checking the values when rc is not NULL. */
static bs_status read_slice(bs_ckpt_reader *rd, int j, int parts,
                            uint64_t cap, rec *rc, char *err, size_t len)
{
    uint64_t win[K_MAX], in[K_MAX], nw, sup, lo, hi;
    bs_idset ever = {0};
    int fixed, inh;
    bs_status st = BS_OK;
    for (int a = 0; st == BS_OK && a < NA; a++) {
        const farea *x = &g_areas[a];
        if (j < parts)
            slice(x->n, j, parts, &lo, &hi);
        else
            lo = hi = x->n;
        st = bs_ckpt_read_area(rd, x->name, x->n, x->k, lo, hi, win, in, &nw,
                               &sup, &fixed, &inh, &ever, err, len);
        if (st == BS_OK && rc)
            area_check(rc, x, lo, hi, win, in, nw, sup, fixed, inh, &ever);
    }
    bs_idset_free(&ever);
    /* exactly cap entries each, for AddressSanitizer */
    bs_store s = {malloc(cap * 8), malloc(cap * 8), malloc(cap * 4), 0, cap};
    uint64_t *scratch = malloc(cap * 8);
    for (int f = 0; st == BS_OK && f < NF; f++) {
        const ffiber *x = &g_fibers[f];
        uint64_t n = g_areas[x->dst].n;
        bs_fiber_geom g;
        if (j < parts)
            slice(n, j, parts, &lo, &hi);
        else
            lo = hi = n;
        s.n = 12345;
        st = bs_ckpt_read_fiber(rd, x->name, x->n_src, n, lo, hi, &g, &inh,
                                &s, scratch, err, len);
        if (st == BS_OK && rc)
            fiber_check(rc, x, lo, hi, &g, inh, &s);
    }
    free(s.src);
    free(s.tgt);
    free(s.w);
    free(scratch);
    return st;
}

/* Opens path and reads it as `parts` slices over the ranks (round r: rank
 * q reads slice r * size + q); the header is checked against `step`. */
static bs_status load(const char *path, int parts, uint64_t cap,
                      uint64_t step, rec *rc, char *err, size_t len)
{
    bs_ckpt_reader *rd = NULL;
    bs_ckpt_header h;
    bs_status st = bs_ckpt_open(path, g_comm, &rd, &h, err, len);
    if (st == BS_OK && rc) {
        bs_ckpt_header again;
        EXPECT(rc, h.step == step && h.op == 3 && h.round == 4 &&
                       h.seed == SEED && h.n_ranks == g_size &&
                       h.n_areas == NA && h.n_fibers == NF &&
                       h.config_hash == bs_config_hash(TEXT, strlen(TEXT)) &&
                       !strcmp(h.experiment_text, TEXT),
               "header differs (step %llu)", (unsigned long long)h.step);
        EXPECT(rc, bs_ckpt_header_of(rd, &again) == BS_OK &&
                       again.step == h.step &&
                       again.experiment_text == h.experiment_text,
               "bs_ckpt_header_of differs");
    }
    for (int r = 0; st == BS_OK && r * g_size < parts; r++)
        st = read_slice(rd, r * g_size + g_rank, parts, cap, rc, err, len);
    bs_ckpt_close(&rd);
    return st;
}

/* Records when ranks disagree on st, or HDF5 objects stay open. */
static void collective_checks(rec *rc, bs_status st)
{
    int lo = (int)st, hi = (int)st;
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    EXPECT(rc, lo == hi, "ranks returned different statuses (%d..%d)", lo,
           hi);
    ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    EXPECT(rc, open == 0, "%zd HDF5 objects left open", open);
}

static void remove_all(const char *path)
{
    char name[256];
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0) {
        remove(path);
        for (int i = 1; i < 5; i++) {
            snprintf(name, sizeof name, "%s.%d", path, i);
            remove(name);
        }
        snprintf(name, sizeof name, "%s.tmp", path);
        remove(name);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* ---- round trips -------------------------------------------------------- */

START_TEST(test_config_hash)
{
    ck_assert_uint_eq(bs_config_hash("", 0), UINT64_C(0xcbf29ce484222325));
    ck_assert_uint_eq(bs_config_hash("a", 1), UINT64_C(0xaf63dc4c8601ec8c));
    ck_assert_uint_eq(bs_config_hash("foobar", 6),
                      UINT64_C(0x85944171f73967e8));
}
END_TEST

/* Written by this run's ranks, read back as 1, 2, 3, 5 and size slices. */
START_TEST(test_roundtrip)
{
    static const int parts[] = {0, 1, 2, 3, 5};
    const char *path = "ck_round.h5";
    char err[ERR_LEN] = "";
    rec rc = {0, ""};
    bs_status st = fake_write(path, 1, 42, err, sizeof err);
    collective_checks(&rc, st);
    EXPECT(&rc, st == BS_OK, "write: %s", err);
    EXPECT(&rc, !exists("ck_round.h5.tmp"), "the .tmp file is left");
    for (int i = 0; st == BS_OK && i < 5; i++) {
        int n = parts[i] ? parts[i] : g_size;
        st = load(path, n, CAP, 42, &rc, err, sizeof err);
        EXPECT(&rc, st == BS_OK, "read as %d slices: %s", n, err);
        collective_checks(&rc, st);
    }
    /* one slice into a store of exactly its rows */
    if (st == BS_OK)
        st = load(path, 1, g_fibers[0].rows, 42, &rc, err, sizeof err);
    EXPECT(&rc, st == BS_OK, "read into an exact store: %s", err);
    remove_all(path);
    ck_assert_msg(rc.bad == 0, "%d failures, first: %s", rc.bad, rc.first);
}
END_TEST

/* keep = 3 over 4 writes: path, path.1, path.2 hold steps 4, 3, 2. */
START_TEST(test_rotation)
{
    const char *path = "ck_rot.h5";
    static const char *const names[3] = {"ck_rot.h5", "ck_rot.h5.1",
                                         "ck_rot.h5.2"};
    char err[ERR_LEN] = "";
    rec rc = {0, ""};
    bs_status st = BS_OK;
    for (uint64_t step = 1; st == BS_OK && step <= 4; step++)
        st = fake_write(path, 3, step, err, sizeof err);
    EXPECT(&rc, st == BS_OK, "write: %s", err);
    EXPECT(&rc, exists(names[0]) && exists(names[1]) && exists(names[2]) &&
                    !exists("ck_rot.h5.3") && !exists("ck_rot.h5.tmp"),
           "rotation left the wrong files");
    for (int i = 0; st == BS_OK && i < 3; i++) {
        st = load(names[i], g_size, CAP, 4u - (uint64_t)i, &rc, err,
                  sizeof err);
        EXPECT(&rc, st == BS_OK, "%s: %s", names[i], err);
    }
    collective_checks(&rc, st);
    remove_all(path);
    /* keep = 1 replaces the file */
    for (uint64_t step = 1; st == BS_OK && step <= 2; step++)
        st = fake_write(path, 1, step, err, sizeof err);
    EXPECT(&rc, st == BS_OK && exists(path) && !exists("ck_rot.h5.1"),
           "keep = 1: %s", err);
    remove_all(path);
    ck_assert_msg(rc.bad == 0, "%d failures, first: %s", rc.bad, rc.first);
}
END_TEST

START_TEST(test_pause)
{
    const char *path = "ck_pause.h5";
    char err[ERR_LEN] = "";
    setenv("BRAINSIM_TEST_CHECKPOINT_PAUSE", "0.3", 1);
    double t0 = MPI_Wtime();
    bs_status st = fake_write(path, 1, 1, err, sizeof err);
    double dt = MPI_Wtime() - t0;
    unsetenv("BRAINSIM_TEST_CHECKPOINT_PAUSE");
    remove_all(path);
    ck_assert_msg(st == BS_OK, "%s", err);
    ck_assert_msg(dt >= 0.3, "the write took %.3f s", dt);
}
END_TEST

/* ---- failed writes ------------------------------------------------------ */

START_TEST(test_write_failures)
{
    char err[ERR_LEN] = "";
    rec rc = {0, ""};
    bs_status st = fake_write("no_such_dir/ck.h5", 1, 1, err, sizeof err);
    collective_checks(&rc, st);
    EXPECT(&rc, st == BS_ERR_IO && strstr(err, "no_such_dir/ck.h5.tmp"),
           "unwritable: %d %s", (int)st, err);
    /* rotation blocked by a directory at path.2: nothing is touched */
    const char *path = "ck_blocked.h5";
    st = fake_write(path, 1, 1, err, sizeof err);
    if (st == BS_OK)
        st = fake_write("ck_blocked.h5.1", 1, 0, err, sizeof err);
    EXPECT(&rc, st == BS_OK, "setup: %s", err);
    if (g_rank == 0) {
        mkdir("ck_blocked.h5.2", 0755);
        fclose(fopen("ck_blocked.h5.2/x", "w"));
    }
    MPI_Barrier(MPI_COMM_WORLD);
    st = fake_write(path, 3, 2, err, sizeof err);
    collective_checks(&rc, st);
    EXPECT(&rc, st == BS_ERR_IO &&
                    strstr(err, "ck_blocked.h5.1 to ck_blocked.h5.2"),
           "blocked rotation: %d %s", (int)st, err);
    EXPECT(&rc, !exists("ck_blocked.h5.tmp") && exists("ck_blocked.h5.1"),
           "blocked rotation left the wrong files");
    st = load(path, g_size, CAP, 1, &rc, err, sizeof err);
    EXPECT(&rc, st == BS_OK, "the previous checkpoint: %s", err);
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0) {
        remove("ck_blocked.h5.2/x");
        rmdir("ck_blocked.h5.2");
    }
    remove_all(path);
    /* invalid arguments on one rank only: BS_ERR_ARG everywhere */
    bs_ckpt_header h = {1, 0, 0, 0, 1, g_size, 0, 0, TEXT};
    st = bs_ckpt_write("ck_arg.h5", g_rank == g_size - 1 ? 0 : 1, g_comm, &h,
                       NULL, NULL, err, sizeof err);
    collective_checks(&rc, st);
    EXPECT(&rc, st == BS_ERR_ARG && strstr(err, "keep"), "keep 0: %s", err);
    remove_all("ck_arg.h5");
    ck_assert_msg(rc.bad == 0, "%d failures, first: %s", rc.bad, rc.first);
}
END_TEST

/* Unsorted rows on the last rank only are refused on every rank. */
START_TEST(test_write_bad_rows)
{
    char err[ERR_LEN] = "";
    rec rc = {0, ""};
    uint64_t src[2] = {1, 2}, tgt[2] = {5, 4};
    uint32_t w[2] = {BS_W_ONE, BS_W_ONE};
    int bad = g_rank == g_size - 1;
    bs_ckpt_fiber f = {"f", 10, 10, 0, g_fibers[0].geom, src, tgt, w,
                       bad ? 2 : 0};
    bs_ckpt_header h = {1, 0, 0, 0, 1, g_size, 0, 1, TEXT};
    bs_status st = bs_ckpt_write("ck_rows.h5", 1, g_comm, &h, NULL, &f, err,
                                 sizeof err);
    collective_checks(&rc, st);
    EXPECT(&rc, st == BS_ERR_ARG && strstr(err, "fiber 0 ('f')"), "%s", err);
    remove_all("ck_rows.h5");
    ck_assert_msg(rc.bad == 0, "%d failures, first: %s", rc.bad, rc.first);
}
END_TEST

/* ---- corrupted files ---------------------------------------------------- */

/* Serial HDF5 edits by rank 0; failures are recorded in rc. */
#define H5OK(rc, expr) h5ok((rc), (int64_t)(expr), #expr)

static int h5ok(rec *rc, int64_t v, const char *expr)
{
    if (v < 0)
        rec_fail(rc, "corrupting: %s failed", expr);
    return v >= 0;
}

static hid_t s_open(rec *rc, const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    H5OK(rc, f);
    return f;
}

/* Replaces attribute `name` of obj by a scalar of type ftype. */
static void set_attr(rec *rc, const char *path, const char *obj,
                     const char *name, hid_t ftype, hid_t mtype,
                     const void *v)
{
    hid_t f = s_open(rc, path), s = H5Screate(H5S_SCALAR), a;
    if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0)
        H5OK(rc, H5Adelete_by_name(f, obj, name, H5P_DEFAULT));
    a = H5Acreate_by_name(f, obj, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    if (H5OK(rc, a))
        H5OK(rc, H5Awrite(a, mtype, v));
    H5Aclose(a);
    H5Sclose(s);
    H5Fclose(f);
}

static void set_u64(rec *rc, const char *path, const char *obj,
                    const char *name, uint64_t v)
{
    set_attr(rc, path, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

static void set_i32(rec *rc, const char *path, const char *obj,
                    const char *name, int32_t v)
{
    set_attr(rc, path, obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &v);
}

/* Replaces (or, data NULL, deletes) dataset obj. */
static void put_dset(rec *rc, const char *path, const char *obj, hid_t ftype,
                     hid_t mtype, int rank, const hsize_t *dims,
                     const void *data)
{
    hid_t f = s_open(rc, path), s, d;
    if (H5Lexists(f, obj, H5P_DEFAULT) > 0)
        H5OK(rc, H5Ldelete(f, obj, H5P_DEFAULT));
    if (data) {
        s = H5Screate_simple(rank, dims, NULL);
        d = H5Dcreate2(f, obj, ftype, s, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
        if (H5OK(rc, d))
            H5OK(rc, H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
        H5Dclose(d);
        H5Sclose(s);
    }
    H5Fclose(f);
}

/* Reads (write = 0) or overwrites (write = 1) the whole 1-D dataset obj
 * as u64 (or u32: is32); returns its length. */
static uint64_t rw_dset(rec *rc, const char *path, const char *obj, int write,
                        int is32, void *buf, uint64_t cap)
{
    hid_t f = s_open(rc, path), d = H5Dopen2(f, obj, H5P_DEFAULT), s;
    hsize_t n = 0;
    hid_t mt = is32 ? H5T_NATIVE_UINT32 : H5T_NATIVE_UINT64;
    if (H5OK(rc, d)) {
        s = H5Dget_space(d);
        H5Sget_simple_extent_dims(s, &n, NULL);
        H5Sclose(s);
        if (n > cap)
            rec_fail(rc, "%s: too long for the test", obj);
        else if (write)
            H5OK(rc, H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
        else
            H5OK(rc, H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    }
    H5Dclose(d);
    H5Fclose(f);
    return n;
}

static uint64_t cbuf[ROWS_MAX];
static uint32_t cbuf32[ROWS_MAX];

/* Sets value `at` (from the end when < 0) of dataset obj (u32: is32). */
static void poke(rec *rc, const char *path, const char *obj, int is32,
                 long at, uint64_t v)
{
    void *buf = is32 ? (void *)cbuf32 : (void *)cbuf;
    uint64_t n = rw_dset(rc, path, obj, 0, is32, buf, ROWS_MAX);
    uint64_t i = at < 0 ? n - (uint64_t)(-at) : (uint64_t)at;
    if (i >= n) {
        rec_fail(rc, "%s: no value %ld", obj, at);
        return;
    }
    if (is32)
        cbuf32[i] = (uint32_t)v;
    else
        cbuf[i] = v;
    rw_dset(rc, path, obj, 1, is32, buf, ROWS_MAX);
}

static void write_bytes(rec *rc, const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n)
        rec_fail(rc, "cannot write %s", path);
    if (f)
        fclose(f);
}

static void c_random(rec *rc, const char *p)
{
    unsigned char b[4096];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof b; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (unsigned char)x;
    }
    write_bytes(rc, p, b, sizeof b);
}

/* The first half of the valid file. */
static void c_truncated(rec *rc, const char *p)
{
    static unsigned char b[1 << 20];
    FILE *f = fopen(p, "rb");
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f)
        fclose(f);
    if (n == 0 || n == sizeof b)
        rec_fail(rc, "cannot read %s", p);
    write_bytes(rc, p, b, n / 2);
}

/* format "brainsim-output", a fixed-length string as brainsim writes. */
static void c_format(rec *rc, const char *p)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    const char *v = "brainsim-output";
    H5Tset_size(t, strlen(v));
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    set_attr(rc, p, "/", "format", t, t, v);
    H5Tclose(t);
}

/* format "brainsim-checkpoint" as a variable-length string (the writer of
 * format_version 1 did so): refused before it is read. */
static void c_format_vlen(rec *rc, const char *p)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    const char *v = "brainsim-checkpoint";
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    set_attr(rc, p, "/", "format", t, t, &v);
    H5Tclose(t);
}

static void c_no_area(rec *rc, const char *p)
{
    hid_t f = s_open(rc, p);
    H5OK(rc, H5Ldelete(f, "/areas/B", H5P_DEFAULT));
    H5Fclose(f);
}

static void c_win_u32(rec *rc, const char *p)
{
    static const uint32_t v[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    hsize_t n = 10;
    put_dset(rc, p, "/areas/A/winners", H5T_STD_U32LE, H5T_NATIVE_UINT32, 1,
             &n, v);
}

static void c_win_len(rec *rc, const char *p)
{
    static const uint64_t v[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    hsize_t n = 11;
    put_dset(rc, p, "/areas/A/winners", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1,
             &n, v);
}

static void c_inputs_2d(rec *rc, const char *p)
{
    static const uint64_t v[10] = {0};
    hsize_t dims[2] = {5, 2};
    put_dset(rc, p, "/areas/A/win_inputs", H5T_STD_U64LE, H5T_NATIVE_UINT64,
             2, dims, v);
}

static void c_text_int(rec *rc, const char *p)
{
    static const uint64_t v[1] = {7};
    hsize_t n = 1;
    put_dset(rc, p, "/experiment", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &n,
             v);
}

/* ever_fired one value shorter than support. */
static void c_ever_len(rec *rc, const char *p)
{
    hsize_t n = rw_dset(rc, p, "/areas/A/ever_fired", 0, 0, cbuf, ROWS_MAX);
    n--;
    put_dset(rc, p, "/areas/A/ever_fired", H5T_STD_U64LE, H5T_NATIVE_UINT64,
             1, &n, cbuf);
}

/* Target 1 has sources 7, 138 (rows 1, 2): swap them. */
static void c_row_order(rec *rc, const char *p)
{
    uint64_t n = rw_dset(rc, p, "/fibers/f1/source", 0, 0, cbuf, ROWS_MAX);
    if (n < 3 || cbuf[1] != 7 || cbuf[2] != 138)
        rec_fail(rc, "unexpected rows");
    cbuf[1] = 138;
    cbuf[2] = 7;
    rw_dset(rc, p, "/fibers/f1/source", 1, 0, cbuf, ROWS_MAX);
}

/* How a case corrupts the file: a function, or an edit of obj. */
typedef enum {
    E_FN,       /* fn(rc, path) */
    E_POKE,     /* value `at` of u64 dataset obj = v */
    E_POKE32,   /* value `at` of u32 dataset obj = v */
    E_U64,      /* attribute name of obj = (u64)v */
    E_I32,      /* attribute name of obj = (i32)v */
    E_DELETE    /* delete dataset obj */
} edit;

typedef struct bad_case {
    const char *what;
    edit e;
    void (*fn)(rec *rc, const char *path);
    const char *obj, *name;
    long at;
    int64_t v;
    const char *msg;   /* in the message of every rank */
} bad_case;

#define FN(what, fn, msg) {what, E_FN, fn, NULL, NULL, 0, 0, msg}

static const bad_case bad_cases[] = {
    FN("random bytes", c_random, "not a valid HDF5 file (truncated or "),
    FN("truncated", c_truncated, "not a valid HDF5 file (truncated or "),
    FN("format", c_format, "attribute 'format' of / is 'brainsim-output'"),
    FN("format variable-length", c_format_vlen, "attribute 'format' of / is "
       "a variable-length string; brainsim files store fixed-length strings"),
    {"format_version 1", E_I32, NULL, "/", "format_version", 0, 1,
     "'format_version' of / is 1: the file was written by an older brainsim"},
    {"format_version 2", E_I32, NULL, "/", "format_version", 0, 2,
     "'format_version' of / is 2: this brainsim reads version 3"},
    {"format_version 4", E_I32, NULL, "/", "format_version", 0, 4,
     "'format_version' of / is 4: this brainsim reads version 3"},
    {"step as i32", E_I32, NULL, "/", "step", 0, 7,
     "attribute 'step' of /: not a single u64"},
    {"n_areas -1", E_I32, NULL, "/", "n_areas", 0, -1, "n_areas -1"},
    {"no /experiment", E_DELETE, NULL, "/experiment", NULL, 0, 0,
     "/experiment: missing"},
    FN("/experiment not a string", c_text_int, "/experiment: not a scalar"),
    FN("no area B", c_no_area, "group /areas: has 1 members"),
    FN("winners u32", c_win_u32, "/areas/A/winners: values are not u64"),
    FN("winners length", c_win_len, "/areas/A/winners: has 11 values"),
    {"winners order", E_POKE, NULL, "/areas/A/winners", NULL, 1, 2,
     "/areas/A/winners: value 2 at 1"},
    {"winner >= n", E_POKE, NULL, "/areas/A/winners", NULL, -1, 1000,
     "/areas/A/winners: value 1000 at 9"},
    {"n_winners 11", E_U64, NULL, "/areas/A", "n_winners", 0, 11,
     "/areas/A: n_winners = 11, must be in 0..k = 10"},
    {"n_winners 5", E_U64, NULL, "/areas/A", "n_winners", 0, 5,
     "/areas/A/winners: value 512 at 5: not UINT64_MAX (past n_winners)"},
    {"support > n", E_U64, NULL, "/areas/A", "support", 0, 1001,
     "/areas/A: support = 1001"},
    {"fixed 7", E_I32, NULL, "/areas/A", "fixed", 0, 7,
     "attribute 'fixed' of /areas/A is 7"},
    FN("win_inputs 2-D", c_inputs_2d, "/areas/A/win_inputs: not one-dim"),
    {"ever_fired order", E_POKE, NULL, "/areas/A/ever_fired", NULL, 100, 2,
     "/areas/A/ever_fired"},
    FN("ever_fired length", c_ever_len, "/areas/A/ever_fired: has"),
    {"ever_fired >= n", E_POKE, NULL, "/areas/A/ever_fired", NULL, -1, 1000,
     "/areas/A/ever_fired: value 1000"},
    {"target >= dst_n", E_POKE, NULL, "/fibers/f1/target", NULL, -1, 1000,
     "/fibers/f1/target: value 1000"},
    {"target order", E_POKE, NULL, "/fibers/f1/target", NULL, 0, 999,
     "/fibers/f1/"},
    FN("rows order", c_row_order, "not strictly increasing by (target, so"),
    {"source >= n_src", E_POKE, NULL, "/fibers/f1/source", NULL, 5, 1000,
     "source >= n_src"},
    {"weight < 1.0", E_POKE32, NULL, "/fibers/f1/weight", NULL, 2000, 65535,
     "weight < 65536"},
    {"no weight", E_DELETE, NULL, "/fibers/f1/weight", NULL, 0, 0,
     "/fibers/f1/weight: missing"},
    {"log2_block 40", E_POKE32, NULL, "/fibers/f1/geometry", NULL, 2, 40,
     "/fibers/f1/geometry: log2_block 40"},
    {"n_thresh 99", E_POKE32, NULL, "/fibers/f1/geometry", NULL, 3, 99,
     "/fibers/f1/geometry: n_thresh 99"},
};
enum { N_BAD = sizeof bad_cases / sizeof bad_cases[0] };

static void corrupt(rec *rc, const bad_case *bc, const char *path)
{
    switch (bc->e) {
    case E_FN: bc->fn(rc, path); break;
    case E_POKE: poke(rc, path, bc->obj, 0, bc->at, (uint64_t)bc->v); break;
    case E_POKE32: poke(rc, path, bc->obj, 1, bc->at, (uint64_t)bc->v); break;
    case E_U64: set_u64(rc, path, bc->obj, bc->name, (uint64_t)bc->v); break;
    case E_I32: set_i32(rc, path, bc->obj, bc->name, (int32_t)bc->v); break;
    case E_DELETE:
        put_dset(rc, path, bc->obj, 0, 0, 0, NULL, NULL);
        break;
    }
}

START_TEST(test_corrupt)
{
    const bad_case *bc = &bad_cases[_i];
    const char *path = "ck_bad.h5";
    char err[ERR_LEN] = "";
    rec rc = {0, ""};
    bs_status st = fake_write(path, 1, 7, err, sizeof err);
    EXPECT(&rc, st == BS_OK, "write: %s", err);
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0)
        corrupt(&rc, bc, path);
    MPI_Barrier(MPI_COMM_WORLD);
    err[0] = '\0';
    st = load(path, g_size, CAP, 7, NULL, err, sizeof err);
    collective_checks(&rc, st);
    remove_all(path);
    ck_assert_msg(rc.bad == 0, "%s: %s", bc->what, rc.first);
    ck_assert_msg(st == BS_ERR_CHECKPOINT, "%s: status %d: %s", bc->what,
                  (int)st, err);
    ck_assert_msg(strstr(err, path) && strstr(err, bc->msg),
                  "%s: message lacks '%s': %s", bc->what, bc->msg, err);
}
END_TEST

/* Rows beyond the store: BS_ERR_CAPACITY naming the option; a missing
 * file: BS_ERR_IO; the caller's sizes differ: BS_ERR_CHECKPOINT. */
START_TEST(test_capacity_and_expectations)
{
    const char *path = "ck_cap.h5";
    char err[ERR_LEN] = "";
    rec rc = {0, ""};
    bs_status st = fake_write(path, 1, 7, err, sizeof err), st2, st3;
    EXPECT(&rc, st == BS_OK, "write: %s", err);
    st = load(path, g_size, 10, 7, NULL, err, sizeof err);
    collective_checks(&rc, st);
    EXPECT(&rc, st == BS_ERR_CAPACITY && strstr(err, "--plastic-capacity") &&
                    strstr(err, "/fibers/f1"),
           "capacity: %d %s", (int)st, err);
    st = load("ck_missing.h5", g_size, CAP, 7, NULL, err, sizeof err);
    collective_checks(&rc, st);
    EXPECT(&rc, st == BS_ERR_IO && strstr(err, "ck_missing.h5"),
           "missing: %d %s", (int)st, err);
    bs_ckpt_reader *rd = NULL;
    bs_ckpt_header h;
    uint64_t win[K_MAX], in[K_MAX], nw, sup;
    bs_idset ever = {0};
    int fixed, inh;
    bs_store s = {s_src, s_tgt, s_w, 0, CAP};
    bs_fiber_geom g;
    st = bs_ckpt_open(path, g_comm, &rd, &h, err, sizeof err);
    EXPECT(&rc, st == BS_OK, "open: %s", err);
    st = bs_ckpt_read_area(rd, "A", 999, 10, 0, 999, win, in, &nw, &sup,
                           &fixed, &inh, &ever, err, sizeof err);
    EXPECT(&rc, st == BS_ERR_CHECKPOINT && strstr(err, "n = 1000"),
           "area n: %s", err);
    bs_idset_free(&ever);
    st2 = bs_ckpt_read_fiber(rd, "f1", 999, 1000, 0, 1000, &g, &inh, &s,
                             s_scratch, err, sizeof err);
    EXPECT(&rc, st2 == BS_ERR_CHECKPOINT && strstr(err, "n_src = 1000"),
           "fiber n_src: %s", err);
    st3 = bs_ckpt_read_fiber(rd, "nope", 5, 64, 0, 64, &g, &inh, &s,
                             s_scratch, err, sizeof err);
    EXPECT(&rc, st3 == BS_ERR_CHECKPOINT && strstr(err, "/fibers/nope"),
           "fiber name: %s", err);
    bs_ckpt_close(&rd);
    bs_ckpt_close(&rd);
    bs_ckpt_close(NULL);
    collective_checks(&rc, st);
    remove_all(path);
    ck_assert_msg(rc.bad == 0, "%d failures, first: %s", rc.bad, rc.first);
}
END_TEST

static Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint_io");
    TCase *tc = tcase_create("checkpoint_io");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_config_hash);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_pause);
    tcase_add_test(tc, test_write_failures);
    tcase_add_test(tc, test_write_bad_rows);
    tcase_add_loop_test(tc, test_corrupt, 0, N_BAD);
    tcase_add_test(tc, test_capacity_and_expectations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    char err[256] = "";
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    if (bs_comm_create(&g_comm, err, sizeof err) != BS_OK) {
        fprintf(stderr, "rank %d: bs_comm_create: %s\n", g_rank, err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    fake_build();
    int rc = check_run(checkpoint_suite(), CHECK_MPI, "checkpoint_io");
    bs_comm_destroy(&g_comm);
    MPI_Finalize();
    return rc;
}
