/* test_cuda_sum.c - the CUDA backend's two ways of phase 1 for an area
 * with input caches (kernels/kernels.h): the tile kernel
 * (bs_k_accumulate) and the sum path (bs_k_accumulate_sum: the sources
 * that joined or left scattered into the caches, then the caches summed),
 * on a rank slice [lo, hi) that starts inside a cache tile and ends
 * inside a connectivity block, as slices of several ranks do (test_cuda
 * runs whole areas on one rank, where lo is 0).  After a first step that
 * fills both fibers' caches, a second step reuses one fiber's cache and
 * updates the other's from 3 joined and 2 left sources; both ways must
 * give the same caches, inputs, histogram, maximum and candidate list,
 * and the inputs must equal 65536 x the edge counts computed on the host
 * with bs_block_edges().  With and without a list guess.  Exits 77
 * (skipped) when no CUDA device is usable. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "connectome.h"
#include "kernels.h"

#define LO 50017u                       /* inside a 2^15 cache tile */
#define N_LOCAL 200003u
#define HI (LO + N_LOCAL)
#define K 300u
#define N_SRC 1000000u                  /* source ids below this */

static void *dev(size_t bytes)
{
    void *p = NULL;
    ck_assert_msg(cudaMalloc(&p, bytes) == cudaSuccess, "cudaMalloc %zu",
                  bytes);
    ck_assert(cudaMemset(p, 0, bytes) == cudaSuccess);
    return p;
}

static void up(void *d, const void *h, size_t bytes)
{
    ck_assert(cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice) == cudaSuccess);
}

static void down(void *h, const void *d, size_t bytes)
{
    ck_assert(cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost) == cudaSuccess);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* n distinct ascending ids below N_SRC from a simple LCG. */
static void ids(uint64_t *v, size_t n, uint64_t seed)
{
    size_t m = 0;
    while (m < n) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t x = (seed >> 33) % N_SRC;
        int dup = 0;
        for (size_t i = 0; i < m; i++)
            dup |= v[i] == x;
        if (!dup)
            v[m++] = x;
    }
    qsort(v, n, 8, cmp_u64);
}

/* counts[j] += sign for every edge of the sources into lo + j. */
static void host_counts(const bs_fiber_geom *g, const uint64_t *src, size_t n,
                        uint32_t sign, uint32_t *counts)
{
    const uint32_t b = g->log2_block;
    uint32_t pos[BS_MAX_BLOCK_EDGES];
    for (size_t s = 0; s < n; s++)
        for (uint64_t blk = LO >> b; blk <= (HI - 1) >> b; blk++) {
            uint32_t m = bs_block_edges(g, src[s], blk, pos);
            for (uint32_t t = 0; t < m; t++) {
                uint64_t id = (blk << b) + pos[t];
                if (id >= LO && id < HI)
                    counts[id - LO] += sign;
            }
        }
}

/* What one way of step 2 leaves on the device. */
typedef struct result {
    uint64_t *input, *hist, *list;
    uint32_t *cache[2];
    uint64_t max, n_list;
} result;

static void result_free(result *r)
{
    free(r->input);
    free(r->hist);
    free(r->list);
    free(r->cache[0]);
    free(r->cache[1]);
}

static void run(int use_sum, uint64_t guess, result *out)
{
    int n_sm = 0;
    ck_assert(cudaDeviceGetAttribute(&n_sm, cudaDevAttrMultiProcessorCount, 0) ==
              cudaSuccess);
    ck_assert_int_eq(bs_k_acc_setup(), 0);
    bs_fiber_geom g[2];
    ck_assert_int_eq(bs_geom_build(0.01, 7, 11, &g[0]), 0);     /* 2^9 */
    ck_assert_int_eq(bs_geom_build(0.002, 7, 12, &g[1]), 0);    /* 2^11 */
    static uint64_t f0[K], f1[K], gen1[5];
    ids(f0, K, 1);
    ids(f1, K, 2);
    uint64_t joined[3];
    for (uint64_t seed = 3;; seed++) {      /* 3 ids not in f1 */
        ids(joined, 3, seed);
        int clash = 0;
        for (int i = 0; i < 3; i++)
            clash |= bsearch(&joined[i], f1, K, 8, cmp_u64) != NULL;
        if (!clash)
            break;
    }
    memcpy(gen1, joined, sizeof joined);
    gen1[3] = f1[10];           /* left */
    gen1[4] = f1[200];
    const uint64_t clen = bs_k_cache_len(LO, HI), lcap = bs_k_topk_lcap(N_LOCAL, K);
    uint64_t *d_f0 = dev(K * 8), *d_f1 = dev(K * 8), *d_gen1 = dev(5 * 8);
    up(d_f0, f0, K * 8);
    up(d_f1, f1, K * 8);
    up(d_gen1, gen1, 5 * 8);
    uint32_t *d_cache[2] = {dev(clen * 4), dev(clen * 4)};
    uint64_t *d_input = dev(N_LOCAL * 8), *d_hist = dev(BS_K_HIST_BINS * 8);
    uint64_t *d_list = dev(lcap * 8), *d_guess = dev(8);
    bs_k_select *d_sel = dev(sizeof(bs_k_select));
    bs_k_fiber fb[2], *d_fb = dev(sizeof fb);
    memset(fb, 0, sizeof fb);
    for (int f = 0; f < 2; f++) {
        fb[f].geom = g[f];
        fb[f].firing = f ? d_f1 : d_f0;
        fb[f].n_firing = K;
        fb[f].gen = fb[f].firing;
        fb[f].n_plus = K;
        fb[f].cache = d_cache[f];
        fb[f].mode = BS_K_FULL;
    }
    bs_k_acc_args a = {d_fb, 2, LO, HI,
                       bs_k_acc_tile(LO, HI, n_sm, g[1].log2_block), d_input,
                       d_hist, d_sel, {d_list, lcap, d_guess}};
    const char *what = "";
    /* step 1: both caches in full, no guess */
    uint64_t none = BS_K_NO_GUESS;
    up(d_guess, &none, 8);
    up(d_fb, fb, sizeof fb);
    ck_assert_int_eq(bs_k_accumulate(&a, NULL, &what), 0);
    /* step 2: f0 reused, f1 from 3 joined and 2 left sources */
    fb[0].mode = BS_K_REUSE;
    fb[1].mode = BS_K_DELTA;
    fb[1].gen = d_gen1;
    fb[1].n_plus = 3;
    fb[1].n_minus = 2;
    up(d_fb, fb, sizeof fb);
    up(d_guess, &guess, 8);
    ck_assert(cudaMemset(d_hist, 0, BS_K_HIST_BINS * 8) == cudaSuccess);
    ck_assert(cudaMemset(d_sel, 0, sizeof(bs_k_select)) == cudaSuccess);
    ck_assert_int_eq(bs_k_sum_fits(&fb[0], LO, HI), 1);
    ck_assert_int_eq(bs_k_sum_fits(&fb[1], LO, HI), 1);
    int rc = use_sum ? bs_k_accumulate_sum(&a, fb, n_sm, NULL, &what)
                     : bs_k_accumulate(&a, NULL, &what);
    ck_assert_msg(rc == 0, "%s: %d", what, rc);
    ck_assert(cudaDeviceSynchronize() == cudaSuccess);
    out->input = malloc(N_LOCAL * 8);
    out->hist = malloc(BS_K_HIST_BINS * 8);
    out->list = malloc(lcap * 8);
    out->cache[0] = malloc(clen * 4);
    out->cache[1] = malloc(clen * 4);
    ck_assert(out->input && out->hist && out->list && out->cache[0] &&
              out->cache[1]);
    down(out->input, d_input, N_LOCAL * 8);
    down(out->hist, d_hist, BS_K_HIST_BINS * 8);
    down(out->cache[0], d_cache[0], clen * 4);
    down(out->cache[1], d_cache[1], clen * 4);
    bs_k_select sel;
    down(&sel, d_sel, sizeof sel);
    out->max = sel.max;
    out->n_list = sel.n_list;
    ck_assert_msg(sel.n_list <= lcap, "list overflow: %llu",
                  (unsigned long long)sel.n_list);
    down(out->list, d_list, sel.n_list * 8);
    qsort(out->list, sel.n_list, 8, cmp_u64);
    /* the inputs against the host's counts of step 2's firing sets */
    uint32_t *c = calloc(N_LOCAL, 4);
    ck_assert(c != NULL);
    host_counts(&g[0], f0, K, 1, c);
    host_counts(&g[1], f1, K, 1, c);
    host_counts(&g[1], gen1, 3, 1, c);
    host_counts(&g[1], gen1 + 3, 2, 0xFFFFFFFFu, c);
    uint64_t max = 0;
    for (uint64_t j = 0; j < N_LOCAL; j++) {
        ck_assert_msg(out->input[j] == (uint64_t)c[j] << 16,
                      "%s: input of %llu: %llu, host count %u",
                      use_sum ? "sum" : "tiles", (unsigned long long)(LO + j),
                      (unsigned long long)out->input[j], c[j]);
        max = (uint64_t)c[j] << 16 > max ? (uint64_t)c[j] << 16 : max;
    }
    ck_assert_uint_eq(out->max, max);
    free(c);
    cudaFree(d_f0);
    cudaFree(d_f1);
    cudaFree(d_gen1);
    cudaFree(d_cache[0]);
    cudaFree(d_cache[1]);
    cudaFree(d_input);
    cudaFree(d_hist);
    cudaFree(d_list);
    cudaFree(d_guess);
    cudaFree(d_sel);
    cudaFree(d_fb);
}

static void both_ways(uint64_t guess)
{
    result t, s;
    run(0, guess, &t);
    run(1, guess, &s);
    const uint64_t clen = bs_k_cache_len(LO, HI);
    for (int f = 0; f < 2; f++)
        for (uint64_t i = 0; i < clen; i++)
            ck_assert_msg(t.cache[f][i] == s.cache[f][i],
                          "cache %d entry %llu: tiles %u, sum %u", f,
                          (unsigned long long)i, t.cache[f][i], s.cache[f][i]);
    ck_assert(memcmp(t.input, s.input, N_LOCAL * 8) == 0);
    for (int b = 0; b < BS_K_HIST_BINS; b++)
        ck_assert_msg(t.hist[b] == s.hist[b], "hist bin %d: tiles %llu, sum "
                      "%llu", b, (unsigned long long)t.hist[b],
                      (unsigned long long)s.hist[b]);
    ck_assert_uint_eq(t.max, s.max);
    ck_assert_uint_eq(t.n_list, s.n_list);
    ck_assert(memcmp(t.list, s.list, t.n_list * 8) == 0);
    if (guess != BS_K_NO_GUESS)
        ck_assert_msg(t.n_list > 0 && t.n_list < N_LOCAL, "the guess should "
                      "select some inputs: %llu", (unsigned long long)t.n_list);
    result_free(&t);
    result_free(&s);
}

START_TEST(sum_matches_tiles_with_guess) { both_ways(bs_k_hist_key(4u << 16)); }
END_TEST

START_TEST(sum_matches_tiles_without_guess) { both_ways(BS_K_NO_GUESS); }
END_TEST

int main(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        fprintf(stderr, "test_cuda_sum: skipped: no CUDA device\n");
        return 77;
    }
    Suite *s = suite_create("cuda_sum");
    TCase *tc = tcase_create("sum_vs_tiles");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, sum_matches_tiles_with_guess);
    tcase_add_test(tc, sum_matches_tiles_without_guess);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_NOFORK, "cuda_sum");
}
