/*
 * verdict.h - an experiment's expectations (its `expect:` list, see
 * experiment.h) checked against a simulator's state.  Internal to
 * libbrainsim; the public entry point is bs_verdict() in brainsim.h.
 *
 * Everything here reads state that every rank holds identically (winners,
 * snapshots, supports, change steps), so it needs no communication and
 * gives the same answer on every rank.  Nothing allocates.
 */
#ifndef BS_VERDICT_H
#define BS_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "experiment.h"

struct bs_sim;

/* Number of ids in both ascending lists a (na ids) and b (nb).  Can't
 * fail. */
uint64_t bs_overlap_count(const uint64_t *a, uint64_t na, const uint64_t *b,
                          uint64_t nb);

/*
 * The measured figure of expectation x on s's current state: the overlap,
 * the support, the support's growth in the last step (support_stable) or
 * the steps done when the winners last changed (converged: the change was
 * in step value - 1, steps numbered from 0; 0 when none).  Can't fail.
 */
uint64_t bs_expect_measure(const struct bs_sim *s, const bs_expect *x);

/* 1 when x holds for the measured `value` on s, else 0.  Can't fail. */
int bs_expect_holds(const struct bs_sim *s, const bs_expect *x,
                    uint64_t value);

/*
 * Writes "overlap(cA, cB) = 1 <= 2 ok" (what x measured, the bound and
 * "ok" or "fail") into buf (len bytes, truncated, NUL-terminated when len
 * > 0); returns whether x holds.  Can't fail.
 */
int bs_expect_describe(const struct bs_sim *s, const bs_expect *x, char *buf,
                       size_t len);

#endif /* BS_VERDICT_H */
