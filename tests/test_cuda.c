/* test_cuda.c - the CUDA backend against the CPU backend, bit for bit
 * (doc/design.md section 2): the same experiments run on both, and every area's
 * winners must be identical after every step.  Exits 77 (skipped) when no
 * CUDA device is usable (bs_create with backend cuda fails with
 * BS_ERR_BACKEND).  Public API only; runs under mpirun too, where areas
 * smaller than ranks * k give slices with n_local < k. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brainsim.h"
#include "check_main.h"

/* tests/good/model.yaml (read by main), tests/test_model.c's experiment:
 * stimuli, several areas and fibers, inhibition, fix, set_assembly, a
 * fiber cap. */
static char *model;

/* A projection with recurrence, large enough for many tiles. */
static const char *projection =
    "seed: 5\n"
    "defaults: {p: 0.01, beta: 0.1}\n"
    "areas:\n"
    "  - {name: A, n: 200000, k: 300}\n"
    "stimuli:\n"
    "  - {name: s, k: 300}\n"
    "fibers:\n"
    "  - {from: s, to: A}\n"
    "  - {from: A, to: A}\n"
    "schedule:\n"
    "  - project: {fibers: [s->A], rounds: 1}\n"
    "  - project: {fibers: [s->A, A->A], rounds: 14}\n";

/* Edge cases of the device top-k and accumulate: Z's first step has no
 * firing source (all inputs 0: the radix passes over the whole slice, ties
 * to the lowest ids); Y has n == k (every neuron a candidate); t->Z has
 * blocks larger than a tile (p = 1e-4); X->X has p = 1 (every edge, all
 * inputs tied); Z->X has a cap. */
static const char *edges =
    "seed: 9\n"
    "defaults: {p: 0.01, beta: 0.08}\n"
    "areas:\n"
    "  - {name: Z, n: 2000000, k: 50}\n"
    "  - {name: Y, n: 1000, k: 1000}\n"
    "  - {name: X, n: 3000, k: 40}\n"
    "stimuli:\n"
    "  - {name: t, k: 50}\n"
    "fibers:\n"
    "  - {from: Y, to: Z}\n"
    "  - {from: t, to: Z, p: 0.0001}\n"
    "  - {from: t, to: Y, p: 0.05}\n"
    "  - {from: Z, to: X, p: 0.3, cap: 1.2}\n"
    "  - {from: X, to: X, p: 1.0}\n"
    "schedule:\n"
    "  - project: {fibers: [t->Y], rounds: 1}\n"
    "  - project: {fibers: [t->Y, Y->Z, t->Z], rounds: 3}\n"
    "  - project: {fibers: [t->Y, Y->Z, t->Z, Z->X], rounds: 1}\n"
    "  - project: {rounds: 3}\n";

/* Connectivity blocks of 2^15 targets (p < 1.83e-4) in a slice large
 * enough (at least 4 tiles of 2^15 per multiprocessor on one rank: 20e6
 * targets on up to 152 multiprocessors) for the 1024-thread tile kernel,
 * whose tiles hold a whole block; with a fiber of small blocks (u->W, p =
 * 2e-3: 2^11) in the same tiles, a last tile clipped at n, recurrence
 * (the input caches' full, delta and reuse paths) and a fiber switched
 * off and on. */
static const char *big_blocks =
    "seed: 13\n"
    "defaults: {p: 0.00015, beta: 0.2}\n"
    "areas:\n"
    "  - {name: W, n: 20000000, k: 2000}\n"
    "stimuli:\n"
    "  - {name: s, k: 2000}\n"
    "  - {name: u, k: 300}\n"
    "fibers:\n"
    "  - {from: s, to: W}\n"
    "  - {from: W, to: W}\n"
    "  - {from: u, to: W, p: 0.002}\n"
    "schedule:\n"
    "  - project: {fibers: [s->W], rounds: 1}\n"
    "  - project: {fibers: [s->W, W->W], rounds: 4}\n"
    "  - project: {fibers: [s->W, W->W, u->W], rounds: 3}\n"
    "  - project: {fibers: [s->W, W->W], rounds: 2}\n";

/* The incremental paths of the CUDA step (input caches: inputs computed
 * in full, updated from the sources that changed, reused; plasticity
 * reusing the last step's edges): assemblies that settle and stay, then
 * operations that change firing sets in every way (a subset firing, a
 * fiber inhibited and back, a random assembly, an area reset). */
static const char *incremental =
    "seed: 11\n"
    "defaults: {p: 0.02, beta: 0.3}\n"
    "areas:\n"
    "  - {name: A, n: 100000, k: 200}\n"
    "  - {name: B, n: 40000, k: 100}\n"
    "stimuli:\n"
    "  - {name: s, k: 200}\n"
    "  - {name: t, k: 100}\n"
    "fibers:\n"
    "  - {from: s, to: A}\n"
    "  - {from: A, to: A}\n"
    "  - {from: A, to: B}\n"
    "  - {from: t, to: B}\n"
    "  - {from: B, to: A, p: 0.01}\n"
    "schedule:\n"
    "  - project: {fibers: [s->A], rounds: 2}\n"
    "  - project: {fibers: [s->A, A->A], rounds: 12}\n"
    "  - project: {fibers: [s->A, A->A, A->B, t->B], rounds: 8}\n"
    "  - fire_subset: {area: A, fraction: 0.5}\n"
    "  - project: {fibers: [A->A, A->B], rounds: 4}\n"
    "  - inhibit: s->A\n"
    "  - project: {rounds: 3}\n"
    "  - disinhibit: s->A\n"
    "  - set_assembly: {area: A, random: true}\n"
    "  - project: {rounds: 4}\n"
    "  - reset: B\n"
    "  - project: {fibers: [s->A, A->A, A->B, t->B], rounds: 1}\n"
    "  - project: {rounds: 2}\n";

static bs_sim *create(const char *text, const char *name, bs_backend_kind be,
                      uint64_t capacity)
{
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    opt.backend = be;
    opt.plastic_capacity = capacity;
    bs_sim *sim = NULL;
    char err[2048];
    bs_status st = bs_create_from_text(text, name, &opt, &sim, err, sizeof err);
    ck_assert_msg(st == BS_OK, "%s (%s): %s", name,
                  be == BS_BACKEND_CUDA ? "cuda" : "cpu", err);
    if (be == BS_BACKEND_CUDA)
        ck_assert_str_eq(bs_backend_name(sim), "cuda");
    return sim;
}

/* Every area's winners of b equal a's; names the first difference. */
static void compare(bs_sim *a, bs_sim *b, const char *name, uint64_t step)
{
    static uint64_t wa[1 << 16], wb[1 << 16];
    for (int i = 0; i < bs_n_areas(a); i++) {
        const char *area = bs_area_name(a, i);
        size_t na, nb;
        ck_assert_int_eq(bs_winners(a, area, wa, 1 << 16, &na), BS_OK);
        ck_assert_int_eq(bs_winners(b, area, wb, 1 << 16, &nb), BS_OK);
        ck_assert_msg(na == nb, "%s step %llu area %s: %zu winners on cpu, "
                      "%zu on cuda", name, (unsigned long long)step, area, na, nb);
        for (size_t j = 0; j < na; j++)
            ck_assert_msg(wa[j] == wb[j], "%s step %llu area %s winner %zu: "
                          "cpu %llu, cuda %llu", name, (unsigned long long)step,
                          area, j, (unsigned long long)wa[j],
                          (unsigned long long)wb[j]);
        uint64_t sa, sb;
        bs_support(a, area, &sa);
        bs_support(b, area, &sb);
        ck_assert_msg(sa == sb, "%s step %llu area %s: support cpu %llu, cuda "
                      "%llu", name, (unsigned long long)step, area,
                      (unsigned long long)sa, (unsigned long long)sb);
    }
}

/* Runs text to its end on the CPU and on n_gpu CUDA simulators stepped in
 * turn (instances must not share state), comparing after every step. */
static void run_both(const char *text, const char *name, int n_gpu)
{
    bs_sim *cpu = create(text, name, BS_BACKEND_CPU, 0), *gpu[2];
    for (int g = 0; g < n_gpu; g++)
        gpu[g] = create(text, name, BS_BACKEND_CUDA, 0);
    uint64_t total = bs_steps_total(cpu);
    for (uint64_t s = 0; s < total; s++) {
        uint64_t n;
        ck_assert_int_eq(bs_step(cpu, 1, &n), BS_OK);
        for (int g = 0; g < n_gpu; g++) {
            bs_status st = bs_step(gpu[g], 1, &n);
            ck_assert_msg(st == BS_OK, "%s step %llu (cuda %d): %s", name,
                          (unsigned long long)s, g, bs_error(gpu[g]));
            compare(cpu, gpu[g], name, s);
        }
    }
    fprintf(stderr, "%s: %llu steps identical on cpu and cuda (x%d)\n", name,
            (unsigned long long)total, n_gpu);
    for (int g = 0; g < n_gpu; g++)
        bs_destroy(&gpu[g]);
    bs_destroy(&cpu);
}

START_TEST(model_matches_cpu) { run_both(model, "model", 1); }
END_TEST

START_TEST(projection_matches_cpu) { run_both(projection, "projection", 2); }
END_TEST

START_TEST(edge_cases_match_cpu) { run_both(edges, "edges", 1); }
END_TEST

START_TEST(big_blocks_match_cpu) { run_both(big_blocks, "big_blocks", 1); }
END_TEST

/* incremental on the CPU, on CUDA with the incremental paths (default),
 * on CUDA with every cached accumulation through the sum kernel
 * (BRAINSIM_CUDA_SUM=2: each updated cache scattered, however many
 * sources changed), with the tile kernel alone (BRAINSIM_CUDA_SUM=0) and
 * without the incremental paths (BRAINSIM_CUDA_INCREMENTAL=0): all five
 * identical after every step. */
START_TEST(incremental_matches_cpu)
{
    static const struct { const char *var, *value, *name; } cfg[] = {
        {"BRAINSIM_CUDA_SUM", "1", "incremental"},
        {"BRAINSIM_CUDA_SUM", "2", "incremental (BRAINSIM_CUDA_SUM=2)"},
        {"BRAINSIM_CUDA_SUM", "0", "incremental (BRAINSIM_CUDA_SUM=0)"},
        {"BRAINSIM_CUDA_INCREMENTAL", "0",
         "incremental (BRAINSIM_CUDA_INCREMENTAL=0)"},
    };
    enum { N_CFG = sizeof cfg / sizeof cfg[0] };
    bs_sim *cpu = create(incremental, "incremental", BS_BACKEND_CPU, 0);
    bs_sim *gpu[N_CFG];
    for (int c = 0; c < N_CFG; c++) {
        setenv(cfg[c].var, cfg[c].value, 1);
        gpu[c] = create(incremental, cfg[c].name, BS_BACKEND_CUDA, 0);
        unsetenv(cfg[c].var);
    }
    uint64_t total = bs_steps_total(cpu);
    for (uint64_t s = 0; s < total; s++) {
        ck_assert_int_eq(bs_step(cpu, 1, NULL), BS_OK);
        for (int c = 0; c < N_CFG; c++) {
            ck_assert_msg(bs_step(gpu[c], 1, NULL) == BS_OK, "%s: %s",
                          cfg[c].name, bs_error(gpu[c]));
            compare(cpu, gpu[c], cfg[c].name, s);
        }
    }
    fprintf(stderr, "incremental: %llu steps identical on cpu and cuda with "
            "the sum path when few sources change, always, never, and "
            "without incremental steps\n", (unsigned long long)total);
    for (int c = 0; c < N_CFG; c++)
        bs_destroy(&gpu[c]);
    bs_destroy(&cpu);
}
END_TEST

/* Stores that grow: a CUDA run from a reservation of 4 entries (its
 * device pool re-planned at every growth) equals, step by step, the CPU
 * run from the planned reservation; then every weight of two fibers read
 * back from the device (bs_weights) equals the CPU's. */
START_TEST(growth_matches_cpu)
{
    bs_sim *cpu = create(model, "model", BS_BACKEND_CPU, 0);
    bs_sim *gpu = create(model, "model", BS_BACKEND_CUDA, 4);
    for (uint64_t s = 0; s < bs_steps_total(cpu); s++) {
        ck_assert_int_eq(bs_step(cpu, 1, NULL), BS_OK);
        ck_assert_int_eq(bs_step(gpu, 1, NULL), BS_OK);
        compare(cpu, gpu, "growth", s);
    }
    static const char *const fibers[2] = {"A->B", "B->A"};
    enum { M = 600 * 500 };
    uint64_t *src = malloc(M * 8), *tgt = malloc(M * 8);
    double *wc = malloc(M * sizeof *wc), *wg = malloc(M * sizeof *wg);
    for (int f = 0; f < 2; f++) {
        uint64_t n_src = f ? 500 : 600, n_dst = f ? 600 : 500, m = 0;
        for (uint64_t i = 0; i < n_src; i++)
            for (uint64_t j = 0; j < n_dst; j++, m++) {
                src[m] = i;
                tgt[m] = j;
            }
        ck_assert_int_eq(bs_weights(cpu, fibers[f], m, src, tgt, wc), BS_OK);
        ck_assert_int_eq(bs_weights(gpu, fibers[f], m, src, tgt, wg), BS_OK);
        ck_assert_msg(!memcmp(wc, wg, m * sizeof *wc), "weights of %s differ",
                      fibers[f]);
        int potentiated = 0;
        for (uint64_t x = 0; x < m; x++)
            potentiated += wc[x] > 1.0;
        ck_assert_int_gt(potentiated, 0);
    }
    free(src);
    free(tgt);
    free(wc);
    free(wg);
    bs_destroy(&gpu);
    bs_destroy(&cpu);
}
END_TEST

/* A checkpoint of a CUDA run (device stores downloaded) resumed on CUDA
 * (stores uploaded) continues exactly as the CPU run. */
START_TEST(checkpoint_resume_matches_cpu)
{
    /* the same name on every rank: writing a checkpoint is collective */
    const char *path = "test_cuda.ckpt.h5";
    int rank = 0, n_ranks = 1;
    ck_assert_int_eq(bs_world(&rank, &n_ranks), BS_OK);
    bs_sim *cpu = create(projection, "projection", BS_BACKEND_CPU, 0);
    bs_sim *gpu = create(projection, "projection", BS_BACKEND_CUDA, 0);
    ck_assert_int_eq(bs_step(cpu, 6, NULL), BS_OK);
    ck_assert_int_eq(bs_step(gpu, 6, NULL), BS_OK);
    ck_assert_msg(bs_checkpoint(gpu, path) == BS_OK, "%s", bs_error(gpu));
    bs_destroy(&gpu);
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    opt.backend = BS_BACKEND_CUDA;
    char err[2048];
    ck_assert_msg(bs_resume(path, NULL, &opt, &gpu, err, sizeof err) == BS_OK,
                  "%s", err);
    for (uint64_t s = 6; s < bs_steps_total(cpu); s++) {
        ck_assert_int_eq(bs_step(cpu, 1, NULL), BS_OK);
        ck_assert_msg(bs_step(gpu, 1, NULL) == BS_OK, "%s", bs_error(gpu));
        compare(cpu, gpu, "resumed", s);
    }
    bs_destroy(&gpu);
    bs_destroy(&cpu);
    if (rank == 0)
        unlink(path);
}
END_TEST

/* Saturation (doc/design.md section 7): p = 1 and beta = 1, so A's ten
 * lowest ids win every step and the synapses from s and t onto them double
 * from step 0 until the 16th potentiation, in step 15, would pass the
 * Q16.16 maximum; s->A is the first of the two fibers that saturate, A->B
 * (capped) does not.  CPU and CUDA: the same winners up to step 14, then
 * BS_ERR_SATURATED with the same message in step 15, and no further step. */
static const char *saturating =
    "seed: 1\n"
    "defaults: {p: 1.0, beta: 1.0}\n"
    "areas:\n"
    "  - {name: A, n: 100, k: 10}\n"
    "  - {name: B, n: 5000, k: 20}\n"
    "stimuli:\n"
    "  - {name: s, k: 10}\n"
    "  - {name: t, k: 10}\n"
    "fibers:\n"
    "  - {from: s, to: A}\n"
    "  - {from: t, to: A}\n"
    "  - {from: A, to: B, p: 0.1, beta: 0.5, cap: 3}\n"
    "schedule:\n"
    "  - project: {fibers: [s->A, t->A], rounds: 1}\n"
    "  - project: {rounds: 19}\n";

START_TEST(saturation_matches_cpu)
{
    bs_sim *cpu = create(saturating, "saturating", BS_BACKEND_CPU, 0);
    bs_sim *gpu = create(saturating, "saturating", BS_BACKEND_CUDA, 0);
    for (uint64_t s = 0; s < 15; s++) {
        ck_assert_int_eq(bs_step(cpu, 1, NULL), BS_OK);
        ck_assert_msg(bs_step(gpu, 1, NULL) == BS_OK, "%s", bs_error(gpu));
        compare(cpu, gpu, "saturating", s);
    }
    ck_assert_int_eq(bs_step(cpu, 1, NULL), BS_ERR_SATURATED);
    ck_assert_int_eq(bs_step(gpu, 1, NULL), BS_ERR_SATURATED);
    ck_assert_msg(strstr(bs_error(cpu), "fiber s->A: a weight reached the "
                         "Q16.16 maximum 65535.99998 at step 15 ") != NULL,
                  "%s", bs_error(cpu));
    ck_assert_str_eq(bs_error(gpu), bs_error(cpu));
    ck_assert_uint_eq(bs_steps_done(gpu), 15);
    ck_assert_int_eq(bs_step(gpu, 1, NULL), BS_ERR_STATE);
    bs_destroy(&gpu);
    bs_destroy(&cpu);
}
END_TEST

/* 1 when this build and machine give a CUDA simulator. */
static int cuda_available(void)
{
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    opt.backend = BS_BACKEND_CUDA;
    bs_sim *sim = NULL;
    char err[2048];
    bs_status st = bs_create_from_text(model, "probe", &opt, &sim, err,
                                       sizeof err);
    if (st == BS_OK) {
        bs_destroy(&sim);
        return 1;
    }
    if (st != BS_ERR_BACKEND)
        fprintf(stderr, "test_cuda: creating a CUDA simulator failed: %s\n", err);
    else
        fprintf(stderr, "test_cuda: skipped: %s\n", err);
    return st == BS_ERR_BACKEND ? 0 : -1;
}

int main(void)
{
    if (!(model = check_read_text("good/model.yaml")))
        return EXIT_FAILURE;
    int avail = cuda_available();
    if (avail == 0)
        return 77;
    if (avail < 0)
        return EXIT_FAILURE;
    Suite *s = suite_create("cuda");
    TCase *tc = tcase_create("cpu_vs_cuda");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, model_matches_cpu);
    tcase_add_test(tc, projection_matches_cpu);
    tcase_add_test(tc, edge_cases_match_cpu);
    tcase_add_test(tc, big_blocks_match_cpu);
    tcase_add_test(tc, incremental_matches_cpu);
    tcase_add_test(tc, growth_matches_cpu);
    tcase_add_test(tc, checkpoint_resume_matches_cpu);
    tcase_add_test(tc, saturation_matches_cpu);
    suite_add_tcase(s, tc);
    int rc = check_run(s, CHECK_NOFORK, "cuda");   /* MPI: initialised once */
    free(model);
    return rc;
}
