/*
 * backend_cuda.cu - the CUDA backend (DESIGN section 5): bs_backend_cuda,
 * bs_cuda_usable, bs_cuda_plan_bytes.  Host orchestration only; the kernels
 * are in accumulate.cu, topk.cu and plasticity.cu (see kernels.h).
 *
 * The host state stays authoritative for winners, stimuli, flags and the
 * stores' counts (fs->cur, store[cur].n); the backend keeps its own device
 * pool, one cudaMalloc per simulator, planned with bs_pool like the host
 * pool.  Manifest (per rank):
 *   areas.<A>.input        (n_local)            u64   Q16.16 sums
 *   areas.<A>.hist         (2304)               u64   fused histogram
 *   areas.<A>.select       (1)                  bs_k_select
 *   stims.ids              (sum stim k)         u64   0..k-1 per stimulus
 *   up.fire                bytes  per step: bs_k_fiber (n_fibers), then
 *                                 every area's winners (sum k u64)
 *   up.next                bytes  per step: local new winners (sum k u64),
 *                                 then winner groups (sum (k_dst+1) u32)
 *   fibers.<F>.store{0,1}.{src,tgt,w} (cap)     u64/u64/u32
 *   topk.sel_idx           (scap)               u64   fast-path ids
 *   topk.cand              (max k)              bs_cand
 *   topk.temp              bytes                CUB select scratch
 *   plastic.{keys_raw,keys,lb} (max cap)        u64
 *   plastic.{ins,ins_scan} (max cap + 2)        u64
 *   plastic.hit            (max cap)            u8
 *   plastic.{fcount,foff,ffill} (max firing + 1) u64
 *   plastic.state          (1)                  bs_k_plastic_state
 *   plastic.temp           bytes                CUB scan scratch
 * Pinned host staging (one cudaMallocHost): up.fire | up.next | results.
 *
 * A step uploads every firing list once (one H2D at the first accumulate
 * or plasticity of the step), the local new winners once (at the first
 * plasticity), and waits for the device at the top-k (the k candidates)
 * and after each fiber's plasticity (the store's new count).  With
 * BRAINSIM_CUDA_PHASE_SYNC=1 (default) accumulate also waits, so that the
 * phase times in /metrics are the device's; 0 leaves it asynchronous.
 * BRAINSIM_CUDA_DEBUG=1 synchronizes after every launch, to name the
 * kernel of an asynchronous fault.
 */
#include <cuda_runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "sim.h"
#include "kernels.h"
}

extern "C" const bs_backend_ops bs_backend_cuda;
extern "C" int bs_cuda_usable(int local_rank, char *reason, size_t reason_len);
extern "C" size_t bs_cuda_plan_bytes(const struct bs_sim *s);

typedef struct cuda_area {
    uint64_t *input, *hist;
    bs_k_select *sel;
    uint64_t *firing, *next;    /* device views into up.fire / up.next */
    size_t fire_off, next_off;  /* byte offsets in those regions */
    uint64_t n_next, next_first;/* local new winners this step */
    int desc_first, desc_count; /* its bs_k_fiber entries this step */
} cuda_area;

typedef struct cuda_fiber {
    bs_k_store store[2];
    uint32_t *groups;           /* device view into up.next */
    size_t group_off;
    uint64_t n_groups;
} cuda_fiber;

typedef struct cuda_state {
    int device, n_sm, phase_sync, debug_sync;
    cudaStream_t stream;
    cudaEvent_t ev_fire, ev_next;
    int have_stream, have_ev_fire, have_ev_next;
    bs_pool pool;
    cuda_area *areas;
    cuda_fiber *fibers;
    int *desc_fiber;            /* fiber of each bs_k_fiber this step */
    uint64_t *stim_ids, *stim_off;
    unsigned char *up_fire, *up_next;
    size_t up_fire_bytes, up_next_bytes, desc_bytes;
    unsigned char *h_stage;     /* pinned */
    size_t h_stage_bytes;
    bs_cand *h_cand;
    uint32_t *h_err;
    bs_k_plastic_state *h_pst;
    uint64_t *sel_idx, scap;
    bs_cand *cand;
    void *topk_temp;
    size_t topk_temp_bytes;
    uint64_t cap_max, max_firing;
    uint64_t *keys_raw, *keys, *lb, *ins, *ins_scan, *fcount, *foff, *ffill;
    uint8_t *hit;
    bs_k_plastic_state *pst;
    void *pl_temp;
    size_t pl_temp_bytes;
    uint64_t fire_mark, next_mark;  /* s->step + 1 of the last uploads */
} cuda_state;

static size_t align_up(size_t n) { return (n + 255) / 256 * 256; }

/* ---- errors ---- */

static bs_status cuda_fail(bs_sim *s, int e, const char *call, const char *file,
                           int line)
{
    cudaGetLastError();
    return bs_sim_fail(s, BS_ERR_CUDA, "rank %d, step %llu: CUDA error at "
                       "%s:%d in %s: %s (%s)", s->rank,
                       (unsigned long long)s->step, file, line, call,
                       cudaGetErrorString((cudaError_t)e),
                       cudaGetErrorName((cudaError_t)e));
}

#define CK(call)                                                               \
    do {                                                                       \
        cudaError_t e_ = (call);                                               \
        if (e_ != cudaSuccess)                                                 \
            return cuda_fail(s, e_, #call, __FILE__, __LINE__);                \
    } while (0)

/* A launcher's result; with debug_sync also waits, to name the kernel
 * that faults.  `who` names the phase and its area or fiber. */
#define KCK(launch, who)                                                       \
    do {                                                                       \
        const char *what_ = "?";                                               \
        int e_ = (launch);                                                     \
        if (e_ == 0 && cs->debug_sync)                                         \
            e_ = (int)cudaStreamSynchronize(cs->stream);                       \
        if (e_ != 0) {                                                         \
            char c_[256];                                                      \
            snprintf(c_, sizeof c_, "kernel %s (%s)", what_, who);             \
            return cuda_fail(s, e_, c_, __FILE__, __LINE__);                   \
        }                                                                      \
    } while (0)
#define WHAT &what_

/* ---- planning: the device pool of s's layout ---- */

#define ADD(name, shape, elem, count, view)                                    \
    do {                                                                       \
        bs_status st_ = bs_pool_add(&cs->pool, name, shape, elem,              \
                                    (size_t)(count), (void **)(view));         \
        if (st_ != BS_OK)                                                      \
            return st_;                                                        \
    } while (0)

static uint64_t source_k(const bs_sim *s, int f)
{
    const bs_fiber_spec *fs = &s->exp->fibers[f];
    return fs->src_is_stim ? s->exp->stims[fs->src].k : s->exp->areas[fs->src].k;
}

static bs_status plan_areas(const bs_sim *s, cuda_state *cs, uint64_t *sum_k)
{
    char nm[200];
    *sum_k = 0;
    for (int a = 0; a < s->exp->n_areas; a++) {
        const bs_area_state *as = &s->areas[a];
        const char *name = s->exp->areas[a].name;
        cuda_area *ca = &cs->areas[a];
        snprintf(nm, sizeof nm, "areas.%s.input", name);
        ADD(nm, "(n_local) u64", 8, as->n_local, &ca->input);
        snprintf(nm, sizeof nm, "areas.%s.hist", name);
        ADD(nm, "(2304) u64", 8, BS_K_HIST_BINS, &ca->hist);
        snprintf(nm, sizeof nm, "areas.%s.select", name);
        ADD(nm, "(1) bs_k_select", sizeof(bs_k_select), 1, &ca->sel);
        ca->next_off = *sum_k * 8;
        *sum_k += as->k;
        uint64_t sc = bs_k_topk_scap(as->n_local, as->k);
        if (sc > cs->scap)
            cs->scap = sc;
        size_t tb = bs_k_topk_temp_bytes(as->n_local);
        if (tb > cs->topk_temp_bytes)
            cs->topk_temp_bytes = tb;
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
    ADD("stims.ids", "(sum stim k) u64", 8, sum_stim, &cs->stim_ids);
    cs->desc_bytes = align_up((size_t)e->n_fibers * sizeof(bs_k_fiber));
    for (int a = 0; a < e->n_areas; a++)
        cs->areas[a].fire_off = cs->desc_bytes + cs->areas[a].next_off;
    cs->up_fire_bytes = cs->desc_bytes + align_up(sum_k * 8);
    ADD("up.fire", "bytes: bs_k_fiber, winners", 1, cs->up_fire_bytes,
        &cs->up_fire);
    for (int f = 0; f < e->n_fibers; f++) {
        cs->fibers[f].group_off = align_up(sum_k * 8) + sum_groups * 4;
        sum_groups += e->areas[e->fibers[f].dst].k + 1;
        uint64_t cap = s->fibers[f].store[0].cap;
        if (cap > cs->cap_max)
            cs->cap_max = cap;
        if (source_k(s, f) > cs->max_firing)
            cs->max_firing = source_k(s, f);
    }
    cs->up_next_bytes = align_up(sum_k * 8) + align_up(sum_groups * 4);
    ADD("up.next", "bytes: local winners, groups", 1, cs->up_next_bytes,
        &cs->up_next);
    char nm[200];
    static const char *const col[3] = {"src", "tgt", "w"};
    for (int f = 0; f < e->n_fibers; f++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++) {
                bs_k_store *ks = &cs->fibers[f].store[b];
                void *view = c == 0 ? (void *)&ks->src : c == 1
                                    ? (void *)&ks->tgt : (void *)&ks->w;
                snprintf(nm, sizeof nm, "fibers.%s.store%d.%s",
                         e->fibers[f].name, b, col[c]);
                ADD(nm, c < 2 ? "(cap) u64" : "(cap) u32", c < 2 ? 8 : 4,
                    s->fibers[f].store[b].cap, view);
            }
    ADD("topk.sel_idx", "(scap) u64", 8, cs->scap, &cs->sel_idx);
    ADD("topk.cand", "(max k) bs_cand", sizeof(bs_cand), s->max_k, &cs->cand);
    ADD("topk.temp", "bytes", 1, cs->topk_temp_bytes, &cs->topk_temp);
    const uint64_t cm = cs->cap_max, mf = cs->max_firing + 1;
    ADD("plastic.keys_raw", "(max cap) u64", 8, cm, &cs->keys_raw);
    ADD("plastic.keys", "(max cap) u64", 8, cm, &cs->keys);
    ADD("plastic.lb", "(max cap) u64", 8, cm, &cs->lb);
    ADD("plastic.ins", "(max cap + 2) u64", 8, cm + 2, &cs->ins);
    ADD("plastic.ins_scan", "(max cap + 2) u64", 8, cm + 2, &cs->ins_scan);
    ADD("plastic.hit", "(max cap) u8", 1, cm, &cs->hit);
    ADD("plastic.fcount", "(max firing + 1) u64", 8, mf, &cs->fcount);
    ADD("plastic.foff", "(max firing + 1) u64", 8, mf, &cs->foff);
    ADD("plastic.ffill", "(max firing + 1) u64", 8, mf, &cs->ffill);
    ADD("plastic.state", "(1) bs_k_plastic_state", sizeof(bs_k_plastic_state),
        1, &cs->pst);
    cs->pl_temp_bytes = bs_k_plastic_temp_bytes(cm, cs->max_firing);
    ADD("plastic.temp", "bytes", 1, cs->pl_temp_bytes, &cs->pl_temp);
    return BS_OK;
}

static cuda_state *state_new(const bs_sim *s)
{
    cuda_state *cs = (cuda_state *)calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
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

extern "C" int bs_cuda_usable(int local_rank, char *reason, size_t reason_len)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        if (e != cudaSuccess)
            snprintf(reason, reason_len, "no CUDA device (%s)",
                     cudaGetErrorString(e));
        else
            snprintf(reason, reason_len, "no CUDA device");
        cudaGetLastError();
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

static int env_flag(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) != 0 : dflt;
}

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

static bs_status alloc_device(bs_sim *s, cuda_state *cs)
{
    bs_status st = plan_pool(s, cs);
    if (st != BS_OK)
        return bs_sim_fail(s, st, "cuda: planning the device pool failed");
    if (bs_pool_alloc_with(&cs->pool, dev_alloc, dev_free) != BS_OK) {
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        cudaGetLastError();
        return bs_sim_fail(s, BS_ERR_NOMEM, "rank %d: could not allocate the "
                           "device pool of %zu bytes on CUDA device %d (%zu "
                           "bytes free of %zu)", s->rank,
                           bs_pool_bytes_of(&cs->pool), cs->device, free_b,
                           total_b);
    }
    cs->h_stage_bytes = align_up(cs->up_fire_bytes) + align_up(cs->up_next_bytes) +
                        align_up(s->max_k * sizeof(bs_cand)) + 512;
    CK(cudaMallocHost((void **)&cs->h_stage, cs->h_stage_bytes));
    unsigned char *down = cs->h_stage + align_up(cs->up_fire_bytes) +
                          align_up(cs->up_next_bytes);
    cs->h_cand = (bs_cand *)down;
    down += align_up(s->max_k * sizeof(bs_cand));
    cs->h_err = (uint32_t *)down;
    cs->h_pst = (bs_k_plastic_state *)(down + 256);
    for (int a = 0; a < s->exp->n_areas; a++) {
        cs->areas[a].firing = (uint64_t *)(cs->up_fire + cs->areas[a].fire_off);
        cs->areas[a].next = (uint64_t *)(cs->up_next + cs->areas[a].next_off);
    }
    for (int f = 0; f < s->exp->n_fibers; f++)
        cs->fibers[f].groups = (uint32_t *)(cs->up_next + cs->fibers[f].group_off);
    return BS_OK;
}

/* Copies what the host holds into the device: stimulus ids and the current
 * plastic stores (non-empty after a checkpoint restore). */
static bs_status upload_state(bs_sim *s, cuda_state *cs)
{
    const bs_experiment *e = s->exp;
    for (int i = 0; i < e->n_stims; i++)
        CK(cudaMemcpy(cs->stim_ids + cs->stim_off[i], s->stim_ids[i],
                      e->stims[i].k * 8, cudaMemcpyHostToDevice));
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_state *fs = &s->fibers[f];
        const bs_store *hs = &fs->store[fs->cur];
        const bs_k_store *ds = &cs->fibers[f].store[fs->cur];
        if (hs->n == 0)
            continue;
        CK(cudaMemcpy(ds->src, hs->src, hs->n * 8, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(ds->tgt, hs->tgt, hs->n * 8, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(ds->w, hs->w, hs->n * 4, cudaMemcpyHostToDevice));
    }
    return BS_OK;
}

static void cuda_destroy(bs_sim *s)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    if (!cs)
        return;
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

static bs_status cuda_init(bs_sim *s)
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
    return upload_state(s, cs);
}

/* ---- per-step uploads ---- */

static const uint64_t *dev_firing(const bs_sim *s, const cuda_state *cs, int f)
{
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    return spec->src_is_stim ? cs->stim_ids + cs->stim_off[spec->src]
                             : cs->areas[spec->src].firing;
}

/* Uploads, once per step, the bs_k_fiber of every active fiber with a
 * firing source (grouped by target area) and every area's winners. */
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
    for (int f = 0; f < e->n_fibers; f++) {
        uint64_t n;
        bs_sim_firing(s, f, &n);
        if (!s->fibers[f].active || n == 0)
            continue;
        cuda_area *ca = &cs->areas[e->fibers[f].dst];
        int d = ca->desc_first + ca->desc_count++;
        desc[d].geom = s->fibers[f].geom;
        desc[d].firing = dev_firing(s, cs, f);
        desc[d].n_firing = n;
        cs->desc_fiber[d] = f;
    }
    for (int a = 0; a < e->n_areas; a++)
        if (s->areas[a].n_winners)
            memcpy(cs->h_stage + cs->areas[a].fire_off, s->areas[a].winners,
                   s->areas[a].k * 8);
    CK(cudaMemcpyAsync(cs->up_fire, cs->h_stage, cs->up_fire_bytes,
                       cudaMemcpyHostToDevice, cs->stream));
    CK(cudaEventRecord(cs->ev_fire, cs->stream));
    cs->fire_mark = s->step + 1;
    return BS_OK;
}

/* The new winners of area a in this rank's slice: next[*first .. + n). */
static uint64_t local_next(const bs_area_state *as, uint64_t *first)
{
    uint64_t i = 0;
    while (i < as->k && as->next[i] < as->lo)
        i++;
    uint64_t end = i;
    while (end < as->k && as->next[end] < as->hi)
        end++;
    *first = i;
    return end - i;
}

/* Uploads, once per step, every target's local new winners and, per
 * active fiber, the runs of them that share a connectivity block. */
static bs_status ensure_next(bs_sim *s, cuda_state *cs)
{
    if (cs->next_mark == s->step + 1)
        return BS_OK;
    const bs_experiment *e = s->exp;
    CK(cudaEventSynchronize(cs->ev_next));
    unsigned char *h = cs->h_stage + align_up(cs->up_fire_bytes);
    for (int a = 0; a < e->n_areas; a++) {
        const bs_area_state *as = &s->areas[a];
        cuda_area *ca = &cs->areas[a];
        ca->n_next = as->is_target ? local_next(as, &ca->next_first) : 0;
        if (ca->n_next)
            memcpy(h + ca->next_off, as->next + ca->next_first, ca->n_next * 8);
    }
    for (int f = 0; f < e->n_fibers; f++) {
        cuda_fiber *cf = &cs->fibers[f];
        const cuda_area *ca = &cs->areas[e->fibers[f].dst];
        const uint64_t *w = s->areas[e->fibers[f].dst].next + ca->next_first;
        const uint32_t b = s->fibers[f].geom.log2_block;
        uint32_t *g = (uint32_t *)(h + cf->group_off);
        cf->n_groups = 0;
        if (!s->fibers[f].active)
            continue;
        for (uint64_t i = 0; i < ca->n_next; i++)
            if (i == 0 || (w[i] >> b) != (w[i - 1] >> b))
                g[cf->n_groups++] = (uint32_t)i;
        g[cf->n_groups] = (uint32_t)ca->n_next;
    }
    CK(cudaMemcpyAsync(cs->up_next, h, cs->up_next_bytes,
                       cudaMemcpyHostToDevice, cs->stream));
    CK(cudaEventRecord(cs->ev_next, cs->stream));
    cs->next_mark = s->step + 1;
    return BS_OK;
}

/* ---- phases ---- */

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
    bs_k_acc_args acc = {
        (const bs_k_fiber *)cs->up_fire + ca->desc_first, ca->desc_count,
        as->lo, as->hi, bs_k_acc_tile(as->lo, as->hi, cs->n_sm), ca->input,
        ca->hist, ca->sel};
    KCK(bs_k_accumulate(&acc, cs->stream, WHAT), who);
    const bs_k_fiber *desc = (const bs_k_fiber *)cs->h_stage;
    for (int d = ca->desc_first; d < ca->desc_first + ca->desc_count; d++) {
        const bs_fiber_state *fs = &s->fibers[cs->desc_fiber[d]];
        bs_k_corr_args corr = {
            desc[d].firing, desc[d].n_firing,
            cs->fibers[cs->desc_fiber[d]].store[fs->cur], fs->store[fs->cur].n,
            as->lo, ca->input, ca->hist, ca->sel};
        KCK(bs_k_corrections(&corr, cs->stream, WHAT), who);
    }
    if (cs->phase_sync)
        CK(cudaStreamSynchronize(cs->stream));
    return BS_OK;
}

static bs_status cuda_local_topk(bs_sim *s, int a, bs_cand *out)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    const bs_area_state *as = &s->areas[a];
    cuda_area *ca = &cs->areas[a];
    if (as->n_local == 0) {
        const bs_cand pad = {0, UINT64_MAX};
        for (uint64_t i = 0; i < as->k; i++)
            out[i] = pad;
        return BS_OK;
    }
    char who[200];
    snprintf(who, sizeof who, "top-k of area %s", s->exp->areas[a].name);
    bs_k_topk_args tk = {ca->input, as->n_local, as->lo, as->k, ca->hist,
                         ca->sel, cs->sel_idx, cs->scap, cs->cand,
                         cs->topk_temp, cs->topk_temp_bytes};
    KCK(bs_k_topk(&tk, cs->stream, WHAT), who);
    CK(cudaMemcpyAsync(cs->h_cand, cs->cand, as->k * sizeof(bs_cand),
                       cudaMemcpyDeviceToHost, cs->stream));
    CK(cudaMemcpyAsync(cs->h_err, &ca->sel->error, 4, cudaMemcpyDeviceToHost,
                       cs->stream));
    CK(cudaStreamSynchronize(cs->stream));
    if (*cs->h_err)
        return bs_sim_fail(s, BS_ERR_CUDA, "rank %d, step %llu: internal "
                           "error in the device %s (code %u)", s->rank,
                           (unsigned long long)s->step, who, *cs->h_err);
    memcpy(out, cs->h_cand, as->k * sizeof(bs_cand));
    return BS_OK;
}

static bs_status cuda_plasticity(bs_sim *s, int f)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    bs_fiber_state *fs = &s->fibers[f];
    const bs_fiber_spec *spec = &s->exp->fibers[f];
    uint64_t n_firing, first;
    bs_sim_firing(s, f, &n_firing);
    uint64_t n_win = local_next(&s->areas[spec->dst], &first);
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
    const cuda_fiber *cf = &cs->fibers[f];
    const uint64_t n_cur = fs->store[fs->cur].n, cap = fs->store[0].cap;
    const uint64_t *firing = dev_firing(s, cs, f);
    const uint64_t *win = cs->areas[spec->dst].next;
    CK(cudaMemsetAsync(cs->pst, 0, sizeof *cs->pst, cs->stream));
    CK(cudaMemsetAsync(cs->fcount, 0, (n_firing + 1) * 8, cs->stream));
    CK(cudaMemsetAsync(cs->ffill, 0, (n_firing + 1) * 8, cs->stream));
    CK(cudaMemsetAsync(cs->ins, 0, (n_cur + 2) * 8, cs->stream));
    if (n_cur)
        CK(cudaMemsetAsync(cs->hit, 0, n_cur, cs->stream));
    bs_k_find_args fa = {fs->geom, firing, n_firing, win, n_win, cf->groups,
                         cf->n_groups, cs->keys_raw, cs->fcount, cap, cs->pst};
    KCK(bs_k_find_edges(&fa, cs->stream, WHAT), who);
    bs_k_merge_args ma = {
        firing, n_firing, win, fs->mult, fs->cap, cf->store[fs->cur],
        cf->store[fs->cur ^ 1], n_cur, cap, cs->keys_raw, cs->keys, cs->lb,
        cs->ins, cs->ins_scan, cs->hit, cs->fcount, cs->foff, cs->ffill,
        cs->pst, cs->pl_temp, cs->pl_temp_bytes};
    KCK(bs_k_plastic_merge(&ma, cs->stream, WHAT), who);
    CK(cudaMemcpyAsync(cs->h_pst, cs->pst, sizeof *cs->pst,
                       cudaMemcpyDeviceToHost, cs->stream));
    CK(cudaStreamSynchronize(cs->stream));
    if (cs->h_pst->overflow)
        return bs_sim_fail(s, BS_ERR_CAPACITY,
                           "fiber %s on rank %d: the plastic store is full "
                           "(%llu entries reserved) at step %llu; raise it "
                           "with --plastic-capacity N (entries per fiber per "
                           "rank)", spec->name, s->rank,
                           (unsigned long long)fs->store[0].cap,
                           (unsigned long long)s->step);
    fs->cur ^= 1;
    fs->store[fs->cur].n = cs->h_pst->new_n;
    return BS_OK;
}

/* Copies every fiber's current device store into the host store views. */
static bs_status cuda_download(bs_sim *s)
{
    cuda_state *cs = (cuda_state *)s->be_state;
    CK(cudaStreamSynchronize(cs->stream));
    for (int f = 0; f < s->exp->n_fibers; f++) {
        bs_fiber_state *fs = &s->fibers[f];
        bs_store *hs = &fs->store[fs->cur];
        const bs_k_store *ds = &cs->fibers[f].store[fs->cur];
        if (hs->n == 0)
            continue;
        CK(cudaMemcpy(hs->src, ds->src, hs->n * 8, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(hs->tgt, ds->tgt, hs->n * 8, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(hs->w, ds->w, hs->n * 4, cudaMemcpyDeviceToHost));
    }
    return BS_OK;
}

extern "C" const bs_backend_ops bs_backend_cuda = {
    "cuda",
    cuda_init,
    cuda_accumulate,
    cuda_local_topk,
    cuda_plasticity,
    cuda_download,
    cuda_destroy,
};
