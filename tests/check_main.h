/*
 * check_main.h - what every Check test program's main shares
 * (tests/check_main.c, linked into each): running its suite and reading
 * the files of the tests' source directory.
 */
#ifndef BS_CHECK_MAIN_H
#define BS_CHECK_MAIN_H

#include <check.h>

typedef enum check_mode {
    CHECK_FORK,      /* every test in a child process (Check's default) */
    CHECK_NOFORK,    /* in this process: MPI is initialised once */
    CHECK_MPI        /* in this process, on every rank of MPI_COMM_WORLD
                        (initialised by the caller): rank 0 reports, the
                        others print only their failures */
} check_mode;

/* Runs every test of suite s (then freed) in `mode` and returns the exit
 * status: EXIT_SUCCESS when no test failed, else EXIT_FAILURE.  Under
 * CHECK_MPI every rank runs the same tests in the same order, each prints
 * its own failures ("rank R: file:line: message"), and every rank returns
 * EXIT_FAILURE when any rank failed (rank 0 says "name: N failures on
 * other ranks"); collective.  Can't fail otherwise. */
int check_run(Suite *s, check_mode mode, const char *name);

/* The tests' source directory: $srcdir (set by make check), "." when
 * unset.  Can't fail. */
const char *check_srcdir(void);

/* The text of file $srcdir/rel, NUL-terminated, in a new buffer that the
 * caller frees; NULL (with a message on stderr) when it cannot be read. */
char *check_read_text(const char *rel);

#endif /* BS_CHECK_MAIN_H */
