/*
 * verdict.c - checks an experiment's expectations against the state of a
 * simulator and writes the one-line verdict (contract: verdict.h and
 * bs_verdict in brainsim.h).
 *
 * Line format: "<name>: <item>; <item>; ... PASS" (or FAIL), each item
 * "<what> = <measured> <relation> <bound> ok" (or fail), for example
 *   association: overlap(cA, cB) = 1 <= 2 ok; ... PASS
 *   projection: support(A) = 6029, stable since step 19 ok PASS
 */
#include "verdict.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim_state.h"

uint64_t bs_overlap_count(const uint64_t *a, uint64_t na, const uint64_t *b,
                          uint64_t nb)
{
    uint64_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (b[j] < a[i]) {
            j++;
        } else {
            n++;
            i++;
            j++;
        }
    }
    return n;
}

/* The ids of overlap set `set` of area a: a snapshot, or (-1) the area's
 * current winners. */
static const uint64_t *set_ids(const bs_sim *s, int a, int set, uint64_t *n)
{
    if (set >= 0) {
        *n = s->snapshot_n[set];
        return s->snapshot_ids[set];
    }
    *n = s->areas[a].n_winners;
    return s->areas[a].winners;
}

uint64_t bs_expect_measure(const bs_sim *s, const bs_expect *x)
{
    const bs_area_state *as = &s->areas[x->area];
    switch (x->kind) {
    case BS_EXPECT_OVERLAP: {
        uint64_t na, nb;
        const uint64_t *a = set_ids(s, x->area, x->set[0], &na);
        const uint64_t *b = set_ids(s, x->area, x->set[1], &nb);
        return bs_overlap_count(a, na, b, nb);
    }
    case BS_EXPECT_SUPPORT:
        return as->support;
    case BS_EXPECT_SUPPORT_STABLE:
        return as->support - as->prev_support;
    case BS_EXPECT_CONVERGED:
        return as->last_change;
    default:
        return 0;
    }
}

int bs_expect_holds(const bs_sim *s, const bs_expect *x, uint64_t value)
{
    switch (x->kind) {
    case BS_EXPECT_OVERLAP:
    case BS_EXPECT_SUPPORT:
        return (!x->has_min || value >= x->min) &&
               (!x->has_max || value <= x->max);
    case BS_EXPECT_SUPPORT_STABLE:
        return value == 0;
    case BS_EXPECT_CONVERGED:       /* the last step confirmed the winners;
                                       step value - 1 (from 0) changed them */
        return value < s->step && (!x->has_by || value <= x->by + 1);
    default:
        return 0;
    }
}

/* Appends printf-style text at *at of buf (len bytes), keeping *at <= len
 * and buf NUL-terminated. */
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
    if (*at + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, len - *at, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

/* " = v <= max" and the like: the measured value against the bounds. */
static void bounds(char *buf, size_t len, size_t *at, const bs_expect *x,
                   uint64_t v, int ok)
{
    if (x->has_min && x->has_max)
        append(buf, len, at, " = %" PRIu64 " %sin [%" PRIu64 ", %" PRIu64 "]",
               v, ok ? "" : "not ", x->min, x->max);
    else if (x->has_max)
        append(buf, len, at, " = %" PRIu64 " %s %" PRIu64, v,
               ok ? "<=" : ">", x->max);
    else
        append(buf, len, at, " = %" PRIu64 " %s %" PRIu64, v,
               ok ? ">=" : "<", x->min);
}

int bs_expect_describe(const bs_sim *s, const bs_expect *x, char *buf,
                       size_t len)
{
    const bs_experiment *e = s->exp;
    const char *area = e->areas[x->area].name;
    uint64_t v = bs_expect_measure(s, x);
    int ok = bs_expect_holds(s, x, v);
    size_t at = 0;
    if (len)
        buf[0] = '\0';
    switch (x->kind) {
    case BS_EXPECT_OVERLAP:
        append(buf, len, &at, "overlap(%s, %s)",
               x->set[0] >= 0 ? e->snapshots[x->set[0]].name : area,
               x->set[1] >= 0 ? e->snapshots[x->set[1]].name : area);
        bounds(buf, len, &at, x, v, ok);
        break;
    case BS_EXPECT_SUPPORT:
        append(buf, len, &at, "support(%s)", area);
        bounds(buf, len, &at, x, v, ok);
        break;
    case BS_EXPECT_SUPPORT_STABLE:
        append(buf, len, &at, "support(%s) = %" PRIu64, area,
               s->areas[x->area].support);
        if (ok)
            append(buf, len, &at, ", stable since step %" PRIu64,
                   s->areas[x->area].last_growth);
        else
            append(buf, len, &at, ", grew by %" PRIu64 " in the last step", v);
        break;
    case BS_EXPECT_CONVERGED:       /* steps numbered from 0 */
        if (v >= s->step)
            append(buf, len, &at, "%s not converged (changed in the last "
                   "step, %" PRIu64 ")", area, s->step - 1);
        else if (v == 0)
            append(buf, len, &at, "%s converged before step 0%s", area,
                   x->has_by ? " (by any step)" : "");
        else if (x->has_by)
            append(buf, len, &at, "%s converged at step %" PRIu64 " %s %"
                   PRIu64, area, v - 1, v - 1 <= x->by ? "<=" : ">", x->by);
        else
            append(buf, len, &at, "%s converged at step %" PRIu64, area,
                   v - 1);
        break;
    default:
        break;
    }
    append(buf, len, &at, ok ? " ok" : " fail");
    return ok;
}

int bs_verdict(const bs_sim *sim, char *buf, size_t len)
{
    size_t at = 0;
    if (buf && len)
        buf[0] = '\0';
    if (!sim)
        return -1;
    const bs_experiment *e = sim->exp;
    if (e->n_expects == 0) {
        if (buf)
            append(buf, len, &at, "%s: no expectations", e->name);
        return -1;
    }
    int all = 1;
    if (buf)
        append(buf, len, &at, "%s: ", e->name);
    for (int i = 0; i < e->n_expects; i++) {
        char item[256];
        all &= bs_expect_describe(sim, &e->expects[i], item, sizeof item);
        if (buf)
            append(buf, len, &at, "%s%s", i ? "; " : "", item);
    }
    if (buf) {
        /* the outcome must survive truncation: keep room for it */
        size_t room = len > 6 ? len - 6 : 0;
        if (at > room)
            at = room;
        append(buf, len, &at, " %s", all ? "PASS" : "FAIL");
    }
    return all;
}
