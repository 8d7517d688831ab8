/*
 * sim_paths.c - a simulator's files: the identity checks and locks of
 * paths.h, run on rank 0 and agreed by every rank (sim_paths.h).
 */
#include "sim_paths.h"

#include <stdio.h>
#include <string.h>

#include "paths.h"

/* Every rank takes rank 0's status and message (in s->err).  Collective.
 * Returns that status, or BS_ERR_MPI. */
static bs_status agree(bs_sim *s, bs_status st)
{
    uint64_t v = (uint64_t)st;
    char tmp[BS_ERR_LEN];
    if (s->n_ranks == 1)
        return st;
    if (bs_comm_bcast(s->comm, &v, sizeof v, tmp, sizeof tmp) != BS_OK ||
        bs_comm_bcast(s->comm, s->err, sizeof s->err, tmp, sizeof tmp)
        != BS_OK) {
        snprintf(s->err, sizeof s->err, "%s", tmp);
        return BS_ERR_MPI;
    }
    return (bs_status)v;
}

/* Registers every checkpoint file of exp's schedule (keep files each,
 * locked when lock).  Returns BS_OK or bs_paths_add_write's error. */
static bs_status add_schedule_checkpoints(bs_paths *p, const bs_experiment *e,
                                          int keep, int lock, char *err,
                                          size_t err_len)
{
    bs_status st = BS_OK;
    for (int o = 0; st == BS_OK && o < e->n_ops; o++)
        if (e->ops[o].kind == BS_OP_CHECKPOINT && e->ops[o].path)
            st = bs_paths_add_write(p, e->ops[o].path, "checkpoint", keep,
                                    lock, err, err_len);
    return st;
}

/* Rank 0's part of bs_sim_claim_paths.  Returns its status, the message in
 * s->err. */
static bs_status claim_local(bs_sim *s, const bs_options *opt,
                             const char *exp_path, const char *resume_path)
{
    char *err = s->err;
    size_t len = sizeof s->err;
    bs_status st = BS_OK;
    if (exp_path)
        st = bs_paths_add_read(s->paths, exp_path, "experiment", err, len);
    if (st == BS_OK && resume_path)
        st = bs_paths_add_read(s->paths, resume_path, "checkpoint to resume",
                               err, len);
    if (st == BS_OK && opt->out_path)
        st = bs_paths_add_write(s->paths, opt->out_path, "output", 0, 1, err,
                                len);
    if (st == BS_OK && opt->checkpoint_path)
        st = bs_paths_add_write(s->paths, opt->checkpoint_path, "checkpoint",
                                s->keep_checkpoints, 1, err, len);
    if (st == BS_OK)
        st = add_schedule_checkpoints(s->paths, s->exp, s->keep_checkpoints,
                                      0, err, len);
    return st;
}

bs_status bs_sim_claim_paths(bs_sim *s, const bs_options *opt,
                             const char *exp_path, const char *resume_path)
{
    bs_status st = BS_OK;
    s->paths = bs_paths_create();
    if (!s->paths)
        st = bs_sim_fail(s, BS_ERR_NOMEM, "out of memory checking the paths");
    else if (s->rank == 0)
        st = claim_local(s, opt, exp_path, resume_path);
    return agree(s, st);
}

bs_status bs_sim_claim_checkpoint(bs_sim *s, const char *path)
{
    bs_status st = BS_OK;
    if (s->rank == 0)
        st = bs_paths_add_write(s->paths, path, "checkpoint",
                                s->keep_checkpoints, 1, s->err,
                                sizeof s->err);
    return agree(s, st);
}

bs_status bs_plan_check_paths(const bs_experiment *exp, const char *exp_path,
                              char *err, size_t err_len)
{
    bs_paths *p = bs_paths_create();
    bs_status st = p ? BS_OK : BS_ERR_NOMEM;
    if (!p)
        snprintf(err, err_len, "out of memory checking the paths");
    if (st == BS_OK && exp_path)
        st = bs_paths_add_read(p, exp_path, "experiment", err, err_len);
    if (st == BS_OK)
        st = add_schedule_checkpoints(p, exp, 2, 0, err, err_len);
    bs_paths_destroy(&p);
    return st;
}
