/*
 * schedule.h - the state operations of a schedule (schedule.c): every
 * operation that is neither a step nor a checkpoint.  Internal to
 * libbrainsim; called by the driver (sim.c) only.
 */
#ifndef BS_SCHEDULE_H
#define BS_SCHEDULE_H

#include "sim_state.h"

/* Applies operation op (s->exp->ops[s->op]: fix, unfix, set_assembly,
 * inhibit, disinhibit, snapshot, fire_subset, reset, fire or plasticity)
 * to the state of s;
 * s->op keys its random draws (a random assembly, a subset).  Does not
 * move the schedule position and does no I/O.  Collective (the
 * support of a set assembly is summed over ranks).  Returns BS_OK, or
 * BS_ERR_STATE with a message naming the operation's line when the state
 * does not allow it (fix or fire_subset without winners, an operation
 * that is not a state operation), or BS_ERR_MPI. */
bs_status bs_sim_apply_op(bs_sim *s, const bs_op *op);

/* Checks that project operation op may take its first step: no fiber it
 * makes active comes from an area without winners (one that never fired
 * or was reset; inhibited areas and fibers take no part).  Returns BS_OK,
 * or BS_ERR_STATE with a message naming the operation (its line) and the
 * area.  Not collective: every rank decides the same.  Changes nothing. */
bs_status bs_sim_check_project(bs_sim *s, const bs_op *op);

#endif /* BS_SCHEDULE_H */
