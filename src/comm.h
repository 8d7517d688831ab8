/*
 * comm.h - all inter-rank communication (doc/design.md section 8: only comm.c
 * calls MPI, and NCCL when the CUDA backend is built).
 *
 * A bs_comm wraps a private duplicate of MPI_COMM_WORLD, so two simulators
 * in one process never share a communicator.  Every function is collective
 * unless it says otherwise, returns BS_OK or BS_ERR_MPI, and writes the
 * failing call and its file:line into err.
 *
 * Without MPI: a process that was not started by an MPI launcher (none of
 * the variables that mpirun, PMIx, PMI or srun set, such as
 * OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK), did not initialise MPI
 * itself and does not have BRAINSIM_MPI=1 in its environment is one rank
 * that never initialises MPI: the collectives are local copies, and
 * bs_comm_mpi returns NULL (io then opens files with HDF5's default
 * driver).  This saves Open MPI's singleton start-up (a forked daemon and
 * a network probe, about 0.3 s).
 */
#ifndef BS_COMM_H
#define BS_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "brainsim.h"

typedef struct bs_comm bs_comm;

/* Initialises MPI if the process uses it (bs_comm_uses_mpi) and the caller
 * has not (then it is finalised at exit), and duplicates MPI_COMM_WORLD;
 * without MPI, makes a communicator of one rank.  Returns BS_OK,
 * BS_ERR_NOMEM or BS_ERR_MPI (*out NULL). */
bs_status bs_comm_create(bs_comm **out, char *err, size_t err_len);
void bs_comm_destroy(bs_comm **comm);

/* Rank and size; not collective, can't fail. */
int bs_comm_rank(const bs_comm *comm);
int bs_comm_size(const bs_comm *comm);
/* Rank among the ranks of this host (for choosing a GPU). */
int bs_comm_local_rank(const bs_comm *comm);
/* Number of ranks on this host. */
int bs_comm_local_size(const bs_comm *comm);

/* Gathers n_bytes from every rank into recv (size * n_bytes, rank order). */
bs_status bs_comm_allgather(bs_comm *comm, const void *send, void *recv,
                            size_t n_bytes, char *err, size_t err_len);
/* Elementwise sum / max over ranks, in place. */
bs_status bs_comm_sum_u64(bs_comm *comm, uint64_t *vals, size_t n_elems,
                          char *err, size_t err_len);
bs_status bs_comm_max_f64(bs_comm *comm, double *vals, size_t n_elems,
                          char *err, size_t err_len);
/* Logical AND of `ok` over ranks (agreement on errors).  Returns 1 iff
 * every rank passed ok != 0; on an MPI failure returns 0. */
int bs_comm_all_ok(bs_comm *comm, int ok);
/* Exclusive prefix sum over ranks of one u64 (rank 0 gets 0) and the
 * total, for placing each rank's rows in a shared dataset. */
bs_status bs_comm_exscan_u64(bs_comm *comm, uint64_t value, uint64_t *offset,
                             uint64_t *total, char *err, size_t err_len);
/* Broadcast n_bytes from rank 0. */
bs_status bs_comm_bcast(bs_comm *comm, void *buf, size_t n_bytes,
                        char *err, size_t err_len);

/* NCCL (CUDA backend): one communicator per bs_comm, its unique id
 * broadcast over MPI; call after the rank has selected its device.
 * BS_ERR_BACKEND when built without NCCL, BS_ERR_MPI on failure (agreed
 * by every rank). */
bs_status bs_comm_nccl_init(bs_comm *comm, char *err, size_t err_len);
/* 1 when bs_comm_nccl_init succeeded.  Not collective. */
int bs_comm_has_nccl(const bs_comm *comm);
/* Allgather of n_bytes of device memory per rank into recv (size *
 * n_bytes, rank order) on `stream` (a cudaStream_t), asynchronously. */
bs_status bs_comm_nccl_allgather(bs_comm *comm, const void *send, void *recv,
                                 size_t n_bytes, void *stream, char *err,
                                 size_t err_len);
/* 1 when the MPI library says it is CUDA-aware (MPIX_Query_cuda_support),
 * else 0.  Not collective. */
int bs_comm_cuda_aware(void);

/* 1 when this process uses MPI: MPI is (or was) initialised, an MPI
 * launcher's variables are set, or BRAINSIM_MPI=1; else 0.  Not
 * collective, can't fail. */
int bs_comm_uses_mpi(void);

/* Rank and size in MPI_COMM_WORLD, initialising MPI if the process uses it
 * (0 and 1 without MPI), for a caller that has no simulator, such as the
 * CLI after a failed create.  Returns BS_OK or BS_ERR_MPI. */
bs_status bs_comm_world(int *rank, int *size);

/* Aborts the whole job (MPI_Abort; exit without MPI) with `code`; for the
 * top level only. */
void bs_comm_abort(int code);

/* The MPI communicator as an opaque pointer (MPI_Comm *), for io.c; NULL
 * without MPI (one rank: use HDF5's default file driver).  Can't fail. */
void *bs_comm_mpi(bs_comm *comm);

#endif /* BS_COMM_H */
