/*
 * topk.c - CPU reference of the top-k selection; see topk.h.
 */
#include "topk.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* bs_topk_merge reads the candidates' inputs as every second u64 */
_Static_assert(offsetof(bs_cand, input) == 0 &&
               sizeof(bs_cand) == 2 * sizeof(uint64_t), "bs_cand layout");

/* Fewer values than this are scanned by one thread: a pass over them takes
 * less than a millisecond, less than what waking and joining threads can
 * cost on a loaded machine. */
#define PARALLEL_MIN (UINT64_C(1) << 18)

/* Finds the threshold value t such that fewer than k of the n values
 * v[i * stride] are > t and at least k are >= t, by radix select over
 * 8-bit digits from the top.  *n_above receives the count of values > t.
 * (stride 1: an input array; 2: the inputs of bs_cand candidates.) */
static uint64_t radix_threshold(const uint64_t *v, uint64_t n, size_t stride,
                                uint64_t k, uint64_t *n_above)
{
    uint64_t max = 0;
    const int par = n >= PARALLEL_MIN;
    #pragma omp parallel for reduction(max:max) schedule(static) if (par)
    for (uint64_t i = 0; i < n; i++)
        if (v[i * stride] > max)
            max = v[i * stride];
    int top = 0;
    while (top < 56 && (max >> (top + 8)) != 0)
        top += 8;
    uint64_t prefix = 0, mask = 0, need = k, above = 0;
    for (int shift = top; shift >= 0; shift -= 8) {
        uint64_t hist[256];
        memset(hist, 0, sizeof hist);
        #pragma omp parallel for reduction(+:hist[:256]) schedule(static) \
            if (par)
        for (uint64_t i = 0; i < n; i++)
            if ((v[i * stride] & mask) == prefix)
                hist[(v[i * stride] >> shift) & 0xFF]++;
        int d = 255;
        for (; d > 0 && hist[d] < need; d--) {
            need -= hist[d];
            above += hist[d];
        }
        prefix |= (uint64_t)d << shift;
        mask |= (uint64_t)0xFF << shift;
    }
    *n_above = above;
    return prefix;
}

void bs_topk_local(const uint64_t *input, uint64_t n_local, uint64_t id_lo,
                   uint64_t k, bs_cand *out)
{
    uint64_t n_out = 0;
    if (n_local <= k) {
        for (uint64_t i = 0; i < n_local; i++)
            out[n_out++] = (bs_cand){input[i], id_lo + i};
    } else {
        uint64_t n_above;
        uint64_t t = radix_threshold(input, n_local, 1, k, &n_above);
        uint64_t n_ties = k - n_above;     /* lowest ids among inputs == t */
        for (uint64_t i = 0; i < n_local && n_out < k; i++) {
            if (input[i] > t)
                out[n_out++] = (bs_cand){input[i], id_lo + i};
            else if (input[i] == t && n_ties > 0) {
                out[n_out++] = (bs_cand){input[i], id_lo + i};
                n_ties--;
            }
        }
    }
    for (; n_out < k; n_out++)
        out[n_out] = (bs_cand){0, UINT64_MAX};
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void bs_sort_u64(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
}

static int by_id(const void *a, const void *b)
{
    const bs_cand *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Sorts c[0..n) by id with an LSD radix sort (11-bit digits; ids < 2^44)
 * through tmp[0..n).  Can't fail. */
static void sort_by_id(bs_cand *c, bs_cand *tmp, size_t n)
{
    for (int shift = 0; shift < 44; shift += 11) {
        size_t count[2049] = {0};
        for (size_t i = 0; i < n; i++)
            count[((c[i].id >> shift) & 2047) + 1]++;
        for (int d = 0; d < 2048; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            tmp[count[(c[i].id >> shift) & 2047]++] = c[i];
        memcpy(c, tmp, n * sizeof *c);
    }
}

void bs_topk_merge(bs_cand *gathered, size_t n, uint64_t k,
                   uint64_t *winners, uint64_t *inputs)
{
    if (n > k) {    /* select in place: the k best to the front (with one
                       rank n == k and every candidate wins) */
        uint64_t n_above;
        uint64_t t = radix_threshold(&gathered[0].input, n, 2, k, &n_above);
        size_t front = 0, n_ties = 0;
        for (size_t i = 0; i < n; i++)            /* inputs above t first */
            if (gathered[i].input > t) {
                bs_cand x = gathered[front];
                gathered[front++] = gathered[i];
                gathered[i] = x;
            }
        for (size_t i = front; i < n; i++)        /* then the ties at t */
            if (gathered[i].input == t) {
                bs_cand x = gathered[front + n_ties];
                gathered[front + n_ties++] = gathered[i];
                gathered[i] = x;
            }
        /* the lowest ids among the ties win (ties are few: sort them) */
        qsort(gathered + front, n_ties, sizeof *gathered, by_id);
    }
    sort_by_id(gathered, gathered + n, (size_t)k);
    for (uint64_t i = 0; i < k; i++) {
        winners[i] = gathered[i].id;
        inputs[i] = gathered[i].input;
    }
}
