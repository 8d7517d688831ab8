/*
 * sim_step.h - one step of a project operation and the output rows it
 * leaves (sim_step.c).  Internal to libbrainsim; called by the driver
 * (sim.c) only.
 */
#ifndef BS_SIM_STEP_H
#define BS_SIM_STEP_H

#include "sim_state.h"

/* Takes one step of the project operation at s's schedule position
 * (s->op, which must be a project operation with rounds left): the phases
 * of doc/design.md section 4 plus the agreement over ranks, each timed into
 * s->phase_s, one output row buffered (s->rec_rows < s->rec_cap on entry),
 * then s->step and s->round advance.  Collective.  Returns BS_OK, or the
 * backend's error (BS_ERR_CUDA, BS_ERR_CAPACITY, ...), BS_ERR_MPI, or
 * BS_ERR_STATE when the step failed on another rank, with the message in
 * s->err; then no row is buffered and the position does not move.  A
 * failure from plasticity on is agreed, so every rank fails at the same
 * step; one in phases 1-3 is not (the other ranks are left in the merge's
 * collective: the caller must end the job). */
bs_status bs_sim_step_once(bs_sim *s);

/* Writes the buffered output rows (s->rec_rows of them, the steps before
 * s->step) to s->io, with every phase time the maximum over ranks, and
 * empties the buffer (also without an output file).  Collective.  Returns
 * BS_OK, BS_ERR_MPI or bs_io_write's error, with a message in s->err. */
bs_status bs_sim_flush(bs_sim *s);

#endif /* BS_SIM_STEP_H */
