/*
 * fuzz_checkpoint.c - libFuzzer target for the loaders of files that other
 * people wrote: checkpoints (src/io_checkpoint_read.c, src/sim_checkpoint.c)
 * and outputs (bs_io_reopen in src/io.c, bs_inspect in src/io_inspect.c).
 *
 * Each input is the bytes of a file.  They are written to a private temp
 * file, then:
 *   1. bs_inspect (the `brainsim inspect` reader of both kinds of file);
 *   2. bs_ckpt_open; when it opens, the experiment it holds is parsed and,
 *      when its areas are small enough to allocate here, every area and
 *      fiber the experiment names is read with bs_ckpt_read_area /
 *      bs_ckpt_read_fiber on slices of 1 and of 2 "ranks" (as a 1-rank and
 *      the last rank of a 2-rank resume would), into buffers sized exactly
 *      as the simulator sizes them, so that any out-of-bounds write is an
 *      ASan report.  The config_hash check is skipped here so that mutated
 *      texts reach the readers;
 *   3. bs_resume on the file (the whole path of `brainsim run --resume`,
 *      including the config_hash check and the schedule position), without
 *      an output file, when the planned pool is under 64 MiB;
 *   4. bs_io_reopen of the file as the output of the tests' minimal
 *      experiment (area A, n 1000, k 31), cutting it to 3 rows (what a
 *      resumed run does with the output file it continues).
 *
 * Contract checked: any file is accepted or refused with a status and a
 * message; nothing crashes, touches memory it does not own, hits undefined
 * behaviour or leaks.
 *
 * MPI: initialised once (singleton, one rank) in LLVMFuzzerInitialize.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <mpi.h>

#include "brainsim.h"
#include "checkpoint.h"
#include "experiment.h"
#include "io.h"
#include "sim_state.h"

#define MAX_N (UINT64_C(1) << 22)    /* neurons per area read here */
#define MAX_K (UINT64_C(1) << 14)
#define STORE_CAP 4096               /* rows per fiber read here */
#define POOL_MAX (UINT64_C(64) << 20)

static bs_comm *comm;
static char path[64];

static void warm_up(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    /* No HDF5 free lists: a block that HDF5 leaks on a corrupt file's
     * error path is then reported with its own allocation stack (which
     * tests/fuzz/lsan.supp recognises), not that of the block reused. */
    H5set_free_list_limits(0, 0, 0, 0, 0, 0);
    if (bs_comm_create(&comm, err, sizeof err) != BS_OK) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err);
        abort();
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/fuzz-ckpt-%ld.h5",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp", (long)getpid());
    warm_up();
    return 0;
}

static int write_file(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

/* Whether the experiment's areas fit the buffers of this target. */
static int small(const bs_experiment *e)
{
    for (int a = 0; a < e->n_areas; a++)
        if (e->areas[a].n_neurons > MAX_N || e->areas[a].k > MAX_K)
            return 0;
    return 1;
}

/* Reads area a for the slice [lo, hi) into exactly sized buffers. */
static void read_area(bs_ckpt_reader *r, const bs_area_spec *as, uint64_t lo,
                      uint64_t hi)
{
    char err[1024];
    uint64_t *win = malloc(as->k * 8), *inp = malloc(as->k * 8);
    bs_idset ever = {0};
    uint64_t n_winners, support;
    int fixed, inhibited;
    if (win && inp)
        bs_ckpt_read_area(r, as->name, as->n_neurons, as->k, lo, hi, win, inp,
                          &n_winners, &support, &fixed, &inhibited, &ever,
                          err, sizeof err);
    free(win);
    free(inp);
    bs_idset_free(&ever);
}

static void read_fiber(bs_ckpt_reader *r, const bs_experiment *e, int f,
                       int rank, int n_ranks)
{
    const bs_fiber_spec *fs = &e->fibers[f];
    uint64_t n_src = fs->src_is_stim ? e->stims[fs->src].k
                                     : e->areas[fs->src].n_neurons;
    uint64_t dst_n = e->areas[fs->dst].n_neurons;
    uint64_t lo = dst_n * (uint64_t)rank / (uint64_t)n_ranks;
    uint64_t hi = dst_n * (uint64_t)(rank + 1) / (uint64_t)n_ranks;
    char err[1024];
    bs_store st;
    memset(&st, 0, sizeof st);
    st.cap = STORE_CAP;
    st.src = malloc(STORE_CAP * 8);
    st.tgt = malloc(STORE_CAP * 8);
    st.w = malloc(STORE_CAP * 4);
    uint64_t *scratch = malloc(STORE_CAP * 8);
    bs_fiber_geom geom;
    int inhibited;
    if (st.src && st.tgt && st.w && scratch)
        bs_ckpt_read_fiber(r, fs->name, n_src, dst_n, lo, hi, &geom,
                           &inhibited, &st, scratch, err, sizeof err);
    free(st.src);
    free(st.tgt);
    free(st.w);
    free(scratch);
}

/* Pool bytes of a 1-rank run of e (0 when the layout refuses). */
static uint64_t pool_bytes(bs_experiment *e)
{
    bs_sim s;
    memset(&s, 0, sizeof s);
    s.exp = e;
    s.n_ranks = 1;
    uint64_t n = bs_sim_layout(&s) == BS_OK ? bs_pool_bytes_of(&s.pool) : 0;
    bs_pool_destroy(&s.pool);
    bs_sim_layout_free(&s);
    return n;
}

static void checkpoint_reads(void)
{
    char err[1024];
    bs_ckpt_reader *r = NULL;
    bs_ckpt_header h;
    if (bs_ckpt_open(path, comm, &r, &h, err, sizeof err) != BS_OK)
        return;
    bs_experiment *e = NULL;
    uint64_t pool = 0;
    if (bs_experiment_parse(h.experiment_text, strlen(h.experiment_text),
                            "fuzz:/experiment", &e, err, sizeof err) == BS_OK &&
        small(e)) {
        for (int a = 0; a < e->n_areas; a++) {
            uint64_t n = e->areas[a].n_neurons;
            read_area(r, &e->areas[a], 0, n);
            read_area(r, &e->areas[a], n / 2, n);
        }
        for (int f = 0; f < e->n_fibers; f++) {
            read_fiber(r, e, f, 0, 1);
            read_fiber(r, e, f, 1, 2);
        }
        pool = pool_bytes(e);
    }
    bs_experiment_destroy(&e);
    bs_ckpt_close(&r);
    if (pool > 0 && pool <= POOL_MAX) {
        bs_options opt;
        bs_options_init(&opt);
        opt.out_path = NULL;
        opt.quiet = 1;
        opt.backend = BS_BACKEND_CPU;
        opt.n_threads = 1;
        bs_sim *sim = NULL;
        if (bs_resume(path, NULL, &opt, &sim, err, sizeof err) == BS_OK)
            bs_destroy(&sim);
    }
}

static void output_reopen(void)
{
    static const char *const names[1] = {"A"};
    static const uint64_t n[1] = {1000}, k[1] = {31};
    static const char *const ops[1] = {"project s->A"};
    bs_io_meta meta = {
        .experiment_text = "", .seed = 1, .n_ranks = 1, .backend = "cpu",
        .fallback_reason = "", .steps_total = 5, .n_areas = 1,
        .area_names = names, .area_n = n, .area_k = k, .n_ops = 1,
        .op_descriptions = ops};
    char err[1024];
    bs_io *io = NULL;
    if (bs_io_reopen(path, comm, &meta, 3, &io, err, sizeof err) == BS_OK)
        bs_io_close(&io);
}

/* The minimal experiment's meta (as output_reopen expects). */
static const char *const warm_names[1] = {"A"};
static const uint64_t warm_n[1] = {1000}, warm_k[1] = {31};

/*
 * Open MPI loads and initialises its MPI-IO components (ompio, fcoll,
 * fbtl ...) on the first file access and keeps those allocations for the
 * life of the process.  Doing a first write, reopen and read here, before
 * the first input, keeps libFuzzer's per-input leak check from reporting
 * them against an input.
 */
static void warm_up(void)
{
    bs_io_meta meta = {
        .experiment_text = "x", .seed = 1, .n_ranks = 1, .backend = "cpu",
        .fallback_reason = "", .steps_total = 1, .n_areas = 1,
        .area_names = warm_names, .area_n = warm_n, .area_k = warm_k,
        .n_ops = 0, .op_descriptions = NULL};
    char err[1024];
    bs_io *io = NULL;
    if (bs_io_create(path, comm, &meta, &io, err, sizeof err) == BS_OK)
        bs_io_close(&io);
    uint8_t *bytes = NULL;
    size_t size = 0;
    FILE *f = fopen(path, "rb");
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = (size_t)ftell(f)) > 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (bytes = malloc(size)) &&
        fread(bytes, 1, size, f) == size) {
        fclose(f);
        f = NULL;
        LLVMFuzzerTestOneInput(bytes, size);
        LLVMFuzzerTestOneInput(bytes, size);
    }
    if (f)
        fclose(f);
    free(bytes);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!write_file(data, size))
        return 0;
    FILE *devnull = fopen("/dev/null", "w");
    char err[1024];
    if (devnull) {
        bs_inspect(path, devnull, err, sizeof err);
        fclose(devnull);
    }
    checkpoint_reads();
    output_reopen();   /* last: it may modify the file */
    unlink(path);
    return 0;
}
