/*
 * bench_interactive.c - the cost of an interactive step against a
 * scheduled one, from C (the Python figure is bench_interactive.py's).
 *
 *     bench_interactive [-b cpu|cuda|auto] [-n N] [-k K] [-p P] [-r ROUNDS]
 *
 * Runs the projection experiment (stim -> A, A -> A; beta 0.05, seed 1)
 * twice in one process: once as a schedule of ROUNDS steps (bs_step, one
 * at a time), once with an empty schedule and ROUNDS calls of bs_project
 * (stim -> A first, then stim -> A and A -> A, one round each).
 * Prints, for each, the wall time per step (mean of steps 1.., step 0
 * apart) and the sum of the step's own phase times (bs_phase_seconds), so
 * that wall - phases is the host time around the step; then the two
 * winners checksums, which must be equal (exit 1 otherwise).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brainsim.h"

static double phases_sum(const bs_sim *sim)
{
    double sec[6];
    uint64_t events = 0;
    bs_phase_seconds(sim, sec, &events);
    double t = 0;
    for (int i = 0; i < 6; i++)
        t += sec[i];
    return t;
}

/* Runs one way; 0 or 1 with the message printed. */
static int run(const char *text, bs_backend_kind be, int interactive,
               unsigned rounds, uint64_t *checksum)
{
    bs_options opt;
    bs_options_init(&opt);
    opt.quiet = 1;
    opt.backend = be;
    bs_sim *sim = NULL;
    char err[2048];
    if (bs_create_from_text(text, "bench", &opt, &sim, err, sizeof err)
        != BS_OK) {
        fprintf(stderr, "bench_interactive: %s\n", err);
        return 1;
    }
    double wall0 = 0, wall = 0, ph0 = 0, ph = 0;
    for (unsigned r = 0; r < rounds; r++) {
        double p_before = phases_sum(sim), t = bs_now();
        uint64_t done = 0;
        static const char *const fibers[] = {"stim->A", "A->A"};
        bs_status st = interactive ? bs_project(sim, fibers, r ? 2 : 1, 1)
                                   : bs_step(sim, 1, &done);
        t = bs_now() - t;
        if (st != BS_OK) {
            fprintf(stderr, "bench_interactive: %s\n", bs_error(sim));
            bs_destroy(&sim);
            return 1;
        }
        double p = phases_sum(sim) - p_before;
        if (r == 0) {
            wall0 = t;
            ph0 = p;
        } else {
            wall += t;
            ph += p;
        }
    }
    *checksum = bs_winners_checksum(sim, 0);
    int rank = 0, n = 1;
    bs_world(&rank, &n);
    if (rank == 0) {
        double m = rounds > 1 ? (double)(rounds - 1) : 1.0;
        printf("%-11s %-5s step 0 %9.3f ms (phases %9.3f)   mean of 1..%u "
               "%9.3f ms (phases %9.3f, host around the step %7.1f us)\n",
               interactive ? "interactive" : "scheduled", bs_backend_name(sim),
               wall0 * 1e3, ph0 * 1e3, rounds - 1, wall / m * 1e3,
               ph / m * 1e3, (wall - ph) / m * 1e6);
    }
    bs_destroy(&sim);
    return 0;
}

int main(int argc, char **argv)
{
    const char *backend = "auto";
    unsigned long long n = 1000000, k = 1000;
    double p = 0.001;
    unsigned rounds = 25;
    int c;
    while ((c = getopt(argc, argv, "b:n:k:p:r:h")) != -1) {
        switch (c) {
        case 'b': backend = optarg; break;
        case 'n': n = strtoull(optarg, NULL, 10); break;
        case 'k': k = strtoull(optarg, NULL, 10); break;
        case 'p': p = strtod(optarg, NULL); break;
        case 'r': rounds = (unsigned)strtoul(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: bench_interactive [-b cpu|cuda|auto] "
                    "[-n N] [-k K] [-p P] [-r ROUNDS]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    bs_backend_kind be = !strcmp(backend, "cpu")  ? BS_BACKEND_CPU
                       : !strcmp(backend, "cuda") ? BS_BACKEND_CUDA
                                                  : BS_BACKEND_AUTO;
    if (rounds < 2) {
        fprintf(stderr, "bench_interactive: -r must be at least 2\n");
        return 2;
    }
    char head[1024], sched[1200];
    snprintf(head, sizeof head,
             "seed: 1\ndefaults: {p: %.17g, beta: 0.05}\n"
             "areas:\n  - {name: A, n: %llu, k: %llu}\n"
             "stimuli:\n  - {name: stim, k: %llu}\n"
             "fibers:\n  - {from: stim, to: A}\n  - {from: A, to: A}\n",
             p, n, k, k);
    snprintf(sched, sizeof sched,
             "%sschedule:\n  - project: {fibers: [stim->A], rounds: 1}\n"
             "  - project: {fibers: [stim->A, A->A], rounds: %u}\n",
             head, rounds - 1);
    uint64_t c1 = 0, c2 = 0;
    if (run(sched, be, 0, rounds, &c1) || run(head, be, 1, rounds, &c2))
        return 1;
    int rank = 0, nr = 1;
    bs_world(&rank, &nr);
    if (rank == 0)
        printf("checksums: scheduled %016" PRIx64 ", interactive %016" PRIx64
               " %s\n", c1, c2, c1 == c2 ? "(equal)" : "DIFFER");
    return c1 == c2 ? 0 : 1;
}
