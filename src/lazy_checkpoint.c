/*
 * lazy_checkpoint.c - the lazy areas' state (lazy.h) to and from a
 * checkpoint's /lazy rows (checkpoint.h; the files themselves:
 * io_checkpoint_lazy.c).  The state is replicated: every rank collects
 * the same rows (rank 0's are written) and every rank restores all of
 * them.  What a run cannot reach is refused: repeated support ids or
 * sources, a winner outside the support, a weight above its fiber's cap.
 */
#include "lazy_impl.h"

#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"

void bs_lazy_ckpt_free(bs_ckpt_lazy **lp, int n_areas)
{
    bs_ckpt_lazy *l = *lp;
    for (int a = 0; l && a < n_areas; a++) {
        bs_ckpt_lazy_free(&l[a]);
        free(l[a].fibers);
    }
    free(l);
    *lp = NULL;
}

/* Fiber f of la as rows into out (new arrays).  Returns 0, or -1 when out
 * of memory. */
static int fiber_rows(const bs_lazy_fiber *lf, bs_ckpt_lazy_fiber *out)
{
    uint64_t total = 0;
    for (uint64_t i = 0; i < lf->n; i++)
        total += lf->src[i].n;
    out->n_src = lf->n;
    out->n_edges = total;
    out->sources = malloc((lf->n ? lf->n : 1) * sizeof *out->sources);
    out->counts = malloc((lf->n ? lf->n : 1) * sizeof *out->counts);
    out->targets = malloc((total ? total : 1) * sizeof *out->targets);
    out->weights = malloc((total ? total : 1) * sizeof *out->weights);
    if (!out->sources || !out->counts || !out->targets || !out->weights)
        return -1;
    uint64_t at = 0;
    for (uint64_t i = 0; i < lf->n; i++) {
        const bs_lazy_src *src = &lf->src[i];
        out->sources[i] = lf->ids[i];
        out->counts[i] = src->n;
        if (src->n) {           /* (a source with no edges yet has none) */
            memcpy(out->targets + at, src->tgt, src->n * sizeof *src->tgt);
            memcpy(out->weights + at, src->w, src->n * sizeof *src->w);
        }
        at += src->n;
    }
    return 0;
}

bs_status bs_lazy_ckpt_collect(bs_sim *s, bs_ckpt_lazy **out)
{
    const bs_experiment *e = s->exp;
    bs_ckpt_lazy *l = calloc((size_t)e->n_areas + 1, sizeof *l);
    int ok = l != NULL;
    for (int a = 0; ok && a < e->n_areas; a++) {
        const bs_lazy_area *la = s->lazy ? s->lazy[a] : NULL;
        if (!la)
            continue;
        l[a].name = e->areas[a].name;
        l[a].w = la->w;
        l[a].n_fibers = e->n_fibers;
        l[a].support = malloc((la->w ? la->w : 1) * sizeof *l[a].support);
        l[a].fibers = calloc((size_t)e->n_fibers + 1, sizeof *l[a].fibers);
        ok = l[a].support && l[a].fibers;
        if (ok && la->w)
            memcpy(l[a].support, la->gid, la->w * sizeof *la->gid);
        for (int f = 0; ok && f < e->n_fibers; f++) {
            if (e->fibers[f].dst != a)
                continue;
            l[a].fibers[f].name = e->fibers[f].name;
            ok = fiber_rows(&la->fib[f], &l[a].fibers[f]) == 0;
        }
    }
    *out = l;
    if (ok)
        return BS_OK;
    bs_lazy_ckpt_free(out, e->n_areas);
    return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory for the lazy areas' "
                       "checkpoint rows");
}

/* Fiber f of lazy area a from rows r.  Returns BS_OK, BS_ERR_NOMEM or
 * BS_ERR_CHECKPOINT (a repeated source, a weight above the cap) with the
 * message. */
static bs_status fiber_restore(bs_sim *s, int a, int f,
                               const bs_ckpt_lazy_fiber *r, const char *path)
{
    bs_lazy_fiber *lf = &s->lazy[a]->fib[f];
    const uint32_t cap = s->fibers[f].cap;
    uint64_t at = 0;
    for (uint64_t i = 0; i < r->n_src; i++) {
        if (bs_lazy_find(lf, r->sources[i]) != UINT64_MAX)
            return bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: /lazy/%s/%s/sources: "
                               "source %llu repeats: the file is corrupt",
                               path, s->exp->areas[a].name, r->name,
                               (unsigned long long)r->sources[i]);
        int64_t j = bs_lazy_add_source(lf, r->sources[i]);
        if (j < 0)
            return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory restoring %s",
                               r->name);
        for (uint64_t e = 0; e < r->counts[i]; e++, at++) {
            if (r->weights[at] > cap)
                return bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: /lazy/%s/%s/"
                                   "weights: a weight is above the fiber's "
                                   "cap (%.6g): the file is corrupt", path,
                                   s->exp->areas[a].name, r->name,
                                   cap / 65536.0);
            if (bs_lazy_push(&lf->src[j], r->targets[at], r->weights[at]))
                return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory restoring "
                                   "%s", r->name);
        }
    }
    return BS_OK;
}

/* Lazy area a from rows l (the area's winners already restored). */
static bs_status area_restore(bs_sim *s, int a, const bs_ckpt_lazy *l,
                              const char *path)
{
    bs_lazy_area *la = s->lazy[a];
    const bs_area_state *as = &s->areas[a];
    if (bs_lazy_reserve(la, l->w, as->k) != 0)
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory restoring lazy "
                           "area %s", s->exp->areas[a].name);
    for (uint64_t i = 0; i < l->w; i++) {
        if (bs_lazy_gid_find(la, l->support[i]) != UINT64_MAX)
            return bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: /lazy/%s/support: "
                               "id %llu repeats: the file is corrupt", path,
                               s->exp->areas[a].name,
                               (unsigned long long)l->support[i]);
        bs_lazy_gid_add(la, l->support[i]);
    }
    for (uint64_t i = 0; i < as->n_winners; i++)
        if (bs_lazy_gid_find(la, as->winners[i]) == UINT64_MAX)
            return bs_sim_fail(s, BS_ERR_CHECKPOINT, "%s: /areas/%s/winners: "
                               "winner %llu is not in /lazy/%s/support: the "
                               "file is corrupt", path, s->exp->areas[a].name,
                               (unsigned long long)as->winners[i],
                               s->exp->areas[a].name);
    bs_status st = BS_OK;
    for (int f = 0; st == BS_OK && f < l->n_fibers; f++)
        if (l->fibers[f].name)
            st = fiber_restore(s, a, f, &l->fibers[f], path);
    return st;
}

bs_status bs_lazy_restore(bs_sim *s, struct bs_ckpt_reader *rd)
{
    const bs_experiment *e = s->exp;
    const char *path = bs_ckpt_path(rd);
    bs_status st = BS_OK;
    for (int a = 0; st == BS_OK && a < e->n_areas; a++) {
        if (!s->lazy[a])
            continue;
        bs_ckpt_lazy l = {e->areas[a].name, 0, NULL, e->n_fibers,
                          calloc((size_t)e->n_fibers + 1,
                                 sizeof(bs_ckpt_lazy_fiber))};
        if (!l.fibers)
            return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory reading %s",
                               path);
        for (int f = 0; f < e->n_fibers; f++) {
            const bs_fiber_spec *fs = &e->fibers[f];
            if (fs->dst != a)
                continue;
            l.fibers[f].name = fs->name;
            l.fibers[f].n_src = fs->src_is_stim ? e->stims[fs->src].k
                                                : e->areas[fs->src].n_neurons;
        }
        st = bs_ckpt_read_lazy(rd, &l, e->areas[a].n_neurons,
                               s->areas[a].support, s->err, sizeof s->err);
        if (st == BS_OK)
            st = area_restore(s, a, &l, path);
        bs_ckpt_lazy_free(&l);
        free(l.fibers);
    }
    return st;
}
