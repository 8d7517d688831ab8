/* test_topk.c - local top-k and merge against a full sort, with ties; the
 * ever-fired id set (idset.h) against a sorted list. */
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "topk.h"
#include "check_main.h"

static int by_rank(const void *a, const void *b)
{
    const bs_cand *x = a, *y = b;
    return bs_cand_before(*x, *y) ? -1 : bs_cand_before(*y, *x) ? 1 : 0;
}

static int by_id(const void *a, const void *b)
{
    const bs_cand *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static uint64_t rnd(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

/* The k best of input[] by brute force, ascending ids. */
static void reference(const uint64_t *input, uint64_t n, uint64_t k,
                      bs_cand *out)
{
    bs_cand *all = malloc(n * sizeof *all);
    for (uint64_t i = 0; i < n; i++)
        all[i] = (bs_cand){input[i], i};
    qsort(all, n, sizeof *all, by_rank);
    memcpy(out, all, k * sizeof *out);
    qsort(out, k, sizeof *out, by_id);
    free(all);
}

/* Splits input over n_ranks slices, selects locally, merges; compares. */
static void check_case(uint64_t n, uint64_t k, int n_ranks, uint64_t range,
                       uint64_t seed)
{
    uint64_t *input = malloc(n * sizeof *input), st = seed;
    for (uint64_t i = 0; i < n; i++)
        input[i] = range ? rnd(&st) % range : rnd(&st) << 20;
    bs_cand *want = malloc(k * sizeof *want);
    reference(input, n, k, want);
    bs_cand *gathered = malloc(((size_t)n_ranks + 1) * k * sizeof *gathered);
    for (int r = 0; r < n_ranks; r++) {
        uint64_t lo = n * r / n_ranks, hi = n * (r + 1) / n_ranks;
        bs_topk_local(input + lo, hi - lo, lo, k, gathered + (uint64_t)r * k);
    }
    uint64_t *winners = malloc(k * 8), *inputs = malloc(k * 8);
    bs_topk_merge(gathered, (size_t)n_ranks * k, k, winners, inputs);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < k; i++)
        bad += winners[i] != want[i].id || inputs[i] != want[i].input;
    ck_assert_msg(bad == 0, "n=%llu k=%llu ranks=%d range=%llu: %llu wrong",
                  (unsigned long long)n, (unsigned long long)k, n_ranks,
                  (unsigned long long)range, (unsigned long long)bad);
    free(input);
    free(want);
    free(gathered);
    free(winners);
    free(inputs);
}

START_TEST(distinct_values) { check_case(100000, 1000, 1, 0, 1); }
END_TEST
START_TEST(heavy_ties) { check_case(100000, 1000, 1, 7, 2); }
END_TEST
START_TEST(ties_across_ranks) { check_case(50001, 317, 3, 5, 3); }
END_TEST
START_TEST(all_equal) { check_case(10000, 100, 4, 1, 4); }
END_TEST
START_TEST(slice_smaller_than_k) { check_case(1000, 400, 4, 11, 5); }
END_TEST
START_TEST(k_equals_n) { check_case(300, 300, 2, 3, 6); }
END_TEST
START_TEST(wide_values)
{
    /* values across many byte positions exercise every radix pass */
    for (uint64_t seed = 10; seed < 15; seed++)
        check_case(20000, 123, 2, UINT64_C(1) << 45, seed);
}
END_TEST

START_TEST(padding_ranks_last)
{
    uint64_t input[3] = {0, 0, 0};
    bs_cand out[5];
    bs_topk_local(input, 3, 10, 5, out);
    ck_assert_uint_eq(out[3].id, UINT64_MAX);
    ck_assert_uint_eq(out[4].id, UINT64_MAX);
    ck_assert(bs_cand_before(out[2], out[3]));
}
END_TEST

/* Ids drawn with repeats, some dense, some far apart (up to 2^40), are
 * added in batches after reservations, as commits do: every add says
 * whether the id was new, membership and the sorted members agree with a
 * brute-force list, through several doublings. */
START_TEST(idset_against_a_list)
{
    enum { N = 20000 };
    static uint64_t seen[N], sorted[N];
    uint64_t n_seen = 0, state = 7;
    bs_idset set = {0};
    ck_assert(!bs_idset_has(&set, 5));
    for (int batch = 0; batch < 100; batch++) {
        ck_assert_int_eq(bs_idset_reserve(&set, 200), 0);
        for (int i = 0; i < 200; i++) {
            uint64_t r = rnd(&state);
            uint64_t id = r % 4 == 0 ? (r << 7) % (UINT64_C(1) << 40)
                                     : r % 6000;
            int was = 0;
            for (uint64_t j = 0; j < n_seen && !was; j++)
                was = seen[j] == id;
            ck_assert_int_eq(bs_idset_add(&set, id), !was);
            if (!was)
                seen[n_seen++] = id;
        }
        ck_assert_uint_eq(set.count, n_seen);
        ck_assert(set.cap >= 2 * set.count);
    }
    for (uint64_t j = 0; j < n_seen; j++)
        ck_assert(bs_idset_has(&set, seen[j]));
    ck_assert(!bs_idset_has(&set, UINT64_C(1) << 41));
    bs_idset_sorted(&set, sorted);
    bs_sort_u64(seen, n_seen);
    ck_assert_int_eq(memcmp(sorted, seen, n_seen * sizeof *seen), 0);
    bs_idset_free(&set);
    ck_assert_uint_eq(set.count, 0);
    ck_assert(!bs_idset_has(&set, seen[0]));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topk");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, distinct_values);
    tcase_add_test(tc, heavy_ties);
    tcase_add_test(tc, ties_across_ranks);
    tcase_add_test(tc, all_equal);
    tcase_add_test(tc, slice_smaller_than_k);
    tcase_add_test(tc, k_equals_n);
    tcase_add_test(tc, wide_values);
    tcase_add_test(tc, padding_ranks_last);
    tcase_add_test(tc, idset_against_a_list);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_FORK, "topk");
}
