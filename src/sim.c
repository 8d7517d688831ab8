/*
 * sim.c - a live simulator (include/brainsim.h): the one driver that walks
 * the schedule (steps, state operations, checkpoint operations), the
 * operations applied one at a time (bs_apply: appended to the schedule,
 * then driven like scheduled ones), the recording of what ran in the
 * output, checkpoints, queries and destroy.  Every step and every
 * operation goes through bs_sim_apply_ops and drive() below; creation is
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
        "size limit exceeded", "weight saturated",
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
                return s->round == 0 ? bs_sim_check_project(s, op) : BS_OK;
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

/* The operations' descriptions of s->exp for the output's /schedule into
 * meta (n_ops, op_descriptions) and steps_total and the experiment text;
 * *owned receives what the caller frees.  Returns BS_OK or BS_ERR_NOMEM
 * with the message in s->err. */
bs_status bs_sim_output_ops(bs_sim *s, bs_io_meta *meta, void **owned)
{
    const bs_experiment *e = s->exp;
    size_t n = (size_t)e->n_ops + 1;
    char *buf = malloc(n * (128 + sizeof(char *)));
    *owned = buf;
    if (!buf)
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory describing the "
                           "schedule for the output");
    const char **ptrs = (const char **)(void *)buf;
    char *text = buf + n * sizeof(char *);
    for (int o = 0; o < e->n_ops; o++) {
        bs_op_describe(e, o, text + 128 * (size_t)o, 128);
        ptrs[o] = text + 128 * (size_t)o;
    }
    meta->n_ops = e->n_ops;
    meta->op_descriptions = ptrs;
    meta->steps_total = e->total_steps;
    meta->experiment_text = e->text;
    return BS_OK;
}

/* When operations were applied since, replaces s->exp's text by its
 * canonical rendering (bs_experiment_emit): what ran, replayable.
 * Returns BS_OK or BS_ERR_NOMEM with the message in s->err. */
static bs_status record_text(bs_sim *s)
{
    if (!s->text_stale)
        return BS_OK;
    size_t len;
    char *text = bs_experiment_emit(s->exp, &len);
    if (!text)
        return bs_sim_fail(s, BS_ERR_NOMEM, "out of memory recording the "
                           "experiment");
    free(s->exp->text);
    s->exp->text = text;
    s->exp->text_len = len;
    s->text_stale = 0;
    return BS_OK;
}

/* Writes the buffered rows, then, when operations were applied since the
 * output last described them, its experiment text, steps_total and
 * /schedule operations.  Collective.  Returns BS_OK or the failure's
 * status (bs_sim_flush's, BS_ERR_NOMEM, bs_io_update_meta's). */
static bs_status sync_output(bs_sim *s)
{
    bs_status st = bs_sim_flush(s);
    if (st != BS_OK || !s->io || !s->meta_stale)
        return st;
    void *owned = NULL;
    bs_io_meta meta = {0};
    if ((st = record_text(s)) == BS_OK &&
        (st = bs_sim_output_ops(s, &meta, &owned)) == BS_OK)
        st = bs_io_update_meta(s->io, &meta, s->err, sizeof s->err);
    free(owned);
    if (st == BS_OK)
        s->meta_stale = 0;
    return st;
}

/* What follows a step: a full row buffer is written out, and after the
 * schedule's last step the operations that follow it (snapshots,
 * checkpoints) belong to the run; otherwise they are applied at the start
 * of the next step, so that the state after a step is the one its output
 * row records.  Collective.  Returns BS_OK or the failure's status. */
static bs_status after_step(bs_sim *s)
{
    bs_status st = BS_OK;
    if (s->rec_rows == s->rec_cap && (st = sync_output(s)) != BS_OK)
        return st;
    return steps_left(s) ? BS_OK : bs_sim_apply_ops(s);
}

/* After a step that failed with a saturated weight (its fibers' stores
 * and winners may have advanced on some ranks and not on others): the
 * refusal of `what` (a step, a checkpoint), BS_ERR_STATE naming the
 * failure (the same on every rank).  Can't fail. */
static bs_status refuse_failed(bs_sim *s, const char *what)
{
    return bs_sim_fail(s, BS_ERR_STATE, "no %s after a failed step: %.900s",
                       what, s->failure);
}

/* Takes up to n_steps steps of the schedule from s's position, applying
 * the operations on the way; *done receives the steps taken.  Rows are
 * written only when their buffer is full.  Collective.  Returns BS_OK or
 * the first failure's status (message in s->err). */
static bs_status drive(bs_sim *s, uint64_t n_steps, uint64_t *done)
{
    bs_status st = BS_OK;
    *done = 0;
    if (s->failed)
        return refuse_failed(s, "step");
    while (*done < n_steps) {
        if ((st = bs_sim_apply_ops(s)) != BS_OK)
            break;
        if (s->op >= s->exp->n_ops)
            break;
        if ((st = bs_sim_step_once(s)) != BS_OK ||
            (st = after_step(s)) != BS_OK) {
            if ((s->failed = st == BS_ERR_SATURATED))
                memcpy(s->failure, s->err, sizeof s->failure);
            break;
        }
        (*done)++;
        bs_test_pause_at_step(s->step, s->rank == 0);
    }
    return st;
}

bs_status bs_step(bs_sim *sim, uint64_t n_steps, uint64_t *n_done)
{
    if (n_done)
        *n_done = 0;
    if (!sim)
        return BS_ERR_ARG;
    uint64_t done = 0;
    bs_status st = drive(sim, n_steps, &done);
    if (st == BS_OK && sim->op >= sim->exp->n_ops)
        st = sync_output(sim);
    if (n_done)
        *n_done = done;
    return st;
}

bs_status bs_run(bs_sim *sim)
{
    return bs_step(sim, UINT64_MAX, NULL);
}

/* Rank 0's operation text into s->op_text (every rank), NUL-terminated,
 * its length in *len.  Collective.  Returns BS_OK, BS_ERR_NOMEM or
 * BS_ERR_MPI / BS_ERR_LIMIT with the message in s->err; agreed. */
static bs_status share_text(bs_sim *s, const char *text, size_t *len)
{
    uint64_t n = s->rank == 0 ? strlen(text) : 0;
    bs_status st = s->n_ranks > 1
        ? bs_comm_bcast(s->comm, &n, sizeof n, s->err, sizeof s->err) : BS_OK;
    if (st != BS_OK)
        return st;
    int ok = 1;
    if (n + 1 > s->op_text_cap) {
        char *b = realloc(s->op_text, n + 1 > 2 * s->op_text_cap
                          ? n + 1 : 2 * s->op_text_cap);
        if ((ok = b != NULL)) {
            s->op_text = b;
            s->op_text_cap = n + 1 > 2 * s->op_text_cap ? n + 1
                                                         : 2 * s->op_text_cap;
        }
    }
    if (!bs_comm_all_ok(s->comm, ok))
        return bs_sim_fail(s, BS_ERR_NOMEM, "bs_apply: out of memory for the "
                           "operation's %llu bytes (on some rank)",
                           (unsigned long long)n);
    if (s->rank == 0)
        memcpy(s->op_text, text, n);
    s->op_text[n] = '\0';
    if (s->n_ranks > 1 && n > 0)
        st = bs_comm_bcast(s->comm, s->op_text, n, s->err, sizeof s->err);
    *len = n;
    return st;
}

/* Removes the last operation of s->exp (appended by bs_apply and refused
 * before it changed anything).  Can't fail. */
static void drop_last_op(bs_sim *s, uint64_t total_steps, int n_snapshots)
{
    bs_experiment *e = s->exp;
    bs_op *op = &e->ops[--e->n_ops];
    free(op->fibers);
    free(op->neurons);
    free(op->path);
    memset(op, 0, sizeof *op);
    e->total_steps = total_steps;
    e->n_snapshots = n_snapshots;
    s->op = e->n_ops;
    s->round = 0;
}

bs_status bs_apply(bs_sim *sim, const char *operation)
{
    if (!sim)
        return BS_ERR_ARG;
    bs_experiment *e = sim->exp;
    size_t len = 0;
    if (!bs_comm_all_ok(sim->comm, sim->rank != 0 || operation != NULL))
        return bs_sim_fail(sim, BS_ERR_ARG, "bs_apply: NULL operation on "
                           "rank 0");
    bs_status st = share_text(sim, operation ? operation : "", &len);
    if (st != BS_OK)
        return st;
    if (steps_left(sim) || sim->op < e->n_ops)
        return bs_sim_fail(sim, BS_ERR_STATE, "bs_apply: the schedule has "
                           "steps left (%llu of %llu done): run it to its "
                           "end first (bs_run), then apply operations",
                           (unsigned long long)sim->step,
                           (unsigned long long)e->total_steps);
    const uint64_t total = e->total_steps, step = sim->step;
    const int n_snapshots = e->n_snapshots;
    st = bs_experiment_parse_op(e, sim->op_text, len, "<operation>", sim->err,
                                sizeof sim->err);
    if (st != BS_OK)
        return st;
    if (e->n_snapshots > n_snapshots &&
        (st = bs_sim_snapshots_grow(sim)) != BS_OK) {
        drop_last_op(sim, total, n_snapshots);
        return st;
    }
    sim->text_stale = sim->meta_stale = 1;
    uint64_t done;
    st = drive(sim, UINT64_MAX, &done);
    if (st != BS_OK && sim->step == step && sim->op == e->n_ops - 1 &&
        sim->round == 0 && e->ops[sim->op].kind != BS_OP_CHECKPOINT)
        drop_last_op(sim, total, n_snapshots);  /* refused: nothing changed */
    return st;
}

bs_status bs_project(bs_sim *sim, const char *const *fibers, size_t n_fibers,
                     uint64_t rounds)
{
    if (!sim || (n_fibers && !fibers))
        return BS_ERR_ARG;
    size_t cap = 64;
    for (size_t i = 0; i < n_fibers; i++) {
        if (!fibers[i] || strchr(fibers[i], '"') || strchr(fibers[i], '\\'))
            return bs_sim_fail(sim, BS_ERR_ARG, "bs_project: fiber name %zu is "
                               "NULL or holds a quote or backslash", i);
        cap += strlen(fibers[i]) + 4;
    }
    char *text = malloc(cap);
    if (!text)
        return bs_sim_fail(sim, BS_ERR_NOMEM, "bs_project: out of memory");
    size_t at = (size_t)snprintf(text, cap, "project: {");
    if (n_fibers) {
        at += (size_t)snprintf(text + at, cap - at, "fibers: [");
        for (size_t i = 0; i < n_fibers; i++)
            at += (size_t)snprintf(text + at, cap - at, "%s\"%s\"",
                                   i ? ", " : "", fibers[i]);
        at += (size_t)snprintf(text + at, cap - at, "], ");
    }
    snprintf(text + at, cap - at, "rounds: %llu}", (unsigned long long)rounds);
    bs_status st = bs_apply(sim, text);
    free(text);
    return st;
}

bs_status bs_checkpoint(bs_sim *s, const char *path)
{
    if (!s || !path)
        return BS_ERR_ARG;
    if (s->failed)
        return refuse_failed(s, "checkpoint");
    bs_status st = bs_sim_claim_checkpoint(s, path);
    if (st != BS_OK)
        return st;
    st = sync_output(s);
    if (st == BS_ERR_MPI)   /* this rank alone: no agreement (bs_io_write) */
        return st;
    if (st == BS_OK)
        st = record_text(s);
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
        return bs_pool_bytes_of(&sim->pool) +
               (sim->be->host_bytes ? sim->be->host_bytes(sim) : 0);
    return sim->be->device_bytes ? sim->be->device_bytes(sim) : 0;
}

void bs_destroy(bs_sim **sim)
{
    if (!sim || !*sim)
        return;
    bs_sim *s = *sim;
    if (s->io) {
        sync_output(s);
        bs_io_close(&s->io);
    }
    free(s->op_text);
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
