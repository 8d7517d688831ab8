/* check_main.c - see check_main.h. */
#include "check_main.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints this rank's failures of sr to stderr.  Can't fail. */
static void print_failures(SRunner *sr, int rank, int failed)
{
    TestResult **tr = srunner_failures(sr);
    for (int i = 0; tr && i < failed; i++)
        fprintf(stderr, "rank %d: %s:%d: %s\n", rank, tr_lfile(tr[i]),
                tr_lno(tr[i]), tr_msg(tr[i]));
    free(tr);
}

int check_run(Suite *s, check_mode mode, const char *name)
{
    int rank = 0, mpi = 0;
    /* a process without an MPI launcher runs serially (MPI not started) */
    if (mode == CHECK_MPI)
        MPI_Initialized(&mpi);
    if (mpi)
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    SRunner *sr = srunner_create(s);
    if (mode != CHECK_FORK)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, rank == 0 ? CK_NORMAL : CK_SILENT);
    int failed = srunner_ntests_failed(sr), failed_all = failed;
    if (rank != 0 && failed > 0)
        print_failures(sr, rank, failed);
    srunner_free(sr);
    if (mpi) {
        MPI_Allreduce(&failed, &failed_all, 1, MPI_INT, MPI_SUM,
                      MPI_COMM_WORLD);
        if (rank == 0 && failed_all > failed)
            fprintf(stderr, "%s: %d failures on other ranks\n", name,
                    failed_all - failed);
    }
    return failed_all == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *check_srcdir(void)
{
    const char *d = getenv("srcdir");
    return d && d[0] ? d : ".";
}

char *check_read_text(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", check_srcdir(), rel);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)) &&
        fread(text, 1, (size_t)n, f) == (size_t)n) {
        text[n] = '\0';
    } else {
        fprintf(stderr, "cannot read %s (set srcdir to the tests' source "
                "directory)\n", path);
        free(text);
        text = NULL;
    }
    if (f)
        fclose(f);
    return text;
}
