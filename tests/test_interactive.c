/* test_interactive.c - operations applied one at a time (bs_apply,
 * bs_project): a session equals the run of the experiment it records; bad
 * operations fail with their message and change nothing; a checkpoint in
 * the middle of a session (also after a snapshot and with plasticity off)
 * resumes to the same state; plasticity off leaves the winners of a fixed
 * input as they were while on changes them; fire and set_assembly take
 * 1..k ids; the empty schedule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brainsim.h"
#include "check_main.h"
#include "experiment.h"
#include "sim_state.h"

static const char base[] =
    "seed: 5\n"
    "defaults: {p: 0.05, beta: 0.1}\n"
    "areas:\n"
    "  - {name: A, n: 3000, k: 40}\n"
    "  - {name: B, n: 2000, k: 30, beta: 0.2}\n"
    "stimuli:\n"
    "  - {name: s, k: 40}\n"
    "fibers:\n"
    "  - {from: s, to: A}\n"
    "  - {from: A, to: A}\n"
    "  - {from: A, to: B, beta: 0.15}\n"
    "  - {from: B, to: B}\n";

/* A simulator of text on the CPU, with `capacity` store entries per fiber
 * (0: planned). */
static bs_sim *create_cap(const char *text, uint64_t capacity)
{
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    opt.plastic_capacity = capacity;
    opt.backend = BS_BACKEND_CPU;
    bs_sim *sim = NULL;
    char err[2048];
    bs_status st = bs_create_from_text(text, "session", &opt, &sim, err,
                                       sizeof err);
    ck_assert_msg(st == BS_OK, "create: %s", err);
    return sim;
}

static bs_sim *create(const char *text)
{
    return create_cap(text, 0);
}

#define APPLY(sim, text) \
    ck_assert_msg(bs_apply(sim, text) == BS_OK, "%s: %s", text, bs_error(sim))

/* Every area's winners and support of a and b are equal. */
static void same_state(bs_sim *a, bs_sim *b)
{
    ck_assert_int_eq(bs_n_areas(a), bs_n_areas(b));
    for (int i = 0; i < bs_n_areas(a); i++) {
        const char *name = bs_area_name(a, i);
        uint64_t wa[64], wb[64], sa = 0, sb = 0;
        size_t na = 0, nb = 0;
        ck_assert_int_eq(bs_winners(a, name, wa, 64, &na), BS_OK);
        ck_assert_int_eq(bs_winners(b, name, wb, 64, &nb), BS_OK);
        bs_support(a, name, &sa);
        bs_support(b, name, &sb);
        ck_assert_msg(na == nb && !memcmp(wa, wb, na * 8) && sa == sb,
                      "area %s differs: %zu/%zu winners, support %llu/%llu",
                      name, na, nb, (unsigned long long)sa,
                      (unsigned long long)sb);
    }
}

/* A session of every kind of operation; the checksum after every step
 * into sums[0..*n). */
static void session(bs_sim *sim, uint64_t *sums, int *n)
{
    const char *stim[] = {"s->A"}, *rec[] = {"s->A", "A->A"};
    ck_assert_int_eq(bs_project(sim, stim, 1, 1), BS_OK);
    for (int r = 0; r < 4; r++) {
        ck_assert_int_eq(bs_project(sim, rec, 2, 1), BS_OK);
        sums[(*n)++] = bs_winners_checksum(sim, BS_CHECKSUM_INIT);
    }
    APPLY(sim, "snapshot: {area: A, name: a4}");
    APPLY(sim, "project: {fibers: [s->A, A->A, A->B], rounds: 2}");
    APPLY(sim, "plasticity: off");
    APPLY(sim, "plasticity: {fiber: A->B, beta: 0.4}");
    APPLY(sim, "project: {rounds: 2}");
    APPLY(sim, "plasticity: on");
    APPLY(sim, "plasticity: {area: B, beta: 0.01}");
    APPLY(sim, "fire: {area: A, neurons: [2999, 3, 17]}");
    APPLY(sim, "project: {fibers: [A->B, B->B], rounds: 1}");
    APPLY(sim, "set_assembly: {area: B, neurons: [4, 5], fix: true}");
    APPLY(sim, "project: {rounds: 2}");
    APPLY(sim, "fire_subset: {area: A, fraction: 0.5}");
    APPLY(sim, "reset: B");
    APPLY(sim, "project: {fibers: [s->A, A->A, A->B], rounds: 1}");
    sums[(*n)++] = bs_winners_checksum(sim, BS_CHECKSUM_INIT);
}

START_TEST(session_equals_recorded_run)
{
    bs_sim *sim = create(base);
    ck_assert_uint_eq(bs_steps_total(sim), 0);
    uint64_t sums[16];
    int n = 0;
    session(sim, sums, &n);
    ck_assert_uint_eq(bs_steps_done(sim), 13);
    ck_assert_uint_eq(bs_steps_total(sim), 13);
    size_t len;
    char *text = bs_experiment_emit(sim->exp, &len);
    ck_assert_ptr_nonnull(text);
    bs_sim *rep = create(text);
    ck_assert_uint_eq(bs_steps_total(rep), 13);
    int i = 0;
    for (uint64_t step = 1; step <= 13; step++) {
        ck_assert_int_eq(bs_step(rep, 1, NULL), BS_OK);
        if (step >= 2 && step <= 5)
            ck_assert_msg(bs_winners_checksum(rep, BS_CHECKSUM_INIT) ==
                          sums[i++], "step %llu differs",
                          (unsigned long long)step);
    }
    same_state(sim, rep);
    ck_assert(bs_winners_checksum(rep, BS_CHECKSUM_INIT) == sums[n - 1]);
    /* the replay records the same text: nothing was applied to it */
    size_t len2;
    char *again = bs_experiment_emit(rep->exp, &len2);
    ck_assert_str_eq(text, again);
    free(again);
    free(text);
    bs_destroy(&rep);
    bs_destroy(&sim);
}
END_TEST

/* Applies a bad operation: the status, a message holding `want`, and
 * nothing changed (steps, schedule, state). */
static void refused(bs_sim *sim, const char *op, bs_status status,
                    const char *want)
{
    uint64_t steps = bs_steps_done(sim), total = bs_steps_total(sim);
    int n_ops = sim->exp->n_ops;
    uint64_t sum = bs_winners_checksum(sim, BS_CHECKSUM_INIT);
    bs_status st = bs_apply(sim, op);
    ck_assert_msg(st == status, "%s: status %d, want %d (%s)", op, st, status,
                  bs_error(sim));
    ck_assert_msg(strstr(bs_error(sim), want), "%s: message '%s' lacks '%s'",
                  op, bs_error(sim), want);
    ck_assert_uint_eq(bs_steps_done(sim), steps);
    ck_assert_uint_eq(bs_steps_total(sim), total);
    ck_assert_int_eq(sim->exp->n_ops, n_ops);
    ck_assert(bs_winners_checksum(sim, BS_CHECKSUM_INIT) == sum);
}

START_TEST(bad_operations_change_nothing)
{
    bs_sim *sim = create(base);
    refused(sim, "project: {fibers: [A->A]}", BS_ERR_STATE,
            "<operation>:1:1: project along A->A: area 'A' has no winners");
    refused(sim, "fix: A", BS_ERR_STATE, "fix A: the area has no assembly");
    APPLY(sim, "project: {fibers: [s->A], rounds: 2}");
    refused(sim, "step: 3", BS_ERR_PARSE, "<operation>:1:1: operation: "
            "unknown operation 'step'");
    refused(sim, "project: {fibers: [s->B]}", BS_ERR_PARSE,
            "operation.project.fibers[0]: value 's->B' is invalid: no such "
            "name");
    refused(sim, "project: {rounds: two}", BS_ERR_PARSE,
            "operation.project.rounds: value 'two' is invalid");
    refused(sim, "project: {rounds: 1}", BS_ERR_STATE, "area 'B' has no "
            "winners");
    refused(sim, "fire: {area: B, neurons: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "
            "10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, "
            "26, 27, 28, 29, 30]}", BS_ERR_PARSE, "31 ids given: must be 1 "
            "to k = 30");
    refused(sim, "fire: {area: A, neurons: [1, 1]}", BS_ERR_PARSE,
            "id 1 is listed twice");
    refused(sim, "fire: {area: A, neurons: [3000]}", BS_ERR_PARSE,
            "must be an id in 0..n-1 (n = 3000)");
    refused(sim, "snapshot: {area: A, name: A}", BS_ERR_PARSE,
            "name 'A' is already used");
    refused(sim, "plasticity: {fiber: A->A}", BS_ERR_PARSE,
            "missing key 'beta'");
    refused(sim, "[fix: A]", BS_ERR_PARSE, "expected a map");
    refused(sim, "", BS_ERR_PARSE, "the operation is empty");
    refused(sim, "fix: {A", BS_ERR_PARSE, "<operation>:2:1: YAML syntax "
            "error");
    /* still usable */
    APPLY(sim, "project: {fibers: [s->A, A->A], rounds: 1}");
    ck_assert_uint_eq(bs_steps_done(sim), 3);
    ck_assert_int_eq(bs_apply(sim, NULL), BS_ERR_ARG);
    ck_assert_int_eq(bs_apply(NULL, "fix: A"), BS_ERR_ARG);
    ck_assert_int_eq(bs_project(sim, NULL, 1, 1), BS_ERR_ARG);
    bs_destroy(&sim);
}
END_TEST

START_TEST(apply_needs_the_schedule_run)
{
    char text[2048];
    snprintf(text, sizeof text, "%sschedule:\n  - project: {fibers: [s->A], "
             "rounds: 3}\n", base);
    /* the stores are planned from the schedule, which has no A->B steps:
     * reserve enough for what is applied later */
    bs_sim *sim = create_cap(text, 100000);
    ck_assert_int_eq(bs_apply(sim, "fix: A"), BS_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(bs_error(sim), "run it to its end first"));
    ck_assert_int_eq(bs_run(sim), BS_OK);
    APPLY(sim, "fix: A");
    APPLY(sim, "project: {fibers: [A->B], rounds: 2}");
    ck_assert_uint_eq(bs_steps_done(sim), 5);
    ck_assert_uint_eq(bs_steps_total(sim), 5);
    bs_destroy(&sim);
}
END_TEST

START_TEST(checkpoint_in_a_session_resumes)
{
    const char *ck = "test_interactive_ck.h5";
    bs_sim *sim = create(base);
    APPLY(sim, "project: {fibers: [s->A], rounds: 1}");
    APPLY(sim, "project: {fibers: [s->A, A->A, A->B], rounds: 3}");
    APPLY(sim, "snapshot: {area: B, name: b3}");
    APPLY(sim, "plasticity: off");
    APPLY(sim, "plasticity: {area: A, beta: 0.5}");
    APPLY(sim, "fire: {area: A, neurons: [1, 2, 3]}");   /* 3 of k winners */
    ck_assert_int_eq(bs_checkpoint(sim, ck), BS_OK);
    const char *tail[] = {"project: {fibers: [A->B, B->B, A->A], rounds: 2}",
                          "plasticity: on",
                          "project: {fibers: [s->A, A->A, A->B], rounds: 3}",
                          "snapshot: {area: A, name: a9}"};
    for (int i = 0; i < 4; i++)
        APPLY(sim, tail[i]);
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    opt.backend = BS_BACKEND_CPU;
    bs_sim *res = NULL;
    char err[2048];
    ck_assert_msg(bs_resume(ck, NULL, &opt, &res, err, sizeof err) == BS_OK,
                  "resume: %s", err);
    ck_assert_uint_eq(bs_steps_done(res), 4);
    ck_assert_int_eq(res->plasticity_off, 1);
    ck_assert_int_eq(res->exp->n_snapshots, 1);
    ck_assert_uint_eq(res->snapshot_n[0], 30);
    ck_assert_uint_eq(res->areas[0].n_winners, 3);
    for (int i = 0; i < 4; i++)
        APPLY(res, tail[i]);
    same_state(sim, res);
    ck_assert_int_eq(res->exp->n_snapshots, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_uint_eq(res->snapshot_n[i], sim->snapshot_n[i]);
        ck_assert_mem_eq(res->snapshot_ids[i], sim->snapshot_ids[i],
                         sim->snapshot_n[i] * 8);
    }
    for (int a = 0; a < 2; a++) {
        ck_assert_uint_eq(res->areas[a].last_change, sim->areas[a].last_change);
        ck_assert_uint_eq(res->areas[a].last_growth, sim->areas[a].last_growth);
        ck_assert_uint_eq(res->areas[a].prev_support,
                          sim->areas[a].prev_support);
    }
    for (int f = 0; f < 4; f++)
        ck_assert_uint_eq(res->fibers[f].mult, sim->fibers[f].mult);
    bs_destroy(&res);
    bs_destroy(&sim);
    remove(ck);
    remove("test_interactive_ck.h5.tmp");
}
END_TEST

/* Weights of every stored synapse of fiber f (the current store). */
static uint64_t store_sum(const bs_sim *s, int f)
{
    const bs_store *st = &s->fibers[f].store[s->fibers[f].cur];
    uint64_t sum = st->n;
    for (uint64_t i = 0; i < st->n; i++)
        sum = sum * 31 + st->w[i] + st->src[i] * 7 + st->tgt[i];
    return sum;
}

START_TEST(plasticity_off_keeps_weights)
{
    bs_sim *sim = create(base);
    APPLY(sim, "project: {fibers: [s->A], rounds: 1}");
    APPLY(sim, "project: {fibers: [s->A, A->A], rounds: 3}");
    uint64_t before = store_sum(sim, 0), rec = store_sum(sim, 1);
    ck_assert_uint_eq(sim->fibers[0].mult, bs_beta_mult(0.1));
    APPLY(sim, "plasticity: off");
    ck_assert_uint_eq(sim->fibers[0].mult, bs_beta_mult(0.0));
    ck_assert_uint_eq(sim->fibers[2].mult, bs_beta_mult(0.0));
    APPLY(sim, "project: {fibers: [s->A, A->A], rounds: 3}");
    ck_assert(store_sum(sim, 0) == before && store_sum(sim, 1) == rec);
    APPLY(sim, "plasticity: {area: B, beta: 0.3}");     /* at `on` */
    APPLY(sim, "plasticity: on");
    ck_assert_uint_eq(sim->fibers[0].mult, bs_beta_mult(0.1));
    ck_assert_uint_eq(sim->fibers[2].mult, bs_beta_mult(0.15)); /* own */
    ck_assert_uint_eq(sim->fibers[3].mult, bs_beta_mult(0.3));  /* B's */
    APPLY(sim, "project: {fibers: [s->A, A->A], rounds: 1}");
    ck_assert(store_sum(sim, 0) != before);
    APPLY(sim, "plasticity: {fiber: B->B, beta: 0}");
    ck_assert_uint_eq(sim->fibers[3].mult, bs_beta_mult(0.0));
    bs_destroy(&sim);
}
END_TEST

START_TEST(fire_and_set_assembly_take_1_to_k)
{
    bs_sim *sim = create(base);
    APPLY(sim, "fire: {area: A, neurons: [9, 4]}");
    uint64_t ids[64], sup = 0;
    size_t n = 0;
    bs_winners(sim, "A", ids, 64, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert(ids[0] == 4 && ids[1] == 9);
    bs_support(sim, "A", &sup);
    ck_assert_uint_eq(sup, 2);
    APPLY(sim, "project: {fibers: [A->B], rounds: 1}");  /* A fires 2 */
    bs_winners(sim, "B", ids, 64, &n);
    ck_assert_uint_eq(n, 30);
    APPLY(sim, "set_assembly: {area: A, neurons: [1, 2, 3], fix: true}");
    APPLY(sim, "project: {fibers: [s->A, A->B], rounds: 2}");
    bs_winners(sim, "A", ids, 64, &n);                     /* fixed */
    ck_assert(n == 3 && ids[0] == 1 && ids[2] == 3);
    APPLY(sim, "fire: {area: A, neurons: [7]}");           /* stays fixed */
    APPLY(sim, "project: {fibers: [s->A], rounds: 1}");
    bs_winners(sim, "A", ids, 64, &n);
    ck_assert(n == 1 && ids[0] == 7);
    bs_support(sim, "A", &sup);
    ck_assert_uint_eq(sup, 6);                             /* 4 9 1 2 3 7 */
    bs_destroy(&sim);
}
END_TEST

START_TEST(empty_schedule)
{
    char text[2048];
    snprintf(text, sizeof text, "%sschedule: []\n", base);
    bs_sim *sim = create(text);
    uint64_t done = 9;
    ck_assert_int_eq(bs_step(sim, 5, &done), BS_OK);
    ck_assert_uint_eq(done, 0);
    ck_assert_int_eq(bs_run(sim), BS_OK);
    ck_assert_uint_eq(bs_steps_total(sim), 0);
    APPLY(sim, "project: {fibers: [s->A], rounds: 2}");
    ck_assert_uint_eq(bs_steps_done(sim), 2);
    bs_destroy(&sim);
}
END_TEST

/* Parses text (named name), emits it, parses and emits that again: the
 * two renderings are equal and describe the same experiment. */
static void round_trip(const char *text, const char *name)
{
    bs_experiment *e = NULL, *f = NULL, *g = NULL;
    char err[2048];
    ck_assert_msg(bs_experiment_parse(text, strlen(text), name, &e, err,
                                      sizeof err) == BS_OK, "%s", err);
    size_t len, len2;
    char *t1 = bs_experiment_emit(e, &len);
    ck_assert_ptr_nonnull(t1);
    ck_assert_uint_eq(strlen(t1), len);
    ck_assert_msg(bs_experiment_parse(t1, len, "emitted", &f, err,
                                      sizeof err) == BS_OK, "%s: %s\n%s",
                  name, err, t1);
    char *t2 = bs_experiment_emit(f, &len2);
    ck_assert_str_eq(t1, t2);
    ck_assert(e->seed == f->seed && e->n_ops == f->n_ops &&
              e->total_steps == f->total_steps &&
              e->n_snapshots == f->n_snapshots &&
              e->n_expects == f->n_expects && !strcmp(e->name, f->name));
    for (int i = 0; i < e->n_fibers; i++)
        ck_assert(e->fibers[i].p == f->fibers[i].p &&
                  e->fibers[i].beta == f->fibers[i].beta &&
                  e->fibers[i].cap == f->fibers[i].cap &&
                  e->fibers[i].beta_given == f->fibers[i].beta_given);
    for (int i = 0; i < e->n_ops; i++) {
        char d1[256], d2[256];
        bs_op_describe(e, i, d1, sizeof d1);
        bs_op_describe(f, i, d2, sizeof d2);
        ck_assert_str_eq(d1, d2);
    }
    free(t1);
    free(t2);
    bs_experiment_destroy(&g);
    bs_experiment_destroy(&f);
    bs_experiment_destroy(&e);
}

START_TEST(emit_round_trips)
{
    static const char *const files[] = {
        "../examples/projection.yaml", "../examples/association.yaml",
        "../examples/merge.yaml", "../examples/pattern_completion.yaml",
        "../examples/reciprocal_projection.yaml", "good/mixed.yaml",
        "good/model.yaml", "good/minimal.yaml", "good/empty_schedule.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *text = check_read_text(files[i]);
        ck_assert_ptr_nonnull(text);
        round_trip(text, files[i]);
        free(text);
    }
    round_trip("seed: 18446744073709551615\ndefaults: {beta: 0.3}\n"
               "areas: [{name: .x, n: 10, k: 3, beta: 0.1}]\n"
               "fibers: [{from: .x, to: .x, p: 0.30000000000000004, "
               "name: \">odd\", cap: 1.5}]\n"
               "schedule:\n  - fire: {area: .x, neurons: [9, 1]}\n"
               "  - plasticity: {fiber: \">odd\", beta: 1e-7}\n"
               "  - plasticity: off\n  - checkpoint: 'a \"b\\\\c'\n"
               "  - snapshot: {area: .x, name: s1}\n"
               "  - set_assembly: {area: .x, random: true, fix: true}\n"
               "expect:\n  - {overlap: [s1, .x], min: 1}\n"
               "  - {converged: .x, by: 0}\n", "odd");
}
END_TEST

START_TEST(parse_op_appends_or_changes_nothing)
{
    bs_experiment *e = NULL;
    char err[2048];
    ck_assert_int_eq(bs_experiment_parse(base, strlen(base), "b", &e, err,
                                         sizeof err), BS_OK);
    ck_assert_int_eq(e->n_ops, 0);
    for (int i = 0; i < 40; i++) {                   /* grows amortised */
        const char *op = i % 2 ? "project: {rounds: 3}" : "fix: A";
        ck_assert_int_eq(bs_experiment_parse_op(e, op, strlen(op), NULL, err,
                                                sizeof err), BS_OK);
    }
    ck_assert_int_eq(e->n_ops, 40);
    ck_assert_uint_eq(e->total_steps, 60);
    ck_assert(e->ops[39].applied && e->ops_cap >= 40);
    const char *snap = "snapshot: {area: A, name: snap1}";
    ck_assert_int_eq(bs_experiment_parse_op(e, snap, strlen(snap), NULL, err,
                                            sizeof err), BS_OK);
    ck_assert_int_eq(e->n_snapshots, 1);
    ck_assert_int_eq(e->snapshots[0].op, 40);
    static const char *const bad[] = {
        "snapshot: {area: A, name: snap1}", "project: {rounds: 0}",
        "project: {rounds: 1000000001}", "fix: A\nunfix: A", "- fix: A",
        "fire: {area: A, neurons: [1, 1]}", "checkpoint: ''"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bs_status st = bs_experiment_parse_op(e, bad[i], strlen(bad[i]),
                                              "<op>", err, sizeof err);
        ck_assert_msg(st == BS_ERR_PARSE || st == BS_ERR_LIMIT, "%s", bad[i]);
        ck_assert_msg(!strncmp(err, "<op>:", 5), "%s: %s", bad[i], err);
        ck_assert_int_eq(e->n_ops, 41);
        ck_assert_uint_eq(e->total_steps, 60);
        ck_assert_int_eq(e->n_snapshots, 1);
    }
    ck_assert_int_eq(bs_experiment_parse_op(e, "fix: A\0", 7, NULL, err,
                                            sizeof err), BS_ERR_PARSE);
    ck_assert_int_eq(bs_experiment_parse_op(NULL, "fix: A", 6, NULL, err,
                                            sizeof err), BS_ERR_ARG);
    bs_experiment_destroy(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("interactive");
    TCase *tc = tcase_create("apply");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, session_equals_recorded_run);
    tcase_add_test(tc, bad_operations_change_nothing);
    tcase_add_test(tc, apply_needs_the_schedule_run);
    tcase_add_test(tc, checkpoint_in_a_session_resumes);
    tcase_add_test(tc, plasticity_off_keeps_weights);
    tcase_add_test(tc, fire_and_set_assembly_take_1_to_k);
    tcase_add_test(tc, empty_schedule);
    tcase_add_test(tc, emit_round_trips);
    tcase_add_test(tc, parse_op_appends_or_changes_nothing);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_NOFORK, "interactive");
}
