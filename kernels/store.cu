/*
 * store.cu - the plastic store on the device (doc/design.md section 4) and what
 * reads or rewrites it: the corrections of phase 1 (w - 1 of stored
 * synapses of firing sources, into the inputs), the merge of phase 4
 * (steps 2-5 of the Hebbian update, after the finder of edges.cu found the
 * edges (firing source, local new winner) as unordered keys), and the
 * reuse of the previous step's edges; bs_k_plasticity runs the finder, the
 * reuse and the merge of one fiber.
 *
 * The update, with S the current store (sorted by (src, tgt), n_cur) and U
 * the edges:
 *   2. order U by (fi, wi): bucket by source (counts -> exclusive scan ->
 *      scatter), then sort each (short) bucket; F and W are ascending, so
 *      this is (src, tgt) order;
 *   3. look up every u in S: lb(u) = lower bound of (src, tgt); a hit marks
 *      hit[lb]; a miss counts an insertion before S[lb] in ins[lb];
 *   4. ins_scan = exclusive scan of ins: entry S[e] moves to
 *      e + ins_scan[e + 1]; a new entry u with L = lb(u) goes to
 *      L + ins_scan[L] + (u - first u with lb = L) (only the last u of a
 *      run of equal L can be a hit, so the ones before are all new);
 *   5. the merged count n_cur + ins_scan[n_cur + 1] is checked against cap
 *      before anything is written; then both scatters fill the other store
 *      and flag a weight that passes BS_W_MAX without a cap (saturated).
 * Every step is integer and order-independent, so the result equals
 * bs_store_potentiate() entry for entry.
 */
#include <cuda_runtime.h>
#include <cub/device/device_scan.cuh>

extern "C" {
#include "kernels.h"
}
#include "device.cuh"

#define HIT_BIT (1ull << 63)

/* Index of the first entry of store s (n entries) with source >= src. */
__device__ static uint64_t lower_src(const uint64_t *src_col, uint64_t n,
                                     uint64_t src)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (src_col[mid] < src)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- phase 1: corrections, one warp per firing source ---- */

__global__ void corrections_kernel(bs_k_corr_args a)
{
    const uint64_t warp = ((uint64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int lane = threadIdx.x & 31;
    if (warp >= a.n_firing)
        return;
    const uint64_t theta = *a.list.guess;
    const uint64_t src = a.firing[warp];
    const uint64_t first = lower_src(a.store.src, a.n, src);
    const uint64_t end = lower_src(a.store.src, a.n, src + 1);
    for (uint64_t e0 = first; e0 < end; e0 += 32) {
        uint64_t e = e0 + lane;
        unsigned long long nv = 0;
        if (e < end) {
            uint64_t d = (uint64_t)a.store.w[e] - BS_W_ONE;
            uint64_t at = a.store.tgt[e] - a.lo;
            unsigned long long old = atomicAdd(
                (unsigned long long *)&a.input[at], (unsigned long long)d);
            nv = old + d;
            uint32_t k0 = bs_k_hist_key(old), k1 = bs_k_hist_key(nv);
            uint32_t b0 = bs_k_hist_bin(k0, theta), b1 = bs_k_hist_bin(k1, theta);
            if (b0 != b1) {
                atomicAdd((unsigned long long *)&a.hist[b0], ~0ull);
                atomicAdd((unsigned long long *)&a.hist[b1], 1ull);
            }
            if (k0 != k1) {
                if (k0 < theta && k1 >= theta) {    /* crosses once */
                    unsigned long long pos = atomicAdd(
                        (unsigned long long *)&a.sel->n_list, 1ull);
                    if (pos < a.list.lcap)
                        a.list.idx[pos] = at;
                }
            }
        }
        for (int o = 16; o > 0; o >>= 1) {
            unsigned long long w = __shfl_xor_sync(FULL, nv, o);
            nv = w > nv ? w : nv;
        }
        if (lane == 0 && nv > *(volatile uint64_t *)&a.sel->max)
            atomicMax((unsigned long long *)&a.sel->max, nv);
    }
}

extern "C" int bs_k_corrections(const bs_k_corr_args *a, void *stream,
                                const char **what)
{
    *what = "corrections_kernel";
    if (a->n_firing == 0 || a->n == 0)
        return 0;
    const unsigned threads = 256;
    uint64_t blocks = (a->n_firing * 32 + threads - 1) / threads;
    LAUNCH(corrections_kernel, (unsigned)blocks, threads, 0,
           (cudaStream_t)stream, *a);
    return 0;
}

/* ---- phase 4: ordering, lookup, merge ---- */

#define GRID_THREADS 256
#define GRID_CTAS 528

/* Edges found, clamped to cap (overflow is reported by check_kernel). */
__device__ __forceinline__ uint64_t n_edges(const bs_k_merge_args &a)
{
    uint64_t n = a.st->n_u;
    return n < a.cap ? n : a.cap;
}

__global__ void bucket_kernel(bs_k_merge_args a)
{
    const uint64_t n = n_edges(a);
    for (uint64_t u = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; u < n;
         u += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t key = a.keys_raw[u];
        uint64_t fi = key >> 32;
        unsigned long long at =
            atomicAdd((unsigned long long *)&a.ffill[fi], 1ull);
        a.keys[a.foff[fi] + at] = key;
    }
}

/* One warp per firing source: sorts its bucket (ascending winner index).
 * Up to 32 entries by rank in registers; longer ones (dense cases) by an
 * insertion sort in lane 0. */
__global__ void bucket_sort_kernel(bs_k_merge_args a)
{
    const uint64_t fi = ((uint64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int lane = threadIdx.x & 31;
    if (fi >= a.n_firing)
        return;
    uint64_t *k = a.keys + a.foff[fi];
    const uint64_t len = a.foff[fi + 1] - a.foff[fi];
    if (len <= 1)
        return;
    if (len <= 32) {
        uint64_t x = lane < len ? k[lane] : UINT64_MAX;
        uint32_t rank = 0;
        for (int j = 0; j < 32; j++) {
            uint64_t y = __shfl_sync(FULL, x, j);
            rank += y < x;
        }
        __syncwarp();
        if (lane < len)
            k[rank] = x;
        return;
    }
    if (lane != 0)
        return;
    for (uint64_t i = 1; i < len; i++) {
        uint64_t x = k[i], j = i;
        for (; j > 0 && k[j - 1] > x; j--)
            k[j] = k[j - 1];
        k[j] = x;
    }
}

/* Lexicographic lower bound of (src, tgt) in the current store. */
__device__ static uint64_t lower_pair(const bs_k_store &s, uint64_t n,
                                      uint64_t src, uint64_t tgt)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint64_t ms = s.src[mid];
        if (ms < src || (ms == src && s.tgt[mid] < tgt))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

__global__ void lookup_kernel(bs_k_merge_args a)
{
    const uint64_t n = n_edges(a);
    for (uint64_t u = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; u < n;
         u += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t key = a.keys[u];
        uint64_t src = a.firing[key >> 32], tgt = a.win[key & 0xFFFFFFFFu];
        uint64_t lb = lower_pair(a.cur, a.n_cur, src, tgt);
        bool hit = lb < a.n_cur && a.cur.src[lb] == src && a.cur.tgt[lb] == tgt;
        if (hit)
            a.hit[lb] = 1;
        else
            atomicAdd((unsigned long long *)&a.ins[lb], 1ull);
        a.lb[u] = lb | (hit ? HIT_BIT : 0);
    }
}

__global__ void check_kernel(bs_k_merge_args a)
{
    uint64_t new_n = a.n_cur + a.ins_scan[a.n_cur + 1];
    a.st->new_n = new_n;
    a.st->overflow = a.st->n_u > a.cap || new_n > a.cap;
}

__global__ void scatter_cur_kernel(bs_k_merge_args a)
{
    if (a.st->overflow)
        return;
    for (uint64_t e = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
         e < a.n_cur; e += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t pos = e + a.ins_scan[e + 1];
        uint32_t w = a.cur.w[e];
        a.next.src[pos] = a.cur.src[e];
        a.next.tgt[pos] = a.cur.tgt[e];
        a.next.w[pos] = a.hit[e] ? bs_potentiate(w, a.mult, a.cap_w) : w;
        if (a.hit[e] && bs_saturates(w, a.mult, a.cap_w))
            a.st->saturated = 1;        /* every writer writes 1 */
    }
}

__global__ void scatter_new_kernel(bs_k_merge_args a)
{
    if (a.st->overflow)
        return;
    const uint64_t n = n_edges(a);
    const uint32_t w_new = bs_potentiate(BS_W_ONE, a.mult, a.cap_w);
    const int sat_new = bs_saturates(BS_W_ONE, a.mult, a.cap_w);
    for (uint64_t u = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; u < n;
         u += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t l = a.lb[u];
        if (l & HIT_BIT)
            continue;
        if (sat_new)                    /* never with beta <= 10 */
            a.st->saturated = 1;
        uint64_t lo = 0, hi = u;         /* first index with lb == l */
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if ((a.lb[mid] & ~HIT_BIT) < l)
                lo = mid + 1;
            else
                hi = mid;
        }
        uint64_t pos = l + a.ins_scan[l] + (u - lo);
        uint64_t key = a.keys[u];
        a.next.src[pos] = a.firing[key >> 32];
        a.next.tgt[pos] = a.win[key & 0xFFFFFFFFu];
        a.next.w[pos] = w_new;
    }
}

extern "C" int bs_k_plastic_merge(const bs_k_merge_args *a, void *stream,
                                  const char **what)
{
    cudaStream_t st = (cudaStream_t)stream;
    const bs_k_merge_args A = *a;
    size_t temp = a->temp_bytes;
    *what = "cub::DeviceScan::ExclusiveSum (sources)";
    cudaError_t e = cub::DeviceScan::ExclusiveSum(
        a->temp, temp, a->fcount, a->foff, (int64_t)(a->n_firing + 1), st);
    if (e != cudaSuccess)
        return (int)e;
    LAUNCH(bucket_kernel, GRID_CTAS, GRID_THREADS, 0, st, A);
    LAUNCH(bucket_sort_kernel,
           (unsigned)((a->n_firing * 32 + GRID_THREADS - 1) / GRID_THREADS),
           GRID_THREADS, 0, st, A);
    LAUNCH(lookup_kernel, GRID_CTAS, GRID_THREADS, 0, st, A);
    temp = a->temp_bytes;
    *what = "cub::DeviceScan::ExclusiveSum (insertions)";
    e = cub::DeviceScan::ExclusiveSum(a->temp, temp, a->ins, a->ins_scan,
                                      (int64_t)(a->n_cur + 2), st);
    if (e != cudaSuccess)
        return (int)e;
    LAUNCH(check_kernel, 1, 1, 0, st, A);
    if (a->n_cur > 0)
        LAUNCH(scatter_cur_kernel, GRID_CTAS, GRID_THREADS, 0, st, A);
    LAUNCH(scatter_new_kernel, GRID_CTAS, GRID_THREADS, 0, st, A);
    return 0;
}

/* ---- phase 4, step 1 with the previous edges (bs_k_reuse_args) ---- */

/* Index of x in v[0..n) (ascending), or UINT64_MAX. */
__device__ static uint64_t find_id(const uint64_t *v, uint64_t n, uint64_t x)
{
    uint64_t lb = lower_src(v, n, x);
    return lb < n && v[lb] == x ? lb : UINT64_MAX;
}

/* The previous edges (i, j) with i in F and j a winner of a clean group,
 * appended as find_edges_kernel appends. */
__global__ void reuse_kernel(bs_k_find_args f, bs_k_reuse_args r)
{
    for (uint64_t u = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
         u < r.n_prev; u += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t fi = find_id(f.firing, f.n_firing, r.prev_src[u]);
        if (fi == UINT64_MAX)
            continue;
        uint64_t wi = find_id(f.win, f.n_win, r.prev_tgt[u]);
        if (wi == UINT64_MAX || r.wdirty[wi])
            continue;
        unsigned long long slot = atomicAdd((unsigned long long *)&f.st->n_u, 1ull);
        if (slot < f.cap) {
            f.keys[slot] = fi << 32 | wi;
            atomicAdd((unsigned long long *)&f.fcount[fi], 1ull);
        }
    }
}

/* This step's edges (the ordered keys) as ids, for the next step. */
__global__ void save_kernel(bs_k_merge_args m, bs_k_reuse_args r)
{
    const uint64_t n = m.st->n_u;
    if (n > r.prev_cap || n > m.cap)
        return;
    for (uint64_t u = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; u < n;
         u += (uint64_t)gridDim.x * blockDim.x) {
        uint64_t key = m.keys[u];
        r.prev_src[u] = m.firing[key >> 32];
        r.prev_tgt[u] = m.win[key & 0xFFFFFFFFu];
    }
}

/* Step 1: the edges of F x W, from the generator and the previous edges. */
static int find_all(const bs_k_find_args *f, const bs_k_reuse_args *r,
                    cudaStream_t st, const char **what)
{
    if (!r || !r->use_prev)
        return bs_k_find_edges(f, st, what);
    bs_k_find_args g = *f;
    g.fsel = r->fsel;                   /* joined x every group */
    g.n_sel = r->n_join;
    int e = bs_k_find_edges(&g, st, what);
    if (e)
        return e;
    g.fsel = r->fsel + r->n_join;       /* common x dirty groups */
    g.n_sel = r->n_common;
    g.groups = r->dgroups;
    g.n_groups = r->n_dgroups;
    if ((e = bs_k_find_edges(&g, st, what)) != 0)
        return e;
    if (r->n_prev)
        LAUNCH(reuse_kernel, GRID_CTAS, GRID_THREADS, 0, st, *f, *r);
    return 0;
}

extern "C" int bs_k_plasticity(const bs_k_find_args *f, const bs_k_merge_args *m,
                               const bs_k_reuse_args *r, void *stream,
                               const char **what)
{
    cudaStream_t st = (cudaStream_t)stream;
    *what = "cudaMemsetAsync (plasticity scratch)";
    cudaError_t e = cudaMemsetAsync(m->st, 0, sizeof *m->st, st);
    if (e == cudaSuccess)
        e = cudaMemsetAsync(m->fcount, 0, (m->n_firing + 1) * 8, st);
    if (e == cudaSuccess)
        e = cudaMemsetAsync(m->ffill, 0, (m->n_firing + 1) * 8, st);
    if (e == cudaSuccess)
        e = cudaMemsetAsync(m->ins, 0, (m->n_cur + 2) * 8, st);
    if (e == cudaSuccess && m->n_cur)
        e = cudaMemsetAsync(m->hit, 0, m->n_cur, st);
    if (e != cudaSuccess)
        return (int)e;
    int rc = find_all(f, r, st, what);
    if (rc == 0)
        rc = bs_k_plastic_merge(m, stream, what);
    if (rc == 0 && r && r->prev_cap)
        LAUNCH(save_kernel, GRID_CTAS, GRID_THREADS, 0, st, *m, *r);
    return rc;
}

/* CUB's scan scratch grows with the tiles of the input; this bound covers
 * it generously (checked against CUB's own answer where a device exists). */
static size_t scan_bound(uint64_t n_items)
{
    return (size_t)(n_items / 64) + (1u << 20);
}

extern "C" size_t bs_k_plastic_temp_bytes(uint64_t cap, uint64_t max_firing)
{
    uint64_t n = cap + 2 > max_firing + 1 ? cap + 2 : max_firing + 1;
    size_t bound = scan_bound(n), exact = 0;
    int dev;
    if (cudaGetDevice(&dev) == cudaSuccess &&
        cub::DeviceScan::ExclusiveSum(NULL, exact, (uint64_t *)NULL,
                                      (uint64_t *)NULL, (int64_t)n) ==
            cudaSuccess && exact > bound)
        bound = exact;
    cudaGetLastError();
    return bound;
}
