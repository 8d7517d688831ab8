/* test_lazy.c - lazy areas (src/lazy.h): the sampled tail against the exact
 * distribution of the top order statistics for small m; the survival of a
 * sum of binomials against a direct convolution; and a lazy area's first
 * step against an explicit area's over a fixed list of seeds (the inputs
 * of the k winners agree in distribution). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brainsim.h"
#include "check_main.h"
#include "lazy.h"
#include "sim_state.h"

/* P(X = x) of Binomial(n, p) by the product formula, for small n. */
static double binom(unsigned n, double p, unsigned x)
{
    double c = 1;
    for (unsigned i = 0; i < x; i++)
        c = c * (n - i) / (i + 1);
    return c * pow(p, x) * pow(1 - p, n - x);
}

static const uint64_t N_FIRE[2] = {20, 10};
static const double P[2] = {0.3, 0.5};

/* pmf of Binomial(20, 0.3) + Binomial(10, 0.5) at x in [0, 30]. */
static void exact_pmf(double *pmf)
{
    memset(pmf, 0, 31 * sizeof *pmf);
    for (unsigned a = 0; a <= 20; a++)
        for (unsigned b = 0; b <= 10; b++)
            pmf[a + b] += binom(20, 0.3, a) * binom(10, 0.5, b);
}

START_TEST(survival_is_exact)
{
    double pmf[31];
    exact_pmf(pmf);
    uint64_t n_x;
    double *s = bs_lazy_survival(N_FIRE, P, 2, &n_x);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(n_x, 31);
    double tail = 0;
    for (int x = 30; x >= 0; x--) {
        ck_assert_double_eq_tol(s[x], tail, 1e-13);
        tail += pmf[x];
    }
    free(s);
}
END_TEST

/* P(j-th largest of m i.i.d. <= x) = P(at most j - 1 of m exceed x). */
static double order_cdf(const double *pmf, unsigned m, unsigned j, int x)
{
    double f = 0;
    for (int y = 0; y <= x; y++)
        f += pmf[y];
    if (f > 1)
        f = 1;
    double total = 0, c = 1;
    for (unsigned i = 0; i < j; i++) {
        total += c * pow(1 - f, i) * pow(f, m - i);
        c = c * (m - i) / (i + 1);
    }
    return total;
}

/* 20000 draws of the top 3 of m = 6: the empirical distribution of the
 * 1st and 3rd largest against the exact one, Kolmogorov-Smirnov at
 * significance 0.001 each (bound 1.95 / sqrt(draws); conservative for a
 * discrete law).  Draws are keyed by fixed counters: deterministic. */
START_TEST(tail_order_statistics)
{
    enum { DRAWS = 20000, M = 6, K = 3 };
    double pmf[31];
    exact_pmf(pmf);
    static unsigned hist[K][31];
    memset(hist, 0, sizeof hist);
    bs_key2 key = bs_stream_key(12345, BS_LAZY_STREAM);
    for (uint64_t d = 0; d < DRAWS; d++) {
        uint64_t out[K];
        ck_assert_int_eq(bs_lazy_sample_tail(N_FIRE, P, 2, M, K, key, d, out),
                         K);
        for (int j = 0; j < K; j++) {
            ck_assert_uint_le(out[j], 30);
            if (j)
                ck_assert_uint_le(out[j], out[j - 1]);
            hist[j][out[j]]++;
        }
    }
    const double bound = 1.95 / sqrt((double)DRAWS);
    for (int j = 0; j < K; j += 2) {
        double cum = 0;
        for (int x = 0; x <= 30; x++) {
            cum += (double)hist[j][x] / DRAWS;
            double exact = order_cdf(pmf, M, (unsigned)j + 1, x);
            ck_assert_msg(fabs(cum - exact) < bound, "order statistic %d, "
                          "x = %d: empirical %.5f, exact %.5f", j + 1, x, cum,
                          exact);
        }
    }
}
END_TEST

/* m below k: all m are drawn; a huge m still gives values within range,
 * non-increasing, at the quantiles near i / m. */
START_TEST(tail_edges)
{
    uint64_t out[8];
    bs_key2 key = bs_stream_key(1, BS_LAZY_STREAM);
    ck_assert_int_eq(bs_lazy_sample_tail(N_FIRE, P, 2, 2, 8, key, 0, out), 2);
    uint64_t n_fire = 10000;
    double p = 1e-3;
    ck_assert_int_eq(bs_lazy_sample_tail(&n_fire, &p, 1, UINT64_C(4000000000),
                                         8, key, 0, out), 8);
    uint64_t n_x;
    double *s = bs_lazy_survival(&n_fire, &p, 1, &n_x);
    for (int i = 0; i < 8; i++) {
        if (i)
            ck_assert_uint_le(out[i], out[i - 1]);
        /* S(x - 1) >= 1/m-ish: far above 1e-14 for a value drawn at the top
         * of 4e9 (at 20 sigma above the mean the survival is ~1e-50) */
        ck_assert(s[out[i] - 1] > 1e-14);
        ck_assert(out[i] > 20);
    }
    free(s);
}
END_TEST

/* ---- lazy vs explicit, first step ------------------------------------- */

static const char *const FIRST_STEP =
    "seed: %d\n"
    "defaults: {p: 0.05, beta: 0.1}\n"
    "areas: [{name: A, n: 100000, k: 317%s}]\n"
    "stimuli: [{name: s, k: 317}]\n"
    "fibers: [{from: s, to: A}]\n"
    "schedule: [{project: {rounds: 1}}]\n";

/* The sum and the maximum of the winners' input counts after the first
 * step with seed `seed`. */
static void first_step(int seed, int lazy, double *sum, double *max)
{
    char text[512];
    snprintf(text, sizeof text, FIRST_STEP, seed, lazy ? ", lazy: true" : "");
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    bs_sim *s;
    char err[512];
    ck_assert_msg(bs_create_from_text(text, NULL, &opt, &s, err, sizeof err)
                  == BS_OK, "%s", err);
    ck_assert_int_eq(bs_run(s), BS_OK);
    const bs_area_state *as = &s->areas[0];
    ck_assert_uint_eq(as->n_winners, 317);
    *sum = *max = 0;
    for (uint64_t i = 0; i < as->n_winners; i++) {
        double x = (double)as->win_inputs[i] / 65536.0;
        ck_assert_double_eq(x, floor(x));
        *sum += x;
        if (x > *max)
            *max = x;
    }
    uint64_t support;
    ck_assert_int_eq(bs_support(s, "A", &support), BS_OK);
    ck_assert_uint_eq(support, 317);
    bs_destroy(&s);
}

/* Welch's t of two samples of n. */
static double welch(const double *a, const double *b, int n)
{
    double ma = 0, mb = 0, va = 0, vb = 0;
    for (int i = 0; i < n; i++) {
        ma += a[i] / n;
        mb += b[i] / n;
    }
    for (int i = 0; i < n; i++) {
        va += (a[i] - ma) * (a[i] - ma) / (n - 1);
        vb += (b[i] - mb) * (b[i] - mb) / (n - 1);
    }
    return (ma - mb) / sqrt(va / n + vb / n);
}

/* Seeds 1..40 of each kind at n = 1e5, k = 317, p = 0.05: the mean sum
 * and the mean maximum of the winners' inputs agree, Welch's t within
 * 3.29 (two-sided significance 0.001 each).  The top-k input values do
 * not depend on the tie rule, so the two laws are the same exactly. */
START_TEST(lazy_matches_explicit_first_step)
{
    enum { SEEDS = 40 };
    double sum[2][SEEDS], max[2][SEEDS];
    for (int lazy = 0; lazy < 2; lazy++)
        for (int i = 0; i < SEEDS; i++)
            first_step(i + 1, lazy, &sum[lazy][i], &max[lazy][i]);
    double t_sum = welch(sum[0], sum[1], SEEDS);
    double t_max = welch(max[0], max[1], SEEDS);
    ck_assert_msg(fabs(t_sum) < 3.29, "sum of the winners' inputs: t = %.3f",
                  t_sum);
    ck_assert_msg(fabs(t_max) < 3.29, "largest winner input: t = %.3f",
                  t_max);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lazy");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, survival_is_exact);
    tcase_add_test(tc, tail_order_statistics);
    tcase_add_test(tc, tail_edges);
    tcase_add_test(tc, lazy_matches_explicit_first_step);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_FORK, "lazy");
}
