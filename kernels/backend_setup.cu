/*
 * backend_setup.cu - the CUDA backend's setup (see backend_cuda.cu for the
 * contract and the pool's manifest): planning the device pool with bs_pool
 * (bs_cuda_plan_bytes), device selection (bs_cuda_usable), init and
 * destroy, the stores' copies between host and device, and cuda_fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_cuda.h"

extern "C" int bs_cuda_usable(int local_rank, int local_size, char *reason,
                              size_t reason_len);
extern "C" size_t bs_cuda_plan_bytes(const struct bs_sim *s);

bs_status cuda_fail(bs_sim *s, int e, const char *call, const char *file,
                           int line)
{
    cudaGetLastError();
    return bs_sim_fail(s, BS_ERR_CUDA, "rank %d, step %llu: CUDA error at "
                       "%s:%d in %s: %s (%s)", s->rank,
                       (unsigned long long)s->step, file, line, call,
                       cudaGetErrorString((cudaError_t)e),
                       cudaGetErrorName((cudaError_t)e));
}

/* ---- planning: the device pool of s's layout ---- */

/* Adds a view (elem bytes x count) named by printf format fmt. */
#define ADD(shape, elem, count, view, ...)                                     \
    do {                                                                       \
        char nm_[200];                                                         \
        snprintf(nm_, sizeof nm_, __VA_ARGS__);                                \
        bs_status st_ = bs_pool_add(&cs->pool, nm_, shape, elem,               \
                                    (size_t)(count), (void **)(view));         \
        if (st_ != BS_OK)                                                      \
            return st_;                                                        \
    } while (0)

/* The most local winners fiber f's target can have on this rank. */
static uint64_t local_k(const bs_sim *s, int f)
{
    const bs_area_state *dst = &s->areas[s->exp->fibers[f].dst];
    return dst->k < dst->n_local ? dst->k : dst->n_local;
}

static bs_status plan_areas(const bs_sim *s, cuda_state *cs, uint64_t *sum_k)
{
    *sum_k = 0;
    for (int a = 0; a < s->exp->n_areas; a++) {
        const bs_area_state *as = &s->areas[a];
        const char *name = s->exp->areas[a].name;
        cuda_area *ca = &cs->areas[a];
        ca->list.lcap = bs_k_topk_lcap(as->n_local, as->k);
        ADD("(n_local) u64", 8, as->n_local, &ca->input, "areas.%s.input", name);
        ADD("(2304) u64", 8, BS_K_HIST_BINS, &ca->hist, "areas.%s.hist", name);
        ADD("(1) bs_k_select", sizeof(bs_k_select), 1, &ca->sel,
            "areas.%s.select", name);
        ADD("(lcap) u64", 8, ca->list.lcap, &ca->list.idx, "areas.%s.list", name);
        ADD("(1) u64", 8, 1, &ca->list.guess, "areas.%s.guess", name);
        ca->next_off = *sum_k * 8;
        *sum_k += as->k;
    }
    return BS_OK;
}

static bs_status plan_pool(const bs_sim *s, cuda_state *cs)
{
    const bs_experiment *e = s->exp;
    bs_pool_init(&cs->pool);
    uint64_t sum_k, sum_stim = 0, sum_groups = 0;
    bs_status st = plan_areas(s, cs, &sum_k);
    if (st != BS_OK)
        return st;
    for (int i = 0; i < e->n_stims; i++) {
        cs->stim_off[i] = sum_stim;
        sum_stim += e->stims[i].k;
    }
    ADD("(sum stim k) u64", 8, sum_stim, &cs->stim_ids, "stims.ids");
    cs->desc_bytes = align_up((size_t)e->n_fibers * sizeof(bs_k_fiber));
    for (int a = 0; a < e->n_areas; a++)
        cs->areas[a].fire_off = cs->desc_bytes + cs->areas[a].next_off;
    cs->up_fire_bytes = cs->desc_bytes + align_up(sum_k * 8);
    cs->up_fire_fixed = cs->up_fire_bytes;
    for (int f = 0; f < e->n_fibers && cs->caches; f++) {
        cs->fibers[f].delta_off = cs->up_fire_bytes;
        cs->up_fire_bytes += align_up(source_k(s, f) * 8);
    }
    ADD(cs->caches ? "bytes: bs_k_fiber, winners, joined/left sources"
                   : "bytes: bs_k_fiber, winners",
        1, cs->up_fire_bytes, &cs->up_fire, "up.fire");
    uint64_t max_kdst = 0, max_src = 0;
    for (int f = 0; f < e->n_fibers; f++) {
        max_kdst = local_k(s, f) > max_kdst ? local_k(s, f) : max_kdst;
        max_src = source_k(s, f) > max_src ? source_k(s, f) : max_src;
    }
    if (cs->caches) {
        cs->pl_groups_off = align_up(max_src * 4);
        cs->pl_dirty_off = cs->pl_groups_off + align_up(max_kdst * sizeof(bs_k_group));
        cs->up_pl_bytes = cs->pl_dirty_off + align_up(max_kdst);
        ADD("bytes: sources, dirty groups, dirty winners", 1, cs->up_pl_bytes,
            &cs->up_pl, "up.plastic");
    }
    for (int f = 0; f < e->n_fibers && cs->caches; f++) {
        /* room for the edges of one step: 4 x their mean, at most cap */
        double want = 4.0 * (double)source_k(s, f) * (double)local_k(s, f) *
                      e->fibers[f].p + 65536;
        uint64_t cap = s->fibers[f].store[0].cap;
        cuda_fiber *cf = &cs->fibers[f];
        cf->prev_cap = want < (double)cap ? (uint64_t)want : cap;
        ADD("(prev cap) u64", 8, cf->prev_cap, &cf->prev_src,
            "fibers.%s.prev_src", e->fibers[f].name);
        ADD("(prev cap) u64", 8, cf->prev_cap, &cf->prev_tgt,
            "fibers.%s.prev_tgt", e->fibers[f].name);
    }
    for (int f = 0; f < e->n_fibers && cs->caches; f++)
        ADD("(n_local of target, whole tiles) u32", 4,
            bs_k_cache_len(s->areas[e->fibers[f].dst].lo,
                           s->areas[e->fibers[f].dst].hi),
            &cs->fibers[f].cache, "fibers.%s.cache", e->fibers[f].name);
    for (int f = 0; f < e->n_fibers; f++) {
        cs->fibers[f].group_off = align_up(sum_k * 8) +
                                  sum_groups * sizeof(bs_k_group);
        sum_groups += e->areas[e->fibers[f].dst].k;
        uint64_t cap = s->fibers[f].store[0].cap;
        if (cap > cs->cap_max)
            cs->cap_max = cap;
        if (source_k(s, f) > cs->max_firing)
            cs->max_firing = source_k(s, f);
    }
    cs->up_next_bytes = align_up(sum_k * 8) +
                        align_up(sum_groups * sizeof(bs_k_group));
    ADD("bytes: local winners, groups", 1, cs->up_next_bytes, &cs->up_next,
        "up.next");
    static const char *const col[3] = {"src", "tgt", "w"};
    for (int f = 0; f < e->n_fibers; f++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++) {
                bs_k_store *ks = &cs->fibers[f].store[b];
                void *view = c == 0 ? (void *)&ks->src : c == 1
                                    ? (void *)&ks->tgt : (void *)&ks->w;
                ADD(c < 2 ? "(cap) u64" : "(cap) u32", c < 2 ? 8 : 4,
                    s->fibers[f].store[b].cap, view, "fibers.%s.store%d.%s",
                    e->fibers[f].name, b, col[c]);
            }
    ADD("(sum k) bs_cand", sizeof(bs_cand), s->sum_k, &cs->cand, "topk.cand");
    ADD("(ranks, sum k) bs_cand", sizeof(bs_cand), s->sum_k * s->n_ranks,
        &cs->gathered, "topk.gathered");
    const uint64_t cm = cs->cap_max, mf = cs->max_firing + 1;
    bs_k_merge_args *pl = &cs->pl;
    pl->temp_bytes = bs_k_plastic_temp_bytes(cm, cs->max_firing);
    const struct { const char *name, *shape; size_t elem, n; void *view; }
        scratch[] = {
        {"keys_raw", "(max cap) u64", 8, cm, &pl->keys_raw},
        {"keys", "(max cap) u64", 8, cm, &pl->keys},
        {"lb", "(max cap) u64", 8, cm, &pl->lb},
        {"ins", "(max cap + 2) u64", 8, cm + 2, &pl->ins},
        {"ins_scan", "(max cap + 2) u64", 8, cm + 2, &pl->ins_scan},
        {"hit", "(max cap) u8", 1, cm, &pl->hit},
        {"fcount", "(max firing + 1) u64", 8, mf, &pl->fcount},
        {"foff", "(max firing + 1) u64", 8, mf, &pl->foff},
        {"ffill", "(max firing + 1) u64", 8, mf, &pl->ffill},
        {"state", "(1) bs_k_plastic_state", sizeof(bs_k_plastic_state), 1,
         &pl->st},
        {"temp", "bytes", 1, pl->temp_bytes, &pl->temp}};
    for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++)
        ADD(scratch[i].shape, scratch[i].elem, scratch[i].n, scratch[i].view,
            "plastic.%s", scratch[i].name);
    return BS_OK;
}

/* The integer value of environment variable `name` as a flag, dflt when
 * it is unset or empty. */
static int env_flag(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) != 0 : dflt;
}

static cuda_state *state_new(const bs_sim *s)
{
    cuda_state *cs = (cuda_state *)calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    /* input caches and previous edges unless BRAINSIM_CUDA_INCREMENTAL=0 */
    cs->caches = env_flag("BRAINSIM_CUDA_INCREMENTAL", 1);
    const char *sum = getenv("BRAINSIM_CUDA_SUM");
    cs->sum_mode = sum && *sum ? atoi(sum) : 1;
    cs->areas = (cuda_area *)calloc((size_t)s->exp->n_areas + 1, sizeof *cs->areas);
    cs->fibers = (cuda_fiber *)calloc((size_t)s->exp->n_fibers + 1,
                                      sizeof *cs->fibers);
    cs->desc_fiber = (int *)calloc((size_t)s->exp->n_fibers + 1, sizeof(int));
    cs->stim_off = (uint64_t *)calloc((size_t)s->exp->n_stims + 1, sizeof(uint64_t));
    if (!cs->areas || !cs->fibers || !cs->desc_fiber || !cs->stim_off) {
        free(cs->areas);
        free(cs->fibers);
        free(cs->desc_fiber);
        free(cs->stim_off);
        free(cs);
        return NULL;
    }
    return cs;
}

static void state_free(cuda_state *cs)
{
    bs_pool_destroy(&cs->pool);
    free(cs->cached_all);
    free(cs->areas);
    free(cs->fibers);
    free(cs->desc_fiber);
    free(cs->stim_off);
    free(cs);
}

extern "C" size_t bs_cuda_plan_bytes(const struct bs_sim *s)
{
    cuda_state *cs = state_new(s);
    if (!cs)
        return 0;
    size_t n = plan_pool(s, cs) == BS_OK ? bs_pool_bytes_of(&cs->pool) : 0;
    state_free(cs);
    return n;
}

/* ---- device selection ---- */

extern "C" int bs_cuda_usable(int local_rank, int local_size, char *reason,
                              size_t reason_len)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        /* no driver at all reads "CUDA driver version is insufficient
         * for CUDA runtime version", which misleads: say what is missing
         * (unless a driver is there, /dev/nvidiactl, and really is old) */
        if (e == cudaErrorNoDevice || (e == cudaErrorInsufficientDriver &&
                                       access("/dev/nvidiactl", F_OK) != 0))
            snprintf(reason, reason_len, "no CUDA driver or device");
        else if (e != cudaSuccess)
            snprintf(reason, reason_len, "no CUDA device (%s)",
                     cudaGetErrorString(e));
        else
            snprintf(reason, reason_len, "no CUDA device");
        cudaGetLastError();
        return 0;
    }
    if (local_size > n) {
        snprintf(reason, reason_len, "%d ranks on this host share %d CUDA "
                 "device%s (one rank per device: start at most %d ranks per "
                 "host, or use --backend cpu)", local_size, n,
                 n > 1 ? "s" : "", n);
        return 0;
    }
    int dev = (local_rank < 0 ? 0 : local_rank) % n, major = 0, minor = 0;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev);
    static const int archs[] = {__CUDA_ARCH_LIST__};   /* ascending */
    if (major * 100 + minor * 10 < archs[0]) {
        snprintf(reason, reason_len, "CUDA device %d has compute capability "
                 "%d.%d, below this build's %d.%d (configure --with-cuda-arch)",
                 dev, major, minor, archs[0] / 100, archs[0] % 100 / 10);
        return 0;
    }
    return 1;
}

/* ---- init / destroy ---- */

static void *dev_alloc(size_t n_bytes)
{
    void *p = NULL;
    if (cudaMalloc(&p, n_bytes) != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    return p;
}

static void dev_free(void *p) { cudaFree(p); }

/* Checks what the kernels assume of the model: monotone thresholds (the
 * count is a binary search) and 32-bit edge counts per target. */
static bs_status check_model(bs_sim *s)
{
    const bs_experiment *e = s->exp;
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_geom *g = &s->fibers[f].geom;
        int ok = g->n_thresh <= BS_MAX_BLOCK_EDGES && g->log2_block >= 2 &&
                 g->log2_block <= 32;
        for (uint32_t i = 1; ok && i < g->n_thresh; i++)
            ok = g->thresh[i - 1] <= g->thresh[i];
        if (!ok)
            return bs_sim_fail(s, BS_ERR_BACKEND, "cuda: fiber %s has an "
                               "invalid geometry", e->fibers[f].name);
    }
    for (int a = 0; a < e->n_areas; a++) {
        uint64_t in = 0;
        for (int f = 0; f < e->n_fibers; f++)
            if (e->fibers[f].dst == a)
                in += source_k(s, f);
        if (in >= (UINT64_C(1) << 32))
            return bs_sim_fail(s, BS_ERR_BACKEND, "cuda: area %s has 2^32 or "
                               "more firing sources", e->areas[a].name);
    }
    return BS_OK;
}

/* The device pool, with input caches when they fit (else without them,
 * said once in the log), and the host's record of the cached sets. */
static bs_status alloc_device(bs_sim *s, cuda_state *cs)
{
    bs_status st = plan_pool(s, cs);
    if (st != BS_OK)
        return bs_sim_fail(s, st, "cuda: planning the device pool failed");
    int ok = bs_pool_alloc_with(&cs->pool, dev_alloc, dev_free) == BS_OK;
    if (!ok && cs->caches) {
        size_t with = bs_pool_bytes_of(&cs->pool);
        bs_pool_destroy(&cs->pool);
        cs->caches = 0;
        if ((st = plan_pool(s, cs)) != BS_OK)
            return bs_sim_fail(s, st, "cuda: planning the device pool failed");
        ok = bs_pool_alloc_with(&cs->pool, dev_alloc, dev_free) == BS_OK;
        if (ok)
            bs_log(!s->quiet, "rank %d: cuda: incremental steps off (the "
                   "pool with input caches and previous edges, %zu bytes, "
                   "does not fit on device %d; without them %zu bytes)",
                   s->rank, with, cs->device, bs_pool_bytes_of(&cs->pool));
    }
    if (cs->caches) {
        const bs_experiment *e = s->exp;
        uint64_t n = 0;
        for (int f = 0; f < e->n_fibers; f++)
            n += 2 * source_k(s, f) + e->areas[e->fibers[f].dst].k;
        cs->cached_all = (uint64_t *)malloc((n ? n : 1) * 8);
        if (!cs->cached_all)
            return bs_sim_fail(s, BS_ERR_NOMEM, "cuda: out of host memory");
        n = 0;
        for (int f = 0; f < e->n_fibers; f++) {
            cuda_fiber *cf = &cs->fibers[f];
            cf->cached = cs->cached_all + n;
            cf->pf = cf->cached + source_k(s, f);
            cf->pw = cf->pf + source_k(s, f);
            n += 2 * source_k(s, f) + e->areas[e->fibers[f].dst].k;
        }
    }
    if (!ok) {
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        cudaGetLastError();
        return bs_sim_fail(s, BS_ERR_NOMEM, "rank %d: could not allocate the "
                           "device pool of %zu bytes on CUDA device %d (%zu "
                           "bytes free of %zu)", s->rank,
                           bs_pool_bytes_of(&cs->pool), cs->device, free_b,
                           total_b);
    }
    const size_t cand_bytes = align_up(s->sum_k * s->n_ranks * sizeof(bs_cand));
    const size_t err_bytes = align_up(4 * (size_t)s->exp->n_areas);
    cs->h_stage_bytes = align_up(cs->up_fire_bytes) + align_up(cs->up_next_bytes) +
                        cand_bytes + err_bytes + 256 + align_up(cs->up_pl_bytes);
    CK(cudaMallocHost((void **)&cs->h_stage, cs->h_stage_bytes));
    unsigned char *down = cs->h_stage + align_up(cs->up_fire_bytes) +
                          align_up(cs->up_next_bytes);
    cs->h_cand = (bs_cand *)down;
    down += cand_bytes;
    cs->h_err = (uint32_t *)down;
    memset(cs->h_err, 0, err_bytes);
    cs->h_pst = (bs_k_plastic_state *)(down + err_bytes);
    cs->h_pl = down + err_bytes + 256;
    for (int a = 0; a < s->exp->n_areas; a++) {
        cs->areas[a].firing = (uint64_t *)(cs->up_fire + cs->areas[a].fire_off);
        cs->areas[a].next = (uint64_t *)(cs->up_next + cs->areas[a].next_off);
    }
    for (int f = 0; f < s->exp->n_fibers; f++)
        cs->fibers[f].groups = (bs_k_group *)(cs->up_next + cs->fibers[f].group_off);
    return BS_OK;
}

/* Copies every fiber's current store between the host views and the
 * device (to_host 1: download, before a checkpoint; 0: upload, at init,
 * non-empty after a restore). */
bs_status copy_stores(bs_sim *s, cuda_state *cs, int to_host)
{
    const cudaMemcpyKind kind = to_host ? cudaMemcpyDeviceToHost
                                        : cudaMemcpyHostToDevice;
    for (int f = 0; f < s->exp->n_fibers; f++) {
        bs_fiber_state *fs = &s->fibers[f];
        bs_store *hs = &fs->store[fs->cur];
        const bs_k_store *ds = &cs->fibers[f].store[fs->cur];
        void *h[3] = {hs->src, hs->tgt, hs->w}, *d[3] = {ds->src, ds->tgt, ds->w};
        for (int c = 0; c < 3 && hs->n; c++)
            CK(cudaMemcpy(to_host ? h[c] : d[c], to_host ? d[c] : h[c],
                          hs->n * (c < 2 ? 8 : 4), kind));
    }
    return BS_OK;
}

/* Copies what the host holds into the device: stimulus ids, stores. */
static bs_status upload_state(bs_sim *s, cuda_state *cs)
{
    const bs_experiment *e = s->exp;
    for (int a = 0; a < e->n_areas; a++)      /* no candidate list yet */
        CK(cudaMemset(cs->areas[a].list.guess, 0xFF, 8));
    for (int i = 0; i < e->n_stims; i++)
        CK(cudaMemcpy(cs->stim_ids + cs->stim_off[i], s->stim_ids[i],
                      e->stims[i].k * 8, cudaMemcpyHostToDevice));
    return copy_stores(s, cs, 0);
}

void cuda_destroy(bs_sim *s)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    if (!cs)
        return;
    if (cs->caches && cs->n_mode[BS_K_FULL] + cs->n_mode[BS_K_DELTA] +
                      cs->n_mode[BS_K_REUSE])
        bs_log(s->rank == 0 && !s->quiet, "cuda: incremental steps (rank "
               "0): fiber inputs %llu computed in full, %llu updated from "
               "the sources that changed, %llu reused (%llu area inputs "
               "summed from the caches without tiles); plasticity generated "
               "%.1f%% of the (source, block) pairs of its edges",
               (unsigned long long)cs->n_mode[BS_K_FULL],
               (unsigned long long)cs->n_mode[BS_K_DELTA],
               (unsigned long long)cs->n_mode[BS_K_REUSE],
               (unsigned long long)cs->n_sum,
               cs->pairs_full ? 100.0 * (double)cs->pairs_done /
                                (double)cs->pairs_full : 0.0);
    if (cs->have_stream)
        cudaStreamSynchronize(cs->stream);
    if (cs->h_stage)
        cudaFreeHost(cs->h_stage);
    if (cs->have_ev_fire)
        cudaEventDestroy(cs->ev_fire);
    if (cs->have_ev_next)
        cudaEventDestroy(cs->ev_next);
    if (cs->have_stream)
        cudaStreamDestroy(cs->stream);
    state_free(cs);             /* the pool: cudaFree */
    cudaGetLastError();
    s->be_state = NULL;
}

/* Frees everything of cs (pool, pinned staging, host arrays) but the
 * stream and events, which the caller has moved or destroyed. */
static void state_release(cuda_state *cs)
{
    if (cs->h_stage)
        cudaFreeHost(cs->h_stage);
    state_free(cs);
    cudaGetLastError();
}

/* Sets up the new state ns of a growth: its device pool planned from s's
 * (grown) capacities, the host's stimulus ids and current stores uploaded,
 * the candidates zeroed.  Returns BS_OK or the failure with a message. */
static bs_status grow_into(bs_sim *s, cuda_state *ns)
{
    bs_status st = alloc_device(s, ns);
    if (st == BS_OK)
        st = upload_state(s, ns);
    if (st == BS_OK)
        CK(cudaMemset(ns->cand, 0, s->sum_k * sizeof(bs_cand)));
    return st;
}

/*
 * The grow op (sim_state.h): after the host stores grew, a new backend
 * state with a device pool planned from the new capacities (the stores,
 * the plasticity scratch and the previous edges are sized from them) is
 * allocated while the old one still exists, the current stores (the
 * host's, downloaded by sim_grow.c before the host stores moved) are
 * uploaded into it, and only then is the old pool freed; the stream,
 * events and statistics move over.  The input caches and kept edges
 * start empty (the next step computes them in full, which gives the same
 * results: see backend_cuda.cu).  On failure the old state is kept as it
 * was.  The peak is both pools at once.
 */
bs_status cuda_grow(bs_sim *s)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    CK(cudaStreamSynchronize(cs->stream));
    cuda_state *ns = state_new(s);
    if (!ns)
        return bs_sim_fail(s, BS_ERR_NOMEM, "cuda: out of host memory");
    ns->device = cs->device;
    ns->n_sm = cs->n_sm;
    ns->phase_sync = cs->phase_sync;
    ns->debug_sync = cs->debug_sync;
    ns->caches = cs->caches;
    ns->sum_mode = cs->sum_mode;
    ns->n_sum = cs->n_sum;
    bs_status st = grow_into(s, ns);
    if (st != BS_OK) {
        state_release(ns);
        return st;
    }
    ns->stream = cs->stream;
    ns->ev_fire = cs->ev_fire;
    ns->ev_next = cs->ev_next;
    ns->have_stream = cs->have_stream;
    ns->have_ev_fire = cs->have_ev_fire;
    ns->have_ev_next = cs->have_ev_next;
    memcpy(ns->n_mode, cs->n_mode, sizeof ns->n_mode);
    ns->pairs_done = cs->pairs_done;
    ns->pairs_full = cs->pairs_full;
    state_release(cs);
    s->be_state = ns;
    bs_log(!s->quiet, "rank %d: cuda: device pool re-planned for the grown "
           "stores: %zu bytes", s->rank, bs_pool_bytes_of(&ns->pool));
    return BS_OK;
}

bs_status cuda_init(bs_sim *s)
{
    cuda_state *cs = state_new(s);
    if (!cs)
        return bs_sim_fail(s, BS_ERR_NOMEM, "cuda: out of host memory");
    s->be_state = cs;
    int n = 0;
    CK(cudaGetDeviceCount(&n));
    if (n == 0)
        return bs_sim_fail(s, BS_ERR_BACKEND, "no CUDA device");
    cs->device = bs_comm_local_rank(s->comm) % n;
    CK(cudaSetDevice(cs->device));
    CK(cudaDeviceGetAttribute(&cs->n_sm, cudaDevAttrMultiProcessorCount,
                              cs->device));
    cs->phase_sync = env_flag("BRAINSIM_CUDA_PHASE_SYNC", 1);
    cs->debug_sync = env_flag("BRAINSIM_CUDA_DEBUG", 0);
    bs_status st = check_model(s);
    if (st == BS_OK)
        st = alloc_device(s, cs);
    if (st != BS_OK)
        return st;
    CK(cudaStreamCreateWithFlags(&cs->stream, cudaStreamNonBlocking));
    cs->have_stream = 1;
    CK(cudaEventCreateWithFlags(&cs->ev_fire, cudaEventDisableTiming));
    cs->have_ev_fire = 1;
    CK(cudaEventCreateWithFlags(&cs->ev_next, cudaEventDisableTiming));
    cs->have_ev_next = 1;
    CK((cudaError_t)bs_k_acc_setup());
    /* the candidates of areas that do not compute a step are never read,
     * but start defined */
    CK(cudaMemset(cs->cand, 0, s->sum_k * sizeof(bs_cand)));
    if (s->n_ranks > 1) {
        st = bs_comm_nccl_init(s->comm, s->err, sizeof s->err);
        if (st != BS_OK && st != BS_ERR_BACKEND)
            return st;
        bs_log(s->rank == 0 && !s->quiet, "merge: %s%s",
               st == BS_OK ? "NCCL allgather of device candidates"
                           : "MPI allgather of host candidates (no NCCL)",
               bs_comm_cuda_aware() ? "; the MPI library is CUDA-aware" : "");
        s->err[0] = '\0';
    }
    return upload_state(s, cs);
}
