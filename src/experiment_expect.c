/*
 * experiment_expect.c - the expectations of an experiment (its `expect:`
 * list: overlap, support, support_stable, converged) and its `name`, the
 * verdict's prefix; contracts in experiment_parse.h.
 */
#include "experiment_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- expectations ------------------------------------------------------- */

/* "snapshots: a, b" (names stop, with " ...", before LIST_LEN / 2). */
static const char *list_snapshots(const bs_experiment *e, char *buf)
{
    size_t at = (size_t)sprintf(buf, "snapshots:%s", e->n_snapshots ? ""
                                : " none");
    for (int i = 0; i < e->n_snapshots; i++) {
        if (at + strlen(e->snapshots[i].name) + 6 > LIST_LEN / 2) {
            at += (size_t)sprintf(buf + at, " ...");
            break;
        }
        at += (size_t)sprintf(buf + at, "%s %s", i ? "," : "",
                              e->snapshots[i].name);
    }
    return buf;
}

/* One set of an overlap: a snapshot (*set its index) or an area's current
 * winners (*set -1); *area receives the area. */
static bs_status expect_set(ctx *c, yaml_node_t *n, const char *path,
                            int *set, int *area)
{
    char b[SHOW_LEN], l1[LIST_LEN], l2[LIST_LEN];
    bs_status st = bs_exp_want(c, n, YAML_SCALAR_NODE, path);
    const char *s = bs_exp_text_of(n);
    int i;
    if (st != BS_OK) return st;
    if (s && (i = bs_experiment_snapshot(c->e, s)) >= 0) {
        *set = i;
        *area = c->e->snapshots[i].area;
        return BS_OK;
    }
    if (s && (i = bs_experiment_area(c->e, s)) >= 0) {
        *set = -1;
        *area = i;
        return BS_OK;
    }
    return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%s is invalid: no snapshot "
                       "or area of that name; must name a snapshot or an "
                       "area (%s; %s)", bs_exp_describe(n, b),
                       list_snapshots(c->e, l1),
                       bs_exp_list_names(c->e, 1u << REF_AREA, l2));
}

/* overlap: [x, y], two sets of the same area. */
static bs_status expect_overlap(ctx *c, yaml_node_t *n, const char *path,
                                bs_expect *x)
{
    char ip[PATH_LEN];
    int area[2];
    bs_status st = bs_exp_want(c, n, YAML_SEQUENCE_NODE, path);
    if (st != BS_OK) return st;
    size_t len = (size_t)(n->data.sequence.items.top
                          - n->data.sequence.items.start);
    if (len != 2)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%zu names given: must "
                           "be two (snapshots, or areas for their current "
                           "winners)", len);
    for (size_t i = 0; i < 2 && st == BS_OK; i++)
        st = expect_set(c, bs_exp_elem(c, n, i), bs_exp_item(ip, path, i),
                        &x->set[i], &area[i]);
    if (st != BS_OK) return st;
    if (area[0] != area[1])
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "'%s' holds winners of "
                           "area '%s' and '%s' of area '%s': an overlap "
                           "compares two sets of the same area",
                           bs_exp_text_of(bs_exp_elem(c, n, 0)),
                           c->e->areas[area[0]].name,
                           bs_exp_text_of(bs_exp_elem(c, n, 1)),
                           c->e->areas[area[1]].name);
    x->area = area[0];
    return BS_OK;
}

/* The bounds min, max (v[0], v[1]) and by (v[2]) of expectation x. */
static bs_status expect_bounds(ctx *c, yaml_node_t *n, const char *path,
                               yaml_node_t **v, bs_expect *x)
{
    static const char *const kinds[] = {"overlap", "support",
                                        "support_stable", "converged"};
    char kp[PATH_LEN];
    const char *all = "an integer in 0..18446744073709551615";
    int bounded = x->kind == BS_EXPECT_OVERLAP || x->kind == BS_EXPECT_SUPPORT;
    bs_status st = BS_OK;
    for (int i = 0; i < 2 && st == BS_OK; i++) {
        const char *key = i ? "max" : "min";
        if (!v[i]) continue;
        if (!bounded)
            return bs_exp_fail(c, BS_ERR_PARSE, v[i],
                               bs_exp_sub(kp, path, key), "'%s' applies to "
                               "overlap and support, not to %s", key,
                               kinds[x->kind]);
        st = bs_exp_uint(c, v[i], bs_exp_sub(kp, path, key), 0, UINT64_MAX,
                         BS_ERR_PARSE, all, i ? &x->max : &x->min);
        *(i ? &x->has_max : &x->has_min) = 1;
    }
    if (st != BS_OK) return st;
    if (bounded && !x->has_min && !x->has_max)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%s needs a bound: give "
                           "'min', 'max' or both", kinds[x->kind]);
    if (x->has_min && x->has_max && x->min > x->max)
        return bs_exp_fail(c, BS_ERR_PARSE, v[1], bs_exp_sub(kp, path, "max"),
                           "max %llu is below min %llu",
                           (unsigned long long)x->max,
                           (unsigned long long)x->min);
    if (v[2] && x->kind != BS_EXPECT_CONVERGED)
        return bs_exp_fail(c, BS_ERR_PARSE, v[2], bs_exp_sub(kp, path, "by"),
                           "'by' applies to converged, not to %s",
                           kinds[x->kind]);
    if (v[2]) {
        x->has_by = 1;
        st = bs_exp_uint(c, v[2], bs_exp_sub(kp, path, "by"), 0,
                         MAX_TOTAL_STEPS, BS_ERR_PARSE, "a step number in "
                         "0..10^12", &x->by);
    }
    return st;
}

/* Expectation n at path into *x: exactly one kind, its area or sets, and
 * the bounds that kind takes.  As every reader (experiment_parse.h). */
static bs_status parse_expect_item(ctx *c, yaml_node_t *n, const char *path,
                                   bs_expect *x)
{
    static const char *const keys[] = {"overlap", "support", "support_stable",
                                       "converged", "min", "max", "by"};
    char kp[PATH_LEN], list[LIST_LEN];
    yaml_node_t *v[7];
    int kind, n_kinds = 0;
    bs_status st = bs_exp_fields(c, n, path, keys, 7, 0, v);
    if (st != BS_OK) return st;
    x->line = (int)n->start_mark.line + 1;
    x->col = (int)n->start_mark.column + 1;
    x->set[0] = x->set[1] = -1;
    for (int i = BS_EXPECT_N_KINDS - 1; i >= 0; i--)
        if (v[i]) { x->kind = (bs_expect_kind)i; n_kinds++; }
    if (n_kinds != 1)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "an expectation has "
                           "exactly one of %s (%d given)",
                           bs_exp_join_keys(keys, BS_EXPECT_N_KINDS, list),
                           n_kinds);
    bs_exp_sub(kp, path, keys[x->kind]);
    if (x->kind == BS_EXPECT_OVERLAP)
        st = expect_overlap(c, v[0], kp, x);
    else
        st = bs_exp_resolve(c, v[x->kind], kp, 1u << REF_AREA, &kind,
                            &x->area);
    if (st == BS_OK)
        st = expect_bounds(c, n, path, v + 4, x);
    return st;
}

bs_status bs_exp_expects(ctx *c, yaml_node_t *n)
{
    char path[PATH_LEN];
    size_t len;
    bs_status st = bs_exp_list_len(c, n, "expect", 1, BS_MAX_ENTITIES, &len);
    if (st != BS_OK) return st;
    c->e->expects = calloc(len, sizeof *c->e->expects);
    if (!c->e->expects)
        return bs_exp_fail(c, BS_ERR_NOMEM, n, "expect", "out of memory");
    for (size_t i = 0; i < len && st == BS_OK; i++) {
        st = parse_expect_item(c, bs_exp_elem(c, n, i),
                               bs_exp_item(path, "expect", i),
                               &c->e->expects[i]);
        if (st == BS_OK) c->e->n_expects++;
    }
    return st;
}

bs_status bs_exp_parse_name(ctx *c, yaml_node_t *n)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
                             "UVWXYZ0123456789_.-";
    char b[SHOW_LEN];
    bs_experiment *e = c->e;
    if (!n) {
        const char *base = strrchr(c->src, '/');
        base = base ? base + 1 : c->src;
        size_t len = strlen(base);
        const char *dot = strrchr(base, '.');
        if (dot && dot > base) len = (size_t)(dot - base);
        if (len >= BS_NAME_MAX) len = BS_NAME_MAX - 1;
        memcpy(e->name, base, len);
        e->name[len] = '\0';
        return BS_OK;
    }
    bs_status st = bs_exp_want(c, n, YAML_SCALAR_NODE, "name");
    const char *s = bs_exp_text_of(n);
    size_t len = s ? strlen(s) : 0;
    if (st != BS_OK) return st;
    if (!s || len == 0 || len >= BS_NAME_MAX || strspn(s, ok) != len)
        return bs_exp_fail(c, BS_ERR_PARSE, n, "name", "%s is invalid: a name "
                           "is 1 to %d characters from A-Z a-z 0-9 _ . -",
                           bs_exp_describe(n, b), BS_NAME_MAX - 1);
    memcpy(e->name, s, len + 1);
    return BS_OK;
}
