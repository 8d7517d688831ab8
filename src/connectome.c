/*
 * connectome.c - host-side tables of the procedural connectivity; see
 * connectome.h.
 */
#include "connectome.h"

#include <math.h>
#include <string.h>

#include "fnv1a.h"

uint64_t bs_fiber_hash(const char *src, const char *dst)
{
    uint64_t h = bs_fnv1a(BS_FNV1A_INIT, "fiber", 6);   /* with its NUL */
    h = bs_fnv1a(h, src, strlen(src) + 1);
    return bs_fnv1a(h, dst, strlen(dst));
}

int bs_geom_build(double p, uint64_t seed, uint64_t fiber_hash,
                  bs_fiber_geom *g)
{
    if (!(p > 0.0 && p <= 1.0) || p < BS_P_MIN)
        return -1;
    memset(g, 0, sizeof *g);
    g->key = bs_fiber_key(seed, fiber_hash);
    uint32_t b = 2;
    while (ldexp(p, (int)b) < BS_BLOCK_MIN_MEAN)  /* exact: power-of-two */
        b++;
    g->log2_block = b;
    const long double T = ldexpl(1.0L, (int)b);
    const long double scale = ldexpl(1.0L, 32);
    if (p == 1.0) {           /* every target: m = T always */
        g->n_thresh = (uint32_t)T;
        return 0;             /* thresholds 0: every draw passes them */
    }
    /* pmf(0) = (1-p)^T; pmf(m+1) = pmf(m) (T-m)/(m+1) p/(1-p). */
    long double pmf = expl(T * log1pl(-(long double)p));
    const long double ratio = (long double)p / (1.0L - (long double)p);
    long double cdf = 0.0L;
    uint32_t m = 0;
    for (; m < BS_MAX_BLOCK_EDGES && (long double)m < T; m++) {
        cdf += pmf;
        long double t = floorl(cdf * scale);
        if (t >= scale - 1.0L)
            break;
        g->thresh[m] = (uint32_t)t;
        pmf *= (T - (long double)m) / (long double)(m + 1) * ratio;
    }
    g->n_thresh = m;
    return 0;
}

uint32_t bs_beta_mult(double beta)
{
    double m = (1.0 + beta) * 65536.0;
    if (m >= 4294967295.0)
        return UINT32_MAX;
    return (uint32_t)(m + 0.5);
}

uint32_t bs_cap_q16(double cap)
{
    if (cap <= 0.0)
        return BS_W_MAX;
    double c = cap * 65536.0;
    if (c >= 4294967295.0)
        return BS_W_MAX;
    return (uint32_t)(c + 0.5);
}
