#define _POSIX_C_SOURCE 200809L
/*
 * sim.c - the public API (include/brainsim.h): creating a simulator from an
 * experiment, stepping it along its schedule, queries, destruction.
 */
#include "sim_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "checkpoint.h"
#include "log.h"

void bs_options_init(bs_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->backend = BS_BACKEND_AUTO;
}

const char *bs_strerror(bs_status status)
{
    static const char *const names[] = {
        "success", "invalid argument", "out of memory",
        "invalid experiment", "input/output error", "MPI or NCCL error",
        "CUDA error", "reserved capacity exceeded", "backend not usable",
        "invalid checkpoint", "invalid state", "not found",
        "size limit exceeded",
    };
    if ((unsigned)status < sizeof names / sizeof names[0])
        return names[status];
    return "unknown status";
}

static void set_err(char *err, size_t err_len, const char *msg)
{
    if (err && err_len)
        snprintf(err, err_len, "%s", msg);
}

/* Chooses the backend.  auto takes CUDA when this build has it and a
 * device is usable, else the CPU, and records why; an explicit cuda request
 * that cannot be met is an error. */
static bs_status choose_backend(bs_sim *s, bs_backend_kind kind)
{
    s->backend_requested = (int)kind;
    s->be = &bs_backend_cpu;
    snprintf(s->backend_name, sizeof s->backend_name, "cpu");
    if (kind == BS_BACKEND_CPU)
        return BS_OK;
#ifdef BS_HAVE_CUDA
    char reason[200] = "";
    int usable = bs_cuda_usable(bs_comm_local_rank(s->comm), reason,
                                sizeof reason);
    /* every rank must take the same backend (the merge is collective) */
    if (bs_comm_all_ok(s->comm, usable)) {
        s->be = &bs_backend_cuda;
        snprintf(s->backend_name, sizeof s->backend_name, "cuda");
        return BS_OK;
    }
    if (usable)
        snprintf(reason, sizeof reason, "no usable CUDA device on another rank");
#else
    const char *reason = "built without CUDA";
#endif
    if (kind == BS_BACKEND_CUDA)
        return bs_sim_fail(s, BS_ERR_BACKEND, "--backend cuda: %s%s", reason,
#ifdef BS_HAVE_CUDA
                           ""
#else
                           " (configure --with-cuda=yes)"
#endif
                           );
    snprintf(s->fallback, sizeof s->fallback, "%s", reason);
    return BS_OK;
}

/* Runs the backend's init; a CUDA backend that fails here under auto gives
 * way to the CPU (agreed by every rank), recording why. */
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
    if (s->backend_requested != BS_BACKEND_AUTO)
        return st == BS_OK ? BS_ERR_BACKEND : st;
    if (s->be->destroy)
        s->be->destroy(s);
    snprintf(s->fallback, sizeof s->fallback, "%.255s", s->err);
    s->err[0] = '\0';
    s->be = &bs_backend_cpu;
    snprintf(s->backend_name, sizeof s->backend_name, "cpu");
    return BS_OK;
}

/* Builds every fiber's geometry on rank 0 (libm) and broadcasts it. */
static bs_status build_geometry(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    int ok = 1;
    if (s->rank == 0)
        for (int f = 0; f < e->n_fibers; f++)
            ok &= bs_geom_build(e->fibers[f].p, e->seed, (uint32_t)f,
                                &s->fibers[f].geom) == 0;
    if (!bs_comm_all_ok(s->comm, s->rank != 0 || ok))
        return bs_sim_fail(s, BS_ERR_PARSE, "a fiber's p is out of range");
    for (int f = 0; f < e->n_fibers; f++) {
        bs_status st = bs_comm_bcast(s->comm, &s->fibers[f].geom,
                                     sizeof s->fibers[f].geom, s->err,
                                     sizeof s->err);
        if (st != BS_OK)
            return st;
    }
    return BS_OK;
}

/* Creates the output file, or with `resume`, reopens an existing one at
 * the current step (a missing one is created). */
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
    char (*ops)[128] = calloc((size_t)e->n_ops + 1, sizeof *ops);
    const char **op_ptrs = calloc((size_t)e->n_ops + 1, sizeof *op_ptrs);
    if (!ops || !op_ptrs) {
        free(ops);
        free(op_ptrs);
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory opening the output");
    }
    for (int o = 0; o < e->n_ops; o++) {
        bs_op_describe(e, o, ops[o], sizeof ops[o]);
        op_ptrs[o] = ops[o];
    }
    bs_io_meta meta = {
        .experiment_text = e->text, .seed = e->seed, .n_ranks = s->n_ranks,
        .backend = s->backend_name, .fallback_reason = s->fallback,
        .steps_total = e->total_steps, .n_areas = e->n_areas,
        .area_names = names, .area_n = n, .area_k = k, .n_ops = e->n_ops,
        .op_descriptions = op_ptrs,
    };
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
    free(ops);
    free(op_ptrs);
    return st;
}

/* Sets up a simulator for s->exp: backend, pool, state (fresh, or from the
 * checkpoint reader rd), output.  */
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
 * share it, before allocating anything.  Collective. */
static bs_status check_memory(bs_sim *s)
{
    uint64_t avail = host_available();
    uint64_t need = (uint64_t)bs_pool_bytes_of(&s->pool) *
                    (uint64_t)bs_comm_local_size(s->comm);
    int ok = avail == 0 || need <= avail;
    if (bs_comm_all_ok(s->comm, ok))
        return BS_OK;
    if (!ok)
        return bs_sim_fail(s, BS_ERR_NOMEM, "the plan needs %llu bytes of "
                           "host memory per rank (%d rank%s on this host: "
                           "%llu bytes), which exceeds the memory available "
                           "(%llu bytes); use more hosts or smaller areas "
                           "(`brainsim plan` shows the manifest)",
                           (unsigned long long)bs_pool_bytes_of(&s->pool),
                           bs_comm_local_size(s->comm),
                           bs_comm_local_size(s->comm) > 1 ? "s" : "",
                           (unsigned long long)need, (unsigned long long)avail);
    return bs_sim_fail(s, BS_ERR_NOMEM, "the plan exceeds the memory "
                       "available on another rank's host");
}

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
    st = rd ? bs_sim_restore(s, rd) : build_geometry(s);
    if (st != BS_OK || (st = init_backend(s)) != BS_OK)
        return st;
    bs_log(s->rank == 0 && !s->quiet, "backend: %s%s%s%s", s->backend_name,
           s->fallback[0] ? " (fallback: " : "", s->fallback,
           s->fallback[0] ? ")" : "");
    if (opt->out_path && (st = open_output(s, opt->out_path, rd != NULL))
        != BS_OK)
        return st;
    return bs_sim_apply_ops(s);
}

/* Takes ownership of exp and comm (and not of rd). */
bs_status bs_sim_create(bs_experiment *exp, bs_comm *comm,
                        const bs_options *opt, bs_ckpt_reader *rd,
                        bs_sim **out, char *err, size_t err_len)
{
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
    bs_status st = setup(s, opt, rd);
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
    return bs_sim_create(exp, comm, opt, NULL, out, err, err_len);
}

/* Rank 0 reads the experiment file; every rank parses the same text.
 * Returns the same status on every rank, with *exp or a message. */
bs_status bs_sim_load_experiment(bs_comm *comm, const char *path,
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
    if ((st = bs_sim_load_experiment(comm, path, &exp, err, err_len)) != BS_OK) {
        bs_comm_destroy(&comm);
        return st;
    }
    bs_options defaults;
    if (!opt) {
        bs_options_init(&defaults);
        opt = &defaults;
    }
    return bs_sim_create(exp, comm, opt, NULL, out, err, err_len);
}

bs_status bs_step(bs_sim *sim, uint64_t n_steps, uint64_t *n_done)
{
    if (n_done)
        *n_done = 0;
    if (!sim)
        return BS_ERR_ARG;
    bs_status st = BS_OK;
    uint64_t done = 0;
    while (done < n_steps) {
        if ((st = bs_sim_apply_ops(sim)) != BS_OK)
            break;
        if (sim->op >= sim->exp->n_ops)
            break;
        if ((st = bs_sim_step_once(sim)) != BS_OK)
            break;
        done++;
        bs_test_pause_at_step(sim->step, sim->rank == 0);
    }
    if (st == BS_OK && sim->op >= sim->exp->n_ops)
        st = bs_sim_flush(sim);
    if (n_done)
        *n_done = done;
    return st;
}

bs_status bs_run(bs_sim *sim)
{
    return bs_step(sim, UINT64_MAX, NULL);
}

uint64_t bs_steps_done(const bs_sim *sim) { return sim->step; }
uint64_t bs_steps_total(const bs_sim *sim) { return sim->exp->total_steps; }
int bs_n_areas(const bs_sim *sim) { return sim->exp->n_areas; }

uint64_t bs_area_k(const bs_sim *sim, int i)
{
    return (i >= 0 && i < sim->exp->n_areas) ? sim->exp->areas[i].k : 0;
}

const char *bs_area_name(const bs_sim *sim, int i)
{
    return (i >= 0 && i < sim->exp->n_areas) ? sim->exp->areas[i].name : NULL;
}

bs_status bs_winners(const bs_sim *sim, const char *area, uint64_t *ids,
                     size_t cap, size_t *n)
{
    if (!sim || !area || !n)
        return BS_ERR_ARG;
    int a = bs_experiment_area(sim->exp, area);
    if (a < 0)
        return BS_ERR_NOTFOUND;
    const bs_area_state *as = &sim->areas[a];
    if (as->n_winners > cap || (as->n_winners && !ids))
        return BS_ERR_ARG;
    memcpy(ids, as->winners, as->n_winners * sizeof *ids);
    *n = as->n_winners;
    return BS_OK;
}

bs_status bs_support(const bs_sim *sim, const char *area, uint64_t *support)
{
    if (!sim || !area || !support)
        return BS_ERR_ARG;
    int a = bs_experiment_area(sim->exp, area);
    if (a < 0)
        return BS_ERR_NOTFOUND;
    *support = sim->areas[a].support;
    return BS_OK;
}

void bs_phase_seconds(const bs_sim *sim, double seconds[5], uint64_t *events)
{
    for (int ph = 0; ph < BS_N_PHASES; ph++)
        seconds[ph] = sim->phase_total[ph];
    if (events)
        *events = sim->events_total;
}

const char *bs_backend_name(const bs_sim *sim) { return sim->backend_name; }
const char *bs_fallback_reason(const bs_sim *sim) { return sim->fallback; }
const char *bs_error(const bs_sim *sim) { return sim ? sim->err : ""; }

size_t bs_pool_bytes(const bs_sim *sim, int device)
{
    if (!device)
        return bs_pool_bytes_of(&sim->pool);
#ifdef BS_HAVE_CUDA
    if (sim->be == &bs_backend_cuda)
        return bs_cuda_plan_bytes(sim);
#endif
    return 0;
}

void bs_destroy(bs_sim **sim)
{
    if (!sim || !*sim)
        return;
    bs_sim *s = *sim;
    if (s->io) {
        bs_sim_flush(s);
        bs_io_close(&s->io);
    }
    if (s->be && s->be->destroy)
        s->be->destroy(s);
    bs_pool_destroy(&s->pool);
    bs_sim_layout_free(s);
    bs_experiment_destroy(&s->exp);
    bs_comm_destroy(&s->comm);
    free(s);
    *sim = NULL;
}

bs_status bs_world(int *rank, int *n_ranks)
{
    return bs_comm_world(rank, n_ranks);
}

void bs_abort(int code)
{
    bs_comm_abort(code);
}
