/*
 * sim_checkpoint.h - a simulator's state to and from the rows of a
 * checkpoint (sim_checkpoint.c; the file itself is checkpoint.h's).
 * Internal to libbrainsim.
 */
#ifndef BS_SIM_CHECKPOINT_H
#define BS_SIM_CHECKPOINT_H

#include "checkpoint.h"
#include "sim_state.h"

/* Writes the state of s (host views current: the backend has downloaded
 * what it keeps apart) as the checkpoint `path`, keeping
 * s->keep_checkpoints of them, and logs it on rank 0.  Collective.
 * Returns BS_OK, BS_ERR_NOMEM when the rows do not fit in memory on some
 * rank, or bs_ckpt_write's error, with a message in s->err; every rank
 * returns the same status. */
bs_status bs_sim_checkpoint_write(bs_sim *s, const char *path);

/* Restores the state of s (pool allocated, not yet the backend) from the
 * checkpoint open in rd: schedule position, winners, flags, support,
 * ever-fired bitmaps, geometry and plastic stores.  Collective.  Returns
 * BS_OK, or BS_ERR_CHECKPOINT / BS_ERR_CAPACITY (a store that cannot grow
 * to the checkpoint's synapses: out of host memory) with a message in
 * s->err naming what does not match.  Stores smaller than the rows grow
 * (doubling, on every rank) before the backend plans its memory. */
bs_status bs_sim_restore(bs_sim *s, bs_ckpt_reader *rd);

/* Builds every fiber's geometry for the experiment into s->fibers[f].geom
 * on rank 0 (libm) and broadcasts it (what a fresh run uses, and what a
 * checkpoint's stored geometry must equal).  Collective.  Returns BS_OK,
 * BS_ERR_PARSE when a fiber's p is out of range, or BS_ERR_MPI, with the
 * message in s->err. */
bs_status bs_sim_build_geometry(bs_sim *s);

/* Fiber f's geometry for experiment e into *g (keyed by the seed and the
 * names of its source and target, never its position), on this host
 * (libm): what rank 0 computes for bs_sim_build_geometry and what
 * `brainsim plan` sizes the CPU backend by.  Returns 0, or -1 when its p
 * is out of range. */
int bs_sim_fiber_geom(const bs_experiment *e, int f, bs_fiber_geom *g);

#endif /* BS_SIM_CHECKPOINT_H */
