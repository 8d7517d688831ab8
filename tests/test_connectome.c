/* test_connectome.c - procedural connectivity: block geometry, binomial
 * table, degree statistics, edge test against generation, fixed-point
 * plasticity arithmetic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block_lanes.h"
#include "connectome.h"
#include "check_main.h"

START_TEST(block_size_from_p)
{
    bs_fiber_geom g;
    struct { double p; uint32_t b; } cases[] = {
        {1.0, 2}, {0.75, 2}, {0.5, 3}, {0.1, 5}, {0.01, 9}, {0.001, 12},
        {3.2e-4, 14}, {1e-6, 22},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(bs_geom_build(cases[i].p, 7, 0, &g), 0);
        ck_assert_uint_eq(g.log2_block, cases[i].b);
    }
    ck_assert_int_eq(bs_geom_build(0.0, 7, 0, &g), -1);
    ck_assert_int_eq(bs_geom_build(1.5, 7, 0, &g), -1);
    ck_assert_int_eq(bs_geom_build(NAN, 7, 0, &g), -1);
}
END_TEST

/* The table reproduces Binomial(T, p) to the 2^-32 resolution. */
START_TEST(binomial_table)
{
    const double ps[] = {0.3, 0.05, 0.001, 1e-5};
    for (size_t c = 0; c < sizeof ps / sizeof ps[0]; c++) {
        bs_fiber_geom g;
        ck_assert_int_eq(bs_geom_build(ps[c], 1, 3, &g), 0);
        double T = ldexp(1.0, (int)g.log2_block), p = ps[c];
        ck_assert_uint_le(g.n_thresh, BS_MAX_BLOCK_EDGES);
        ck_assert_uint_le(g.n_thresh, (uint32_t)T);
        double prev = 0.0, pmf = pow(1.0 - p, T);
        for (uint32_t m = 0; m < g.n_thresh; m++) {
            if (m > 0)
                ck_assert_uint_ge(g.thresh[m], g.thresh[m - 1]);
            double table_p = ((double)g.thresh[m] - prev) / 4294967296.0;
            ck_assert_msg(fabs(table_p - pmf) < 1e-8,
                          "p=%g m=%u table %.12g binomial %.12g", p, m,
                          table_p, pmf);
            prev = (double)g.thresh[m];
            pmf *= (T - m) / (m + 1.0) * p / (1.0 - p);
        }
        /* what is left for m = n_thresh is the tail, below 2^-31 */
        double tail = 1.0 - prev / 4294967296.0;
        ck_assert_msg(tail < 1e-8, "tail %g", tail);
    }
}
END_TEST

START_TEST(p_one_is_complete)
{
    bs_fiber_geom g;
    ck_assert_int_eq(bs_geom_build(1.0, 5, 1, &g), 0);
    for (uint64_t j = 0; j < 64; j++)
        ck_assert(bs_has_edge(&g, 3, j));
}
END_TEST

/* Out-degree over n targets has mean n p and variance n p (1 - p). */
static void degree_stats(double p, uint64_t n, uint64_t n_src)
{
    bs_fiber_geom g;
    ck_assert_int_eq(bs_geom_build(p, 12345, 2, &g), 0);
    uint32_t pos[BS_MAX_BLOCK_EDGES];
    const uint64_t T = UINT64_C(1) << g.log2_block;
    double sum = 0, sum2 = 0;
    uint64_t bad = 0;   /* positions out of range or repeated */
    for (uint64_t i = 0; i < n_src; i++) {
        uint64_t deg = 0;
        for (uint64_t blk = 0; blk * T < n; blk++) {
            uint32_t m = bs_block_edges(&g, i, blk, pos);
            for (uint32_t t = 0; t < m; t++) {
                bad += pos[t] >= T;
                for (uint32_t u = 0; u < t; u++)
                    bad += pos[u] == pos[t];
                deg += blk * T + pos[t] < n;
            }
        }
        sum += (double)deg;
        sum2 += (double)deg * (double)deg;
    }
    ck_assert_uint_eq(bad, 0);
    double mean = sum / n_src, var = sum2 / n_src - mean * mean;
    double want = n * p, want_var = n * p * (1 - p);
    double se = sqrt(want_var / n_src);
    ck_assert_msg(fabs(mean - want) < 5 * se, "p=%g mean %g want %g", p, mean, want);
    ck_assert_msg(fabs(var / want_var - 1.0) < 0.12, "p=%g var %g want %g", p,
                  var, want_var);
}

START_TEST(degree_dense) { degree_stats(0.5, 20000, 1000); }
END_TEST
START_TEST(degree_mid) { degree_stats(0.05, 100000, 1000); }
END_TEST
START_TEST(degree_sparse) { degree_stats(0.001, 1000000, 1000); }
END_TEST

/* bs_has_edge is true for every generated edge and false elsewhere. */
START_TEST(edge_test_agrees)
{
    bs_fiber_geom g;
    ck_assert_int_eq(bs_geom_build(0.01, 99, 4, &g), 0);
    const uint64_t n = 50000, T = UINT64_C(1) << g.log2_block;
    unsigned char *is_edge = malloc(n);
    uint32_t pos[BS_MAX_BLOCK_EDGES];
    uint64_t mismatches = 0, checked = 0;
    for (uint64_t i = 0; i < 200; i++) {
        memset(is_edge, 0, n);
        for (uint64_t blk = 0; blk * T < n; blk++) {
            uint32_t m = bs_block_edges(&g, i * 7919, blk, pos);
            for (uint32_t t = 0; t < m; t++)
                if (blk * T + pos[t] < n)
                    is_edge[blk * T + pos[t]] = 1;
        }
        for (uint64_t j = 0; j < n; j += (i % 5) + 1, checked++)
            mismatches += bs_has_edge(&g, i * 7919, j) != is_edge[j];
    }
    ck_assert_uint_eq(mismatches, 0);
    ck_assert_uint_gt(checked, 1000000);
    free(is_edge);
}
END_TEST

/* Different fibers and seeds give different graphs. */
START_TEST(streams_differ)
{
    bs_fiber_geom a, b, c;
    bs_geom_build(0.1, 1, 0, &a);
    bs_geom_build(0.1, 1, 1, &b);
    bs_geom_build(0.1, 2, 0, &c);
    int diff_ab = 0, diff_ac = 0;
    for (uint64_t j = 0; j < 2000; j++) {
        diff_ab += bs_has_edge(&a, 5, j) != bs_has_edge(&b, 5, j);
        diff_ac += bs_has_edge(&a, 5, j) != bs_has_edge(&c, 5, j);
    }
    ck_assert_int_gt(diff_ab, 100);
    ck_assert_int_gt(diff_ac, 100);
}
END_TEST

/* A fiber's hash depends on its source and target names only, in order:
 * A->B, B->A and AB->"" differ; the same names hash the same. */
START_TEST(fiber_hash_by_names)
{
    ck_assert_uint_eq(bs_fiber_hash("A", "B"), bs_fiber_hash("A", "B"));
    ck_assert_uint_ne(bs_fiber_hash("A", "B"), bs_fiber_hash("B", "A"));
    ck_assert_uint_ne(bs_fiber_hash("AB", ""), bs_fiber_hash("A", "B"));
    ck_assert_uint_ne(bs_fiber_hash("A", "BC"), bs_fiber_hash("AB", "C"));
    bs_key2 k = bs_fiber_key(7, bs_fiber_hash("s", "A"));
    bs_key2 l = bs_fiber_key(8, bs_fiber_hash("s", "A"));
    ck_assert(k.v[0] != l.v[0] || k.v[1] != l.v[1]);
}
END_TEST

START_TEST(fixed_point)
{
    uint32_t m = bs_beta_mult(0.05);
    ck_assert_uint_eq(m, 68813);                      /* round(1.05 * 2^16) */
    ck_assert_uint_eq(bs_potentiate(BS_W_ONE, m, UINT32_MAX), 68813);
    /* (68813 * 68813 + 2^15) >> 16 = 72254 */
    ck_assert_uint_eq(bs_potentiate(68813, m, UINT32_MAX), 72254);
    ck_assert_uint_eq(bs_potentiate(68813, m, bs_cap_q16(1.08)), 70779);
    ck_assert_uint_eq(bs_cap_q16(1.08), 70779);
    ck_assert_uint_eq(bs_potentiate(UINT32_MAX, m, UINT32_MAX), UINT32_MAX);
    ck_assert_uint_eq(bs_cap_q16(0), UINT32_MAX);
    ck_assert_uint_eq(bs_beta_mult(0), BS_W_ONE);
    ck_assert_uint_eq(bs_potentiate(12345, BS_W_ONE, UINT32_MAX), 12345);
}
END_TEST

/* The CPU backend's batched generator gives bs_block_edges's edges, in its
 * order, for every source of a batch (partial batches, sources past 2^32,
 * dense and sparse p, so that third and later draws occur). */
START_TEST(lanes_equal_scalar)
{
    const double ps[] = {0.5, 0.05, 0.01, 0.001};
    for (int q = 0; q < 4; q++) {
        bs_fiber_geom g;
        ck_assert_int_eq(bs_geom_build(ps[q], 11 + q, 3, &g), 0);
        uint64_t src[BS_LANES], out[BS_LANES * BS_MAX_BLOCK_EDGES];
        uint64_t n_edges = 0, n_far = 0;
        for (uint64_t trial = 0; trial < 400; trial++) {
            uint32_t n = 1 + (uint32_t)(trial % BS_LANES);
            for (uint32_t l = 0; l < n; l++)
                src[l] = trial * 977 + l * 131 +
                         ((trial & 1) ? (UINT64_C(5) << 32) : 0);
            uint64_t blk = trial * 7 + ((trial & 2) ? (UINT64_C(3) << 32) : 0);
            uint32_t ne = bs_block_edges_lanes(&g, src, n, 100, blk, out), e = 0;
            for (uint32_t l = 0; l < n; l++) {
                uint32_t pos[BS_MAX_BLOCK_EDGES];
                uint32_t m = bs_block_edges(&g, src[l], blk, pos);
                n_far += m > 7;
                for (uint32_t t = 0; t < m; t++, e++) {
                    ck_assert_uint_lt(e, ne);
                    ck_assert_uint_eq(out[e] >> 32, 100 + l);
                    ck_assert_uint_eq(out[e] & UINT32_MAX, pos[t]);
                }
            }
            ck_assert_uint_eq(e, ne);
            n_edges += ne;
        }
        ck_assert_uint_gt(n_edges, 1000);
        if (q < 2)
            ck_assert_uint_gt(n_far, 0);      /* third draws exercised */
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("connectome");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, block_size_from_p);
    tcase_add_test(tc, binomial_table);
    tcase_add_test(tc, p_one_is_complete);
    tcase_add_test(tc, degree_dense);
    tcase_add_test(tc, degree_mid);
    tcase_add_test(tc, degree_sparse);
    tcase_add_test(tc, edge_test_agrees);
    tcase_add_test(tc, streams_differ);
    tcase_add_test(tc, fiber_hash_by_names);
    tcase_add_test(tc, fixed_point);
    tcase_add_test(tc, lanes_equal_scalar);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_FORK, "connectome");
}
