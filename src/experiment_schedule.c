/*
 * experiment_schedule.c - the schedule of an experiment: each operation
 * (project, fix, unfix, set_assembly, inhibit, disinhibit, checkpoint,
 * snapshot, fire_subset, reset, fire, plasticity) checked against the
 * schema and the entities (contracts in experiment_parse.h), one item
 * appended at a time (bs_experiment_parse_op), and bs_op_describe and
 * bs_op_where of experiment.h.
 */
#include "experiment_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schedule ----------------------------------------------------------- */

/* project.fibers: a non-empty list of distinct fiber names into
 * op->fibers.  As every reader (experiment_parse.h). */
static bs_status parse_fiber_list(ctx *c, yaml_node_t *n, const char *path,
                                  bs_op *op)
{
    char ip[PATH_LEN];
    size_t len;
    int kind;
    bs_status st = bs_exp_list_len(c, n, path, 0, (size_t)INT32_MAX, &len);
    if (st != BS_OK) return st;
    if (len == 0)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "the list is empty: omit "
                           "'fibers' to project along every fiber");
    if (len > (size_t)c->e->n_fibers)        /* a repeat or unknown name */
        len = (size_t)c->e->n_fibers + 1;    /* stops the loop in time */
    op->fibers = malloc(len * sizeof *op->fibers);
    if (!op->fibers)
        return bs_exp_fail(c, BS_ERR_NOMEM, n, path, "out of memory");
    op->n_fibers = 0;
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *x = bs_exp_elem(c, n, i);
        int f;
        st = bs_exp_resolve(c, x, bs_exp_item(ip, path, i), 1u << REF_FIBER,
                            &kind, &f);
        for (int j = 0; st == BS_OK && j < op->n_fibers; j++)
            if (op->fibers[j] == f)
                st = bs_exp_fail(c, BS_ERR_PARSE, x, ip, "fiber '%s' is "
                                 "listed twice", c->e->fibers[f].name);
        if (st != BS_OK) return st;
        op->fibers[op->n_fibers++] = f;
    }
    return BS_OK;
}

/* project: {fibers, rounds} into op (rounds default 1), added to the
 * total steps (BS_ERR_LIMIT beyond 10^12).  As every reader. */
static bs_status parse_project(ctx *c, yaml_node_t *n, const char *path,
                               bs_op *op)
{
    static const char *const keys[] = {"fibers", "rounds"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    bs_status st = bs_exp_fields(c, n, path, keys, 2, 0, v);
    if (st != BS_OK) return st;
    if (c->e->n_fibers == 0)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "the experiment has no "
                           "fibers to project along");
    op->rounds = 1;
    if (v[1])
        st = bs_exp_uint(c, v[1], bs_exp_sub(kp, path, "rounds"), 1,
                         MAX_ROUNDS, BS_ERR_LIMIT, "an integer in "
                         "1..1000000000", &op->rounds);
    if (st == BS_OK && v[0])
        st = parse_fiber_list(c, v[0], bs_exp_sub(kp, path, "fibers"), op);
    if (st != BS_OK) return st;
    c->e->total_steps += op->rounds;
    if (c->e->total_steps > MAX_TOTAL_STEPS)
        return bs_exp_fail(c, BS_ERR_LIMIT, v[1] ? v[1] : n, path, "the "
                           "schedule exceeds brainsim's limit of 10^12 "
                           "steps in total");
    return BS_OK;
}

/* qsort order of u64 values: ascending. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The 1..k distinct ids < n of list `n` for area a, sorted, into op
 * (neurons, n_neurons). */
static bs_status parse_neurons(ctx *c, yaml_node_t *n, const char *path,
                               const bs_area_spec *a, bs_op *op)
{
    char ip[PATH_LEN], range[80];
    size_t len;
    bs_status st = bs_exp_list_len(c, n, path, 0, (size_t)-1, &len);
    if (st != BS_OK) return st;
    if (len < 1 || len > a->k)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%zu ids given: must be "
                           "1 to k = %llu distinct ids of area '%s'", len,
                           (unsigned long long)a->k, a->name);
    op->neurons = malloc(len * sizeof *op->neurons);
    if (!op->neurons)
        return bs_exp_fail(c, BS_ERR_NOMEM, n, path, "out of memory");
    op->n_neurons = len;
    snprintf(range, sizeof range, "an id in 0..n-1 (n = %llu)",
             (unsigned long long)a->n_neurons);
    for (size_t i = 0; i < len && st == BS_OK; i++)
        st = bs_exp_uint(c, bs_exp_elem(c, n, i), bs_exp_item(ip, path, i), 0,
                         a->n_neurons - 1, BS_ERR_PARSE, range,
                         &op->neurons[i]);
    if (st != BS_OK) return st;
    qsort(op->neurons, len, sizeof *op->neurons, cmp_u64);
    for (size_t i = 1; i < len; i++) {
        if (op->neurons[i] != op->neurons[i - 1]) continue;
        uint64_t v = op->neurons[i], x = 0;
        int seen = 0;
        for (size_t j = 0; j < len; j++) {       /* blame the 2nd copy */
            yaml_node_t *y = bs_exp_elem(c, n, j);
            if (bs_exp_u64(y, &x) == 0 && x == v && seen++)
                return bs_exp_fail(c, BS_ERR_PARSE, y,
                                   bs_exp_item(ip, path, j), "id %llu is "
                                   "listed twice: the ids must be distinct",
                                   (unsigned long long)v);
        }
    }
    return BS_OK;
}

/* fire: {area, neurons} into op.  As every reader. */
static bs_status parse_fire(ctx *c, yaml_node_t *n, const char *path,
                            bs_op *op)
{
    static const char *const keys[] = {"area", "neurons"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    int kind;
    bs_status st = bs_exp_fields(c, n, path, keys, 2, 2, v);
    if (st == BS_OK)
        st = bs_exp_resolve(c, v[0], bs_exp_sub(kp, path, "area"),
                            1u << REF_AREA, &kind, &op->area);
    if (st == BS_OK)
        st = parse_neurons(c, v[1], bs_exp_sub(kp, path, "neurons"),
                           &c->e->areas[op->area], op);
    return st;
}

/* plasticity: off | on | {fiber: F, beta: b} | {area: A, beta: b} into
 * op.  As every reader. */
static bs_status parse_plasticity(ctx *c, yaml_node_t *n, const char *path,
                                  bs_op *op)
{
    static const char *const keys[] = {"beta", "fiber", "area"};
    char kp[PATH_LEN], b[SHOW_LEN];
    yaml_node_t *v[3];
    int kind;
    if (n && n->type == YAML_SCALAR_NODE) {
        const char *s = bs_exp_text_of(n);
        if (s && (strcmp(s, "off") == 0 || strcmp(s, "on") == 0)) {
            op->plast = s[1] == 'f' ? BS_PLAST_OFF : BS_PLAST_ON;
            return BS_OK;
        }
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%s is invalid: must be "
                           "off, on, {fiber: NAME, beta: B} or {area: NAME, "
                           "beta: B}", bs_exp_describe(n, b));
    }
    bs_status st = bs_exp_fields(c, n, path, keys, 3, 1, v);
    if (st != BS_OK) return st;
    if ((v[1] != NULL) == (v[2] != NULL))
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "give exactly one of "
                           "'fiber' (one fiber's beta) and 'area' (the area's "
                           "default beta)");
    st = bs_exp_real(c, v[0], bs_exp_sub(kp, path, "beta"), 0, 0, MAX_BETA,
                     &op->beta);
    if (st == BS_OK && v[1]) {
        op->plast = BS_PLAST_FIBER;
        st = bs_exp_resolve(c, v[1], bs_exp_sub(kp, path, "fiber"),
                            1u << REF_FIBER, &kind, &op->target);
        op->target_is_fiber = 1;
    } else if (st == BS_OK) {
        op->plast = BS_PLAST_AREA;
        st = bs_exp_resolve(c, v[2], bs_exp_sub(kp, path, "area"),
                            1u << REF_AREA, &kind, &op->area);
    }
    return st;
}

/* set_assembly: {area, neurons | random: true, fix} into op.  As every
 * reader. */
static bs_status parse_set_assembly(ctx *c, yaml_node_t *n, const char *path,
                                    bs_op *op)
{
    static const char *const keys[] = {"area", "neurons", "random", "fix"};
    char kp[PATH_LEN];
    yaml_node_t *v[4];
    int kind;
    bs_status st = bs_exp_fields(c, n, path, keys, 4, 1, v);
    if (st == BS_OK)
        st = bs_exp_resolve(c, v[0], bs_exp_sub(kp, path, "area"),
                            1u << REF_AREA, &kind, &op->area);
    if (st == BS_OK && v[2])
        st = bs_exp_bool(c, v[2], bs_exp_sub(kp, path, "random"), &op->random);
    if (st == BS_OK && v[3])
        st = bs_exp_bool(c, v[3], bs_exp_sub(kp, path, "fix"), &op->fix);
    if (st != BS_OK) return st;
    if (v[1] && op->random)
        return bs_exp_fail(c, BS_ERR_PARSE, v[2],
                           bs_exp_sub(kp, path, "random"), "give either "
                           "'neurons' or 'random: true', not both");
    if (!v[1] && !op->random)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "missing key 'neurons' "
                           "(or 'random: true'): the assembly must be given");
    if (v[1])
        st = parse_neurons(c, v[1], bs_exp_sub(kp, path, "neurons"),
                           &c->e->areas[op->area], op);
    else
        op->n_neurons = c->e->areas[op->area].k;
    return st;
}

/* checkpoint: PATH, a non-empty file path of at most 4095 bytes. */
static bs_status parse_checkpoint(ctx *c, yaml_node_t *v, const char *path,
                                  bs_op *op)
{
    char b[SHOW_LEN];
    const char *s = bs_exp_text_of(v);
    if (!s || !s[0] || strlen(s) > 4095)
        return bs_exp_fail(c, BS_ERR_PARSE, v, path, "value %s is invalid: "
                           "must be a file path (1 to 4095 bytes)",
                           bs_exp_describe(v, b));
    size_t len = strlen(s) + 1;
    op->path = malloc(len);
    if (op->path)
        memcpy(op->path, s, len);
    if (!op->path)
        return bs_exp_fail(c, BS_ERR_NOMEM, v, path, "out of memory");
    return BS_OK;
}

/* snapshot: {area: A, name: x}; the name is new across every kind. */
static bs_status parse_snapshot(ctx *c, yaml_node_t *n, const char *path,
                                bs_op *op)
{
    static const char *const keys[] = {"area", "name"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    int kind;
    bs_experiment *e = c->e;
    bs_status st = bs_exp_fields(c, n, path, keys, 2, 2, v);
    if (st == BS_OK)
        st = bs_exp_resolve(c, v[0], bs_exp_sub(kp, path, "area"),
                            1u << REF_AREA, &kind, &op->area);
    if (st != BS_OK) return st;
    if (e->n_snapshots == BS_MAX_ENTITIES)
        return bs_exp_fail(c, BS_ERR_LIMIT, n, path, "more than %d snapshots "
                           "exceed brainsim's limit", BS_MAX_ENTITIES);
    if (e->n_snapshots % 16 == 0) {
        bs_snapshot_spec *more = realloc(e->snapshots,
            ((size_t)e->n_snapshots + 16) * sizeof *more);
        if (!more)
            return bs_exp_fail(c, BS_ERR_NOMEM, n, path, "out of memory");
        e->snapshots = more;
    }
    bs_snapshot_spec *sp = &e->snapshots[e->n_snapshots];
    memset(sp, 0, sizeof *sp);
    st = bs_exp_get_name(c, v[1], bs_exp_sub(kp, path, "name"), sp->name);
    if (st != BS_OK) return st;
    sp->area = op->area;
    sp->op = (int)(op - e->ops);
    sp->line = (int)v[1]->start_mark.line + 1;
    sp->col = (int)v[1]->start_mark.column + 1;
    op->snapshot = e->n_snapshots++;
    return BS_OK;
}

/* fire_subset: {area: A, fraction: f}, f in (0, 1] with round(f k) >= 1. */
static bs_status parse_fire_subset(ctx *c, yaml_node_t *n, const char *path,
                                   bs_op *op)
{
    static const char *const keys[] = {"area", "fraction"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    int kind;
    bs_status st = bs_exp_fields(c, n, path, keys, 2, 2, v);
    if (st == BS_OK)
        st = bs_exp_resolve(c, v[0], bs_exp_sub(kp, path, "area"),
                            1u << REF_AREA, &kind, &op->area);
    if (st == BS_OK)
        st = bs_exp_real(c, v[1], bs_exp_sub(kp, path, "fraction"), 0, 1, 1.0,
                         &op->fraction);
    if (st != BS_OK) return st;
    const bs_area_spec *a = &c->e->areas[op->area];
    op->n_fire = (uint64_t)llround(op->fraction * (double)a->k);
    if (op->n_fire < 1)
        return bs_exp_fail(c, BS_ERR_PARSE, v[1], kp, "fraction %g of k = "
                           "%llu of area '%s' rounds to no neuron: must fire "
                           "at least one", op->fraction,
                           (unsigned long long)a->k, a->name);
    if (op->n_fire > a->k) op->n_fire = a->k;
    return BS_OK;
}

/* One schedule item n at path: a one-key map naming the operation, read
 * by that operation's reader into op.  As every reader. */
static bs_status parse_op(ctx *c, yaml_node_t *n, const char *path,
                          bs_op *op)
{
    static const char *const ops[BS_OP_N_KINDS] = {"project", "fix", "unfix",
        "set_assembly", "inhibit", "disinhibit", "checkpoint", "snapshot",
        "fire_subset", "reset", "fire", "plasticity"};
    char b[SHOW_LEN], list[LIST_LEN], kp[PATH_LEN];
    bs_status st = bs_exp_want(c, n, YAML_MAPPING_NODE, path);
    if (st != BS_OK) return st;
    yaml_node_pair_t *p = n->data.mapping.pairs.start;
    long n_keys = n->data.mapping.pairs.top - p;
    op->n_fibers = -1; op->area = -1; op->target = -1; op->snapshot = -1;
    op->line = (int)n->start_mark.line + 1;
    op->col = (int)n->start_mark.column + 1;
    if (n_keys != 1)
        return bs_exp_fail(c, BS_ERR_PARSE,
                           n_keys ? bs_exp_node(c, p[1].key) : n, path,
                           "a schedule item is a map with exactly one key, "
                           "the operation (%ld keys given; one of: %s)",
                           n_keys, bs_exp_join_keys(ops, BS_OP_N_KINDS, list));
    yaml_node_t *k = bs_exp_node(c, p->key), *v = bs_exp_node(c, p->value);
    const char *s = bs_exp_text_of(k);
    int i = 0, kind;
    while (s && i < BS_OP_N_KINDS && strcmp(s, ops[i]) != 0) i++;
    if (!s || i == BS_OP_N_KINDS)
        return bs_exp_fail(c, BS_ERR_PARSE, k, path, "unknown operation %s "
                           "(allowed: %s)", bs_exp_key_str(k, b),
                           bs_exp_join_keys(ops, BS_OP_N_KINDS, list));
    op->kind = (bs_op_kind)i;
    bs_exp_sub(kp, path, ops[i]);
    switch (op->kind) {
    case BS_OP_PROJECT: return parse_project(c, v, kp, op);
    case BS_OP_SET_ASSEMBLY: return parse_set_assembly(c, v, kp, op);
    case BS_OP_FIX: case BS_OP_UNFIX: case BS_OP_RESET:
        return bs_exp_resolve(c, v, kp, 1u << REF_AREA, &kind, &op->area);
    case BS_OP_CHECKPOINT:
        return parse_checkpoint(c, v, kp, op);
    case BS_OP_SNAPSHOT:
        return parse_snapshot(c, v, kp, op);
    case BS_OP_FIRE_SUBSET:
        return parse_fire_subset(c, v, kp, op);
    case BS_OP_FIRE:
        return parse_fire(c, v, kp, op);
    case BS_OP_PLASTICITY:
        return parse_plasticity(c, v, kp, op);
    default:
        st = bs_exp_resolve(c, v, kp, 1u << REF_AREA | 1u << REF_FIBER, &kind,
                            &op->target);
        op->target_is_fiber = kind == REF_FIBER;
        return st;
    }
}

bs_status bs_exp_schedule(ctx *c, yaml_node_t *n)
{
    char path[PATH_LEN];
    size_t len = 0;
    bs_status st = n ? bs_exp_list_len(c, n, "schedule", 0, (size_t)INT32_MAX,
                                       &len)
                     : BS_OK;
    if (st != BS_OK) return st;
    c->e->ops = calloc(len ? len : 1, sizeof *c->e->ops);
    if (!c->e->ops)
        return bs_exp_fail(c, BS_ERR_NOMEM, n, "schedule", "out of memory");
    c->e->n_ops = (int)len;
    c->e->ops_cap = (int)(len ? len : 1);
    for (size_t i = 0; i < len && st == BS_OK; i++)
        st = parse_op(c, bs_exp_elem(c, n, i),
                      bs_exp_item(path, "schedule", i), &c->e->ops[i]);
    return st;
}

/* Room for one more operation in c->e->ops (doubling), zeroed.  Returns
 * BS_OK or BS_ERR_NOMEM with the message. */
static bs_status ops_reserve(ctx *c)
{
    bs_experiment *e = c->e;
    if (e->n_ops == INT32_MAX)
        return bs_exp_fail_at(c, BS_ERR_LIMIT, 1, 1, "schedule", "more than "
                              "%d operations exceed brainsim's limit",
                              INT32_MAX);
    if (e->n_ops == e->ops_cap) {
        int cap = e->ops_cap > INT32_MAX / 2 ? INT32_MAX
                  : e->ops_cap < 8 ? 16 : 2 * e->ops_cap;
        bs_op *more = realloc(e->ops, (size_t)cap * sizeof *more);
        if (!more)
            return bs_exp_fail_at(c, BS_ERR_NOMEM, 1, 1, "schedule",
                                  "out of memory");
        e->ops = more;
        e->ops_cap = cap;
    }
    memset(&e->ops[e->n_ops], 0, sizeof e->ops[0]);
    return BS_OK;
}

bs_status bs_exp_schedule_item(ctx *c, yaml_node_t *n)
{
    bs_experiment *e = c->e;
    uint64_t total = e->total_steps;
    int n_snapshots = e->n_snapshots;
    bs_status st = ops_reserve(c);
    if (st != BS_OK) return st;
    bs_op *op = &e->ops[e->n_ops];
    st = parse_op(c, n, "operation", op);
    if (st != BS_OK) {
        free(op->fibers);
        free(op->neurons);
        free(op->path);
        memset(op, 0, sizeof *op);
        e->total_steps = total;
        e->n_snapshots = n_snapshots;
        return st;
    }
    op->applied = 1;
    e->n_ops++;
    return BS_OK;
}

/* ---- descriptions ------------------------------------------------------- */

void bs_op_describe(const bs_experiment *e, int i, char *buf, size_t len)
{
    static const char *const verb[BS_OP_N_KINDS] = {"project", "fix",
        "unfix", "set_assembly", "inhibit", "disinhibit", "checkpoint",
        "snapshot", "fire_subset", "reset", "fire", "plasticity"};
    if (!buf || len == 0) return;
    buf[0] = '\0';
    if (!e || i < 0 || i >= e->n_ops) return;
    const bs_op *op = &e->ops[i];
    size_t at = (size_t)snprintf(buf, len, "%s ", verb[op->kind]);
    if (op->kind == BS_OP_PROJECT) {
        for (int j = 0; j < op->n_fibers && at < len; j++)
            at += (size_t)snprintf(buf + at, len - at, "%s%s", j ? "," : "",
                                   e->fibers[op->fibers[j]].name);
        if (at < len)
            snprintf(buf + at, len - at, "%s x%llu", op->n_fibers < 0
                     ? "all" : "", (unsigned long long)op->rounds);
    } else if (op->kind == BS_OP_CHECKPOINT) {
        if (at < len)
            snprintf(buf + at, len - at, "%s", op->path);
    } else if (op->kind == BS_OP_SNAPSHOT) {
        if (at < len)
            snprintf(buf + at, len - at, "%s as %s", e->areas[op->area].name,
                     e->snapshots[op->snapshot].name);
    } else if (op->kind == BS_OP_FIRE_SUBSET) {
        if (at < len)
            snprintf(buf + at, len - at, "%s %g (%llu)",
                     e->areas[op->area].name, op->fraction,
                     (unsigned long long)op->n_fire);
    } else if (op->kind == BS_OP_FIRE) {
        if (at < len)
            snprintf(buf + at, len - at, "%s (%llu)", e->areas[op->area].name,
                     (unsigned long long)op->n_neurons);
    } else if (op->kind == BS_OP_PLASTICITY) {
        if (at < len && op->plast >= BS_PLAST_OFF)
            snprintf(buf + at, len - at, "%s", op->plast == BS_PLAST_OFF
                     ? "off" : "on");
        else if (at < len)
            snprintf(buf + at, len - at, "%s %s beta %g", op->plast ==
                     BS_PLAST_FIBER ? "fiber" : "area", op->plast ==
                     BS_PLAST_FIBER ? e->fibers[op->target].name
                     : e->areas[op->area].name, op->beta);
    } else if (op->kind == BS_OP_INHIBIT || op->kind == BS_OP_DISINHIBIT) {
        if (at < len)
            snprintf(buf + at, len - at, "%s", op->target_is_fiber
                     ? e->fibers[op->target].name : e->areas[op->target].name);
    } else if (at < len) {
        snprintf(buf + at, len - at, "%s%s%s", e->areas[op->area].name,
                 op->kind != BS_OP_SET_ASSEMBLY ? ""
                 : op->random ? " random" : " neurons", op->fix ? " fix" : "");
    }
}

const char *bs_op_where(const bs_experiment *e, const bs_op *op, char *buf,
                        size_t len)
{
    if (buf && len)
        snprintf(buf, len, "%s:%d:%d", op->applied ? "<operation>"
                 : e->source_name, op->line, op->col);
    return buf;
}
