/*
 * experiment_emit.c - an experiment as canonical YAML (bs_experiment_emit
 * of experiment.h): how an interactive session is recorded, so that
 * `brainsim run` of the text replays it bit for bit.
 *
 * Decisions:
 * - every value the parse resolved is written out (seed, defaults, each
 *   area's beta, each fiber's name and p) except a fiber's beta, written
 *   only when its entry gave one: a fiber without one follows its target
 *   area's default, which `plasticity: {area: ...}` may change;
 * - reals are printed %.17g (strtod reads them back exactly);
 * - names are plain scalars unless their first byte is not [A-Za-z0-9_]
 *   (then double-quoted); a checkpoint path is always double-quoted with
 *   '"' and '\' escaped;
 * - the experiment's name is written when it is a valid `name:` (a source
 *   name such as "<text>" gives none, and the replay then names itself).
 */
#include "experiment.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {            /* a growing text */
    char *buf;
    size_t len, cap;
    int failed;                 /* out of memory once: stays failed */
} out;

/* Appends printf-style text to o; on failure sets o->failed.  Can't fail
 * otherwise. */
static void put(out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) { o->failed = 1; return; }
        if ((size_t)n < o->cap - o->len) { o->len += (size_t)n; return; }
        size_t cap = 2 * o->cap + (size_t)n + 1;
        char *b = realloc(o->buf, cap);
        if (!b) { o->failed = 1; return; }
        o->buf = b;
        o->cap = cap;
    }
}

/* Appends a name as a YAML scalar.  Fails only as put. */
static void put_name(out *o, const char *s)
{
    char c = s[0];
    int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                (c >= '0' && c <= '9') || c == '_';
    put(o, plain ? "%s" : "\"%s\"", s);
}

/* Appends a path as a double-quoted YAML scalar.  Fails only as put. */
static void put_quoted(out *o, const char *s)
{
    put(o, "\"");
    for (; *s; s++)
        put(o, (*s == '"' || *s == '\\') ? "\\%c" : "%c", *s);
    put(o, "\"");
}

/* Appends [a, b, ...] of n ids.  Fails only as put. */
static void put_ids(out *o, const uint64_t *ids, uint64_t n)
{
    put(o, "[");
    for (uint64_t i = 0; i < n; i++)
        put(o, "%s%llu", i ? ", " : "", (unsigned long long)ids[i]);
    put(o, "]");
}

/* Appends the areas, stimuli and fibers.  Fails only as put. */
static void put_entities(out *o, const bs_experiment *e)
{
    put(o, "areas:\n");
    for (int a = 0; a < e->n_areas; a++) {
        put(o, "  - {name: ");
        put_name(o, e->areas[a].name);
        put(o, ", n: %llu, k: %llu, beta: %.17g%s}\n",
            (unsigned long long)e->areas[a].n_neurons,
            (unsigned long long)e->areas[a].k, e->areas[a].beta,
            e->areas[a].lazy ? ", lazy: true" : "");
    }
    if (e->n_stims)
        put(o, "stimuli:\n");
    for (int i = 0; i < e->n_stims; i++) {
        put(o, "  - {name: ");
        put_name(o, e->stims[i].name);
        put(o, ", k: %llu}\n", (unsigned long long)e->stims[i].k);
    }
    if (e->n_fibers)
        put(o, "fibers:\n");
    for (int f = 0; f < e->n_fibers; f++) {
        const bs_fiber_spec *fs = &e->fibers[f];
        put(o, "  - {from: ");
        put_name(o, fs->src_is_stim ? e->stims[fs->src].name
                                    : e->areas[fs->src].name);
        put(o, ", to: ");
        put_name(o, e->areas[fs->dst].name);
        put(o, ", name: ");
        put_name(o, fs->name);
        put(o, ", p: %.17g", fs->p);
        if (fs->beta_given)
            put(o, ", beta: %.17g", fs->beta);
        if (fs->cap > 0)
            put(o, ", cap: %.17g", fs->cap);
        put(o, "}\n");
    }
}

/* Appends one schedule item (without its "  - ").  Fails only as put. */
static void put_op(out *o, const bs_experiment *e, const bs_op *op)
{
    static const char *const verb[BS_OP_N_KINDS] = {"project", "fix",
        "unfix", "set_assembly", "inhibit", "disinhibit", "checkpoint",
        "snapshot", "fire_subset", "reset", "fire", "plasticity"};
    put(o, "%s: ", verb[op->kind]);
    const char *area = op->area >= 0 ? e->areas[op->area].name : "";
    switch (op->kind) {
    case BS_OP_PROJECT:
        put(o, "{");
        if (op->n_fibers >= 0) {
            put(o, "fibers: [");
            for (int i = 0; i < op->n_fibers; i++) {
                put(o, i ? ", " : "");
                put_name(o, e->fibers[op->fibers[i]].name);
            }
            put(o, "], ");
        }
        put(o, "rounds: %llu}", (unsigned long long)op->rounds);
        break;
    case BS_OP_SET_ASSEMBLY:
    case BS_OP_FIRE:
        put(o, "{area: ");
        put_name(o, area);
        if (op->random) {
            put(o, ", random: true");
        } else {
            put(o, ", neurons: ");
            put_ids(o, op->neurons, op->n_neurons);
        }
        put(o, "%s}", op->fix ? ", fix: true" : "");
        break;
    case BS_OP_INHIBIT:
    case BS_OP_DISINHIBIT:
        put_name(o, op->target_is_fiber ? e->fibers[op->target].name
                                        : e->areas[op->target].name);
        break;
    case BS_OP_CHECKPOINT:
        put_quoted(o, op->path);
        break;
    case BS_OP_SNAPSHOT:
        put(o, "{area: ");
        put_name(o, area);
        put(o, ", name: ");
        put_name(o, e->snapshots[op->snapshot].name);
        put(o, "}");
        break;
    case BS_OP_FIRE_SUBSET:
        put(o, "{area: ");
        put_name(o, area);
        put(o, ", fraction: %.17g}", op->fraction);
        break;
    case BS_OP_PLASTICITY:
        if (op->plast == BS_PLAST_OFF || op->plast == BS_PLAST_ON) {
            put(o, op->plast == BS_PLAST_OFF ? "off" : "on");
            break;
        }
        put(o, op->plast == BS_PLAST_FIBER ? "{fiber: " : "{area: ");
        put_name(o, op->plast == BS_PLAST_FIBER ? e->fibers[op->target].name
                                                : area);
        put(o, ", beta: %.17g}", op->beta);
        break;
    default:                    /* fix, unfix, reset */
        put_name(o, area);
        break;
    }
}

/* Appends one set of an overlap expectation: a snapshot or the area.
 * Fails only as put. */
static void put_set(out *o, const bs_experiment *e, int set, int area)
{
    put_name(o, set >= 0 ? e->snapshots[set].name : e->areas[area].name);
}

/* Appends the expect list.  Fails only as put. */
static void put_expects(out *o, const bs_experiment *e)
{
    if (e->n_expects)
        put(o, "expect:\n");
    for (int i = 0; i < e->n_expects; i++) {
        const bs_expect *x = &e->expects[i];
        put(o, "  - {");
        if (x->kind == BS_EXPECT_OVERLAP) {
            put(o, "overlap: [");
            put_set(o, e, x->set[0], x->area);
            put(o, ", ");
            put_set(o, e, x->set[1], x->area);
            put(o, "]");
        } else {
            put(o, "%s: ", x->kind == BS_EXPECT_SUPPORT ? "support"
                : x->kind == BS_EXPECT_SUPPORT_STABLE ? "support_stable"
                : "converged");
            put_name(o, e->areas[x->area].name);
        }
        if (x->has_min)
            put(o, ", min: %llu", (unsigned long long)x->min);
        if (x->has_max)
            put(o, ", max: %llu", (unsigned long long)x->max);
        if (x->has_by)
            put(o, ", by: %llu", (unsigned long long)x->by);
        put(o, "}\n");
    }
}

/* Returns 1 when s is a valid `name:` value (experiment_expect.c's
 * rule), else 0.  Can't fail. */
static int name_ok(const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
                             "UVWXYZ0123456789_.-";
    size_t len = strlen(s);
    return len > 0 && len < BS_NAME_MAX && strspn(s, ok) == len;
}

char *bs_experiment_emit(const bs_experiment *e, size_t *len)
{
    out o = {malloc(4096), 0, 4096, 0};
    if (!o.buf)
        return NULL;
    o.buf[0] = '\0';
    put(&o, "# brainsim %s: the experiment as it ran (operations applied "
        "one at a time included)\n", BS_VERSION_STRING);
    put(&o, "seed: %llu\n", (unsigned long long)e->seed);
    if (e->p > 0)
        put(&o, "defaults: {p: %.17g, beta: %.17g}\n", e->p, e->beta);
    else
        put(&o, "defaults: {beta: %.17g}\n", e->beta);
    if (name_ok(e->name)) {
        put(&o, "name: ");
        put_name(&o, e->name);
        put(&o, "\n");
    }
    put_entities(&o, e);
    put(&o, "schedule:%s\n", e->n_ops ? "" : " []");
    for (int i = 0; i < e->n_ops; i++) {
        put(&o, "  - ");
        put_op(&o, e, &e->ops[i]);
        put(&o, "\n");
    }
    put_expects(&o, e);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    if (len)
        *len = o.len;
    return o.buf;
}
