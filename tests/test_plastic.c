/* test_plastic.c - the potentiated-synapse store against a dense reference
 * matrix: Hebbian updates with cap over several rounds, accumulation of
 * corrections, capacity overflow, saturation at the Q16.16 maximum
 * without a cap; the update from given edge lists
 * (bs_store_potentiate_edges) equals the one that generates them. */
#include <stdlib.h>
#include <string.h>

#include "plastic.h"
#include "check_main.h"

enum { N_SRC = 150, LO = 1000, N_TGT = 400, CAP = 200000 };

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Picks each of 0..n-1 (plus base) with probability num/den, ascending. */
static uint64_t pick(uint64_t *st, uint64_t n, uint64_t base, int num, int den,
                     uint64_t *out)
{
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++)
        if ((int)(rnd(st) % den) < num)
            out[m++] = base + i;
    return m;
}

static void alloc_store(bs_store *s, uint64_t cap)
{
    s->src = malloc(cap * 8);
    s->tgt = malloc(cap * 8);
    s->w = malloc(cap * 4);
    s->n = 0;
    s->cap = cap;
}

static void free_store(bs_store *s)
{
    free(s->src);
    free(s->tgt);
    free(s->w);
}

static void compare(const bs_store *s, uint32_t (*dense)[N_TGT])
{
    uint64_t e = 0, bad = 0;
    for (uint64_t i = 0; i < N_SRC; i++)
        for (uint64_t j = 0; j < N_TGT; j++) {
            if (dense[i][j] == BS_W_ONE)
                continue;
            if (e >= s->n || s->src[e] != i || s->tgt[e] != LO + j ||
                s->w[e] != dense[i][j])
                bad++;
            e++;
        }
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_eq(e, s->n);
}

static void rounds(double p, double beta, double cap_real, uint64_t seed)
{
    bs_fiber_geom g;
    ck_assert_int_eq(bs_geom_build(p, seed, 1, &g), 0);
    uint32_t mult = bs_beta_mult(beta), cap = bs_cap_q16(cap_real);
    static uint32_t dense[N_SRC][N_TGT];
    for (int i = 0; i < N_SRC; i++)
        for (int j = 0; j < N_TGT; j++)
            dense[i][j] = BS_W_ONE;
    bs_store st[2], lists;
    alloc_store(&st[0], CAP);
    alloc_store(&st[1], CAP);
    alloc_store(&lists, CAP);
    int cur = 0;
    uint64_t firing[N_SRC], winners[N_TGT], scratch[N_TGT], rs = seed;
    uint64_t input[N_TGT], want[N_TGT];
    for (int round = 0; round < 12; round++) {
        uint64_t nf = pick(&rs, N_SRC, 0, 1, 3, firing);
        uint64_t nw = pick(&rs, N_TGT, LO, 1, 4, winners);
        /* accumulate corrections of the current store */
        memset(input, 0, sizeof input);
        memset(want, 0, sizeof want);
        bs_store_accumulate(&st[cur], firing, nf, LO, input);
        for (uint64_t f = 0; f < nf; f++)
            for (int j = 0; j < N_TGT; j++)
                want[j] += dense[firing[f]][j] - BS_W_ONE;
        ck_assert_mem_eq(input, want, sizeof input);
        /* the same update from edge lists, into a third store */
        static uint64_t start[N_SRC + 1], edges[N_SRC * N_TGT];
        start[0] = 0;
        for (uint64_t f = 0; f < nf; f++) {
            start[f + 1] = start[f];
            for (uint64_t w = 0; w < nw; w++)
                if (bs_has_edge(&g, firing[f], winners[w]))
                    edges[start[f + 1]++] = winners[w];
        }
        ck_assert_int_eq(bs_store_potentiate_edges(&st[cur], &lists, firing,
                                                   nf, start, edges, mult,
                                                   cap), BS_OK);
        /* Hebbian update */
        ck_assert_int_eq(bs_store_potentiate(&st[cur], &st[cur ^ 1], &g, firing,
                                             nf, winners, nw, mult, cap, scratch),
                         BS_OK);
        cur ^= 1;
        ck_assert_uint_eq(lists.n, st[cur].n);
        ck_assert_mem_eq(lists.src, st[cur].src, lists.n * 8);
        ck_assert_mem_eq(lists.tgt, st[cur].tgt, lists.n * 8);
        ck_assert_mem_eq(lists.w, st[cur].w, lists.n * 4);
        for (uint64_t f = 0; f < nf; f++)
            for (uint64_t w = 0; w < nw; w++)
                if (bs_has_edge(&g, firing[f], winners[w])) {
                    uint32_t *x = &dense[firing[f]][winners[w] - LO];
                    *x = bs_potentiate(*x, mult, cap);
                }
        compare(&st[cur], dense);
        for (uint64_t f = 0; f < nf; f++)
            ck_assert_uint_eq(bs_store_weight(&st[cur], firing[f], winners[0]),
                              dense[firing[f]][winners[0] - LO]);
    }
    ck_assert_uint_gt(st[cur].n, 100);   /* the test exercised the store */
    free_store(&st[0]);
    free_store(&st[1]);
    free_store(&lists);
}

START_TEST(dense_p) { rounds(0.3, 0.1, 0, 1); }
END_TEST
START_TEST(sparse_p) { rounds(0.05, 0.05, 0, 2); }
END_TEST
START_TEST(with_cap) { rounds(0.2, 0.5, 2.0, 3); }
END_TEST

START_TEST(capacity_overflow)
{
    bs_fiber_geom g;
    bs_geom_build(0.5, 9, 0, &g);
    bs_store a, b;
    alloc_store(&a, 10);
    alloc_store(&b, 10);
    uint64_t firing[50], winners[50], scratch[50];
    for (int i = 0; i < 50; i++) {
        firing[i] = i;
        winners[i] = i;
    }
    ck_assert_int_eq(bs_store_potentiate(&a, &b, &g, firing, 50, winners, 50,
                                         bs_beta_mult(0.1), UINT32_MAX, scratch),
                     BS_ERR_CAPACITY);
    free_store(&a);
    free_store(&b);
}
END_TEST

/* One synapse 0 -> 1 potentiated with beta = 1 from 2^31 / 2^16 = 32768:
 * the next doubling reaches 2^32, past BS_W_MAX: saturated without a cap
 * (the store complete, holding BS_W_MAX), the cap with one; from 2^32 - 2
 * with beta 0 nothing saturates. */
START_TEST(saturation)
{
    bs_store a, b;
    alloc_store(&a, 4);
    alloc_store(&b, 4);
    a.src[0] = 0;
    a.tgt[0] = 1;
    a.w[0] = UINT32_C(1) << 31;
    a.n = 1;
    const uint64_t firing[1] = {0}, start[2] = {0, 1}, edges[1] = {1};
    const uint32_t m1 = bs_beta_mult(1.0);
    ck_assert_uint_eq(m1, 131072);
    ck_assert_int_eq(bs_saturates(a.w[0], m1, BS_W_MAX), 1);
    ck_assert_int_eq(bs_saturates(a.w[0] - 1, m1, BS_W_MAX), 0);
    ck_assert_int_eq(bs_saturates(a.w[0], m1, bs_cap_q16(65535.0)), 0);
    ck_assert_int_eq(bs_store_potentiate_edges(&a, &b, firing, 1, start, edges,
                                               m1, BS_W_MAX),
                     BS_ERR_SATURATED);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_uint_eq(b.w[0], BS_W_MAX);
    ck_assert_int_eq(bs_store_potentiate_edges(&a, &b, firing, 1, start, edges,
                                               m1, bs_cap_q16(65535.0)),
                     BS_OK);
    ck_assert_uint_eq(b.w[0], bs_cap_q16(65535.0));
    a.w[0] = BS_W_MAX - 1;
    ck_assert_int_eq(bs_store_potentiate_edges(&a, &b, firing, 1, start, edges,
                                               bs_beta_mult(0.0), BS_W_MAX),
                     BS_OK);
    ck_assert_uint_eq(b.w[0], BS_W_MAX - 1);
    free_store(&a);
    free_store(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plastic");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, dense_p);
    tcase_add_test(tc, sparse_p);
    tcase_add_test(tc, with_cap);
    tcase_add_test(tc, capacity_overflow);
    tcase_add_test(tc, saturation);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_FORK, "plastic");
}
