/*
 * sim_weights.c - reading synapses out of a live simulator
 * (include/brainsim.h: bs_weights, bs_inputs): the procedural edge test of
 * connectome.h plus the plastic store of the rank that owns the target,
 * combined over ranks.  The stores of a backend that keeps them elsewhere
 * (a device) are copied into the host views first (its download op).
 * Reads the state; changes nothing but those host copies.
 */
#include <stdlib.h>

#include "sim_state.h"
#include "lazy.h"

/* The size of fiber f's source (an area's n, a stimulus's k).  Can't
 * fail. */
static uint64_t source_n(const bs_sim *s, int f)
{
    const bs_fiber_spec *fs = &s->exp->fibers[f];
    return fs->src_is_stim ? s->exp->stims[fs->src].k
                           : s->exp->areas[fs->src].n_neurons;
}

/* Q16.16 weight of synapse (i, j) of fiber f: 0 without an edge.  Can't
 * fail. */
static uint64_t weight_q16(const bs_sim *s, int f, uint64_t i, uint64_t j)
{
    const bs_fiber_state *fs = &s->fibers[f];
    if (!bs_has_edge(&fs->geom, i, j))
        return 0;
    return bs_store_weight(&fs->store[fs->cur], i, j);
}

/* Checks the arguments of a query of fiber `fiber` about n ids: looks the
 * fiber up into *f and checks that every src[i] (NULL: none) is below the
 * source's size and every tgt[i] below the target's.  Not collective (the
 * arguments are the same on every rank).  Returns BS_OK, BS_ERR_ARG or
 * BS_ERR_NOTFOUND with the message in s->err. */
static bs_status check_query(bs_sim *s, const char *what, const char *fiber,
                             size_t n, const uint64_t *src,
                             const uint64_t *tgt, const double *out, int *f)
{
    if (!fiber || (n && (!tgt || !out)))
        return bs_sim_fail(s, BS_ERR_ARG, "%s: NULL argument", what);
    *f = bs_experiment_fiber(s->exp, fiber);
    if (*f < 0)
        return bs_sim_fail(s, BS_ERR_NOTFOUND, "%s: no fiber named '%s'",
                           what, fiber);
    const uint64_t n_src = source_n(s, *f);
    const uint64_t n_dst = s->areas[s->exp->fibers[*f].dst].n_neurons;
    for (size_t i = 0; i < n; i++) {
        if (src && src[i] >= n_src)
            return bs_sim_fail(s, BS_ERR_ARG, "%s: fiber %s: src[%zu] = "
                               "%llu is out of range (its source has %llu "
                               "neurons)", what, fiber, i,
                               (unsigned long long)src[i],
                               (unsigned long long)n_src);
        if (tgt[i] >= n_dst)
            return bs_sim_fail(s, BS_ERR_ARG, "%s: fiber %s: tgt[%zu] = "
                               "%llu is out of range (its target has %llu "
                               "neurons)", what, fiber, i,
                               (unsigned long long)tgt[i],
                               (unsigned long long)n_dst);
    }
    return BS_OK;
}

/* Makes the host stores current (the backend's download) and allocates
 * the n answers, agreed over ranks.  Collective.  Returns BS_OK and *v
 * (zeroed, the caller frees it), or the failure (BS_ERR_NOMEM, the
 * backend's, BS_ERR_STATE when another rank failed) with a message. */
static bs_status begin_query(bs_sim *s, const char *what, size_t n,
                             uint64_t **v)
{
    bs_status st = s->be->download ? s->be->download(s) : BS_OK;
    *v = st == BS_OK ? calloc(n, sizeof **v) : NULL;
    if (st == BS_OK && !*v)
        st = bs_sim_fail(s, BS_ERR_NOMEM, "%s: out of memory for %zu "
                         "answers", what, n);
    if (bs_comm_all_ok(s->comm, st == BS_OK))
        return BS_OK;
    free(*v);
    *v = NULL;
    return st != BS_OK ? st : bs_sim_fail(s, BS_ERR_STATE, "%s: another "
                                          "rank failed", what);
}

/* Sums the answers v (each rank's own targets, 0 elsewhere) over ranks
 * into out as Q16.16 / 65536, and frees v.  Collective.  Returns BS_OK or
 * BS_ERR_MPI with the message in s->err. */
static bs_status end_query(bs_sim *s, size_t n, uint64_t *v, double *out)
{
    bs_status st = bs_comm_sum_u64(s->comm, v, n, s->err, sizeof s->err);
    for (size_t i = 0; st == BS_OK && i < n; i++)
        out[i] = (double)v[i] / (double)BS_W_ONE;
    free(v);
    return st;
}

bs_status bs_weights(bs_sim *sim, const char *fiber, size_t n,
                     const uint64_t *src, const uint64_t *tgt, double *out)
{
    if (!sim)
        return BS_ERR_ARG;
    int f;
    bs_status st = n && !src
        ? bs_sim_fail(sim, BS_ERR_ARG, "bs_weights: NULL argument")
        : check_query(sim, "bs_weights", fiber, n, src, tgt, out, &f);
    uint64_t *v = NULL;
    if (st != BS_OK || n == 0 ||
        (st = begin_query(sim, "bs_weights", n, &v)) != BS_OK)
        return st;
    const bs_area_state *dst = &sim->areas[sim->exp->fibers[f].dst];
    if (sim->exp->areas[sim->exp->fibers[f].dst].lazy) {   /* replicated */
        for (size_t i = 0; sim->rank == 0 && i < n; i++)
            v[i] = bs_lazy_weight_q16(sim, f, src[i], tgt[i]);
        return end_query(sim, n, v, out);
    }
    #pragma omp parallel for schedule(dynamic, 64)
    for (size_t i = 0; i < n; i++)
        if (tgt[i] >= dst->lo && tgt[i] < dst->hi)
            v[i] = weight_q16(sim, f, src[i], tgt[i]);
    return end_query(sim, n, v, out);
}

bs_status bs_inputs(bs_sim *sim, const char *fiber, size_t n,
                    const uint64_t *tgt, double *out)
{
    if (!sim)
        return BS_ERR_ARG;
    int f;
    bs_status st = check_query(sim, "bs_inputs", fiber, n, NULL, tgt, out, &f);
    uint64_t *v = NULL;
    if (st != BS_OK || n == 0 ||
        (st = begin_query(sim, "bs_inputs", n, &v)) != BS_OK)
        return st;
    uint64_t n_firing;
    const uint64_t *firing = bs_sim_firing(sim, f, &n_firing);
    const bs_area_state *dst = &sim->areas[sim->exp->fibers[f].dst];
    if (sim->exp->areas[sim->exp->fibers[f].dst].lazy) {   /* replicated */
        for (size_t i = 0; sim->rank == 0 && i < n; i++)
            for (uint64_t x = 0; x < n_firing; x++)
                v[i] += bs_lazy_weight_q16(sim, f, firing[x], tgt[i]);
        return end_query(sim, n, v, out);
    }
    #pragma omp parallel for schedule(dynamic, 16)
    for (size_t i = 0; i < n; i++) {
        if (tgt[i] < dst->lo || tgt[i] >= dst->hi)
            continue;
        uint64_t sum = 0;
        for (uint64_t x = 0; x < n_firing; x++)
            sum += weight_q16(sim, f, firing[x], tgt[i]);
        v[i] = sum;
    }
    return end_query(sim, n, v, out);
}
