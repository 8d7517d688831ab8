/*
 * comm.c - the only file that calls MPI (and NCCL, with the CUDA backend).
 * See comm.h for the contracts.
 *
 * A process that no MPI launcher started and that has not initialised MPI
 * itself runs alone, without MPI (bs_comm_uses_mpi): Open MPI's singleton
 * start-up forks a daemon and probes the network, which cost a one-rank run
 * of a tiny experiment 0.3 s of its 0.4 s.  Every collective then has a
 * serial fallback here (a copy or nothing), so no caller branches on it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"            /* BS_HAVE_NCCL */
#endif
#include "comm.h"

#include <mpi.h>
#if defined(OPEN_MPI) && OPEN_MPI
#include <mpi-ext.h>           /* MPIX_Query_cuda_support */
#endif
#ifdef BS_HAVE_NCCL
#include <nccl.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bs_comm {
    int mpi;            /* 0: this process runs alone, without MPI */
    MPI_Comm world;     /* private duplicate of MPI_COMM_WORLD (mpi only) */
    MPI_Comm node;      /* ranks of this host */
    int rank, size, local_rank, local_size;
#ifdef BS_HAVE_NCCL
    ncclComm_t nccl;           /* NULL until bs_comm_nccl_init */
#endif
};

/* Checks an MPI call; on failure writes "MPI_X failed at file:line: text". */
#define MPI_CHECK(call, err, err_len)                                          \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ != MPI_SUCCESS)                                                \
            return mpi_fail(#call, __FILE__, __LINE__, rc_, err, err_len);     \
    } while (0)

static bs_status mpi_fail(const char *call, const char *file, int line,
                          int rc, char *err, size_t err_len)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int text_len = 0;
    MPI_Error_string(rc, text, &text_len);
    if (err && err_len)
        snprintf(err, err_len, "%s failed at %s:%d: %s", call, file, line, text);
    return BS_ERR_MPI;
}

static void finalize_at_exit(void)
{
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Finalize();
}

/* Environment variables that MPI launchers set in the processes they start
 * (Open MPI's mpirun, PMIx and PMI launchers such as MPICH's Hydra, Intel
 * MPI and srun); one of them present means "use MPI". */
static const char *const launcher_vars[] = {
    "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK",
    "PMIX_NAMESPACE", "PMI_RANK", "PMI_SIZE", "PMI_FD", "PMI_ID",
    "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "SLURM_STEP_ID", "ALPS_APP_PE",
    "MV2_COMM_WORLD_RANK",
};

int bs_comm_uses_mpi(void)
{
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized || finalized)
        return 1;
    const char *force = getenv("BRAINSIM_MPI");
    if (force && strcmp(force, "1") == 0)
        return 1;
    for (size_t i = 0; i < sizeof launcher_vars / sizeof *launcher_vars; i++)
        if (getenv(launcher_vars[i]))
            return 1;
    return 0;
}

/* Initialises MPI unless it is already; finalised at exit when we did. */
static bs_status mpi_init(char *err, size_t err_len)
{
    int initialized = 0;
    MPI_CHECK(MPI_Initialized(&initialized), err, err_len);
    if (!initialized) {
        int provided;
        MPI_CHECK(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided),
                  err, err_len);
        atexit(finalize_at_exit);
    }
    return BS_OK;
}

bs_status bs_comm_create(bs_comm **out, char *err, size_t err_len)
{
    *out = NULL;
    int mpi = bs_comm_uses_mpi();
    if (mpi) {
        bs_status st = mpi_init(err, err_len);
        if (st != BS_OK)
            return st;
    }
    bs_comm *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of memory creating the communicator");
        return BS_ERR_NOMEM;
    }
    c->mpi = mpi;
    c->world = MPI_COMM_NULL;
    c->node = MPI_COMM_NULL;
    c->size = c->local_size = 1;
    if (!mpi) {
        *out = c;
        return BS_OK;
    }
    bs_status st = BS_OK;
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &c->world);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_set_errhandler(c->world, MPI_ERRORS_RETURN);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_rank(c->world, &c->rank);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(c->world, &c->size);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_split_type(c->world, MPI_COMM_TYPE_SHARED, c->rank,
                                 MPI_INFO_NULL, &c->node);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_rank(c->node, &c->local_rank);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(c->node, &c->local_size);
    if (rc != MPI_SUCCESS) {
        st = mpi_fail("communicator setup", __FILE__, __LINE__, rc, err, err_len);
        bs_comm_destroy(&c);
    }
    *out = c;
    return st;
}

void bs_comm_destroy(bs_comm **comm)
{
    if (!comm || !*comm)
        return;
#ifdef BS_HAVE_NCCL
    if ((*comm)->nccl)
        ncclCommDestroy((*comm)->nccl);
#endif
    int finalized = 0;
    if ((*comm)->mpi)
        MPI_Finalized(&finalized);
    if ((*comm)->mpi && !finalized) {
        if ((*comm)->node != MPI_COMM_NULL)
            MPI_Comm_free(&(*comm)->node);
        if ((*comm)->world != MPI_COMM_NULL)
            MPI_Comm_free(&(*comm)->world);
    }
    free(*comm);
    *comm = NULL;
}

int bs_comm_rank(const bs_comm *comm) { return comm->rank; }
int bs_comm_size(const bs_comm *comm) { return comm->size; }
int bs_comm_local_rank(const bs_comm *comm) { return comm->local_rank; }
int bs_comm_local_size(const bs_comm *comm) { return comm->local_size; }
void *bs_comm_mpi(bs_comm *comm) { return comm->mpi ? &comm->world : NULL; }

bs_status bs_comm_allgather(bs_comm *comm, const void *send, void *recv,
                            size_t n_bytes, char *err, size_t err_len)
{
    /* Counts are ints in MPI: move large blocks as 8-byte elements when we
     * can, and refuse what does not fit rather than truncate. */
    MPI_Datatype type = (n_bytes % 8 == 0) ? MPI_UINT64_T : MPI_BYTE;
    size_t n_elems = (n_bytes % 8 == 0) ? n_bytes / 8 : n_bytes;
    if (n_elems > (size_t)INT32_MAX) {
        snprintf(err, err_len, "allgather of %zu bytes exceeds MPI's int count",
                 n_bytes);
        return BS_ERR_LIMIT;
    }
    if (!comm->mpi) {
        if (recv != send)
            memmove(recv, send, n_bytes);
        return BS_OK;
    }
    MPI_CHECK(MPI_Allgather(send, (int)n_elems, type, recv, (int)n_elems, type,
                            comm->world), err, err_len);
    return BS_OK;
}

bs_status bs_comm_sum_u64(bs_comm *comm, uint64_t *vals, size_t n_elems,
                          char *err, size_t err_len)
{
    if (n_elems > (size_t)INT32_MAX)
        return BS_ERR_LIMIT;
    if (!comm->mpi)
        return BS_OK;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, vals, (int)n_elems, MPI_UINT64_T,
                            MPI_SUM, comm->world), err, err_len);
    return BS_OK;
}

bs_status bs_comm_max_f64(bs_comm *comm, double *vals, size_t n_elems,
                          char *err, size_t err_len)
{
    if (n_elems > (size_t)INT32_MAX)
        return BS_ERR_LIMIT;
    if (!comm->mpi)
        return BS_OK;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, vals, (int)n_elems, MPI_DOUBLE,
                            MPI_MAX, comm->world), err, err_len);
    return BS_OK;
}

int bs_comm_all_ok(bs_comm *comm, int ok)
{
    int all = ok ? 1 : 0;
    if (!comm->mpi)
        return all;
    if (MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_LAND, comm->world)
        != MPI_SUCCESS)
        return 0;
    return all;
}

bs_status bs_comm_exscan_u64(bs_comm *comm, uint64_t value, uint64_t *offset,
                             uint64_t *total, char *err, size_t err_len)
{
    uint64_t off = 0, sum = value;
    if (!comm->mpi) {
        *offset = 0;
        *total = value;
        return BS_OK;
    }
    MPI_CHECK(MPI_Exscan(&value, &off, 1, MPI_UINT64_T, MPI_SUM, comm->world),
              err, err_len);
    if (comm->rank == 0)
        off = 0;          /* MPI leaves rank 0's result undefined */
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM,
                            comm->world), err, err_len);
    *offset = off;
    *total = sum;
    return BS_OK;
}

bs_status bs_comm_bcast(bs_comm *comm, void *buf, size_t n_bytes,
                        char *err, size_t err_len)
{
    if (n_bytes > (size_t)INT32_MAX)
        return BS_ERR_LIMIT;
    if (!comm->mpi)
        return BS_OK;
    MPI_CHECK(MPI_Bcast(buf, (int)n_bytes, MPI_BYTE, 0, comm->world),
              err, err_len);
    return BS_OK;
}

bs_status bs_comm_nccl_init(bs_comm *comm, char *err, size_t err_len)
{
#ifdef BS_HAVE_NCCL
    ncclUniqueId id;
    ncclResult_t r = ncclSuccess;
    if (comm->rank == 0)
        r = ncclGetUniqueId(&id);
    if (!bs_comm_all_ok(comm, r == ncclSuccess)) {
        snprintf(err, err_len, "ncclGetUniqueId failed at %s:%d: %s", __FILE__,
                 __LINE__, ncclGetErrorString(r));
        return BS_ERR_MPI;
    }
    if (comm->mpi)
        MPI_CHECK(MPI_Bcast(&id, (int)sizeof id, MPI_BYTE, 0, comm->world),
                  err, err_len);
    r = ncclCommInitRank(&comm->nccl, comm->size, id, comm->rank);
    if (!bs_comm_all_ok(comm, r == ncclSuccess)) {
        snprintf(err, err_len, "ncclCommInitRank failed at %s:%d: %s",
                 __FILE__, __LINE__, r == ncclSuccess ? "on another rank"
                                                      : ncclGetErrorString(r));
        if (r == ncclSuccess)
            ncclCommDestroy(comm->nccl);
        comm->nccl = NULL;
        return BS_ERR_MPI;
    }
    return BS_OK;
#else
    (void)comm;
    snprintf(err, err_len, "this brainsim was built without NCCL");
    return BS_ERR_BACKEND;
#endif
}

int bs_comm_has_nccl(const bs_comm *comm)
{
#ifdef BS_HAVE_NCCL
    return comm->nccl != NULL;
#else
    (void)comm;
    return 0;
#endif
}

bs_status bs_comm_nccl_allgather(bs_comm *comm, const void *send, void *recv,
                                 size_t n_bytes, void *stream, char *err,
                                 size_t err_len)
{
#ifdef BS_HAVE_NCCL
    ncclResult_t r = ncclAllGather(send, recv, n_bytes, ncclUint8, comm->nccl,
                                   (cudaStream_t)stream);
    if (r != ncclSuccess) {
        snprintf(err, err_len, "ncclAllGather of %zu bytes failed at %s:%d: "
                 "%s", n_bytes, __FILE__, __LINE__, ncclGetErrorString(r));
        return BS_ERR_MPI;
    }
    return BS_OK;
#else
    (void)comm; (void)send; (void)recv; (void)n_bytes; (void)stream;
    snprintf(err, err_len, "this brainsim was built without NCCL");
    return BS_ERR_BACKEND;
#endif
}

int bs_comm_cuda_aware(void)
{
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
    return MPIX_Query_cuda_support();
#else
    return 0;
#endif
}

bs_status bs_comm_world(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    if (!bs_comm_uses_mpi())
        return BS_OK;
    char err[8];
    if (mpi_init(err, sizeof err) != BS_OK)
        return BS_ERR_MPI;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return BS_OK;
}

void bs_comm_abort(int code)
{
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}
