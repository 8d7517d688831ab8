/*
 * sim.c - a live simulator (include/brainsim.h): the one driver that walks
 * the schedule (steps, state operations, checkpoint operations), writes
 * checkpoints, answers queries and destroys it.  Every step and every
 * operation goes through bs_sim_apply_ops and bs_step below; creation is
 * sim_create.c's.
 *
 * Calls down only: sim_step (steps, output rows), schedule (state
 * operations), sim_checkpoint (state to checkpoint rows), sim_state.  The
 * public functions' contracts are in include/brainsim.h, the internal
 * one's in sim.h.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "fnv1a.h"
#include "log.h"
#include "paths.h"
#include "schedule.h"
#include "sim_checkpoint.h"
#include "sim_paths.h"
#include "sim_step.h"

const char *bs_strerror(bs_status status)
{
    static const char *const names[] = {
        "success", "invalid argument", "out of memory",
        "invalid experiment", "input/output error", "MPI or NCCL error",
        "CUDA error", "reserved capacity exceeded", "backend not usable",
        "invalid checkpoint", "invalid state", "not found",
        "size limit exceeded",
    };
    if ((unsigned)status < sizeof names / sizeof names[0])
        return names[status];
    return "unknown status";
}

/* 1 when the schedule has steps left from s's position.  Can't fail. */
static int steps_left(const bs_sim *s)
{
    for (int o = s->op; o < s->exp->n_ops; o++) {
        const bs_op *op = &s->exp->ops[o];
        if (op->kind == BS_OP_PROJECT &&
            (o > s->op ? op->rounds > 0 : s->round < op->rounds))
            return 1;
    }
    return 0;
}

/* Moves s's position past its current operation.  Can't fail. */
static void next_op(bs_sim *s)
{
    s->op++;
    s->round = 0;
}

bs_status bs_sim_apply_ops(bs_sim *s)
{
    while (s->op < s->exp->n_ops) {
        const bs_op *op = &s->exp->ops[s->op];
        bs_status st = BS_OK;
        if (op->kind == BS_OP_PROJECT) {
            if (s->round < op->rounds)
                return BS_OK;
            next_op(s);
        } else if (op->kind == BS_OP_CHECKPOINT) {
            /* the checkpoint records the position after itself, so a run
             * resumed from it does not write it again */
            next_op(s);
            st = bs_checkpoint(s, op->path);
        } else if ((st = bs_sim_apply_op(s, op)) == BS_OK) {
            next_op(s);
        }
        if (st != BS_OK)
            return st;
    }
    return BS_OK;
}

/* What follows a step: a full row buffer is written out, and after the
 * schedule's last step the operations that follow it (snapshots,
 * checkpoints) belong to the run; otherwise they are applied at the start
 * of the next step, so that the state after a step is the one its output
 * row records.  Collective.  Returns BS_OK or the failure's status. */
static bs_status after_step(bs_sim *s)
{
    bs_status st = BS_OK;
    if (s->rec_rows == s->rec_cap && (st = bs_sim_flush(s)) != BS_OK)
        return st;
    return steps_left(s) ? BS_OK : bs_sim_apply_ops(s);
}

bs_status bs_step(bs_sim *sim, uint64_t n_steps, uint64_t *n_done)
{
    if (n_done)
        *n_done = 0;
    if (!sim)
        return BS_ERR_ARG;
    bs_status st = BS_OK;
    uint64_t done = 0;
    while (done < n_steps) {
        if ((st = bs_sim_apply_ops(sim)) != BS_OK)
            break;
        if (sim->op >= sim->exp->n_ops)
            break;
        if ((st = bs_sim_step_once(sim)) != BS_OK ||
            (st = after_step(sim)) != BS_OK)
            break;
        done++;
        bs_test_pause_at_step(sim->step, sim->rank == 0);
    }
    if (st == BS_OK && sim->op >= sim->exp->n_ops)
        st = bs_sim_flush(sim);
    if (n_done)
        *n_done = done;
    return st;
}

bs_status bs_run(bs_sim *sim)
{
    return bs_step(sim, UINT64_MAX, NULL);
}

bs_status bs_checkpoint(bs_sim *s, const char *path)
{
    if (!s || !path)
        return BS_ERR_ARG;
    bs_status st = bs_sim_claim_checkpoint(s, path);
    if (st != BS_OK)
        return st;
    st = bs_sim_flush(s);
    if (st == BS_ERR_MPI)   /* this rank alone: no agreement (bs_io_write) */
        return st;
    if (st == BS_OK && s->be->download)
        st = s->be->download(s);
    if (!bs_comm_all_ok(s->comm, st == BS_OK))
        return st == BS_OK ? bs_sim_fail(s, BS_ERR_STATE, "checkpoint: "
                                         "another rank failed") : st;
    return bs_sim_checkpoint_write(s, path);
}

void bs_request_stop(bs_sim *sim)
{
    if (sim)
        sim->stop_local = 1;
}

int bs_stop_requested(const bs_sim *sim)
{
    return sim ? sim->stop_agreed : 0;
}

uint64_t bs_steps_done(const bs_sim *sim) { return sim->step; }
uint64_t bs_steps_total(const bs_sim *sim) { return sim->exp->total_steps; }
int bs_n_areas(const bs_sim *sim) { return sim->exp->n_areas; }

uint64_t bs_area_k(const bs_sim *sim, int i)
{
    return (i >= 0 && i < sim->exp->n_areas) ? sim->exp->areas[i].k : 0;
}

const char *bs_area_name(const bs_sim *sim, int i)
{
    return (i >= 0 && i < sim->exp->n_areas) ? sim->exp->areas[i].name : NULL;
}

bs_status bs_winners(const bs_sim *sim, const char *area, uint64_t *ids,
                     size_t cap, size_t *n)
{
    if (!sim || !area || !n)
        return BS_ERR_ARG;
    int a = bs_experiment_area(sim->exp, area);
    if (a < 0)
        return BS_ERR_NOTFOUND;
    const bs_area_state *as = &sim->areas[a];
    if (as->n_winners > cap || (as->n_winners && !ids))
        return BS_ERR_ARG;
    memcpy(ids, as->winners, as->n_winners * sizeof *ids);
    *n = as->n_winners;
    return BS_OK;
}

bs_status bs_support(const bs_sim *sim, const char *area, uint64_t *support)
{
    if (!sim || !area || !support)
        return BS_ERR_ARG;
    int a = bs_experiment_area(sim->exp, area);
    if (a < 0)
        return BS_ERR_NOTFOUND;
    *support = sim->areas[a].support;
    return BS_OK;
}

uint64_t bs_winners_checksum(const bs_sim *sim, uint64_t h)
{
    for (int a = 0; a < sim->exp->n_areas; a++) {
        const bs_area_state *as = &sim->areas[a];
        for (uint64_t i = 0; i < as->n_winners; i++) {
            unsigned char b[8];
            for (int j = 0; j < 8; j++)
                b[j] = (unsigned char)(as->winners[i] >> (8 * j));
            h = bs_fnv1a(h, b, sizeof b);
        }
    }
    return h;
}

void bs_phase_seconds(const bs_sim *sim, double seconds[6], uint64_t *events)
{
    for (int ph = 0; ph < BS_N_PHASES; ph++)
        seconds[ph] = sim->phase_total[ph];
    if (events)
        *events = sim->events_total;
}

const char *bs_backend_name(const bs_sim *sim) { return sim->backend_name; }
const char *bs_fallback_reason(const bs_sim *sim) { return sim->fallback; }
const char *bs_error(const bs_sim *sim) { return sim ? sim->err : ""; }

size_t bs_pool_bytes(const bs_sim *sim, int device)
{
    if (!device)
        return bs_pool_bytes_of(&sim->pool);
    return sim->be->device_bytes ? sim->be->device_bytes(sim) : 0;
}

void bs_destroy(bs_sim **sim)
{
    if (!sim || !*sim)
        return;
    bs_sim *s = *sim;
    if (s->io) {
        bs_sim_flush(s);
        bs_io_close(&s->io);
    }
    if (s->be && s->be->destroy)
        s->be->destroy(s);
    bs_pool_destroy(&s->pool);
    bs_sim_layout_free(s);
    bs_paths_destroy(&s->paths);
    bs_experiment_destroy(&s->exp);
    bs_comm_destroy(&s->comm);
    free(s);
    *sim = NULL;
}

bs_status bs_world(int *rank, int *n_ranks)
{
    return bs_comm_world(rank, n_ranks);
}

void bs_abort(int code)
{
    bs_comm_abort(code);
}
