/*
 * backend_cpu_record.c - phase 1 of the CPU backend with recording: the
 * tiles of an area generated for every firing source at once (16 a time,
 * block_lanes.c), each tile's inputs zeroed and corrected by the store
 * first, then the edges into targets that can still win and the inputs
 * that can win kept for plasticity and the local top-k; contracts in
 * backend_cpu.h, the scheme in backend_cpu.c's opening comment.
 */
#include "backend_cpu.h"
#include "block_lanes.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Histogram bin of a Q16.16 input: one per integer below 1024, then 16 per
 * octave.  Monotone; bin_lower(b) is the least input of bin b. */
static inline uint32_t in_bin(uint64_t x)
{
    uint64_t v = x >> 16;
    if (v < 1024)
        return (uint32_t)v;
    uint32_t e = 63u - (uint32_t)__builtin_clzll(v);      /* 10..47 */
    return 1024u + (e - 10u) * 16u + (uint32_t)((v >> (e - 4u)) & 15u);
}

static uint64_t bin_lower(uint32_t b)
{
    if (b < 1024)
        return (uint64_t)b << 16;
    uint32_t e = 10u + (b - 1024u) / 16u, m = (b - 1024u) % 16u;
    return ((uint64_t)(16u + m) << (e - 4u)) << 16;
}

/* The least input of the bin holding the k-th largest input counted in
 * hist: at most that input (0 while fewer than k were counted). */
static uint64_t kth_bound(const uint32_t *hist, uint64_t k)
{
    uint64_t seen = 0;
    for (uint32_t b = HIST_BINS; b-- > 0;)
        if ((seen += hist[b]) >= k)
            return bin_lower(b);
    return 0;
}

uint32_t bs_cpu_tile_log2(const bs_sim *s, int a)
{
    uint32_t b = 0;
    for (int f = 0; f < s->exp->n_fibers; f++)
        if (s->exp->fibers[f].dst == a && s->fibers[f].geom.log2_block > b)
            b = s->fibers[f].geom.log2_block;
    return b;
}

static int thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/*
 * Generates the edges of the fibers[0..n_fib) into the tile [lo, hi) of
 * thread t (tile base tbase): appends (firing index << 32 | offset in the
 * tile) to the thread's tile buffer, with seg_end[i] the end of fiber i's,
 * and counts them per target in cnt[offset] (u32, zeroed) when cnt is not
 * NULL, else adds them to input[tgt] (global ids).  Returns the entries
 * appended; *full is set when the buffer was full.
 */
static uint64_t gen_tile(const bs_sim *s, const int *fibers, int n_fib,
                         uint64_t tbase, uint64_t lo, uint64_t hi, int t,
                         uint32_t *cnt, uint64_t *input, uint64_t *seg_end,
                         int *full)
{
    const cpu_state *cs = s->be_state;
    uint64_t *tb = cs->tile + (uint64_t)t * cs->tile_cap, n_tb = 0;
    for (int i = 0; i < n_fib; i++) {
        const bs_fiber_geom *g = &s->fibers[fibers[i]].geom;
        const uint32_t b = g->log2_block;
        uint64_t n_firing;
        const uint64_t *firing = bs_sim_firing(s, fibers[i], &n_firing);
        for (uint64_t blk = lo >> b; blk <= (hi - 1) >> b; blk++) {
            const uint64_t base = blk << b;
            for (uint64_t f = 0; f < n_firing; f += BS_LANES) {
                uint64_t buf[BS_LANES * BS_MAX_BLOCK_EDGES];
                uint32_t nl = n_firing - f < BS_LANES
                                  ? (uint32_t)(n_firing - f) : BS_LANES;
                uint32_t ne = bs_block_edges_lanes(g, firing + f, nl, f, blk, buf);
                for (uint32_t e = 0; e < ne; e++) {
                    uint64_t tgt = base + (buf[e] & UINT32_MAX);
                    if (tgt < lo || tgt >= hi)
                        continue;
                    if (cnt)
                        cnt[tgt - tbase]++;
                    else
                        input[tgt] += BS_W_ONE;
                    if (n_tb < cs->tile_cap)
                        tb[n_tb++] = (buf[e] & ~(uint64_t)UINT32_MAX) |
                                     (tgt - tbase);
                    else
                        *full = 1;
                }
            }
        }
        seg_end[i] = n_tb;
    }
    return n_tb;
}

/*
 * Phase 1 on one tile of area a for the fibers[0..n_fib) with recording,
 * on thread t: adds +1.0 for every edge into the tile's part of the slice,
 * then appends the edges into targets at or above the thread's bound to
 * its candidates.  Returns 1 when a buffer was full (the inputs are still
 * complete), else 0.
 */
static int record_tile(bs_sim *s, int a, const int *fibers, int n_fib,
                       uint64_t tile, uint32_t bt, int t)
{
    cpu_state *cs = s->be_state;
    bs_area_state *as = &s->areas[a];
    area_rec *r = &cs->rec[a];
    const uint64_t tbase = tile << bt, tend = tbase + (UINT64_C(1) << bt);
    const uint64_t lo = tbase > as->lo ? tbase : as->lo;
    const uint64_t hi = tend < as->hi ? tend : as->hi;
    uint64_t *input = as->input - as->lo;          /* indexed by global id */
    uint32_t *cnt = bt <= CNT_LOG2 ? cs->cnt + ((uint64_t)t << CNT_LOG2) : NULL;
    uint64_t seg_end[n_fib];
    int full = 0;
    memset(input + lo, 0, (hi - lo) * sizeof *input);
    for (uint64_t e = cs->corr_off[tile - cs->corr_first],
                  end = cs->corr_off[tile - cs->corr_first + 1]; e < end; e++)
        input[cs->corr_tgt2[e]] += cs->corr_d2[e];
    gen_tile(s, fibers, n_fib, tbase, lo, hi, t, cnt, input, seg_end, &full);
    uint32_t *hist = cs->hist + (uint64_t)t * HIST_BINS;
    for (uint64_t j = lo; j < hi; j++) {
        if (cnt) {
            input[j] += (uint64_t)cnt[j - tbase] * BS_W_ONE;
            cnt[j - tbase] = 0;
        }
        hist[in_bin(input[j])]++;
    }
    uint64_t bound = kth_bound(hist, as->k);
    /* counts in locals, stored once: the threads' counts share a line */
    bs_cand *top = r->top + (uint64_t)t * r->top_cap;
    uint64_t *top_n = &cs->top_n[(uint64_t)a * cs->n_threads + t];
    uint64_t n_top = *top_n;
    for (uint64_t j = lo; j < hi; j++)    /* every local winner, see top_k */
        if (input[j] >= bound) {
            if (n_top < r->top_cap)
                top[n_top++] = (bs_cand){input[j], j};
            else {
                #pragma omp atomic write
                r->top_full = 1;
            }
        }
    *top_n = n_top;
    bound = bound > r->floor ? bound : r->floor;
    const uint64_t *tb = cs->tile + (uint64_t)t * cs->tile_cap;
    cand *out = r->cand + (uint64_t)t * r->cand_cap;
    uint64_t *cand_n = &cs->cand_n[(uint64_t)a * cs->n_threads + t];
    uint64_t n_out = *cand_n;
    for (int i = 0, e = 0; i < n_fib; i++)
        for (; (uint64_t)e < seg_end[i]; e++) {
            uint64_t tgt = tbase + (tb[e] & UINT32_MAX);
            if (input[tgt] < bound)
                continue;
            if (n_out < r->cand_cap)
                out[n_out++] = (cand){tgt, (uint32_t)fibers[i],
                                      (uint32_t)(tb[e] >> 32)};
            else
                full = 1;
        }
    *cand_n = n_out;
    return full;
}

/* Grows a u64 array to n entries (at least doubling).  Returns 1, or 0
 * (the array unchanged) when memory is exhausted. */
static int grow_u64(uint64_t **v, uint64_t n)
{
    uint64_t *x = realloc(*v, n * sizeof *x);
    if (x)
        *v = x;
    return x != NULL;
}

/* The corrections (w - 1) of the active fibers' stores of area a for their
 * firing sources, grouped by tile of 2^bt targets (counting sort), into
 * the corr_* arrays.  BS_ERR_NOMEM with a message. */
bs_status bs_cpu_group_corrections(bs_sim *s, int a, const int *fibers,
                                   int n_fib, uint32_t bt)
{
    cpu_state *cs = s->be_state;
    const bs_area_state *as = &s->areas[a];
    const uint64_t first = as->lo >> bt, n_tiles = ((as->hi - 1) >> bt) - first + 1;
    uint64_t need = 0, n = 0;
    for (int i = 0; i < n_fib; i++)
        need += s->fibers[fibers[i]].store[s->fibers[fibers[i]].cur].n;
    if (need > cs->corr_cap) {
        uint64_t cap = need > 2 * cs->corr_cap ? need : 2 * cs->corr_cap;
        if (!grow_u64(&cs->corr_tgt, cap) || !grow_u64(&cs->corr_d, cap) ||
            !grow_u64(&cs->corr_tgt2, cap) || !grow_u64(&cs->corr_d2, cap))
            return bs_sim_fail(s, BS_ERR_NOMEM, "cpu: out of host memory "
                               "for %llu store corrections",
                               (unsigned long long)cap);
        cs->corr_cap = cap;
    }
    if (n_tiles + 2 > cs->off_cap) {
        if (!grow_u64(&cs->corr_off, n_tiles + 2))
            return bs_sim_fail(s, BS_ERR_NOMEM, "cpu: out of host memory");
        cs->off_cap = n_tiles + 2;
    }
    for (int i = 0; i < n_fib; i++) {
        const bs_fiber_state *fs = &s->fibers[fibers[i]];
        uint64_t n_firing;
        const uint64_t *firing = bs_sim_firing(s, fibers[i], &n_firing);
        n += bs_store_corrections(&fs->store[fs->cur], firing, n_firing,
                                  cs->corr_tgt + n, cs->corr_d + n);
    }
    uint64_t *off = cs->corr_off;
    memset(off, 0, (n_tiles + 2) * sizeof *off);
    for (uint64_t e = 0; e < n; e++)
        off[(cs->corr_tgt[e] >> bt) - first + 2]++;
    for (uint64_t t = 2; t < n_tiles + 2; t++)
        off[t] += off[t - 1];
    for (uint64_t e = 0; e < n; e++) {   /* off[t + 1]: the end of tile t */
        uint64_t d = off[(cs->corr_tgt[e] >> bt) - first + 1]++;
        cs->corr_tgt2[d] = cs->corr_tgt[e];
        cs->corr_d2[d] = cs->corr_d[e];
    }
    cs->corr_first = first;
    return BS_OK;
}

/* Phase 1 of area a with the edges into possible winners recorded; each
 * tile zeroes its inputs and adds its corrections first (see
 * group_corrections and the file comment). */
void bs_cpu_record_edges(bs_sim *s, int a, const int *fibers, int n_fib)
{
    cpu_state *cs = s->be_state;
    bs_area_state *as = &s->areas[a];
    const uint32_t bt = bs_cpu_tile_log2(s, a);
    const uint64_t first = as->lo >> bt, last = (as->hi - 1) >> bt;
    uint64_t work = 0;
    for (int i = 0; i < n_fib; i++) {
        uint64_t n_firing;
        bs_sim_firing(s, fibers[i], &n_firing);
        work += n_firing * (((last - first + 1) << bt) >>
                            s->fibers[fibers[i]].geom.log2_block);
    }
    /* the last step's threshold, when it had the same fibers, is a guess
     * of this one's: winners below it are regenerated (potentiate_low) */
    uint64_t fiber_bits = 0;
    for (int i = 0; i < n_fib; i++)
        fiber_bits |= fibers[i] < 64 ? UINT64_C(1) << fibers[i] : 0;
    area_rec *r = &cs->rec[a];
    r->floor = (s->exp->n_fibers <= 64 && fiber_bits == r->last_fibers)
                   ? r->last_thresh : 0;
    r->last_fibers = s->exp->n_fibers <= 64 ? fiber_bits : 0;
    memset(cs->cand_n + (uint64_t)a * cs->n_threads, 0,
           cs->n_threads * sizeof *cs->cand_n);
    memset(cs->top_n + (uint64_t)a * cs->n_threads, 0,
           cs->n_threads * sizeof *cs->top_n);
    r->top_full = 0;
    memset(cs->hist, 0, (size_t)cs->n_threads * HIST_BINS * sizeof *cs->hist);
    int full = 0;
    #pragma omp parallel num_threads(cs->n_threads) if (work > 4096) \
        reduction(|:full)
    {
        const int t = thread_num();
        #pragma omp for schedule(dynamic, 1)
        for (uint64_t tile = first; tile <= last; tile++)
            full |= record_tile(s, a, fibers, n_fib, tile, bt, t);
    }
    cs->rec[a].overflow = full;
    cs->rec[a].step = s->step + 1;
}
