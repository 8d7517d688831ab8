/*
 * sim_create.c - the constructors of the public API (include/brainsim.h):
 * a simulator from an experiment file or text (bs_create_from_file,
 * bs_create_from_text) or from a checkpoint (bs_resume).  Creation chooses
 * the backend, plans and allocates the pool, sets the state fresh or from
 * the checkpoint, opens the output and applies the schedule's operations
 * before its first step (sim.h).  On failure nothing is left allocated.
 * The public functions' contracts are in include/brainsim.h.
 */
#define _POSIX_C_SOURCE 200809L   /* access */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "log.h"
#include "paths.h"
#include "sim.h"
#include "lazy.h"
#include "sim_checkpoint.h"
#include "sim_paths.h"

#define BS_MAX_THREADS 4096   /* OpenMP threads per rank, as --threads */

void bs_options_init(bs_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->backend = BS_BACKEND_AUTO;
}

/* Copies msg into the caller's err (when not NULL).  Can't fail. */
static void set_err(char *err, size_t err_len, const char *msg)
{
    if (err && err_len)
        snprintf(err, err_len, "%s", msg);
}

/* Chooses the backend.  auto takes CUDA when a device is usable on every
 * rank, else the CPU, and records why in s->fallback; an explicit cuda
 * request that cannot be met is an error.  Collective.  Returns BS_OK, or
 * BS_ERR_BACKEND with the message "--backend cuda: <reason>". */
static bs_status choose_backend(bs_sim *s, bs_backend_kind kind)
{
    s->backend_requested = (int)kind;
    s->be = &bs_backend_cpu;
    if (kind != BS_BACKEND_CPU) {
        char reason[200] = "";
        int usable = bs_cuda_usable(bs_comm_local_rank(s->comm),
                                    bs_comm_local_size(s->comm), reason,
                                    sizeof reason);
        /* every rank must take the same backend (the merge is collective) */
        if (bs_comm_all_ok(s->comm, usable)) {
            s->be = &bs_backend_cuda;
        } else {
            if (usable)
                snprintf(reason, sizeof reason,
                         "no usable CUDA device on another rank");
            if (kind == BS_BACKEND_CUDA)
                return bs_sim_fail(s, BS_ERR_BACKEND, "--backend cuda: %s",
                                   reason);
            snprintf(s->fallback, sizeof s->fallback, "%s", reason);
        }
    }
    snprintf(s->backend_name, sizeof s->backend_name, "%s", s->be->name);
    return BS_OK;
}

/* Runs the backend's init; a CUDA backend that fails here under auto gives
 * way to the CPU (agreed by every rank), recording why.  Collective.
 * Returns BS_OK, or under an explicit backend (or when the CPU's own init
 * failed) the init's error
 * (BS_ERR_BACKEND when it failed on another rank) with the message in
 * s->err. */
static bs_status init_backend(bs_sim *s)
{
    if (!s->be->init)
        return BS_OK;
    bs_status st = s->be->init(s);
    if (bs_comm_all_ok(s->comm, st == BS_OK))
        return BS_OK;
    if (st == BS_OK)
        snprintf(s->err, sizeof s->err, "backend %s failed on another rank",
                 s->be->name);
    if (s->backend_requested != BS_BACKEND_AUTO || s->be == &bs_backend_cpu)
        return st == BS_OK ? BS_ERR_BACKEND : st;
    if (s->be->destroy)
        s->be->destroy(s);
    snprintf(s->fallback, sizeof s->fallback, "%.255s", s->err);
    s->err[0] = '\0';
    s->be = &bs_backend_cpu;
    snprintf(s->backend_name, sizeof s->backend_name, "%s", s->be->name);
    st = s->be->init(s);        /* the CPU's own memory, which it lacked */
    if (!bs_comm_all_ok(s->comm, st == BS_OK))
        return st != BS_OK ? st : bs_sim_fail(s, BS_ERR_BACKEND, "backend "
                                              "cpu failed on another rank");
    return BS_OK;
}

/* The name hash (bs_fiber_hash) of fiber f of e.  Can't fail. */
static uint64_t fiber_hash(const bs_experiment *e, int f)
{
    const bs_fiber_spec *fs = &e->fibers[f];
    const char *src = fs->src_is_stim ? e->stims[fs->src].name
                                      : e->areas[fs->src].name;
    return bs_fiber_hash(src, e->areas[fs->dst].name);
}

/* Refuses two fibers whose name hashes, and so connectivity keys, are
 * equal (they would share a graph).  Not collective (every rank has the
 * same experiment).  Returns BS_OK, or BS_ERR_PARSE naming both. */
static bs_status check_fiber_keys(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    for (int f = 0; f < e->n_fibers; f++)
        for (int g = 0; g < f; g++)
            if (fiber_hash(e, f) == fiber_hash(e, g))
                return bs_sim_fail(s, BS_ERR_PARSE, "%s:%d: fibers '%s' "
                                   "(line %d) and '%s' have the same "
                                   "connectivity key (the hash of their "
                                   "source and target names, %016llx); "
                                   "rename an area or stimulus",
                                   e->source_name, e->fibers[f].line,
                                   e->fibers[g].name, e->fibers[g].line,
                                   e->fibers[f].name,
                                   (unsigned long long)fiber_hash(e, f));
    return BS_OK;
}

/* Builds every fiber's geometry on rank 0 (libm), keyed by the seed and
 * the fiber's source and target names (never its position in the list),
 * and broadcasts it.  Collective.  Returns BS_OK, BS_ERR_PARSE when a
 * fiber's p is out of range or two fibers' keys collide, or BS_ERR_MPI,
 * with the message in s->err.  (sim_checkpoint.h) */
int bs_sim_fiber_geom(const bs_experiment *e, int f, bs_fiber_geom *g)
{
    return bs_geom_build(e->fibers[f].p, e->seed, fiber_hash(e, f), g);
}

bs_status bs_sim_build_geometry(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    bs_status st = check_fiber_keys(s);
    if (st != BS_OK)
        return st;
    int ok = 1;
    if (s->rank == 0)
        for (int f = 0; f < e->n_fibers; f++)
            ok &= bs_sim_fiber_geom(e, f, &s->fibers[f].geom) == 0;
    if (!bs_comm_all_ok(s->comm, s->rank != 0 || ok))
        return bs_sim_fail(s, BS_ERR_PARSE, "a fiber's p is out of range");
    for (int f = 0; f < e->n_fibers; f++) {
        st = bs_comm_bcast(s->comm, &s->fibers[f].geom,
                           sizeof s->fibers[f].geom, s->err, sizeof s->err);
        if (st != BS_OK)
            return st;
    }
    return BS_OK;
}

/* Creates the output file, or with `resume`, reopens an existing one at
 * the current step (a missing one is created).  Collective.  Returns
 * BS_OK with s->io, or BS_ERR_NOMEM or the io error (BS_ERR_IO, ...) with
 * the message in s->err. */
static bs_status open_output(bs_sim *s, const char *path, int resume)
{
    const bs_experiment *e = s->exp;
    const char *names[BS_MAX_ENTITIES];
    uint64_t n[BS_MAX_ENTITIES], k[BS_MAX_ENTITIES];
    for (int a = 0; a < e->n_areas; a++) {
        names[a] = e->areas[a].name;
        n[a] = e->areas[a].n_neurons;
        k[a] = e->areas[a].k;
    }
    bs_io_meta meta = {
        .seed = e->seed, .n_ranks = s->n_ranks, .backend = s->backend_name,
        .fallback_reason = s->fallback, .n_areas = e->n_areas,
        .area_names = names, .area_n = n, .area_k = k,
    };
    void *owned = NULL;
    if (bs_sim_output_ops(s, &meta, &owned) != BS_OK) {
        free(owned);
        return BS_ERR_NOMEM;
    }
    bs_status st;
    if (resume && access(path, F_OK) == 0) {
        st = bs_io_reopen(path, s->comm, &meta, s->step, &s->io, s->err,
                          sizeof s->err);
        bs_log(st == BS_OK && s->rank == 0 && !s->quiet,
               "output %s continues at step %llu", path,
               (unsigned long long)s->step);
    } else {
        st = bs_io_create(path, s->comm, &meta, &s->io, s->err, sizeof s->err);
    }
    free(owned);
    return st;
}

/* Bytes of memory available on this host (MemAvailable), or 0 when
 * unknown. */
static uint64_t host_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return (uint64_t)kib * 1024;
}

/* Refuses a pool that cannot fit in this host's memory with the ranks that
 * share it, before allocating anything.  Collective.  Returns BS_OK, or
 * BS_ERR_NOMEM on every rank with the numbers in s->err. */
static bs_status check_memory(bs_sim *s)
{
    uint64_t avail = host_available();
    uint64_t per_rank = (uint64_t)bs_pool_bytes_of(&s->pool) +
                        (s->be->host_bytes ? s->be->host_bytes(s) : 0);
    uint64_t need = per_rank * (uint64_t)bs_comm_local_size(s->comm);
    int ok = avail == 0 || need <= avail;
    if (bs_comm_all_ok(s->comm, ok))
        return BS_OK;
    if (!ok)
        return bs_sim_fail(s, BS_ERR_NOMEM, "the plan needs %llu bytes of "
                           "host memory per rank (%d rank%s on this host: "
                           "%llu bytes), which exceeds the memory available "
                           "(%llu bytes); use more hosts or smaller areas "
                           "(`brainsim plan` shows the manifest)",
                           (unsigned long long)per_rank,
                           bs_comm_local_size(s->comm),
                           bs_comm_local_size(s->comm) > 1 ? "s" : "",
                           (unsigned long long)need, (unsigned long long)avail);
    return bs_sim_fail(s, BS_ERR_NOMEM, "the plan exceeds the memory "
                       "available on another rank's host");
}

/* Sets up a simulator for s->exp: backend, pool, state (fresh, or from the
 * checkpoint reader rd), output, then the operations before the first
 * step.  Collective.  Returns BS_OK, or the first failure's status with
 * the message in s->err (s is then for bs_destroy only). */
static bs_status setup(bs_sim *s, const bs_options *opt, bs_ckpt_reader *rd)
{
    bs_status st = choose_backend(s, opt->backend);
    if (st == BS_OK)
        st = bs_sim_layout(s);
    if (st == BS_OK)
        st = check_memory(s);
    if (st != BS_OK)
        return st;
    st = bs_pool_alloc(&s->pool);
    if (!bs_comm_all_ok(s->comm, st == BS_OK))
        return bs_sim_fail(s, BS_ERR_NOMEM,
                           "rank %d: could not allocate the host pool of %zu "
                           "bytes (`brainsim plan` shows the manifest)",
                           s->rank, bs_pool_bytes_of(&s->pool));
    bs_sim_init_state(s);
    st = bs_lazy_create(s);
    if (st == BS_OK)
        st = rd ? bs_sim_restore(s, rd) : bs_sim_build_geometry(s);
    if (st != BS_OK || (st = init_backend(s)) != BS_OK)
        return st;
    bs_log(s->rank == 0 && !s->quiet, "backend: %s%s%s%s", s->backend_name,
           s->fallback[0] ? " (fallback: " : "", s->fallback,
           s->fallback[0] ? ")" : "");
    if (opt->out_path && (st = open_output(s, opt->out_path, rd != NULL))
        != BS_OK)
        return st;
    s->meta_stale = rd != NULL;   /* a reopened output describes what runs */
    return bs_sim_apply_ops(s);
}

/* Creates a simulator for exp over comm, taking ownership of both (not of
 * rd): the files it reads (exp_path, resume_path; NULL: none) and writes
 * checked and locked (sim_paths.h), backend, pool, state fresh or restored
 * from rd (NULL: fresh), output, the operations before the first step.
 * Collective.  Returns BS_OK and *out, or an error with *out NULL and the
 * message in err. */
static bs_status sim_create(bs_experiment *exp, bs_comm *comm,
                            const bs_options *opt, bs_ckpt_reader *rd,
                            const char *exp_path, const char *resume_path,
                            bs_sim **out, char *err, size_t err_len)
{
    if (opt->n_threads < 0 || opt->n_threads > BS_MAX_THREADS ||
        opt->keep_checkpoints < 0 || opt->keep_checkpoints > 1000) {
        bs_experiment_destroy(&exp);
        bs_comm_destroy(&comm);
        if (err && err_len)
            snprintf(err, err_len, "options: n_threads %d (allowed 0..%d) or "
                     "keep_checkpoints %d (allowed 0..1000) out of range",
                     opt->n_threads, BS_MAX_THREADS, opt->keep_checkpoints);
        return BS_ERR_ARG;
    }
    bs_sim *s = calloc(1, sizeof *s);
    if (!s) {
        bs_experiment_destroy(&exp);
        bs_comm_destroy(&comm);
        set_err(err, err_len, "out of memory creating the simulator");
        return BS_ERR_NOMEM;
    }
    s->exp = exp;
    s->comm = comm;
    s->rank = bs_comm_rank(comm);
    s->n_ranks = bs_comm_size(comm);
    s->quiet = opt->quiet;
    s->plastic_capacity = opt->plastic_capacity;
    s->keep_checkpoints = opt->keep_checkpoints > 0 ? opt->keep_checkpoints : 1;
#ifdef _OPENMP
    if (opt->n_threads > 0)
        omp_set_num_threads(opt->n_threads);
#endif
    bs_status st = bs_sim_claim_paths(s, opt, exp_path, resume_path);
    if (st == BS_OK)
        st = setup(s, opt, rd);
    if (st != BS_OK) {
        set_err(err, err_len, s->err);
        bs_destroy(&s);
    }
    *out = s;
    return st;
}

bs_status bs_create_from_text(const char *text, const char *name,
                              const bs_options *opt, bs_sim **out,
                              char *err, size_t err_len)
{
    if (!out || !text) {
        set_err(err, err_len, "bs_create_from_text: NULL argument");
        return BS_ERR_ARG;
    }
    *out = NULL;
    bs_options defaults;
    if (!opt) {
        bs_options_init(&defaults);
        opt = &defaults;
    }
    bs_comm *comm;
    bs_status st = bs_comm_create(&comm, err, err_len);
    if (st != BS_OK)
        return st;
    bs_experiment *exp;
    st = bs_experiment_parse(text, strlen(text), name ? name : "<text>", &exp,
                             err, err_len);
    if (st != BS_OK) {
        bs_comm_destroy(&comm);
        return st;
    }
    return sim_create(exp, comm, opt, NULL, NULL, NULL, out, err, err_len);
}

/* Rank 0 reads the experiment file; every rank parses the same text.
 * Collective.  Returns the same status on every rank: BS_OK and *exp, or
 * the reader's or parser's error (BS_ERR_IO, BS_ERR_PARSE, ...) or
 * BS_ERR_MPI with *exp NULL and the message in err. */
static bs_status load_experiment(bs_comm *comm, const char *path,
                                bs_experiment **exp, char *err,
                                size_t err_len)
{
    char msg[BS_ERR_LEN] = "", tmp[BS_ERR_LEN];
    uint64_t hdr[2] = {0, 0};   /* status, text length */
    bs_status st = BS_OK;
    *exp = NULL;
    if (bs_comm_rank(comm) == 0) {
        st = bs_experiment_load(path, exp, msg, sizeof msg);
        hdr[0] = (uint64_t)st;
        hdr[1] = *exp ? (*exp)->text_len : 0;
    }
    if (bs_comm_bcast(comm, hdr, sizeof hdr, tmp, sizeof tmp) != BS_OK ||
        bs_comm_bcast(comm, msg, sizeof msg, tmp, sizeof tmp) != BS_OK) {
        set_err(err, err_len, tmp);
        bs_experiment_destroy(exp);
        return BS_ERR_MPI;
    }
    if (hdr[0] != BS_OK) {
        set_err(err, err_len, msg);
        return (bs_status)hdr[0];
    }
    if (bs_comm_rank(comm) != 0) {
        char *text = malloc(hdr[1] + 1);
        st = text ? bs_comm_bcast(comm, text, hdr[1], tmp, sizeof tmp)
                  : BS_ERR_NOMEM;
        if (st == BS_OK) {
            text[hdr[1]] = '\0';
            st = bs_experiment_parse(text, hdr[1], path, exp, err, err_len);
        }
        free(text);
    } else {
        st = bs_comm_bcast(comm, (*exp)->text, hdr[1], tmp, sizeof tmp);
    }
    if (!bs_comm_all_ok(comm, st == BS_OK)) {
        if (st == BS_OK)
            set_err(err, err_len, "another rank failed to read the experiment");
        bs_experiment_destroy(exp);
        return st == BS_OK ? BS_ERR_MPI : st;
    }
    return BS_OK;
}

bs_status bs_create_from_file(const char *path, const bs_options *opt,
                              bs_sim **out, char *err, size_t err_len)
{
    if (!out) {
        set_err(err, err_len, "bs_create_from_file: NULL argument");
        return BS_ERR_ARG;
    }
    if (!path)
        return bs_create_from_text(bs_default_experiment,
                                   "<default: examples/projection.yaml>", opt,
                                   out, err, err_len);
    *out = NULL;
    bs_comm *comm;
    bs_status st = bs_comm_create(&comm, err, err_len);
    if (st != BS_OK)
        return st;
    bs_experiment *exp;
    if ((st = load_experiment(comm, path, &exp, err, err_len)) != BS_OK) {
        bs_comm_destroy(&comm);
        return st;
    }
    bs_options defaults;
    if (!opt) {
        bs_options_init(&defaults);
        opt = &defaults;
    }
    return sim_create(exp, comm, opt, NULL, path, NULL, out, err, err_len);
}

/* Returns 1 when `now` equals `then` except for operations appended to
 * the schedule, else 0 with the first difference written to why.  Can't
 * fail. */
static int extends(const bs_experiment *then, const bs_experiment *now,
                   char *why, size_t len)
{
#define DIFF(cond, ...) do { if (cond) { snprintf(why, len, __VA_ARGS__); return 0; } } while (0)
    DIFF(then->seed != now->seed, "the seed differs");
    DIFF(then->n_areas != now->n_areas || then->n_stims != now->n_stims ||
         then->n_fibers != now->n_fibers, "the areas, stimuli or fibers differ");
    for (int a = 0; a < then->n_areas; a++) {
        const bs_area_spec *x = &then->areas[a], *y = &now->areas[a];
        DIFF(strcmp(x->name, y->name) || x->n_neurons != y->n_neurons ||
             x->k != y->k || x->beta != y->beta, "area %s differs", x->name);
    }
    for (int i = 0; i < then->n_stims; i++)
        DIFF(strcmp(then->stims[i].name, now->stims[i].name) ||
             then->stims[i].k != now->stims[i].k, "stimulus %s differs",
             then->stims[i].name);
    for (int f = 0; f < then->n_fibers; f++) {
        const bs_fiber_spec *x = &then->fibers[f], *y = &now->fibers[f];
        DIFF(strcmp(x->name, y->name) || x->src_is_stim != y->src_is_stim ||
             x->src != y->src || x->dst != y->dst || x->p != y->p ||
             x->beta != y->beta || x->cap != y->cap ||
             x->beta_given != y->beta_given, "fiber %s differs",
             x->name);
    }
    DIFF(now->n_ops < then->n_ops, "the schedule is shorter");
    for (int o = 0; o < then->n_ops; o++) {
        const bs_op *x = &then->ops[o], *y = &now->ops[o];
        int same = x->kind == y->kind && x->rounds == y->rounds &&
                   x->n_fibers == y->n_fibers && x->area == y->area &&
                   x->random == y->random && x->fix == y->fix &&
                   x->target_is_fiber == y->target_is_fiber &&
                   x->target == y->target && !x->neurons == !y->neurons &&
                   !x->path == !y->path && x->snapshot == y->snapshot &&
                   x->fraction == y->fraction && x->n_fire == y->n_fire &&
                   x->n_neurons == y->n_neurons && x->plast == y->plast &&
                   x->beta == y->beta;
        for (int i = 0; same && i < x->n_fibers; i++)
            same = x->fibers[i] == y->fibers[i];
        if (same && x->neurons)
            same = !memcmp(x->neurons, y->neurons,
                           x->n_neurons * sizeof *x->neurons);
        if (same && x->path)
            same = !strcmp(x->path, y->path);
        DIFF(!same, "schedule operation %d (line %d) differs", o, y->line);
    }
#undef DIFF
    return 1;
}

/* The experiment to continue with: the checkpoint's, or experiment_path's
 * when it equals it or only extends its schedule.  Collective.  Returns
 * BS_OK and *out (owned by the caller), or BS_ERR_CHECKPOINT (the stored
 * experiment does not parse, or experiment_path is another one),
 * BS_ERR_NOMEM or load_experiment's error, with the message in err. */
static bs_status resume_experiment(bs_comm *comm, const char *ckpt_path,
                                   const bs_ckpt_header *h,
                                   const char *experiment_path,
                                   bs_experiment **out, int quiet, char *err,
                                   size_t err_len)
{
    char name[4200];
    snprintf(name, sizeof name, "%s:/experiment", ckpt_path);
    bs_experiment *then = NULL, *now = NULL;
    bs_status st = bs_experiment_parse(h->experiment_text,
                                       strlen(h->experiment_text), name, &then,
                                       err, err_len);
    if (st != BS_OK)
        return st == BS_ERR_NOMEM ? st : BS_ERR_CHECKPOINT;
    if (!experiment_path) {
        *out = then;
        return BS_OK;
    }
    st = load_experiment(comm, experiment_path, &now, err, err_len);
    char why[256];
    if (st == BS_OK && !extends(then, now, why, sizeof why)) {
        snprintf(err, err_len, "%s: not the experiment of checkpoint %s (%s); "
                 "only appending operations to the schedule is allowed",
                 experiment_path, ckpt_path, why);
        st = BS_ERR_CHECKPOINT;
    } else if (st == BS_OK && now->n_ops > then->n_ops) {
        bs_log(bs_comm_rank(comm) == 0 && !quiet, "%s extends the schedule of "
               "the checkpoint (%d -> %d operations)", experiment_path,
               then->n_ops, now->n_ops);
    }
    bs_experiment_destroy(&then);
    if (st != BS_OK)
        bs_experiment_destroy(&now);
    *out = now;
    return st;
}

bs_status bs_resume(const char *ckpt_path, const char *experiment_path,
                    const bs_options *opt, bs_sim **out, char *err,
                    size_t err_len)
{
    if (!ckpt_path || !out)
        return BS_ERR_ARG;
    *out = NULL;
    bs_options defaults;
    if (!opt) {
        bs_options_init(&defaults);
        opt = &defaults;
    }
    double t0 = bs_now();
    /* the reader has a communicator of its own: the simulator takes
     * ownership of its own one, even when its creation fails */
    bs_comm *comm = NULL, *rd_comm = NULL;
    bs_status st = bs_comm_create(&rd_comm, err, err_len);
    if (st == BS_OK)
        st = bs_comm_create(&comm, err, err_len);
    bs_ckpt_reader *rd = NULL;
    bs_ckpt_header h;
    bs_experiment *exp = NULL;
    if (st == BS_OK) {   /* a FIFO would block, a directory is noisy */
        char why[BS_ERR_LEN];
        int ok = bs_path_check_read(ckpt_path, "checkpoint", why,
                                    sizeof why) == BS_OK;
        if (!bs_comm_all_ok(rd_comm, ok)) {
            set_err(err, err_len, ok ? "the checkpoint is not a regular "
                    "file on another rank" : why);
            st = BS_ERR_IO;
        }
    }
    if (st == BS_OK)
        st = bs_ckpt_open(ckpt_path, rd_comm, &rd, &h, err, err_len);
    if (st == BS_OK &&
        h.config_hash != bs_config_hash(h.experiment_text,
                                        strlen(h.experiment_text))) {
        snprintf(err, err_len, "%s: /experiment does not match the "
                 "config_hash attribute (the file is corrupt)", ckpt_path);
        st = BS_ERR_CHECKPOINT;
    }
    if (st == BS_OK)
        st = resume_experiment(comm, ckpt_path, &h, experiment_path, &exp,
                               opt->quiet, err, err_len);
    if (st == BS_OK) {
        st = sim_create(exp, comm, opt, rd, experiment_path, ckpt_path, out,
                        err, err_len);
        comm = NULL;    /* owned by the simulator now, or freed */
    }
    bs_ckpt_close(&rd);
    bs_comm_destroy(&comm);
    bs_comm_destroy(&rd_comm);
    if (st == BS_OK)
        bs_log(bs_comm_rank((*out)->comm) == 0 && !opt->quiet,
               "resumed from %s at step %llu (set up and read in %.3f s)",
               ckpt_path, (unsigned long long)(*out)->step, bs_now() - t0);
    return st;
}
