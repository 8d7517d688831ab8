/*
 * backend_cuda.cu - the CUDA backend (doc/design.md section 5): bs_backend_cuda and
 * its step, the per-step uploads (ensure_firing, ensure_next) and the
 * phases; setup (pool, device, init, destroy) in backend_setup.cu,
 * bs_cuda_usable and bs_cuda_plan_bytes there too.  Host orchestration
 * only; the kernels are in edges.cu, store.cu and topk.cu (see
 * kernels.h).
 *
 * The host state stays authoritative for winners, stimuli, flags and the
 * stores' counts (fs->cur, store[cur].n); the backend keeps its own device
 * pool, one cudaMalloc per simulator, planned with bs_pool like the host
 * pool.  Manifest (per rank):
 *   areas.<A>.input        (n_local)            u64   Q16.16 sums
 *   areas.<A>.hist         (2304)               u64   fused histogram
 *   areas.<A>.select       (1)                  bs_k_select
 *   areas.<A>.list         (lcap)               u64   candidate ids
 *   areas.<A>.guess        (1)                  u64   list threshold
 *   stims.ids              (sum stim k)         u64   0..k-1 per stimulus
 *   up.fire                bytes  per step: bs_k_fiber (n_fibers), then
 *                                 every area's winners (sum k u64), then
 *                                 per fiber the sources that joined or
 *                                 left its cached firing set (source k u64)
 *   up.next                bytes  per step: local new winners (sum k u64),
 *                                 then winner groups (sum k_dst) bs_k_group
 *   up.plastic             bytes  per fiber's plasticity: source selection
 *                                 (max firing u32), dirty groups and flags
 *   fibers.<F>.prev_{src,tgt} (prev cap)        u64   last step's edges
 *   fibers.<F>.cache       (whole tiles of the target's slice) u32
 *                                 edge counts of the cached firing set
 *   fibers.<F>.store{0,1}.{src,tgt,w} (cap)     u64/u64/u32
 *   topk.cand              (max k)              bs_cand
 *   plastic.{keys_raw,keys,lb} (max cap)        u64
 *   plastic.{ins,ins_scan} (max cap + 2)        u64
 *   plastic.hit            (max cap)            u8
 *   plastic.{fcount,foff,ffill} (max firing + 1) u64
 *   plastic.state          (1)                  bs_k_plastic_state
 *   plastic.temp           bytes                CUB scan scratch
 * Pinned host staging (one cudaMallocHost): up.fire | up.next | results |
 * up.plastic.  The caches, prev arrays and up.plastic exist only with
 * incremental steps (below).
 *
 * Incremental steps (BRAINSIM_CUDA_INCREMENTAL=0 turns them off; they are
 * also off, with a line in the log, when the pool with them does not fit
 * on the device).  The connectome is fixed, so a fiber's edge counts into
 * the slice are a function of its firing set alone, and its edges into a
 * set of winners a function of the two sets:
 *   - accumulate keeps, per fiber, the counts of the last firing set it
 *     generated; a step whose set is the same reuses them, one that
 *     differs in fewer sources than it has generates only the sources
 *     that joined (+1) and left (-1), otherwise all (kernels.h,
 *     BS_K_FULL ...).  A stimulus, a fixed area and a settled assembly
 *     cost a read of the counts;
 *   - plasticity keeps the edges it found (firing sources x local new
 *     winners) and the two sets; the next step generates only the pairs
 *     of joined sources, and of the other sources with the connectivity
 *     blocks that hold a new winner, and takes the rest from the kept
 *     edges (bs_k_reuse_args).
 * Both only skip regenerating edges that the last step generated: the
 * results are the same bit for bit (tests/test_cuda.c runs the CPU, the
 * CUDA backend with them and without them side by side).
 *
 * A step uploads every firing list once (one H2D at the first accumulate
 * or plasticity of the step), the local new winners once (at the first
 * plasticity), and waits for the device at the exchange (the k
 * candidates) and after each fiber's plasticity (the store's new count).
 * With BRAINSIM_CUDA_PHASE_SYNC=1 (default) accumulate and the top-k also
 * wait, so that the phase times in /metrics are the device's (the top-k's
 * not counted in merge); 0 leaves them asynchronous.
 * BRAINSIM_CUDA_DEBUG=1 synchronizes after every launch, to name the
 * kernel of an asynchronous fault.
 */
#include <stdio.h>
#include <string.h>

#include "backend_cuda.h"

extern "C" const bs_backend_ops bs_backend_cuda;
extern "C" size_t bs_cuda_plan_bytes(const struct bs_sim *s);

/* ---- per-step uploads ---- */

/* The device firing set of fiber f. */
static const uint64_t *dev_firing(const bs_sim *s, const cuda_state *cs,
                                  int f)
{
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    return spec->src_is_stim ? cs->stim_ids + cs->stim_off[spec->src]
                             : cs->areas[spec->src].firing;
}

/* The generation of fiber f's edges this step (desc->gen, n_plus, n_minus,
 * cache, mode) from its firing set F (n ids, host), and the new cached
 * set: the mode (kernels.h) that generates the fewest sources, where a
 * DELTA's joined and left sources (at most n - 1 of them) go to the
 * staging area at the fiber's delta_off.  Grows *used, the staged bytes.
 * Only for fibers whose target computes this step (the kernel then runs
 * and the cache holds what the host records). */
static void plan_generation(bs_sim *s, cuda_state *cs, int f,
                            const uint64_t *F, uint64_t n, bs_k_fiber *d,
                            size_t *used)
{
    cuda_fiber *cf = &cs->fibers[f];
    const bs_area_state *dst = &s->areas[s->exp->fibers[f].dst];
    d->gen = d->firing;
    d->n_plus = n;
    d->n_minus = 0;
    d->cache = NULL;
    d->mode = BS_K_GEN;
    if (!cs->caches || !dst->is_target || dst->fixed)
        return;
    d->cache = cf->cache;
    d->mode = BS_K_FULL;
    const int sorted = ascending(F, n);
    if (cf->cache_valid && sorted) {
        /* joined = F \ C from the front, left = C \ F from the back */
        uint64_t *out = (uint64_t *)(cs->h_stage + cf->delta_off);
        const uint64_t room = source_k(s, f), *C = cf->cached;
        uint64_t i = 0, j = 0, nj = 0, nl = 0;
        while ((i < n || j < cf->n_cached) && nj + nl < n) {
            if (j == cf->n_cached || (i < n && F[i] < C[j]))
                out[nj++] = F[i++];
            else if (i == n || C[j] < F[i])
                out[room - 1 - nl++] = C[j++];
            else
                i++, j++;
        }
        if (i == n && j == cf->n_cached) {
            memmove(out + nj, out + room - nl, nl * 8);
            d->mode = nj + nl ? BS_K_DELTA : BS_K_REUSE;
            d->gen = (const uint64_t *)(cs->up_fire + cf->delta_off);
            d->n_plus = nj;
            d->n_minus = nl;
            if (cf->delta_off + (nj + nl) * 8 > *used)
                *used = cf->delta_off + (nj + nl) * 8;
        }
    }
    cs->n_mode[d->mode]++;
    memcpy(cf->cached, F, n * 8);
    cf->n_cached = n;
    cf->cache_valid = sorted;
}

/* Uploads, once per step, the bs_k_fiber of every active fiber with a
 * firing source (grouped by target area), every area's winners and the
 * sources that joined or left the cached firing sets. */
static bs_status ensure_firing(bs_sim *s, cuda_state *cs)
{
    if (cs->fire_mark == s->step + 1)
        return BS_OK;
    const bs_experiment *e = s->exp;
    CK(cudaEventSynchronize(cs->ev_fire));      /* staging free again */
    bs_k_fiber *desc = (bs_k_fiber *)cs->h_stage;
    for (int a = 0; a < e->n_areas; a++)
        cs->areas[a].desc_count = 0;
    for (int f = 0; f < e->n_fibers; f++) {
        uint64_t n;
        bs_sim_firing(s, f, &n);
        if (s->fibers[f].active && n > 0)
            cs->areas[e->fibers[f].dst].desc_count++;
    }
    int n_desc = 0;
    for (int a = 0; a < e->n_areas; a++) {
        cs->areas[a].desc_first = n_desc;
        n_desc += cs->areas[a].desc_count;
        cs->areas[a].desc_count = 0;
    }
    size_t used = cs->up_fire_fixed;
    for (int f = 0; f < e->n_fibers; f++) {
        uint64_t n;
        const uint64_t *F = bs_sim_firing(s, f, &n);
        if (!s->fibers[f].active || n == 0)
            continue;
        cuda_area *ca = &cs->areas[e->fibers[f].dst];
        int d = ca->desc_first + ca->desc_count++;
        desc[d].geom = s->fibers[f].geom;
        desc[d].firing = dev_firing(s, cs, f);
        desc[d].n_firing = n;
        plan_generation(s, cs, f, F, n, &desc[d], &used);
        cs->desc_fiber[d] = f;
    }
    for (int a = 0; a < e->n_areas; a++)
        if (s->areas[a].n_winners)
            memcpy(cs->h_stage + cs->areas[a].fire_off, s->areas[a].winners,
                   s->areas[a].k * 8);
    CK(cudaMemcpyAsync(cs->up_fire, cs->h_stage, used,
                       cudaMemcpyHostToDevice, cs->stream));
    CK(cudaEventRecord(cs->ev_fire, cs->stream));
    cs->fire_mark = s->step + 1;
    return BS_OK;
}

/* Uploads, once per step, every target's local new winners and, per
 * active fiber, the runs of them that share a connectivity block. */
static bs_status ensure_next(bs_sim *s, cuda_state *cs)
{
    if (cs->next_mark == s->step + 1)
        return BS_OK;
    const bs_experiment *e = s->exp;
    CK(cudaEventSynchronize(cs->ev_next));
    unsigned char *h = h_next(cs);
    for (int a = 0; a < e->n_areas; a++) {
        const bs_area_state *as = &s->areas[a];
        cuda_area *ca = &cs->areas[a];
        ca->n_next = as->is_target ? bs_sim_local_next(as, &ca->next_first) : 0;
        if (ca->n_next)
            memcpy(h + ca->next_off, as->next + ca->next_first, ca->n_next * 8);
    }
    for (int f = 0; f < e->n_fibers; f++) {
        cuda_fiber *cf = &cs->fibers[f];
        const cuda_area *ca = &cs->areas[e->fibers[f].dst];
        const uint64_t *w = s->areas[e->fibers[f].dst].next + ca->next_first;
        cf->n_groups = s->fibers[f].active
            ? bs_k_groups(w, ca->n_next, s->fibers[f].geom.log2_block,
                          (bs_k_group *)(h + cf->group_off))
            : 0;
    }
    CK(cudaMemcpyAsync(cs->up_next, h, cs->up_next_bytes,
                       cudaMemcpyHostToDevice, cs->stream));
    CK(cudaEventRecord(cs->ev_next, cs->stream));
    cs->next_mark = s->step + 1;
    return BS_OK;
}

/* ---- phases ---- */

/* Whether area a's accumulation this step goes through
 * bs_k_accumulate_sum (kernels/sum.cu) instead of the tile kernel: every
 * fiber reuses its cache or updates it from sources whose edges into the
 * slice, about (joined + left) x n_local x p, are at most 1/16 of the
 * slice (scattered with global atomics, they cost about what streaming
 * the slice does); any number under BRAINSIM_CUDA_SUM=2, none under 0. */
static int use_sum(const bs_sim *s, const cuda_state *cs, int a)
{
    const bs_area_state *as = &s->areas[a];
    const cuda_area *ca = &cs->areas[a];
    const bs_k_fiber *desc = (const bs_k_fiber *)cs->h_stage;
    if (cs->sum_mode == 0 || ca->desc_count == 0)
        return 0;
    for (int d = ca->desc_first; d < ca->desc_first + ca->desc_count; d++) {
        if (!bs_k_sum_fits(&desc[d], as->lo, as->hi))
            return 0;
        const double p = s->exp->fibers[cs->desc_fiber[d]].p;
        if (cs->sum_mode == 1 && desc[d].mode == BS_K_DELTA &&
            (double)(desc[d].n_plus + desc[d].n_minus) * p * 16.0 > 1.0)
            return 0;
    }
    return 1;
}

static bs_status cuda_accumulate(bs_sim *s, int a)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    const bs_area_state *as = &s->areas[a];
    cuda_area *ca = &cs->areas[a];
    bs_status st = ensure_firing(s, cs);
    if (st != BS_OK || as->n_local == 0)
        return st;
    char who[200];
    snprintf(who, sizeof who, "accumulate of area %s", s->exp->areas[a].name);
    CK(cudaMemsetAsync(ca->hist, 0, BS_K_HIST_BINS * 8, cs->stream));
    CK(cudaMemsetAsync(ca->sel, 0, sizeof(bs_k_select), cs->stream));
    const bs_k_fiber *desc = (const bs_k_fiber *)cs->h_stage;
    uint32_t log2_block_max = 0;
    for (int d = ca->desc_first; d < ca->desc_first + ca->desc_count; d++)
        if (desc[d].geom.log2_block > log2_block_max)
            log2_block_max = desc[d].geom.log2_block;
    bs_k_acc_args acc = {
        (const bs_k_fiber *)cs->up_fire + ca->desc_first, ca->desc_count,
        as->lo, as->hi,
        bs_k_acc_tile(as->lo, as->hi, cs->n_sm, log2_block_max), ca->input,
        ca->hist, ca->sel, ca->list};
    if (use_sum(s, cs, a)) {
        cs->n_sum++;
        KCK(bs_k_accumulate_sum(&acc, desc + ca->desc_first, cs->n_sm,
                                cs->stream, WHAT), who);
    } else {
        KCK(bs_k_accumulate(&acc, cs->stream, WHAT), who);
    }
    for (int d = ca->desc_first; d < ca->desc_first + ca->desc_count; d++) {
        const bs_fiber_state *fs = &s->fibers[cs->desc_fiber[d]];
        bs_k_corr_args corr = {
            desc[d].firing, desc[d].n_firing,
            cs->fibers[cs->desc_fiber[d]].store[fs->cur], fs->store[fs->cur].n,
            as->lo, ca->input, ca->hist, ca->sel, ca->list};
        KCK(bs_k_corrections(&corr, cs->stream, WHAT), who);
    }
    if (cs->phase_sync)
        CK(cudaStreamSynchronize(cs->stream));
    return BS_OK;
}

/* Phase 2: the k candidates of area a into the device candidates of every
 * area (cs->cand at the area's offset), with no wait but phase_sync's:
 * exchange() moves them.  The selection's internal error flag is copied
 * down with them. */
static bs_status cuda_local_topk(bs_sim *s, int a, bs_cand *out)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    const bs_area_state *as = &s->areas[a];
    cuda_area *ca = &cs->areas[a];
    bs_cand *dst = cs->cand + as->cand_offset;
    cs->h_err[a] = 0;
    if (as->n_local == 0) {
        const bs_cand pad = {0, UINT64_MAX};
        for (uint64_t i = 0; i < as->k; i++)
            out[i] = pad;
        CK(cudaMemcpyAsync(dst, out, as->k * sizeof(bs_cand),
                           cudaMemcpyHostToDevice, cs->stream));
        return BS_OK;
    }
    char who[200];
    snprintf(who, sizeof who, "top-k of area %s", s->exp->areas[a].name);
    bs_k_topk_args tk = {ca->input, as->n_local, as->lo, as->k, ca->hist,
                         ca->sel, ca->list, dst};
    KCK(bs_k_topk(&tk, cs->stream, WHAT), who);
    CK(cudaMemcpyAsync(cs->h_err + a, &ca->sel->error, 4,
                       cudaMemcpyDeviceToHost, cs->stream));
    if (cs->phase_sync)
        CK(cudaStreamSynchronize(cs->stream));
    return BS_OK;
}

/* Phase 3's exchange: with NCCL (several ranks), an allgather of the
 * device candidates on the run's stream and one copy down of every rank's;
 * otherwise one copy down of this rank's and an MPI allgather.  Then the
 * host merge (sim_step.c) selects the global top-k. */
static bs_status cuda_exchange(bs_sim *s)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    const size_t n_bytes = s->sum_k * sizeof(bs_cand);
    const int nccl = bs_comm_has_nccl(s->comm);
    bs_status st = BS_OK;
    if (nccl) {
        st = bs_comm_nccl_allgather(s->comm, cs->cand, cs->gathered, n_bytes,
                                    (void *)cs->stream, s->err, sizeof s->err);
        if (st != BS_OK)
            return st;
        CK(cudaMemcpyAsync(cs->h_cand, cs->gathered, n_bytes * s->n_ranks,
                           cudaMemcpyDeviceToHost, cs->stream));
    } else {
        CK(cudaMemcpyAsync(cs->h_cand, cs->cand, n_bytes,
                           cudaMemcpyDeviceToHost, cs->stream));
    }
    CK(cudaStreamSynchronize(cs->stream));
    for (int a = 0; a < s->exp->n_areas; a++)
        if (cs->h_err[a])
            return bs_sim_fail(s, BS_ERR_CUDA, "rank %d, step %llu: internal "
                               "error in the device top-k of area %s (code "
                               "%u)", s->rank, (unsigned long long)s->step,
                               s->exp->areas[a].name, cs->h_err[a]);
    if (nccl) {
        memcpy(s->gathered, cs->h_cand, n_bytes * s->n_ranks);
        return BS_OK;
    }
    memcpy(s->cand, cs->h_cand, n_bytes);
    return bs_comm_allgather(s->comm, s->cand, s->gathered, n_bytes, s->err,
                             sizeof s->err);
}

/* How fiber f's plasticity this step reuses the edges of its last one
 * (kernels.h, bs_k_reuse_args), from the sources F (n_f) and local new
 * winners W (n_w, groups from ensure_next): fills r and uploads the
 * source selection, the dirty groups and flags.  r->use_prev 0 when the
 * previous edges are unknown or F is not ascending (sorted 0). */
static bs_status plan_reuse(bs_sim *s, cuda_state *cs, int f,
                            const uint64_t *F, uint64_t n_f, int sorted,
                            const uint64_t *W, uint64_t n_w,
                            bs_k_reuse_args *r)
{
    cuda_fiber *cf = &cs->fibers[f];
    memset(r, 0, sizeof *r);
    if (!cs->caches)
        return BS_OK;
    r->prev_src = cf->prev_src;
    r->prev_tgt = cf->prev_tgt;
    r->prev_cap = cf->prev_cap;
    const bs_k_group *groups = (const bs_k_group *)(h_next(cs) + cf->group_off);
    cs->pairs_full += n_f * cf->n_groups;
    if (!cf->prev_valid || !sorted) {
        cs->pairs_done += n_f * cf->n_groups;
        return BS_OK;
    }
    r->use_prev = 1;
    r->fsel = (const uint32_t *)cs->up_pl;
    r->wdirty = cs->up_pl + cs->pl_dirty_off;
    r->n_prev = cf->n_prev;
    if (n_f == cf->n_pf && n_w == cf->n_pw &&
        memcmp(F, cf->pf, n_f * 8) == 0 && memcmp(W, cf->pw, n_w * 8) == 0) {
        /* a settled step: the same sources and winners, every edge kept
         * (nothing joined, no dirty group: fsel and the groups unread) */
        r->n_common = n_f;
        CK(cudaMemsetAsync(cs->up_pl + cs->pl_dirty_off, 0, n_w, cs->stream));
        return BS_OK;
    }
    /* joined sources from the front of fsel, common ones from the back */
    uint32_t *fsel = (uint32_t *)cs->h_pl;
    uint64_t nj = 0, nc = 0;
    for (uint64_t i = 0, j = 0; i < n_f; i++) {
        while (j < cf->n_pf && cf->pf[j] < F[i])
            j++;
        if (j < cf->n_pf && cf->pf[j] == F[i])
            fsel[n_f - 1 - nc++] = (uint32_t)i;
        else
            fsel[nj++] = (uint32_t)i;
    }
    /* dirty: the groups holding a winner not in the previous ones */
    bs_k_group *dg = (bs_k_group *)(cs->h_pl + cs->pl_groups_off);
    uint8_t *dirty = cs->h_pl + cs->pl_dirty_off;
    uint64_t ndg = 0, j = 0;
    for (uint64_t g = 0; g < cf->n_groups; g++) {
        const uint64_t w0 = groups[g].y & 0xFFFFFFFFu, nw = groups[g].x >> 40;
        int d = 0;
        for (uint64_t w = w0; w < w0 + nw; w++) {
            while (j < cf->n_pw && cf->pw[j] < W[w])
                j++;
            d |= !(j < cf->n_pw && cf->pw[j] == W[w]);
        }
        memset(dirty + w0, d, nw);
        if (d)
            dg[ndg++] = groups[g];
    }
    r->n_join = nj;
    r->n_common = nc;
    r->dgroups = (const bs_k_group *)(cs->up_pl + cs->pl_groups_off);
    r->n_dgroups = ndg;
    cs->pairs_done += nj * cf->n_groups + nc * ndg;
    memmove(fsel + nj, fsel + n_f - nc, nc * 4);
    CK(cudaMemcpyAsync(cs->up_pl, fsel, n_f * 4, cudaMemcpyHostToDevice,
                       cs->stream));
    if (ndg)
        CK(cudaMemcpyAsync(cs->up_pl + cs->pl_groups_off, dg,
                           ndg * sizeof *dg, cudaMemcpyHostToDevice, cs->stream));
    CK(cudaMemcpyAsync(cs->up_pl + cs->pl_dirty_off, dirty, n_w,
                       cudaMemcpyHostToDevice, cs->stream));
    return BS_OK;
}

static bs_status cuda_plasticity(bs_sim *s, int f)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    bs_fiber_state *fs = &s->fibers[f];
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    uint64_t n_firing, first;
    const uint64_t *F = bs_sim_firing(s, f, &n_firing);
    uint64_t n_win = bs_sim_local_next(&s->areas[spec->dst], &first);
    const uint64_t *W = s->areas[spec->dst].next + first;
    /* as the CPU: nothing to do; or potentiate(1) == 1, where the store
     * cannot change (mult 1, or cap 1 and so no entries) */
    if (n_firing == 0 || n_win == 0 ||
        bs_potentiate(BS_W_ONE, fs->mult, fs->cap) == BS_W_ONE)
        return BS_OK;
    bs_status st = ensure_firing(s, cs);
    if (st == BS_OK)
        st = ensure_next(s, cs);
    if (st != BS_OK)
        return st;
    char who[200];
    snprintf(who, sizeof who, "plasticity of fiber %s", spec->name);
    cuda_fiber *cf = &cs->fibers[f];
    bs_k_merge_args ma = cs->pl;
    ma.firing = dev_firing(s, cs, f);
    ma.n_firing = n_firing;
    ma.win = cs->areas[spec->dst].next;
    ma.mult = fs->mult;
    ma.cap_w = fs->cap;
    ma.cur = cf->store[fs->cur];
    ma.next = cf->store[fs->cur ^ 1];
    ma.n_cur = fs->store[fs->cur].n;
    ma.cap = fs->store[0].cap;
    bs_k_find_args fa = {fs->geom, ma.firing, n_firing, NULL, 0, ma.win,
                         n_win, cf->groups, cf->n_groups, ma.keys_raw,
                         ma.fcount, ma.cap, ma.st, cs->n_sm};
    bs_k_reuse_args ra;
    const int sorted = ascending(F, n_firing);
    if ((st = plan_reuse(s, cs, f, F, n_firing, sorted, W, n_win, &ra)) != BS_OK)
        return st;
    KCK(bs_k_plasticity(&fa, &ma, &ra, cs->stream, WHAT), who);
    CK(cudaMemcpyAsync(cs->h_pst, ma.st, sizeof *ma.st,
                       cudaMemcpyDeviceToHost, cs->stream));
    CK(cudaStreamSynchronize(cs->stream));
    if (cs->h_pst->overflow)
        return bs_sim_store_full(s, f);
    if (cs->h_pst->saturated)   /* the step fails: cur stays, no edges kept */
        return bs_sim_saturated(s, f);
    if (cs->caches) {           /* the edges kept for the next step */
        cf->prev_valid = sorted && cs->h_pst->n_u <= cf->prev_cap;
        cf->n_prev = cs->h_pst->n_u;
        memcpy(cf->pf, F, n_firing * 8);
        cf->n_pf = n_firing;
        memcpy(cf->pw, W, n_win * 8);
        cf->n_pw = n_win;
    }
    fs->cur ^= 1;
    fs->store[fs->cur].n = cs->h_pst->new_n;
    return BS_OK;
}

/* Copies every fiber's current device store into the host store views. */
static bs_status cuda_download(bs_sim *s)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    CK(cudaStreamSynchronize(cs->stream));
    return copy_stores(s, cs, 1);
}

extern "C" const bs_backend_ops bs_backend_cuda = {
    "cuda",
    cuda_init,
    cuda_accumulate,
    cuda_local_topk,
    cuda_plasticity,
    cuda_download,
    cuda_destroy,
    cuda_exchange,
    bs_cuda_plan_bytes,         /* device_bytes */
    cuda_grow,                  /* grow */
};
