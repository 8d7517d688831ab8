/*
 * lazy_sample.c - the sampled tail of a lazy area (contract: lazy.h): the
 * top order statistics of m i.i.d. inputs, each a sum of binomials, from
 * the exact pmf (no normal approximation).  Real arithmetic: rank 0 calls
 * it and broadcasts the integers (doc/design.md section 2).
 *
 * The pmf of Binomial(n, p) comes from lgamma around its mode, kept where
 * it exceeds PMF_MIN (the mass cut is below 1e-290, far under 1/m for any
 * m < 2^40); groups with distinct p are convolved.  The survival S[x] =
 * P(X > x) is summed from the top, so the tail keeps its relative
 * precision.  The i-th largest of m uniforms is V_i = V_{i-1}
 * U_i^(1/(m-i+1)) (V_0 = 1), held as log V_i; its survival 1 - V_i is
 * -expm1(log V_i), and the value is min{x : S[x] <= 1 - V_i}, the
 * quantile of V_i.
 */
#include "lazy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "connectome.h"

#define PMF_MIN 1e-300

typedef struct pmf {            /* P(X = off + i) = v[i], i < len */
    uint64_t off, len;
    double *v;
} pmf;

/* log P(Binomial(n, p) = x), 0 < p < 1.  Can't fail. */
static double log_binom(uint64_t n, double p, uint64_t x)
{
    return lgamma((double)n + 1) - lgamma((double)x + 1) -
           lgamma((double)(n - x) + 1) + (double)x * log(p) +
           (double)(n - x) * log1p(-p);
}

/* The pmf of Binomial(n, p), 0 < p <= 1, trimmed to where it exceeds
 * PMF_MIN, into *out.  Returns 0, or -1 when out of memory. */
static int binom_pmf(uint64_t n, double p, pmf *out)
{
    if (p >= 1.0 || n == 0) {
        out->off = p >= 1.0 ? n : 0;
        out->len = 1;
        out->v = malloc(sizeof(double));
        if (!out->v)
            return -1;
        out->v[0] = 1.0;
        return 0;
    }
    uint64_t mode = (uint64_t)floor(((double)n + 1) * p);
    if (mode > n)
        mode = n;
    const double lmin = log(PMF_MIN);
    uint64_t lo = mode, hi = mode;
    while (lo > 0 && log_binom(n, p, lo - 1) > lmin)
        lo--;
    while (hi < n && log_binom(n, p, hi + 1) > lmin)
        hi++;
    out->off = lo;
    out->len = hi - lo + 1;
    out->v = malloc(out->len * sizeof(double));
    if (!out->v)
        return -1;
    for (uint64_t x = lo; x <= hi; x++)
        out->v[x - lo] = exp(log_binom(n, p, x));
    return 0;
}

/* a := a * b (convolution), trimmed to values above PMF_MIN; frees b's
 * values.  Returns 0, or -1 when out of memory (a and b freed). */
static int convolve(pmf *a, pmf *b)
{
    uint64_t len = a->len + b->len - 1;
    double *v = calloc(len, sizeof(double));
    if (v)
        for (uint64_t i = 0; i < a->len; i++)
            for (uint64_t j = 0; j < b->len; j++)
                v[i + j] += a->v[i] * b->v[j];
    free(a->v);
    free(b->v);
    a->v = v;
    if (!v)
        return -1;
    uint64_t lo = 0, hi = len - 1;
    while (lo < hi && v[lo] <= PMF_MIN)
        lo++;
    while (hi > lo && v[hi] <= PMF_MIN)
        hi--;
    memmove(v, v + lo, (hi - lo + 1) * sizeof(double));
    a->off += b->off + lo;
    a->len = hi - lo + 1;
    return 0;
}

double *bs_lazy_survival(const uint64_t *n_fire, const double *p,
                         int n_groups, uint64_t *n_x)
{
    pmf acc = {0, 1, malloc(sizeof(double))};
    if (!acc.v)
        return NULL;
    acc.v[0] = 1.0;
    for (int g = 0; g < n_groups; g++) {
        pmf b;
        if (binom_pmf(n_fire[g], p[g], &b) != 0) {
            free(acc.v);
            return NULL;
        }
        if (convolve(&acc, &b) != 0)
            return NULL;
    }
    uint64_t top = acc.off + acc.len;     /* S[top - 1] = 0 */
    double *s = malloc(top * sizeof(double));
    if (s) {
        double tail = 0.0;
        for (uint64_t x = top; x-- > 0;) {
            s[x] = tail;
            if (x >= acc.off)
                tail += acc.v[x - acc.off];
        }
        *n_x = top;
    }
    free(acc.v);
    return s;
}

/* Uniform number idx of the tail's stream of step `step`, in (0, 1], 53
 * bits.  Can't fail. */
static double uniform(bs_key2 key, uint64_t step, uint64_t idx)
{
    bs_ctr4 r = bs_philox4x32(bs_block_ctr(step, idx >> 17,
                                           BS_DOMAIN_LAZY_TAIL,
                                           (uint32_t)(idx >> 1) & 0xFFFFu),
                              key);
    uint64_t x = (idx & 1) ? ((uint64_t)r.v[2] << 32 | r.v[3])
                           : ((uint64_t)r.v[0] << 32 | r.v[1]);
    return (double)((x >> 11) + 1) * 0x1p-53;
}

/* min{x : s[x] <= surv}, s non-increasing with s[n_x - 1] = 0.  Can't
 * fail. */
static uint64_t quantile(const double *s, uint64_t n_x, double surv)
{
    uint64_t lo = 0, hi = n_x - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s[mid] <= surv)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int64_t bs_lazy_sample_tail(const uint64_t *n_fire, const double *p,
                            int n_groups, uint64_t m, uint64_t k, bs_key2 key,
                            uint64_t step, uint64_t *out)
{
    uint64_t n_x;
    double *s = bs_lazy_survival(n_fire, p, n_groups, &n_x);
    if (!s)
        return -1;
    uint64_t n = k < m ? k : m;
    double log_v = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        log_v += log(uniform(key, step, i)) / (double)(m - i);
        out[i] = quantile(s, n_x, -expm1(log_v));
    }
    free(s);
    return (int64_t)n;
}
