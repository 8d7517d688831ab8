/*
 * sim.h - the live simulator's entry for its constructors (sim.c): the
 * schedule walk that creation runs once before the first step.  Internal
 * to libbrainsim.
 */
#ifndef BS_SIM_H
#define BS_SIM_H

#include "sim_state.h"

/* Walks the schedule from s's position over every operation that is not a
 * step, up to a project operation with rounds left or the end: state
 * operations are applied (schedule.h), a checkpoint operation writes its
 * checkpoint (recording the position after itself).  Collective.  Returns
 * BS_OK, or the failing operation's error with a message in s->err; the
 * position is then that operation's. */
bs_status bs_sim_apply_ops(bs_sim *s);

/* Fills meta's n_ops, op_descriptions (bs_op_describe of every operation),
 * steps_total and experiment_text from s->exp; *owned receives the
 * descriptions' storage, for the caller to free (also on failure).
 * Returns BS_OK or BS_ERR_NOMEM with the message in s->err. */
bs_status bs_sim_output_ops(bs_sim *s, bs_io_meta *meta, void **owned);

#endif /* BS_SIM_H */
