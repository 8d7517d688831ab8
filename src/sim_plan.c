/*
 * sim_plan.c - `brainsim plan`: the pool of every rank, from the same
 * layout code that bs_create allocates with, without MPI or allocation.
 * The host figures are a CPU rank's (the host pool and the CPU backend's
 * own, whose per-neuron inputs are 8 bytes a neuron); a CUDA rank's host
 * pool, which holds no per-neuron input, and its device pool follow when
 * the build has CUDA.
 */
#include "sim_state.h"
#include "sim_checkpoint.h"
#include "sim_paths.h"
#include "lazy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_size(FILE *out, size_t n_bytes)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n_bytes;
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    fprintf(out, "%12zu bytes (%.2f %s)", n_bytes, v, unit[u]);
}

static void print_manifest(FILE *out, const bs_pool *pool)
{
    fprintf(out, "  %-44s %-30s %14s\n", "buffer", "shape", "bytes");
    for (size_t i = 0; i < pool->n_entries; i++) {
        const bs_pool_entry *e = &pool->entries[i];
        fprintf(out, "  %-44s %-30s %14zu\n", e->name, e->shape,
                e->elem_bytes * e->n_elems);
    }
}

/* The CPU backend's own pool of s's layout: the areas' inputs, one line
 * each, and the rest (recording buffers) as one line. */
static void print_cpu_manifest(FILE *out, const bs_sim *s, size_t cpu_bytes)
{
    size_t inputs = 0;
    char name[96];
    for (int a = 0; a < s->exp->n_areas; a++) {
        size_t n_bytes = (size_t)s->areas[a].n_local * 8;
        snprintf(name, sizeof name, "cpu.input.%s", s->exp->areas[a].name);
        fprintf(out, "  %-44s %-30s %14zu\n", name, "(n_local) u64", n_bytes);
        inputs += n_bytes;
    }
    fprintf(out, "  %-44s %-30s %14zu\n", "cpu.* (recording buffers)",
            "(backend_cpu.c)", cpu_bytes > inputs ? cpu_bytes - inputs : 0);
}

/* The lazy areas' host state (lazy.h), outside the pool, the same on
 * every rank: support and edge bounds and bytes.  Can't fail. */
static void print_lazy(FILE *out, const bs_experiment *e)
{
    for (int a = 0; a < e->n_areas; a++) {
        if (!e->areas[a].lazy)
            continue;
        uint64_t support, edges;
        size_t n_bytes = (size_t)bs_lazy_plan(e, a, &support, &edges);
        fprintf(out, "lazy area %s (every rank, outside the pool): support "
                "at most %llu (k x steps), edges about %llu,", e->areas[a].name,
                (unsigned long long)support, (unsigned long long)edges);
        print_size(out, n_bytes);
        fprintf(out, "\n");
    }
}

/* Lays out rank r of n_ranks into s; returns the host bytes of a CPU rank
 * (the host pool and the CPU backend's own) or an error. */
static bs_status plan_rank(bs_sim *s, int r, int n_ranks, size_t *n_bytes)
{
    bs_pool_destroy(&s->pool);
    bs_sim_layout_free(s);
    s->rank = r;
    s->n_ranks = n_ranks;
    bs_status st = bs_sim_layout(s);
    /* the block sizes, which the CPU backend's buffers follow (a fiber's
     * geometry is valid here: the parser checked its p) */
    for (int f = 0; st == BS_OK && f < s->exp->n_fibers; f++)
        if (bs_sim_fiber_geom(s->exp, f, &s->fibers[f].geom) != 0)
            st = BS_ERR_ARG;
    *n_bytes = bs_pool_bytes_of(&s->pool) + bs_backend_cpu.host_bytes(s);
    return st;
}

bs_status bs_plan(const char *path, int n_ranks, uint64_t plastic_capacity,
                  FILE *out, size_t *max_bytes, char *err, size_t err_len)
{
    if (n_ranks < 1 || !out) {
        snprintf(err, err_len, "plan: --ranks must be at least 1");
        return BS_ERR_ARG;
    }
    bs_experiment *exp;
    bs_status st = path ? bs_experiment_load(path, &exp, err, err_len)
                        : bs_experiment_parse(bs_default_experiment,
                                              strlen(bs_default_experiment),
                                              "<default: projection.yaml>",
                                              &exp, err, err_len);
    if (st == BS_OK)
        st = bs_plan_check_paths(exp, path, err, err_len);
    if (st != BS_OK) {
        bs_experiment_destroy(&exp);
        return st;
    }
    bs_sim s;
    memset(&s, 0, sizeof s);
    s.exp = exp;
    s.plastic_capacity = plastic_capacity;
    size_t lo = SIZE_MAX, hi = 0;
    int hi_rank = 0;
    for (int r = 0; r < n_ranks && st == BS_OK; r++) {
        size_t n_bytes;
        st = plan_rank(&s, r, n_ranks, &n_bytes);
        if (n_bytes < lo)
            lo = n_bytes;
        if (n_bytes > hi) {
            hi = n_bytes;
            hi_rank = r;
        }
    }
    if (st == BS_OK) {
        size_t n_bytes;
        st = plan_rank(&s, hi_rank, n_ranks, &n_bytes);
    }
    if (st == BS_OK) {
        fprintf(out, "experiment: %s\nranks: %d\nsteps: %llu\n",
                exp->source_name, n_ranks,
                (unsigned long long)exp->total_steps);
        size_t cpu_bytes = bs_backend_cpu.host_bytes(&s);
        fprintf(out, "host pool per rank, largest (rank %d):", hi_rank);
        print_size(out, hi);
        fprintf(out, "\nhost pool per rank, smallest:          ");
        print_size(out, lo);
        if (bs_backend_cuda.device_bytes) {
            fprintf(out, "\nhost pool of rank %d (CUDA backend):    ",
                    hi_rank);
            print_size(out, bs_pool_bytes_of(&s.pool));
            fprintf(out, "\ndevice pool of rank %d (CUDA backend):  ", hi_rank);
            print_size(out, bs_backend_cuda.device_bytes(&s));
        }
        fprintf(out, "\nmanifest of rank %d (host pool; a CPU rank adds "
                "the cpu.* buffers):\n", hi_rank);
        print_manifest(out, &s.pool);
        print_cpu_manifest(out, &s, cpu_bytes);
        print_lazy(out, exp);
        if (max_bytes)
            *max_bytes = hi;
    } else {
        snprintf(err, err_len, "%s", s.err);
    }
    bs_pool_destroy(&s.pool);
    bs_sim_layout_free(&s);
    bs_experiment_destroy(&exp);
    return st;
}
