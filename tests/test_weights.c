/* test_weights.c - reading synapses out of a live simulator (bs_weights,
 * bs_inputs) and the naming of connectivity (a fiber's graph is keyed by
 * its source and target names, not its position):
 *   - every weight equals a reference computed from the winners of every
 *     step alone (DESIGN section 1: w <- min(cap, w (1 + beta)) in Q16.16
 *     for each firing source and new winner with an edge), 0 off the graph;
 *   - the edge test agrees with the generator (a source's generated
 *     targets are exactly the targets with weight > 0);
 *   - bs_inputs equals the inputs the step recorded for its winners, and
 *     the sum of bs_weights over the firing set;
 *   - declaring fibers in another order, or adding one, leaves every
 *     fiber's edges unchanged; another seed changes them;
 *   - errors: an unknown fiber, ids out of range, NULL.
 * Runs on any number of ranks (tests/test_weights.sh: 3), every rank the
 * same tests; the reference does not depend on the rank count, and with
 * BS_WEIGHTS_DUMP=FILE rank 0 writes the weights it read, for comparing
 * runs on different rank counts byte for byte. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brainsim.h"
#include "check_main.h"
#include "connectome.h"
#include "sim_state.h"        /* the winners' recorded inputs */

enum { NS = 20, NA = 400, KA = 20, STEPS = 9 };

/* s->A learns for 3 rounds, then s->A and A->A together; A->A has a cap. */
static const char *exp_text =
    "seed: 11\n"
    "areas: [{name: A, n: 400, k: 20}]\n"
    "stimuli: [{name: s, k: 20}]\n"
    "fibers:\n"
    "  - {from: s, to: A, p: 0.1, beta: 0.1}\n"
    "  - {from: A, to: A, p: 0.05, beta: 0.3, cap: 1.6}\n"
    "schedule:\n"
    "  - project: {fibers: [s->A], rounds: 3}\n"
    "  - project: {rounds: 6}\n";

static bs_sim *create(const char *text)
{
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    bs_sim *sim = NULL;
    char err[1024];
    bs_status st = bs_create_from_text(text, "test", &opt, &sim, err,
                                       sizeof err);
    ck_assert_msg(st == BS_OK, "create: %s", err);
    return sim;
}

static int member(const uint64_t *v, size_t n, uint64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

/* Every (i, j) weight of both fibers after STEPS steps equals the
 * reference from the winners of every step. */
START_TEST(weights_match_reference)
{
    bs_sim *sim = create(exp_text);
    static uint64_t win[STEPS + 1][KA];   /* win[t]: after step t */
    size_t n_win[STEPS + 1] = {0};
    for (int t = 1; t <= STEPS; t++) {
        ck_assert_int_eq(bs_step(sim, 1, NULL), BS_OK);
        ck_assert_int_eq(bs_winners(sim, "A", win[t], KA, &n_win[t]), BS_OK);
    }
    const char *names[2] = {"s->A", "A->A"};
    const uint64_t n_src[2] = {NS, NA};
    const double beta[2] = {0.1, 0.3}, cap[2] = {0, 1.6};
    const double p[2] = {0.1, 0.05};
    const char *src_name[2] = {"s", "A"};
    size_t n = NA * NA;
    uint64_t *src = malloc(n * 8), *tgt = malloc(n * 8);
    double *out = malloc(n * sizeof *out);
    FILE *dump = NULL;
    const char *dump_path = getenv("BS_WEIGHTS_DUMP");
    int rank = 0, n_ranks = 1;
    bs_world(&rank, &n_ranks);
    if (dump_path && rank == 0)
        ck_assert_ptr_nonnull(dump = fopen(dump_path, "wb"));
    for (int f = 0; f < 2; f++) {
        bs_fiber_geom g;
        ck_assert_int_eq(bs_geom_build(p[f], 11, bs_fiber_hash(src_name[f],
                                                               "A"), &g), 0);
        uint32_t mult = bs_beta_mult(beta[f]), cq = bs_cap_q16(cap[f]);
        size_t m = 0;
        for (uint64_t i = 0; i < n_src[f]; i++)
            for (uint64_t j = 0; j < NA; j++, m++) {
                src[m] = i;
                tgt[m] = j;
            }
        ck_assert_int_eq(bs_weights(sim, names[f], m, src, tgt, out), BS_OK);
        if (dump)
            fwrite(out, sizeof *out, m, dump);
        size_t n_zero = 0, n_one = 0, n_more = 0;
        for (size_t x = 0; x < m; x++) {
            uint32_t w = BS_W_ONE;
            for (int t = 1; t <= STEPS; t++) {
                int active = f == 0 || t > 3;
                int fires = f == 0 || member(win[t - 1], n_win[t - 1], src[x]);
                if (active && fires && member(win[t], n_win[t], tgt[x]))
                    w = bs_potentiate(w, mult, cq);
            }
            double want = bs_has_edge(&g, src[x], tgt[x])
                              ? (double)w / 65536.0 : 0.0;
            ck_assert_msg(out[x] == want, "%s (%llu, %llu): %.17g, want %.17g",
                          names[f], (unsigned long long)src[x],
                          (unsigned long long)tgt[x], out[x], want);
            n_zero += out[x] == 0.0;
            n_one += out[x] == 1.0;
            n_more += out[x] > 1.0;
        }
        /* the reference exercised every case */
        ck_assert_uint_gt(n_zero, m / 2);
        ck_assert_uint_gt(n_one, 10);
        ck_assert_uint_gt(n_more, 10);
    }
    /* a winner pair of s->A potentiated every step: (1.1)^9, rounded */
    uint32_t w9 = BS_W_ONE;
    for (int t = 0; t < STEPS; t++)
        w9 = bs_potentiate(w9, bs_beta_mult(0.1), UINT32_MAX);
    ck_assert_uint_gt(w9, 2 * BS_W_ONE);      /* about 2.36 */
    if (dump)
        fclose(dump);
    free(src);
    free(tgt);
    free(out);
    bs_destroy(&sim);
}
END_TEST

/* On a fresh simulator, the targets of weight > 0 of every source are
 * exactly those the generator (bs_block_edges over every block) gives. */
START_TEST(edge_test_agrees_with_generator)
{
    bs_sim *sim = create(exp_text);
    bs_fiber_geom g;
    ck_assert_int_eq(bs_geom_build(0.05, 11, bs_fiber_hash("A", "A"), &g), 0);
    uint64_t src[NA], tgt[NA];
    double out[NA];
    for (uint64_t i = 0; i < NA; i += 7) {
        int gen[NA] = {0};
        uint32_t pos[BS_MAX_BLOCK_EDGES];
        for (uint64_t b = 0; b <= (uint64_t)(NA - 1) >> g.log2_block; b++) {
            uint32_t m = bs_block_edges(&g, i, b, pos);
            for (uint32_t t = 0; t < m; t++)
                if ((b << g.log2_block) + pos[t] < (uint64_t)NA)
                    gen[(b << g.log2_block) + pos[t]] = 1;
        }
        for (uint64_t j = 0; j < NA; j++) {
            src[j] = i;
            tgt[j] = j;
        }
        ck_assert_int_eq(bs_weights(sim, "A->A", NA, src, tgt, out), BS_OK);
        for (uint64_t j = 0; j < NA; j++)
            ck_assert_msg((out[j] > 0) == gen[j], "A->A (%llu, %llu)",
                          (unsigned long long)i, (unsigned long long)j);
    }
    bs_destroy(&sim);
}
END_TEST

/* bs_inputs of A's winners equals what the step recorded when nothing
 * changed since (beta 0), and always the sum of bs_weights over the
 * firing set; an area that has not fired or is inhibited gives 0. */
START_TEST(inputs_match_recorded)
{
    const char *text =
        "seed: 3\n"
        "areas: [{name: A, n: 3000, k: 30}, {name: B, n: 2000, k: 25}]\n"
        "stimuli: [{name: s, k: 30}]\n"
        "fibers:\n"
        "  - {from: s, to: A, p: 0.1, beta: 0}\n"
        "  - {from: A, to: B, p: 0.1, beta: 0.2}\n"
        "schedule:\n"
        "  - project: {fibers: [s->A], rounds: 2}\n"
        "  - project: {fibers: [A->B], rounds: 3}\n"
        "  - inhibit: A\n"
        "  - project: {fibers: [s->A], rounds: 1}\n";
    bs_sim *sim = create(text);
    uint64_t ids[30], all[2000];
    double in[2000], w[30];
    size_t n;
    for (uint64_t j = 0; j < 2000; j++)
        all[j] = j;
    ck_assert_int_eq(bs_inputs(sim, "A->B", 2000, all, in), BS_OK);
    for (uint64_t j = 0; j < 2000; j++)
        ck_assert(in[j] == 0.0);                 /* A has not fired */
    ck_assert_int_eq(bs_step(sim, 2, NULL), BS_OK);
    ck_assert_int_eq(bs_winners(sim, "A", ids, 30, &n), BS_OK);
    ck_assert_uint_eq(n, 30);
    ck_assert_int_eq(bs_inputs(sim, "s->A", n, ids, in), BS_OK);
    const bs_area_state *as = &sim->areas[0];
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(in[i] == (double)as->win_inputs[i] / 65536.0,
                      "input of winner %llu: %g, recorded %g",
                      (unsigned long long)ids[i], in[i],
                      (double)as->win_inputs[i] / 65536.0);
    ck_assert_double_gt(in[0], 0.0);
    ck_assert_int_eq(bs_step(sim, 3, NULL), BS_OK);   /* A->B learns */
    ck_assert_int_eq(bs_inputs(sim, "A->B", 2000, all, in), BS_OK);
    double max = 0;
    for (uint64_t j = 0; j < 2000; j += 13) {
        uint64_t tg[30];
        for (size_t i = 0; i < n; i++)
            tg[i] = j;
        ck_assert_int_eq(bs_weights(sim, "A->B", n, ids, tg, w), BS_OK);
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += w[i];
        ck_assert_msg(in[j] == sum, "B %llu: %g != %g", (unsigned long long)j,
                      in[j], sum);
        max = in[j] > max ? in[j] : max;
    }
    ck_assert_double_gt(max, 1.0);
    ck_assert_int_eq(bs_run(sim), BS_OK);             /* A inhibited */
    ck_assert_int_eq(bs_inputs(sim, "A->B", 2000, all, in), BS_OK);
    for (uint64_t j = 0; j < 2000; j++)
        ck_assert(in[j] == 0.0);
    bs_destroy(&sim);
}
END_TEST

/* The experiment with fibers in `order` (a permutation of 0..3 of
 * s->A, A->A, A->B, B->A; -1 ends it) under `seed`. */
static char *reordered(const int *order, int seed)
{
    static const char *const fib[4] = {
        "  - {from: s, to: A, p: 0.1}\n", "  - {from: A, to: A, p: 0.05}\n",
        "  - {from: A, to: B, p: 0.02}\n", "  - {from: B, to: A, p: 0.3}\n"};
    char *t = malloc(4096);
    int len = snprintf(t, 4096, "seed: %d\nareas: [{name: A, n: 5000, k: "
                       "50}, {name: B, n: 3000, k: 40}]\nstimuli: [{name: "
                       "s, k: 50}]\nfibers:\n", seed);
    for (int i = 0; order[i] >= 0; i++)
        len += snprintf(t + len, 4096 - (size_t)len, "%s", fib[order[i]]);
    snprintf(t + len, 4096 - (size_t)len, "schedule: []\n");
    return t;
}

/* Edges of many (i, j) pairs of every fiber: the same in every order of
 * the fibers and with a fiber added; another seed differs. */
START_TEST(reordering_keeps_edges)
{
    static const int orders[3][5] = {{0, 1, 2, -1}, {2, 0, 1, -1},
                                     {1, 3, 2, 0, -1}};
    static const char *const names[3] = {"s->A", "A->A", "A->B"};
    enum { M = 20000 };
    static uint64_t src[M], tgt[M];
    static double ref[3][M], out[M];
    for (int x = 0; x < M; x++) {
        src[x] = (uint64_t)x * 2654435761u % 50;   /* stimulus ids < 50 */
        tgt[x] = (uint64_t)x * 40503u % 3000;
    }
    for (int o = 0; o < 4; o++) {
        char *text = reordered(orders[o < 3 ? o : 0], o < 3 ? 21 : 22);
        bs_sim *sim = create(text);
        for (int f = 0; f < 3; f++) {
            ck_assert_int_eq(bs_weights(sim, names[f], M, src, tgt,
                                        o ? out : ref[f]), BS_OK);
            if (o == 0)
                continue;
            int same = !memcmp(out, ref[f], sizeof out);
            ck_assert_msg(o < 3 ? same : !same, "%s, order %d", names[f], o);
        }
        bs_destroy(&sim);
        free(text);
    }
    int n_edges = 0;
    for (int x = 0; x < M; x++)
        n_edges += ref[0][x] > 0;
    ck_assert_int_gt(n_edges, M / 20);
}
END_TEST

START_TEST(query_errors)
{
    bs_sim *sim = create(exp_text);
    uint64_t src[2] = {1, 20}, tgt[2] = {3, 4}, bad_tgt[2] = {0, 400};
    double out[2];
    ck_assert_int_eq(bs_weights(sim, "A->B", 2, src, tgt, out),
                     BS_ERR_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(bs_error(sim), "A->B"));
    ck_assert_int_eq(bs_weights(sim, "s->A", 2, src, tgt, out), BS_ERR_ARG);
    ck_assert_msg(strstr(bs_error(sim), "src[1] = 20"), "%s", bs_error(sim));
    ck_assert_int_eq(bs_weights(sim, "A->A", 2, src, tgt, out), BS_OK);
    ck_assert_int_eq(bs_inputs(sim, "A->A", 2, bad_tgt, out), BS_ERR_ARG);
    ck_assert_msg(strstr(bs_error(sim), "tgt[1] = 400"), "%s", bs_error(sim));
    ck_assert_int_eq(bs_weights(sim, "A->A", 2, NULL, tgt, out), BS_ERR_ARG);
    ck_assert_int_eq(bs_inputs(sim, NULL, 2, tgt, out), BS_ERR_ARG);
    ck_assert_int_eq(bs_inputs(NULL, "A->A", 2, tgt, out), BS_ERR_ARG);
    ck_assert_int_eq(bs_inputs(sim, "A->A", 0, NULL, NULL), BS_OK);
    ck_assert_int_eq(bs_run(sim), BS_OK);     /* still usable */
    bs_destroy(&sim);
}
END_TEST

int main(void)
{
    int rank, n_ranks;
    if (bs_world(&rank, &n_ranks) != BS_OK)
        return EXIT_FAILURE;
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, weights_match_reference);
    tcase_add_test(tc, edge_test_agrees_with_generator);
    tcase_add_test(tc, inputs_match_recorded);
    tcase_add_test(tc, reordering_keeps_edges);
    tcase_add_test(tc, query_errors);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_MPI, "weights");
}
