/*
 * sim_paths.h - the files of a simulator (sim_paths.c): what creation
 * reads and writes, checked and locked before anything is opened for
 * writing (paths.h has the rules), and the checkpoints named later.
 * Internal to libbrainsim.
 */
#ifndef BS_SIM_PATHS_H
#define BS_SIM_PATHS_H

#include "sim_state.h"

/* Registers the files of a run being created: the experiment file
 * (exp_path, NULL for text) and the checkpoint resumed from (resume_path,
 * or NULL) as read; the output (opt->out_path), opt->checkpoint_path and
 * every schedule `checkpoint:` file as written, with their locks (all
 * but the schedule's, locked when first written).  Rank 0 checks; every
 * rank returns its verdict.  Collective.  Returns BS_OK with s->paths
 * set, or BS_ERR_IO / BS_ERR_NOMEM / BS_ERR_MPI with the message (naming
 * both files of a collision) in s->err. */
bs_status bs_sim_claim_paths(bs_sim *s, const bs_options *opt,
                             const char *exp_path, const char *resume_path);

/* Registers and locks checkpoint `path` before it is written (a name
 * already claimed is accepted at once).  Collective.  Returns BS_OK, or
 * as bs_sim_claim_paths. */
bs_status bs_sim_claim_checkpoint(bs_sim *s, const char *path);

/* The identity checks of bs_sim_claim_paths for what `plan` knows: the
 * experiment file and its schedule's checkpoint files (kept as the
 * command's default, 2), no locks.  Returns BS_OK, or BS_ERR_IO /
 * BS_ERR_NOMEM with the message in err. */
bs_status bs_plan_check_paths(const bs_experiment *exp, const char *exp_path,
                              char *err, size_t err_len);

#endif /* BS_SIM_PATHS_H */
