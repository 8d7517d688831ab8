/*
 * test_experiment.c - Check suite for the experiment parser (experiment.h).
 *
 * Good experiments are checked field by field; bad ones must fail with
 * BS_ERR_PARSE or BS_ERR_LIMIT and a message that holds the expected
 * "line:col:" and key path.  The .yaml files in $srcdir/bad (srcdir: the
 * tests' source directory, "." when unset) each start with one or more
 * "# expect: <substring>" lines that the message must contain.
 */
#define _POSIX_C_SOURCE 200809L

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "check_main.h"

static bs_status parse(const char *text, bs_experiment **e, char *err,
                       size_t err_len)
{
    return bs_experiment_parse(text, strlen(text), "exp.yaml", e, err,
                               err_len);
}

/* ---- good experiments --------------------------------------------------- */

static const char FULL[] =
    "seed: 42\n"                                               /* 1 */
    "defaults: {p: 0.01, beta: 0.1}\n"
    "areas:\n"
    "  - {name: A, n: 100000, k: 317, beta: 0.05}\n"
    "  - name: B\n"                                            /* 5 */
    "    n: 1000\n"
    "    k: 10\n"
    "stimuli:\n"
    "  - {name: s, k: 317}\n"
    "fibers:\n"                                                /* 10 */
    "  - {from: s, to: A, p: 0.02, beta: 0.2, cap: 8.0, name: sA}\n"
    "  - {from: A, to: A}\n"
    "  - {from: A, to: B, cap: 1}\n"
    "  - {from: B, to: B, beta: 0}\n"
    "schedule:\n"                                              /* 15 */
    "  - project: {fibers: [sA, A->A], rounds: 10}\n"
    "  - fix: A\n"
    "  - unfix: A\n"
    "  - set_assembly: {area: B, neurons: [9, 3, 7, 0, 5, 1, 2, 4, 6, 999]}\n"
    "  - set_assembly: {area: A, random: true, fix: true}\n"   /* 20 */
    "  - inhibit: A\n"
    "  - disinhibit: sA\n"
    "  - project: {}\n"
    "  - project:\n"
    "      rounds: 5\n"                                        /* 25 */
    "  - inhibit: A->B\n";

START_TEST(test_full_entities)
{
    bs_experiment *e = NULL;
    char err[512] = "";
    ck_assert_int_eq(parse(FULL, &e, err, sizeof err), BS_OK);
    ck_assert_str_eq(err, "");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->source_name, "exp.yaml");
    ck_assert_uint_eq(e->text_len, strlen(FULL));
    ck_assert_str_eq(e->text, FULL);
    ck_assert_uint_eq(e->seed, 42);
    ck_assert_double_eq(e->p, 0.01);
    ck_assert_double_eq(e->beta, 0.1);
    ck_assert_int_eq(e->n_areas, 2);
    ck_assert_str_eq(e->areas[0].name, "A");
    ck_assert_uint_eq(e->areas[0].n_neurons, 100000);
    ck_assert_uint_eq(e->areas[0].k, 317);
    ck_assert_double_eq(e->areas[0].beta, 0.05);
    ck_assert_int_eq(e->areas[0].line, 4);
    ck_assert_int_eq(e->areas[0].col, 5);
    ck_assert_str_eq(e->areas[1].name, "B");
    ck_assert_uint_eq(e->areas[1].n_neurons, 1000);
    ck_assert_double_eq(e->areas[1].beta, 0.1);     /* defaults.beta */
    ck_assert_int_eq(e->areas[1].line, 5);
    ck_assert_int_eq(e->n_stims, 1);
    ck_assert_str_eq(e->stims[0].name, "s");
    ck_assert_uint_eq(e->stims[0].k, 317);
    ck_assert_int_eq(e->stims[0].line, 9);
    bs_experiment_destroy(&e);
    ck_assert_ptr_null(e);
}
END_TEST

START_TEST(test_full_fibers)
{
    bs_experiment *e = NULL;
    char err[512];
    ck_assert_int_eq(parse(FULL, &e, err, sizeof err), BS_OK);
    ck_assert_int_eq(e->n_fibers, 4);
    const bs_fiber_spec *f = e->fibers;
    ck_assert_str_eq(f[0].name, "sA");
    ck_assert_int_eq(f[0].src_is_stim, 1);
    ck_assert_int_eq(f[0].src, 0);
    ck_assert_int_eq(f[0].dst, 0);
    ck_assert_double_eq(f[0].p, 0.02);
    ck_assert_double_eq(f[0].beta, 0.2);
    ck_assert_double_eq(f[0].cap, 8.0);
    ck_assert_int_eq(f[0].line, 11);
    ck_assert_str_eq(f[1].name, "A->A");                 /* default name */
    ck_assert_int_eq(f[1].src_is_stim, 0);
    ck_assert_double_eq(f[1].p, 0.01);                   /* defaults.p */
    ck_assert_double_eq(f[1].beta, 0.05);                /* A's beta */
    ck_assert_double_eq(f[1].cap, 0.0);                  /* no cap */
    ck_assert_str_eq(f[2].name, "A->B");
    ck_assert_int_eq(f[2].dst, 1);
    ck_assert_double_eq(f[2].beta, 0.1);                 /* B's beta */
    ck_assert_double_eq(f[2].cap, 1.0);
    ck_assert_double_eq(f[3].beta, 0.0);
    ck_assert_int_eq(bs_experiment_fiber(e, "A->B"), 2);
    ck_assert_int_eq(bs_experiment_fiber(e, "s->A"), -1);
    ck_assert_int_eq(bs_experiment_area(e, "B"), 1);
    ck_assert_int_eq(bs_experiment_area(e, "s"), -1);
    ck_assert_int_eq(bs_experiment_stim(e, "s"), 0);
    ck_assert_int_eq(bs_experiment_stim(e, "A"), -1);
    ck_assert_int_eq(bs_experiment_area(NULL, "A"), -1);
    ck_assert_int_eq(bs_experiment_area(e, NULL), -1);
    bs_experiment_destroy(&e);
}
END_TEST

START_TEST(test_full_schedule)
{
    bs_experiment *e = NULL;
    char err[512];
    ck_assert_int_eq(parse(FULL, &e, err, sizeof err), BS_OK);
    ck_assert_int_eq(e->n_ops, 10);
    ck_assert_uint_eq(e->total_steps, 10 + 1 + 5);
    const bs_op *o = e->ops;
    ck_assert_int_eq(o[0].kind, BS_OP_PROJECT);
    ck_assert_int_eq(o[0].line, 16);
    ck_assert_int_eq(o[0].col, 5);
    ck_assert_uint_eq(o[0].rounds, 10);
    ck_assert_int_eq(o[0].n_fibers, 2);
    ck_assert_int_eq(o[0].fibers[0], 0);
    ck_assert_int_eq(o[0].fibers[1], 1);
    ck_assert_int_eq(o[1].kind, BS_OP_FIX);
    ck_assert_int_eq(o[1].area, 0);
    ck_assert_int_eq(o[2].kind, BS_OP_UNFIX);
    ck_assert_int_eq(o[3].kind, BS_OP_SET_ASSEMBLY);
    ck_assert_int_eq(o[3].area, 1);
    ck_assert_int_eq(o[3].random, 0);
    ck_assert_int_eq(o[3].fix, 0);
    static const uint64_t sorted[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 999};
    for (int i = 0; i < 10; i++) ck_assert_uint_eq(o[3].neurons[i], sorted[i]);
    ck_assert_int_eq(o[4].area, 0);
    ck_assert_int_eq(o[4].random, 1);
    ck_assert_int_eq(o[4].fix, 1);
    ck_assert_ptr_null(o[4].neurons);
    ck_assert_int_eq(o[5].kind, BS_OP_INHIBIT);
    ck_assert_int_eq(o[5].target_is_fiber, 0);
    ck_assert_int_eq(o[5].target, 0);
    ck_assert_int_eq(o[6].kind, BS_OP_DISINHIBIT);
    ck_assert_int_eq(o[6].target_is_fiber, 1);
    ck_assert_int_eq(o[6].target, 0);
    ck_assert_int_eq(o[7].n_fibers, -1);
    ck_assert_ptr_null(o[7].fibers);
    ck_assert_uint_eq(o[7].rounds, 1);
    ck_assert_uint_eq(o[8].rounds, 5);
    ck_assert_int_eq(o[9].target, 2);
    ck_assert_uint_eq(o[1].rounds, 0);                   /* not a step */
    bs_experiment_destroy(&e);
}
END_TEST

START_TEST(test_describe)
{
    static const char *const want[] = {"project sA,A->A x10", "fix A",
        "unfix A", "set_assembly B neurons", "set_assembly A random fix",
        "inhibit A", "disinhibit sA", "project all x1", "project all x5",
        "inhibit A->B"};
    bs_experiment *e = NULL;
    char err[512], buf[64];
    ck_assert_int_eq(parse(FULL, &e, err, sizeof err), BS_OK);
    for (int i = 0; i < e->n_ops; i++) {
        bs_op_describe(e, i, buf, sizeof buf);
        ck_assert_str_eq(buf, want[i]);
    }
    bs_op_describe(e, 0, buf, 8);                        /* truncates */
    ck_assert_str_eq(buf, "project");
    bs_op_describe(e, 99, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    bs_op_describe(NULL, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    bs_op_describe(e, 0, NULL, 0);
    bs_experiment_destroy(&e);
}
END_TEST

START_TEST(test_defaults)
{
    const char *text = "areas: [{name: A, n: 10, k: 10}]\n"
                       "stimuli: [{name: s, k: 1}]\n"
                       "fibers: [{from: s, to: A, p: 1}]\n"
                       "schedule: [{project: {}}, {fix: A}]\n";
    bs_experiment *e = NULL;
    char err[512];
    ck_assert_int_eq(parse(text, &e, err, sizeof err), BS_OK);
    ck_assert_uint_eq(e->seed, 1);
    ck_assert_double_eq(e->p, 0.0);                      /* none given */
    ck_assert_double_eq(e->beta, 0.05);
    ck_assert_double_eq(e->areas[0].beta, 0.05);
    ck_assert_double_eq(e->fibers[0].beta, 0.05);
    ck_assert_str_eq(e->fibers[0].name, "s->A");
    ck_assert_uint_eq(e->total_steps, 1);
    bs_experiment_destroy(&e);
    bs_experiment_destroy(&e);                           /* NULL is fine */
    bs_experiment_destroy(NULL);
}
END_TEST

START_TEST(test_limits_accepted)
{
    const char *text = "seed: 18446744073709551615\n"
                       "areas: [{name: big.area_1-x, n: 1099511627776,"
                       " k: 16777216, beta: 10}]\n"
                       "fibers: [{from: big.area_1-x, to: big.area_1-x,"
                       " p: 1e-3, cap: 65535, name: 'a->b.c'}]\n"
                       "schedule:\n"
                       "  - project: {rounds: 1000000000}\n";
    bs_experiment *e = NULL;
    char err[512];
    ck_assert_int_eq(parse(text, &e, err, sizeof err), BS_OK);
    ck_assert_uint_eq(e->seed, UINT64_MAX);
    ck_assert_uint_eq(e->areas[0].n_neurons, BS_MAX_NEURONS);
    ck_assert_uint_eq(e->areas[0].k, BS_MAX_K);
    ck_assert_str_eq(e->fibers[0].name, "a->b.c");
    ck_assert_double_eq(e->fibers[0].p, 1e-3);
    ck_assert_double_eq(e->fibers[0].cap, 65535.0);
    ck_assert_uint_eq(e->total_steps, 1000000000);
    bs_experiment_destroy(&e);
}
END_TEST

START_TEST(test_load_good_file)
{
    char path[1024], err[512];
    bs_experiment *e = NULL;
    snprintf(path, sizeof path, "%s/good/minimal.yaml", check_srcdir());
    ck_assert_msg(bs_experiment_load(path, &e, err, sizeof err) == BS_OK,
                  "%s", err);
    ck_assert_str_eq(e->source_name, path);
    ck_assert_uint_eq(e->text_len, strlen(e->text));
    ck_assert_int_ge(e->n_areas, 1);
    ck_assert_uint_ge(e->total_steps, 1);
    bs_experiment_destroy(&e);
}
END_TEST

START_TEST(test_load_missing_file)
{
    char err[512] = "";
    bs_experiment *e = (bs_experiment *)&err;            /* must be reset */
    const char *path = "/nonexistent/dir/exp.yaml";
    ck_assert_int_eq(bs_experiment_load(path, &e, err, sizeof err),
                     BS_ERR_IO);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

START_TEST(test_bad_args)
{
    char err[512];
    bs_experiment *e = NULL;
    ck_assert_int_eq(bs_experiment_parse("x", 1, NULL, NULL, err, sizeof err),
                     BS_ERR_ARG);
    ck_assert_int_eq(bs_experiment_parse(NULL, 5, NULL, &e, err, sizeof err),
                     BS_ERR_ARG);
    ck_assert_int_eq(bs_experiment_load(NULL, &e, err, sizeof err),
                     BS_ERR_ARG);
    /* No message buffer, and a tiny one: still a clean failure. */
    ck_assert_int_eq(parse("areas: 5", &e, NULL, 0), BS_ERR_PARSE);
    ck_assert_int_eq(parse("areas: 5", &e, err, 4), BS_ERR_PARSE);
    ck_assert_str_eq(err, "exp");
    ck_assert_ptr_null(e);
    /* NULL name means "<text>". */
    ck_assert_int_eq(bs_experiment_parse("[", 1, NULL, &e, err, sizeof err),
                     BS_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "<text>:"));
}
END_TEST

START_TEST(test_nul_byte)
{
    static const char text[] = "areas: [{name: A, n: 10, k: 1}]\n"
                               "schedule: [fix: A\0]\n";
    char err[512];
    bs_experiment *e = NULL;
    ck_assert_int_eq(bs_experiment_parse(text, sizeof text - 1, "t.yaml", &e,
                                         err, sizeof err), BS_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "t.yaml:2:18:"));
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    /* A NUL written as an escape inside a name is not a valid name. */
    ck_assert_int_eq(parse("areas: [{name: \"A\\0B\", n: 10, k: 1}]\n"
                           "schedule: [fix: A]\n", &e, err, sizeof err),
                     BS_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(err, "areas[0].name"));
}
END_TEST

/* The assembly-calculus operations and expectations. */
static const char ACALC[] =
    "name: demo-1.x\n"                                        /* 1 */
    "areas: [{name: A, n: 1000, k: 10}, {name: C, n: 500, k: 7}]\n"
    "stimuli: [{name: s, k: 10}]\n"
    "fibers: [{from: s, to: A, p: 0.1}, {from: A, to: C, p: 0.1}]\n"
    "schedule:\n"                                             /* 5 */
    "  - project: {rounds: 3}\n"
    "  - snapshot: {area: A, name: a0}\n"
    "  - fire_subset: {area: A, fraction: 0.25}\n"
    "  - reset: C\n"
    "  - snapshot: {area: C, name: c.1}\n"                    /* 10 */
    "expect:\n"
    "  - {overlap: [a0, A], min: 2, max: 10}\n"
    "  - {support: C, max: 100}\n"
    "  - {support_stable: A}\n"
    "  - {converged: C, by: 2}\n"                             /* 15 */
    "  - {overlap: [C, c.1], min: 0}\n"
    "  - {converged: A}\n";

START_TEST(test_acalc_ops)
{
    bs_experiment *e = NULL;
    char err[512] = "";
    ck_assert_msg(parse(ACALC, &e, err, sizeof err) == BS_OK, "%s", err);
    ck_assert_str_eq(e->name, "demo-1.x");
    ck_assert_int_eq(e->n_ops, 5);
    ck_assert_uint_eq(e->total_steps, 3);
    ck_assert_int_eq(e->n_snapshots, 2);
    ck_assert_str_eq(e->snapshots[0].name, "a0");
    ck_assert_int_eq(e->snapshots[0].area, 0);
    ck_assert_int_eq(e->snapshots[0].op, 1);
    ck_assert_int_eq(e->snapshots[0].line, 7);
    ck_assert_str_eq(e->snapshots[1].name, "c.1");
    ck_assert_int_eq(e->snapshots[1].area, 1);
    ck_assert_int_eq(e->snapshots[1].op, 4);
    const bs_op *o = e->ops;
    ck_assert_int_eq(o[1].kind, BS_OP_SNAPSHOT);
    ck_assert_int_eq(o[1].area, 0);
    ck_assert_int_eq(o[1].snapshot, 0);
    ck_assert_uint_eq(o[1].rounds, 0);
    ck_assert_int_eq(o[2].kind, BS_OP_FIRE_SUBSET);
    ck_assert_int_eq(o[2].area, 0);
    ck_assert_double_eq(o[2].fraction, 0.25);
    ck_assert_uint_eq(o[2].n_fire, 3);                  /* round(2.5) */
    ck_assert_int_eq(o[3].kind, BS_OP_RESET);
    ck_assert_int_eq(o[3].area, 1);
    ck_assert_int_eq(o[4].snapshot, 1);
    static const char *const want[] = {"project all x3", "snapshot A as a0",
        "fire_subset A 0.25 (3)", "reset C", "snapshot C as c.1"};
    char buf[64];
    for (int i = 0; i < e->n_ops; i++) {
        bs_op_describe(e, i, buf, sizeof buf);
        ck_assert_str_eq(buf, want[i]);
    }
    ck_assert_int_eq(bs_experiment_snapshot(e, "c.1"), 1);
    ck_assert_int_eq(bs_experiment_snapshot(e, "A"), -1);
    bs_experiment_destroy(&e);
}
END_TEST

START_TEST(test_acalc_expect)
{
    bs_experiment *e = NULL;
    char err[512] = "";
    ck_assert_msg(parse(ACALC, &e, err, sizeof err) == BS_OK, "%s", err);
    ck_assert_int_eq(e->n_expects, 6);
    const bs_expect *x = e->expects;
    ck_assert_int_eq(x[0].kind, BS_EXPECT_OVERLAP);
    ck_assert_int_eq(x[0].area, 0);
    ck_assert_int_eq(x[0].set[0], 0);
    ck_assert_int_eq(x[0].set[1], -1);                  /* A's winners */
    ck_assert(x[0].has_min && x[0].has_max);
    ck_assert_uint_eq(x[0].min, 2);
    ck_assert_uint_eq(x[0].max, 10);
    ck_assert_int_eq(x[0].line, 12);
    ck_assert_int_eq(x[1].kind, BS_EXPECT_SUPPORT);
    ck_assert_int_eq(x[1].area, 1);
    ck_assert(!x[1].has_min && x[1].has_max);
    ck_assert_uint_eq(x[1].max, 100);
    ck_assert_int_eq(x[2].kind, BS_EXPECT_SUPPORT_STABLE);
    ck_assert_int_eq(x[2].area, 0);
    ck_assert_int_eq(x[3].kind, BS_EXPECT_CONVERGED);
    ck_assert_int_eq(x[3].area, 1);
    ck_assert(x[3].has_by);
    ck_assert_uint_eq(x[3].by, 2);
    ck_assert_int_eq(x[4].set[0], -1);
    ck_assert_int_eq(x[4].set[1], 1);
    ck_assert_int_eq(x[4].area, 1);
    ck_assert(x[4].has_min && !x[4].has_max);
    ck_assert(!x[5].has_by);
    bs_experiment_destroy(&e);
}
END_TEST

/* Without `name:` the verdict's prefix is the source's base name less its
 * extension. */
START_TEST(test_default_name)
{
    static const char text[] = "areas: [{name: A, n: 10, k: 1}]\n"
                               "schedule: [fix: A]\n";
    static const char *const src[][2] = {{"dir/sub/my.exp.yaml", "my.exp"},
        {"merge.yaml", "merge"}, {"noext", "noext"}, {".hidden", ".hidden"},
        {"<text>", "<text>"}};
    char err[256];
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
        bs_experiment *e = NULL;
        ck_assert_int_eq(bs_experiment_parse(text, strlen(text), src[i][0],
                                             &e, err, sizeof err), BS_OK);
        ck_assert_str_eq(e->name, src[i][1]);
        ck_assert_int_eq(e->n_expects, 0);
        ck_assert_int_eq(e->n_snapshots, 0);
        bs_experiment_destroy(&e);
    }
}
END_TEST

/* ---- bad experiments ---------------------------------------------------- */

typedef struct bad_case {
    const char *text;
    bs_status status;
    const char *pos;            /* ":line:col:" the message must hold */
    const char *key;            /* key path (and more) it must hold */
} bad_case;

#define HDR "areas: [{name: A, n: 100, k: 10}]\n"    /* line 1 */
#define FIB HDR "fibers: [{from: A, to: A, p: 0.1}]\n" /* lines 1-2 */

static const bad_case BAD[] = {
    {"areas: [{name: A, n: 100, k: 0}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:30:", "areas[0].k: value '0' is invalid: must be an integer in "
     "1..n (n = 100)"},
    {"areas:\n  - name: A\n    n: 1000\n    k: 1001\nschedule: [fix: A]\n",
     BS_ERR_PARSE, ":4:8:", "areas[0].k: value '1001'"},
    {"areas: [{name: A, k: 10}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:9:", "areas[0]: missing key 'n'"},
    {"areas: [{name: A, n: 2199023255552, k: 1}]\nschedule: [fix: A]\n",
     BS_ERR_LIMIT, ":1:22:", "areas[0].n"},
    {"areas: [{name: A, n: 99999999999999999999999, k: 1}]\n"
     "schedule: [fix: A]\n", BS_ERR_LIMIT, ":1:22:", "areas[0].n"},
    {"areas: [{name: A, n: 20000000, k: 16777217}]\nschedule: [fix: A]\n",
     BS_ERR_LIMIT, ":1:35:", "areas[0].k: k = 16777217 exceeds"},
    {"areas: [{name: A, n: +5, k: 1}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:22:", "areas[0].n: value '+5'"},
    {"areas: [{name: A, n: 010, k: 1}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:22:", "areas[0].n: value '010'"},
    {"areas: [{name: A, n: 1_000, k: 1}]\nschedule: [fix: A]\n",
     BS_ERR_PARSE, ":1:22:", "areas[0].n"},
    {HDR "fibers: [{from: A, to: A, p: 0}]\nschedule: [project: {}]\n",
     BS_ERR_PARSE, ":2:30:", "fibers[0].p: value '0' is invalid"},
    {HDR "fibers: [{from: A, to: A, p: 1.5}]\nschedule: [project: {}]\n",
     BS_ERR_PARSE, ":2:30:", "fibers[0].p: value '1.5'"},
    {HDR "fibers: [{from: A, to: A, p: nan}]\nschedule: [project: {}]\n",
     BS_ERR_PARSE, ":2:30:", "fibers[0].p: value 'nan'"},
    {HDR "fibers: [{from: A, to: A, p: 1e-400}]\nschedule: [project: {}]\n",
     BS_ERR_PARSE, ":2:30:", "fibers[0].p"},
    {"defaults: {beta: -1}\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:18:", "defaults.beta: value '-1' is invalid: must be a number in "
     "[0, 10]"},
    {"defaults: {beta: 10.5}\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:18:", "defaults.beta"},
    {"defaults: {q: 1}\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:12:", "defaults: unknown key 'q' (allowed keys: p, beta)"},
    {HDR "fibers: [{from: A, to: A}]\nschedule: [project: {}]\n",
     BS_ERR_PARSE, ":2:10:", "fibers[0].p: fiber 'A->A' has no p"},
    {HDR "fibers: [{from: X, to: A, p: 0.1}]\nschedule: [fix: A]\n",
     BS_ERR_PARSE, ":2:17:", "fibers[0].from: value 'X' is invalid: no such "
     "name; must name an area or a stimulus (areas: A; stimuli: none)"},
    {HDR "stimuli: [{name: s, k: 1}]\nfibers: [{from: A, to: s, p: 0.1}]\n"
     "schedule: [fix: A]\n", BS_ERR_PARSE, ":3:24:", "fibers[0].to: value 's'"
     " is invalid: it is a stimulus"},
    {FIB "  - {from: A, to: A, p: 0.2}\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":3:3:", "YAML syntax error: did not find expected key"},
    {HDR "fibers: [{from: A, to: A, p: 0.1}, {from: A, to: A, p: 0.2}]\n"
     "schedule: [fix: A]\n", BS_ERR_PARSE, ":2:36:", "fibers[1]: a fiber "
     "from 'A' to 'A' already exists"},
    {HDR "fibers: [{from: A, to: A, p: 0.1, name: A}]\nschedule: [fix: A]\n",
     BS_ERR_PARSE, ":2:41:", "fibers[0].name: name 'A' is already used by "
     "an area"},
    {HDR "fibers: [{from: A, to: A, p: 0.1, cap: 0}]\nschedule: [fix: A]\n",
     BS_ERR_PARSE, ":2:40:", "fibers[0].cap: value '0'"},
    {HDR "fibers: [{from: A, to: A, p: 0.1, cap: 70000}]\n"
     "schedule: [fix: A]\n", BS_ERR_PARSE, ":2:40:", "fibers[0].cap"},
    {HDR "stimuli: [{name: A, k: 3}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":2:18:", "stimuli[0].name: name 'A' is already used by an area"},
    {HDR "stimuli: [{name: s, k: 0}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":2:24:", "stimuli[0].k"},
    {HDR "stimuli: [{name: s, n: 3}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":2:21:", "stimuli[0]: unknown key 'n' (allowed keys: name, k)"},
    {"areas: [{name: '', n: 10, k: 1}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:16:", "areas[0].name: value '' is invalid"},
    {"areas: [{name: A->B, n: 10, k: 1}]\nschedule: [fix: A]\n",
     BS_ERR_PARSE, ":1:16:", "areas[0].name: value 'A->B' is invalid"},
    {"areas: [{name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaa, n: 10, k: 1}]\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:16:", "areas[0].name"},
    {"areas: []\nschedule: [fix: A]\n", BS_ERR_PARSE, ":1:8:",
     "areas: the list is empty"},
    {"schedule: [fix: A]\n", BS_ERR_PARSE, ":1:1:",
     "top level: missing key 'areas'"},
    {HDR, BS_OK, "", ""},                     /* no schedule: interactive */
    {HDR "schedule: []\n", BS_OK, "", ""},
    {HDR "schedule: {}\n", BS_ERR_PARSE, ":2:11:", "schedule: expected a "
     "list"},
    {HDR "schedule:\n  - fix: B\n", BS_ERR_PARSE, ":3:10:", "schedule[0].fix: "
     "value 'B' is invalid: no such name; must name an area (areas: A)"},
    {FIB "schedule:\n  - unfix: A->A\n", BS_ERR_PARSE, ":4:12:",
     "schedule[0].unfix: value 'A->A' is invalid: it is a fiber"},
    {FIB "schedule:\n  - project: {rounds: 0}\n", BS_ERR_PARSE, ":4:23:",
     "schedule[0].project.rounds: value '0' is invalid"},
    {FIB "schedule:\n  - project: {rounds: -3}\n", BS_ERR_PARSE, ":4:23:",
     "schedule[0].project.rounds: value '-3' is invalid"},
    {FIB "schedule:\n  - project: {rounds: 1000000001}\n", BS_ERR_LIMIT,
     ":4:23:", "schedule[0].project.rounds"},
    {FIB "schedule:\n  - project: {rounds: 1000000000}\n"
     "  - project: {rounds: 1000000000}\n" /* 10^12 total is fine, ... */
     "  - project: {rounds: 1000000000}\n", BS_OK, "", ""},
    {FIB "schedule:\n  - project: {fibers: [A->A, A->A]}\n", BS_ERR_PARSE,
     ":4:30:", "schedule[0].project.fibers[1]: fiber 'A->A' is listed twice"},
    {FIB "schedule:\n  - project: {fibers: [A]}\n", BS_ERR_PARSE, ":4:24:",
     "schedule[0].project.fibers[0]: value 'A' is invalid: it is an area; "
     "must name a fiber (fibers: A->A)"},
    {FIB "schedule:\n  - project: {fibers: A->A}\n", BS_ERR_PARSE, ":4:23:",
     "schedule[0].project.fibers: expected a list"},
    {HDR "schedule:\n  - project: {}\n", BS_ERR_PARSE, ":3:14:",
     "schedule[0].project: the experiment has no fibers"},
    {FIB "schedule:\n  - project: [A->A]\n", BS_ERR_PARSE, ":4:14:",
     "schedule[0].project: expected a map, found a list"},
    {HDR "schedule:\n  - {fix: A, unfix: A}\n", BS_ERR_PARSE, ":3:14:",
     "schedule[0]: a schedule item is a map with exactly one key"},
    {HDR "schedule:\n  - {}\n", BS_ERR_PARSE, ":3:5:", "schedule[0]: a "
     "schedule item is a map with exactly one key"},
    {HDR "schedule:\n  - fix\n", BS_ERR_PARSE, ":3:5:", "schedule[0]: "
     "expected a map, found value 'fix'"},
    {HDR "schedule:\n  - step: 1\n", BS_ERR_PARSE, ":3:5:", "schedule[0]: "
     "unknown operation 'step' (allowed: project, fix, unfix, set_assembly, "
     "inhibit, disinhibit, checkpoint, snapshot, fire_subset, reset, fire, "
     "plasticity)"},
    {HDR "schedule:\n  - set_assembly: {area: A, neurons: [1, 2]}\n",
     BS_OK, "", ""},                          /* 1..k ids */
    {HDR "schedule:\n  - set_assembly: {area: A, neurons: [0, 1, 2, 3, 4, "
     "5, 6, 7, 8, 9, 10]}\n", BS_ERR_PARSE, ":3:38:", "schedule[0].set_assembly"
     ".neurons: 11 ids given: must be 1 to k = 10 distinct ids of area 'A'"},
    {HDR "schedule:\n  - fire: {area: A, neurons: []}\n", BS_ERR_PARSE,
     ":3:30:", "schedule[0].fire.neurons: 0 ids given: must be 1 to k = 10"},
    {HDR "schedule:\n  - fire: {area: A, neurons: [3, 3]}\n", BS_ERR_PARSE,
     ":3:34:", "schedule[0].fire.neurons[1]: id 3 is listed twice"},
    {HDR "schedule:\n  - fire: {area: A, neurons: [100]}\n", BS_ERR_PARSE,
     ":3:31:", "schedule[0].fire.neurons[0]: value '100' is invalid: must be "
     "an id in 0..n-1"},
    {HDR "schedule:\n  - fire: {area: A}\n", BS_ERR_PARSE, ":3:11:",
     "schedule[0].fire: missing key 'neurons'"},
    {HDR "schedule:\n  - plasticity: maybe\n", BS_ERR_PARSE, ":3:17:",
     "schedule[0].plasticity: value 'maybe' is invalid: must be off, on"},
    {HDR "schedule:\n  - plasticity: {beta: 0.1}\n", BS_ERR_PARSE, ":3:17:",
     "schedule[0].plasticity: give exactly one of 'fiber'"},
    {FIB "schedule:\n  - plasticity: {fiber: A->B, beta: 0.1}\n",
     BS_ERR_PARSE, ":4:25:", "schedule[0].plasticity.fiber: value 'A->B' is "
     "invalid: no such name"},
    {FIB "schedule:\n  - plasticity: {fiber: A->A, beta: -1}\n",
     BS_ERR_PARSE, ":4:37:", "schedule[0].plasticity.beta: value '-1'"},
    {FIB "schedule:\n  - plasticity: {area: A, beta: 0.1, fiber: A->A}\n",
     BS_ERR_PARSE, ":4:17:", "schedule[0].plasticity: give exactly one"},
    {"areas: [{name: A, n: 100, k: 2}]\n"
     "schedule:\n  - set_assembly: {area: A, neurons: [1, 100]}\n",
     BS_ERR_PARSE, ":3:42:", "schedule[0].set_assembly.neurons[1]: value "
     "'100' is invalid: must be an id in 0..n-1 (n = 100)"},
    {"areas: [{name: A, n: 100, k: 2}]\n"
     "schedule:\n  - set_assembly: {area: A, neurons: [4, 4]}\n",
     BS_ERR_PARSE, ":3:42:", "schedule[0].set_assembly.neurons[1]: id 4 is "
     "listed twice"},
    {HDR "schedule:\n  - set_assembly: {area: A}\n", BS_ERR_PARSE, ":3:19:",
     "schedule[0].set_assembly: missing key 'neurons' (or 'random: true')"},
    {HDR "schedule:\n  - set_assembly: {area: A, random: false}\n",
     BS_ERR_PARSE, ":3:19:", "schedule[0].set_assembly: missing key "
     "'neurons'"},
    {HDR "schedule:\n  - set_assembly: {random: true}\n", BS_ERR_PARSE,
     ":3:19:", "schedule[0].set_assembly: missing key 'area'"},
    {HDR "schedule:\n  - set_assembly: {area: A, random: 1}\n", BS_ERR_PARSE,
     ":3:37:", "schedule[0].set_assembly.random: value '1' is invalid: must "
     "be true or false"},
    {HDR "schedule:\n  - set_assembly: {area: A, random: 'true'}\n",
     BS_ERR_PARSE, ":3:37:", "without quotes"},
    {HDR "schedule:\n  - inhibit: Z\n", BS_ERR_PARSE, ":3:14:",
     "schedule[0].inhibit: value 'Z' is invalid: no such name; must name an "
     "area or a fiber (areas: A; fibers: none)"},
    {HDR "schedule:\n  - disinhibit: [A]\n", BS_ERR_PARSE, ":3:17:",
     "schedule[0].disinhibit: expected a single value, found a list"},
    {"seed: -1\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE, ":1:7:",
     "seed: value '-1' is invalid"},
    {"seed: 18446744073709551616\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE,
     ":1:7:", "seed: value '18446744073709551616'"},
    {"seed: 1\nseed: 2\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE, ":2:1:",
     "top level: duplicate key 'seed' (first given at line 1)"},
    {"Areas: []\n", BS_ERR_PARSE, ":1:1:", "top level: unknown key 'Areas'"},
    {"", BS_ERR_PARSE, ":1:1:", "top level: the experiment is empty"},
    {"# only a comment\n", BS_ERR_PARSE, ":1:1:", "the experiment is empty"},
    {"just a string\n", BS_ERR_PARSE, ":1:1:", "top level: expected a map, "
     "found value 'just a string'"},
    {"- 1\n- 2\n", BS_ERR_PARSE, ":1:1:", "top level: expected a map, found a"
     " list"},
    {"areas: [{name: A, n: 100, k: 10}\nschedule: [fix: A]\n", BS_ERR_PARSE,
     ":2:1:", "YAML syntax error: did not find expected ',' or ']'"},
    {"areas:\n\t- {name: A, n: 100, k: 10}\n", BS_ERR_PARSE, ":2:1:",
     "tabs may not indent YAML"},
    {"a: &x [1]\nb: *x\n", BS_ERR_PARSE, ":2:4:", "aliases (*name) are not "
     "supported"},
    {"a: *x\n", BS_ERR_PARSE, ":1:4:", "aliases"},
    {"x: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
     BS_ERR_PARSE, ":1:", "nest too deeply"},
    {"areas: [{name: A, n: 1}]\n---\nareas: []\n", BS_ERR_PARSE, ":2:1:",
     "a second document"},
    {"areas: [{name: A, n: 100, k: 10}]\n? [x]\n: 1\n", BS_ERR_PARSE, ":2:3:",
     "top level: unknown key a list"},
    {"a: \xff\n", BS_ERR_PARSE, ":1:4:", "YAML: invalid leading UTF-8 octet "
     "(byte 0xFF at offset 3)"},
    {"\xff\xfe" "a: 1\n", BS_ERR_PARSE, ":1:1:", "YAML: invalid leading UTF-8"},
    {"\xef\xbb\xbf" HDR "schedule: [fix: A]\n", BS_OK, "", ""}, /* BOM */
    /* snapshot, fire_subset, reset */
    {HDR "schedule:\n  - snapshot: {area: A}\n", BS_ERR_PARSE, ":3:15:",
     "schedule[0].snapshot: missing key 'name' (required keys: area, name)"},
    {HDR "schedule:\n  - snapshot: {area: X, name: x}\n", BS_ERR_PARSE,
     ":3:22:", "schedule[0].snapshot.area: value 'X' is invalid: no such "
     "name; must name an area (areas: A)"},
    {HDR "stimuli: [{name: s, k: 1}]\n"
     "schedule:\n  - snapshot: {area: A, name: s}\n", BS_ERR_PARSE,
     ":4:31:", "schedule[0].snapshot.name: name 's' is already used by a "
     "stimulus"},
    {HDR "schedule:\n  - snapshot: {area: A, name: 'a b'}\n", BS_ERR_PARSE,
     ":3:31:", "schedule[0].snapshot.name: value 'a b' is invalid"},
    {HDR "schedule:\n  - snapshot: A\n", BS_ERR_PARSE, ":3:15:",
     "schedule[0].snapshot: expected a map, found value 'A'"},
    {HDR "schedule:\n  - fire_subset: {area: A, fraction: 0}\n",
     BS_ERR_PARSE, ":3:38:", "schedule[0].fire_subset.fraction: value '0' "
     "is invalid: must be a number in (0, 1]"},
    {HDR "schedule:\n  - fire_subset: {area: A, fraction: 1.0001}\n",
     BS_ERR_PARSE, ":3:38:", "(0, 1]"},
    {HDR "schedule:\n  - fire_subset: {area: A}\n", BS_ERR_PARSE, ":3:18:",
     "schedule[0].fire_subset: missing key 'fraction'"},
    {HDR "schedule:\n  - fire_subset: {area: A, fraction: 0.04}\n",
     BS_ERR_PARSE, ":3:38:", "fraction 0.04 of k = 10 of area 'A' rounds "
     "to no neuron"},
    {HDR "schedule:\n  - fire_subset: {area: A, fraction: 0.05}\n", BS_OK,
     "", ""},                                  /* round(0.5) = 1 */
    {HDR "schedule:\n  - reset: [A]\n", BS_ERR_PARSE, ":3:12:",
     "schedule[0].reset: expected a single value, found a list"},
    /* name and expect */
    {"name: ''\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE, ":1:7:",
     "name: value '' is invalid"},
    {"name: [a]\n" HDR "schedule: [fix: A]\n", BS_ERR_PARSE, ":1:7:",
     "name: expected a single value, found a list"},
    {HDR "schedule: [fix: A]\nexpect: []\n", BS_ERR_PARSE, ":3:9:",
     "expect: the list is empty"},
    {HDR "schedule: [fix: A]\nexpect: {support: A}\n", BS_ERR_PARSE,
     ":3:9:", "expect: expected a list, found a map"},
    {HDR "schedule: [fix: A]\nexpect: [support]\n", BS_ERR_PARSE, ":3:10:",
     "expect[0]: expected a map, found value 'support'"},
    {HDR "schedule: [fix: A]\nexpect: [{max: 3}]\n", BS_ERR_PARSE,
     ":3:10:", "expect[0]: an expectation has exactly one of overlap, "
     "support, support_stable, converged (0 given)"},
    {HDR "schedule: [fix: A]\nexpect: [{overlap: [A, A, A], max: 3}]\n",
     BS_ERR_PARSE, ":3:20:", "expect[0].overlap: 3 names given: must be two"},
    {HDR "schedule: [fix: A]\nexpect: [{overlap: A, max: 3}]\n",
     BS_ERR_PARSE, ":3:20:", "expect[0].overlap: expected a list"},
    {HDR "schedule: [fix: A]\nexpect: [{overlap: [A, A], min: 3}]\n",
     BS_OK, "", ""},
    {HDR "schedule: [fix: A]\nexpect: [{support: Z, max: 3}]\n",
     BS_ERR_PARSE, ":3:20:", "expect[0].support: value 'Z' is invalid: no "
     "such name; must name an area (areas: A)"},
    {HDR "schedule: [fix: A]\nexpect: [{support_stable: A, min: 3}]\n",
     BS_ERR_PARSE, ":3:35:", "expect[0].min: 'min' applies to overlap and "
     "support, not to support_stable"},
    {HDR "schedule: [fix: A]\nexpect: [{converged: A, max: 3}]\n",
     BS_ERR_PARSE, ":3:30:", "expect[0].max: 'max' applies to overlap and "
     "support, not to converged"},
    {HDR "schedule: [fix: A]\nexpect: [{support: A, max: -3}]\n",
     BS_ERR_PARSE, ":3:28:", "expect[0].max: value '-3' is invalid"},
    {HDR "schedule: [fix: A]\nexpect: [{converged: A, by: x}]\n",
     BS_ERR_PARSE, ":3:29:", "expect[0].by: value 'x' is invalid: must be a "
     "step number"},
    {HDR "schedule: [fix: A]\nexpect: [{overlap: [A, x], max: 1}]\n",
     BS_ERR_PARSE, ":3:24:", "expect[0].overlap[1]: value 'x' is invalid: "
     "no snapshot or area of that name; must name a snapshot or an area "
     "(snapshots: none; areas: A)"},
};

START_TEST(test_bad_case)
{
    const bad_case *b = &BAD[_i];
    bs_experiment *e = (bs_experiment *)b;               /* must be reset */
    char err[1024] = "";
    bs_status st = parse(b->text, &e, err, sizeof err);
    ck_assert_msg(st == b->status, "case %d: status %d, want %d: %s", _i,
                  (int)st, (int)b->status, err);
    if (st == BS_OK) { bs_experiment_destroy(&e); return; }
    ck_assert_ptr_null(e);
    ck_assert_msg(strncmp(err, "exp.yaml:", 9) == 0, "case %d: %s", _i, err);
    ck_assert_msg(strstr(err, b->pos) != NULL, "case %d: no '%s' in: %s", _i,
                  b->pos, err);
    ck_assert_msg(strstr(err, b->key) != NULL, "case %d: no '%s' in: %s", _i,
                  b->key, err);
}
END_TEST

START_TEST(test_total_steps_limit)
{
    static const char op[] = "- project: {rounds: 1000000000}\n";
    char *text = malloc(1100 * sizeof op), *at = text;
    at += sprintf(at, "%s", FIB "schedule:\n");
    for (int i = 0; i < 1001; i++) at += sprintf(at, "%s", op);
    bs_experiment *e = NULL;
    char err[512];
    ck_assert_int_eq(parse(text, &e, err, sizeof err), BS_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(err, ":1004:21: schedule[1000].project: "));
    ck_assert_ptr_nonnull(strstr(err, "10^12"));
    free(text);
}
END_TEST

START_TEST(test_too_many_areas)
{
    size_t cap = 64 * 5000;
    char *text = malloc(cap);
    strcpy(text, "areas:\n");
    for (int i = 0; i <= BS_MAX_ENTITIES; i++)
        sprintf(text + strlen(text), "- {name: a%d, n: 10, k: 1}\n", i);
    strcat(text, "schedule: [fix: a0]\n");
    bs_experiment *e = NULL;
    char err[512];
    ck_assert_int_eq(parse(text, &e, err, sizeof err), BS_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(err, "exp.yaml:2:1: areas: 4097 entries"));
    free(text);
}
END_TEST

/* Mutations of a good experiment: every result is a clean status and no
 * sanitizer or leak report (run this suite under ASan or valgrind). */
START_TEST(test_mutations)
{
    size_t len = strlen(FULL);
    char *buf = malloc(len + 1), err[256];
    static const char alphabet[] = "[]{}:,-?*&!|>'\"#\n\t 0123456789.aAeE";
    uint32_t x = 12345;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, FULL, len + 1);
        size_t n = len;
        for (int m = 0; m < 1 + it % 4 && n > 0; m++) {
            x = x * 1103515245u + 12345u;
            size_t at = (x >> 8) % n;
            x = x * 1103515245u + 12345u;
            if (x & 0x10000) buf[at] = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            else n = at;                                 /* truncate */
        }
        bs_experiment *e = NULL;
        bs_status st = bs_experiment_parse(buf, n, "m.yaml", &e, err,
                                           sizeof err);
        ck_assert(st == BS_OK || st == BS_ERR_PARSE || st == BS_ERR_LIMIT);
        ck_assert(st == BS_OK ? e != NULL : e == NULL);
        ck_assert(st == BS_OK || strncmp(err, "m.yaml:", 7) == 0);
        bs_experiment_destroy(&e);
    }
    free(buf);
}
END_TEST

/* ---- the files in tests/bad -------------------------------------------- */

/* Loads one bad file and checks its "# expect:" lines; returns 1 if ok. */
static int check_bad_file(const char *path)
{
    char err[1024] = "", line[512];
    bs_experiment *e = NULL;
    bs_status st = bs_experiment_load(path, &e, err, sizeof err);
    FILE *f = fopen(path, "r");
    int n_expect = 0, ok = (st == BS_ERR_PARSE || st == BS_ERR_LIMIT) && !e;
    if (!ok) fprintf(stderr, "%s: status %d: %s\n", path, (int)st, err);
    if (strstr(err, path) != err) ok = 0;
    while (f && fgets(line, sizeof line, f)
           && strncmp(line, "# expect: ", 10) == 0) {
        line[strcspn(line, "\n")] = '\0';
        n_expect++;
        if (!strstr(err, line + 10)) {
            fprintf(stderr, "%s: message lacks '%s': %s\n", path, line + 10,
                    err);
            ok = 0;
        }
    }
    if (f) fclose(f);
    if (n_expect == 0) fprintf(stderr, "%s: no '# expect:' line\n", path);
    bs_experiment_destroy(&e);
    return ok && n_expect > 0;
}

START_TEST(test_bad_files)
{
    char dir[1024], path[2048];
    snprintf(dir, sizeof dir, "%s/bad", check_srcdir());
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (set srcdir)", dir);
    int n_files = 0, n_ok = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        n_files++;
        n_ok += check_bad_file(path);
    }
    closedir(d);
    ck_assert_int_ge(n_files, 18);
    ck_assert_msg(n_ok == n_files, "%d of %d bad files failed their "
                  "expectations (see stderr)", n_files - n_ok, n_files);
}
END_TEST

static Suite *experiment_suite(void)
{
    Suite *s = suite_create("experiment");
    TCase *good = tcase_create("good");
    tcase_add_test(good, test_full_entities);
    tcase_add_test(good, test_full_fibers);
    tcase_add_test(good, test_full_schedule);
    tcase_add_test(good, test_describe);
    tcase_add_test(good, test_defaults);
    tcase_add_test(good, test_limits_accepted);
    tcase_add_test(good, test_load_good_file);
    tcase_add_test(good, test_acalc_ops);
    tcase_add_test(good, test_acalc_expect);
    tcase_add_test(good, test_default_name);
    suite_add_tcase(s, good);
    TCase *bad = tcase_create("bad");
    tcase_set_timeout(bad, 60);
    tcase_add_loop_test(bad, test_bad_case, 0,
                        (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(bad, test_load_missing_file);
    tcase_add_test(bad, test_bad_args);
    tcase_add_test(bad, test_nul_byte);
    tcase_add_test(bad, test_total_steps_limit);
    tcase_add_test(bad, test_too_many_areas);
    tcase_add_test(bad, test_mutations);
    tcase_add_test(bad, test_bad_files);
    suite_add_tcase(s, bad);
    return s;
}

int main(void)
{
    return check_run(experiment_suite(), CHECK_FORK, "experiment");
}
