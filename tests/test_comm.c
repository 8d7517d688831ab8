/* test_comm.c - the communicator of a process that no MPI launcher
 * started: it runs alone without initialising MPI, its collectives are
 * local copies, and BRAINSIM_MPI=1 makes it initialise MPI (a one-rank
 * MPI_COMM_WORLD).  Run without mpirun (make check does). */
#define _POSIX_C_SOURCE 200809L     /* setenv, unsetenv */
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "check_main.h"

static const char *const launcher[] = {
    "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK",
    "PMIX_NAMESPACE", "PMI_RANK", "PMI_SIZE", "PMI_FD", "PMI_ID",
    "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "SLURM_STEP_ID", "ALPS_APP_PE",
    "MV2_COMM_WORLD_RANK", "BRAINSIM_MPI",
};

static void clear_launcher(void)
{
    for (size_t i = 0; i < sizeof launcher / sizeof *launcher; i++)
        unsetenv(launcher[i]);
}

/* Without a launcher: one rank, no MPI, and the collectives of one rank. */
START_TEST(serial_without_launcher)
{
    clear_launcher();
    char err[256] = "";
    bs_comm *c = NULL;
    ck_assert_int_eq(bs_comm_uses_mpi(), 0);
    ck_assert_int_eq(bs_comm_create(&c, err, sizeof err), BS_OK);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(bs_comm_uses_mpi(), 0);      /* MPI never initialised */
    ck_assert_ptr_null(bs_comm_mpi(c));
    ck_assert_int_eq(bs_comm_rank(c), 0);
    ck_assert_int_eq(bs_comm_size(c), 1);
    ck_assert_int_eq(bs_comm_local_rank(c), 0);
    ck_assert_int_eq(bs_comm_local_size(c), 1);

    uint64_t send[3] = {7, 8, 9}, recv[3] = {0};
    ck_assert_int_eq(bs_comm_allgather(c, send, recv, sizeof send, err,
                                       sizeof err), BS_OK);
    ck_assert_mem_eq(send, recv, sizeof send);
    uint64_t sum[2] = {5, 6};
    ck_assert_int_eq(bs_comm_sum_u64(c, sum, 2, err, sizeof err), BS_OK);
    ck_assert_uint_eq(sum[0], 5);
    ck_assert_uint_eq(sum[1], 6);
    double mx = 2.5;
    ck_assert_int_eq(bs_comm_max_f64(c, &mx, 1, err, sizeof err), BS_OK);
    ck_assert(mx == 2.5);
    ck_assert_int_eq(bs_comm_all_ok(c, 1), 1);
    ck_assert_int_eq(bs_comm_all_ok(c, 0), 0);
    uint64_t off = 99, total = 0;
    ck_assert_int_eq(bs_comm_exscan_u64(c, 42, &off, &total, err, sizeof err),
                     BS_OK);
    ck_assert_uint_eq(off, 0);
    ck_assert_uint_eq(total, 42);
    char buf[4] = "abc";
    ck_assert_int_eq(bs_comm_bcast(c, buf, 4, err, sizeof err), BS_OK);
    ck_assert_str_eq(buf, "abc");
    int rank = -1, size = -1;
    ck_assert_int_eq(bs_comm_world(&rank, &size), BS_OK);
    ck_assert_int_eq(rank, 0);
    ck_assert_int_eq(size, 1);
    ck_assert_int_eq(bs_comm_uses_mpi(), 0);
    bs_comm_destroy(&c);
    ck_assert_ptr_null(c);
}
END_TEST

/* A launcher's variable (here Open MPI's) means MPI is used. */
START_TEST(launcher_detected)
{
    clear_launcher();
    setenv("PMIX_RANK", "0", 1);
    ck_assert_int_eq(bs_comm_uses_mpi(), 1);
    clear_launcher();
    setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
    ck_assert_int_eq(bs_comm_uses_mpi(), 1);
    clear_launcher();
    setenv("BRAINSIM_MPI", "0", 1);
    ck_assert_int_eq(bs_comm_uses_mpi(), 0);
    clear_launcher();
}
END_TEST

/* BRAINSIM_MPI=1: MPI is initialised (a singleton world of one rank) and
 * the communicator is an MPI one; afterwards every communicator is. */
START_TEST(forced_mpi)
{
    clear_launcher();
    setenv("BRAINSIM_MPI", "1", 1);
    char err[256] = "";
    bs_comm *c = NULL;
    ck_assert_int_eq(bs_comm_create(&c, err, sizeof err), BS_OK);
    ck_assert_ptr_nonnull(bs_comm_mpi(c));
    ck_assert_int_eq(bs_comm_size(c), 1);
    uint64_t off = 1, total = 0;
    ck_assert_int_eq(bs_comm_exscan_u64(c, 42, &off, &total, err, sizeof err),
                     BS_OK);
    ck_assert_uint_eq(off, 0);
    ck_assert_uint_eq(total, 42);
    clear_launcher();
    ck_assert_int_eq(bs_comm_uses_mpi(), 1);      /* initialised now */
    bs_comm_destroy(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("comm");
    TCase *tc = tcase_create("serial");
    tcase_add_test(tc, serial_without_launcher);
    tcase_add_test(tc, launcher_detected);
    tcase_add_test(tc, forced_mpi);
    suite_add_tcase(s, tc);
    return check_run(s, CHECK_NOFORK, "comm");   /* in order, one process */
}
