/*
 * cli.c - the `brainsim` command: run, plan, --help, --version.
 *
 * main: parse options, create the simulator (collective), step along the
 * schedule with progress on rank 0, print a summary with a checksum of every
 * step's winners and the verdict on the experiment's expectations,
 * destroy.  Exit status: 0 success, 1 run error, 2 usage, 3 an expectation
 * was not met.
 * An error that only some ranks saw ends the whole job (bs_abort), so no
 * rank is left waiting in a collective.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include "brainsim.h"

#define EXIT_USAGE 2
#define EXIT_VERDICT 3

static const char usage_text[] =
    "usage: brainsim run [EXPERIMENT] [options]\n"
    "       brainsim run --resume CHECKPOINT [EXPERIMENT] [options]\n"
    "       brainsim plan [EXPERIMENT] [--ranks N] [--plastic-capacity N]\n"
    "       brainsim inspect FILE\n"
    "       brainsim --help | --version\n"
    "\n"
    "Simulates an assembly-calculus brain described by the YAML file\n"
    "EXPERIMENT (default: the built-in examples/projection.yaml).  Under\n"
    "mpirun every rank owns a slice of every area; the output is identical\n"
    "for any number of ranks, threads and either backend.\n"
    "\n"
    "run options:\n"
    "  -o, --out FILE           output HDF5 file (default run.h5)\n"
    "  -n, --steps N            stop after the first N steps of the schedule\n"
    "  -b, --backend KIND       auto (default), cpu or cuda\n"
    "  -t, --threads N          OpenMP threads per rank (default: runtime's)\n"
    "  -c, --plastic-capacity N potentiated synapses reserved per fiber and\n"
    "                           rank (default: planned from the schedule)\n"
    "  -q, --quiet              no progress or log lines\n"
    "  -e, --checkpoint-every N write a checkpoint every N steps\n"
    "  -k, --checkpoint FILE    checkpoint file (default checkpoint.h5)\n"
    "  -K, --keep M             keep the last M checkpoints: FILE, FILE.1, ...\n"
    "                           (default 2)\n"
    "  -R, --resume FILE        continue from checkpoint FILE, on any number\n"
    "                           of ranks; EXPERIMENT, if given, may only\n"
    "                           append operations to the schedule; --out\n"
    "                           continues from the checkpoint's step\n"
    "plan options:\n"
    "  -r, --ranks N            ranks to plan for (default 1)\n"
    "\n"
    "On SIGTERM or SIGINT the run finishes its step (during start-up: its\n"
    "first step), writes a checkpoint and exits 0, saying how to resume.\n"
    "inspect prints a summary of an output or checkpoint file.\n"
    "Steps are numbered from 0 (step 0 is the first), as in the output's\n"
    "rows; counts (--steps N, a checkpoint's step, \"40 of 150 steps\") are\n"
    "counts.\n"
    "Progress goes to stderr on rank 0; the summary and checksum to stdout,\n"
    "and, when the experiment has an expect: list and the schedule ran to\n"
    "its end, the line 'verdict: ... PASS' (or FAIL).\n"
    "Exit status: 0 success, 1 error while running, 2 usage error,\n"
    "3 an expectation of the experiment was not met.\n";

typedef struct cli_args {
    const char *command;
    const char *experiment;
    bs_options opt;
    uint64_t max_steps;
    long n_ranks;
    uint64_t checkpoint_every;
    const char *checkpoint;
    const char *resume;
} cli_args;

static int usage_error(int rank, const char *fmt, const char *arg)
{
    if (rank == 0) {
        fprintf(stderr, "brainsim: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\nTry 'brainsim --help'.\n");
    }
    return EXIT_USAGE;
}

/* Strict unsigned parse: decimal digits only, no overflow.  0 on success. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, int rank, cli_args *a)
{
    static const struct option longs[] = {
        {"out", required_argument, 0, 'o'},
        {"steps", required_argument, 0, 'n'},
        {"backend", required_argument, 0, 'b'},
        {"threads", required_argument, 0, 't'},
        {"plastic-capacity", required_argument, 0, 'c'},
        {"ranks", required_argument, 0, 'r'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"checkpoint-every", required_argument, 0, 'e'},
        {"checkpoint", required_argument, 0, 'k'},
        {"keep", required_argument, 0, 'K'},
        {"resume", required_argument, 0, 'R'},
        {0, 0, 0, 0},
    };
    a->command = argv[1];
    a->max_steps = UINT64_MAX;
    a->n_ranks = 1;
    a->opt.out_path = "run.h5";
    a->checkpoint = "checkpoint.h5";
    a->opt.keep_checkpoints = 2;
    int is_run = strcmp(a->command, "run") == 0;
    if (!is_run && strcmp(a->command, "plan") != 0)
        return usage_error(rank, "unknown command '%s' (run or plan)", a->command);
    optind = 2;
    opterr = 0;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, ":o:n:b:t:c:r:qhe:k:K:R:", longs, NULL)) != -1) {
        const char *arg = optarg;
        if (c == 'h') {
            if (rank == 0)
                fputs(usage_text, stdout);
            return -1;
        }
        if (c != 'c' && c != 'r' && c != '?' && c != ':' && !is_run)
            return usage_error(rank, "option '%s' is not a plan option",
                               argv[optind - 1]);
        switch (c) {
        case 'o': a->opt.out_path = arg; break;
        case 'k': a->checkpoint = a->opt.checkpoint_path = arg; break;
        case 'R': a->resume = arg; break;
        case 'e':
            if (parse_u64(arg, &a->checkpoint_every) || a->checkpoint_every < 1)
                return usage_error(rank, "--checkpoint-every: '%s' is not a positive whole number", arg);
            break;
        case 'K':
            if (parse_u64(arg, &v) || v < 1 || v > 1000)
                return usage_error(rank, "--keep: '%s' is not in 1..1000", arg);
            a->opt.keep_checkpoints = (int)v;
            break;
        case 'q': a->opt.quiet = 1; break;
        case 'n':
            if (parse_u64(arg, &a->max_steps))
                return usage_error(rank, "--steps: '%s' is not a whole number", arg);
            break;
        case 'b':
            if (!strcmp(arg, "auto")) a->opt.backend = BS_BACKEND_AUTO;
            else if (!strcmp(arg, "cpu")) a->opt.backend = BS_BACKEND_CPU;
            else if (!strcmp(arg, "cuda")) a->opt.backend = BS_BACKEND_CUDA;
            else return usage_error(rank, "--backend: '%s' is not auto, cpu or cuda", arg);
            break;
        case 't':
            if (parse_u64(arg, &v) || v < 1 || v > 4096)
                return usage_error(rank, "--threads: '%s' is not in 1..4096", arg);
            a->opt.n_threads = (int)v;
            break;
        case 'c':
            if (parse_u64(arg, &v) || v < 1)
                return usage_error(rank, "--plastic-capacity: '%s' is not a positive whole number", arg);
            a->opt.plastic_capacity = v;
            break;
        case 'r':
            if (is_run)
                return usage_error(rank, "%s: use mpirun -np N to run on N ranks", "--ranks");
            if (parse_u64(arg, &v) || v < 1 || v > 1000000)
                return usage_error(rank, "--ranks: '%s' is not in 1..1000000", arg);
            a->n_ranks = (long)v;
            break;
        case ':':
            return usage_error(rank, "option '%s' needs a value", argv[optind - 1]);
        default:
            return usage_error(rank, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (a->checkpoint_every)
        a->opt.checkpoint_path = a->checkpoint;   /* checked and locked */
    if (optind < argc)
        a->experiment = argv[optind++];
    if (optind < argc)
        return usage_error(rank, "unexpected argument '%s'", argv[optind]);
    return 0;
}

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* SIGTERM (batch schedulers before the wall-clock limit) and SIGINT ask
 * the run to stop after the current step with a checkpoint.  Installed
 * before MPI is initialised, so that a signal during start-up (MPI, reading
 * the experiment or checkpoint, creating the output) is a stop request
 * too: the run then takes its first step, writes the checkpoint and exits
 * 0, as for a signal between steps.  Interrupted system calls restart
 * (SA_RESTART), so that no read or write of MPI or HDF5 fails with EINTR
 * because of the signal.  Returns 0, or -1 when sigaction fails. */
static int install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    return 0;
}

/* Tests only: sleeps the seconds that BRAINSIM_TEST_START_PAUSE holds
 * (a number in (0, 86400]), signals or not, so that a test can signal a
 * run that has its handlers but has not initialised MPI yet.  Can't
 * fail. */
static void test_start_pause(void)
{
    const char *v = getenv("BRAINSIM_TEST_START_PAUSE");
    char *end = NULL;
    double sec = v ? strtod(v, &end) : 0.0;
    if (!v || end == v || *end != '\0' || !(sec > 0.0) || sec > 86400.0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

typedef struct progress {
    int enabled, tty;
    double start, last;
    uint64_t first;             /* steps done before this invocation */
} progress;

static void show_progress(progress *p, uint64_t done, uint64_t total, int last)
{
    if (!p->enabled)
        return;
    double t = bs_now();
    if (!last && t - p->last < (p->tty ? 0.2 : 5.0))
        return;
    p->last = t;
    double rate = (double)(done - p->first) /
                  (t - p->start > 1e-9 ? t - p->start : 1e-9);
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "%sbrainsim: %" PRIu64 " of %" PRIu64 " steps (%.0f%%), "
            "%.2f steps/s, ETA %.0f s%s", p->tty ? "\r" : "", done, total,
            total ? 100.0 * (double)done / (double)total : 100.0, rate, eta,
            p->tty && !last ? "   " : "\n");
}

/* Writes the checkpoint after a stop request and says how to resume. */
static bs_status stop_with_checkpoint(bs_sim *sim, const cli_args *a, int rank)
{
    bs_status st = bs_checkpoint(sim, a->checkpoint);
    if (st == BS_OK && rank == 0)
        fprintf(stderr, "brainsim: stopped by a signal after %" PRIu64
                " step%s; checkpoint %s written.\nbrainsim: resume with: "
                "brainsim run --resume %s -o %s\n", bs_steps_done(sim),
                bs_steps_done(sim) == 1 ? "" : "s", a->checkpoint,
                a->checkpoint, a->opt.out_path ? a->opt.out_path : "run.h5");
    return st;
}

/* Steps to the end (or max_steps), folding every step's winners into the
 * checksum.  A stop requested before the first step (a signal during
 * start-up) is agreed by the ranks during that step: the run stops after
 * it.  Returns the status of the first failing step. */
static bs_status run_steps(bs_sim *sim, const cli_args *a, int rank,
                           uint64_t *checksum, int *stopped)
{
    uint64_t total = bs_steps_total(sim);
    if (a->max_steps < total)
        total = a->max_steps;
    uint64_t done = bs_steps_done(sim);   /* > 0 when resumed */
    if (done > total)
        total = done;
    progress p = {rank == 0 && !a->opt.quiet, isatty(2), bs_now(), bs_now(),
                  done};
    bs_status st = BS_OK;
    uint64_t h = BS_CHECKSUM_INIT;
    while (done < total) {
        uint64_t n_done;
        if (stop_signal)
            bs_request_stop(sim);
        if ((st = bs_step(sim, 1, &n_done)) != BS_OK || n_done == 0)
            break;
        done++;
        h = bs_winners_checksum(sim, h);
        show_progress(&p, done, total, 0);
        if (bs_stop_requested(sim)) {
            st = stop_with_checkpoint(sim, a, rank);
            *stopped = 1;
            break;
        }
        if (a->checkpoint_every && bs_steps_done(sim) % a->checkpoint_every == 0 &&
            (st = bs_checkpoint(sim, a->checkpoint)) != BS_OK)
            break;
    }
    if (st == BS_OK)
        show_progress(&p, done, total, 1);
    *checksum = h;
    return st;
}

/* Prints the summary on rank 0 and returns the exit status on every rank:
 * EXIT_VERDICT when the schedule ran to its end and an expectation failed
 * (every rank holds the same state, so every rank agrees), else 0. */
static int summary(bs_sim *sim, const cli_args *a, uint64_t checksum,
                   double seconds, int rank, uint64_t first)
{
    char line[4096];
    int verdict = bs_verdict(sim, line, sizeof line);
    uint64_t steps = bs_steps_done(sim), total = bs_steps_total(sim);
    int complete = steps >= total;
    if (rank != 0)
        return complete && verdict == 0 ? EXIT_VERDICT : 0;
    uint64_t ran = steps - first;   /* by this invocation */
    printf("run: %" PRIu64 " steps in %.3f s (%.2f steps/s), backend %s",
           ran, seconds, seconds > 0 ? ran / seconds : 0.0,
           bs_backend_name(sim));
    if (first)      /* steps are numbered from 0: the first one it ran */
        printf(", resumed at step %" PRIu64, first);
    printf("\n");
    for (int i = 0; i < bs_n_areas(sim); i++) {
        uint64_t s = 0;
        bs_support(sim, bs_area_name(sim, i), &s);
        printf("area %s: support %" PRIu64 "\n", bs_area_name(sim, i), s);
    }
    double ph[6];
    uint64_t events;
    bs_phase_seconds(sim, ph, &events);
    printf("phases (s, rank 0): accumulate %.4f, topk %.4f, merge %.4f, "
           "plasticity %.4f, record %.4f, agree %.4f\n", ph[0], ph[1], ph[2],
           ph[3], ph[4], ph[5]);
    printf("synaptic events: %.4g (%.4g per second of accumulate)\n",
           (double)events, ph[0] > 0 ? (double)events / ph[0] : 0.0);
    if (a->opt.out_path)
        printf("output: %s\n", a->opt.out_path);
    printf("checksum: %016" PRIx64 "\n", checksum);
    if (verdict >= 0 && complete)
        printf("verdict: %s\n", line);
    else if (verdict >= 0)
        printf("verdict: not evaluated (run stopped after %" PRIu64 " of %"
               PRIu64 " steps)\n", steps, total);
    fflush(stdout);
    return complete && verdict == 0 ? EXIT_VERDICT : 0;
}

static int cmd_run(cli_args *a, int rank, int n_ranks)
{
    char err[2048] = "";
    bs_sim *sim = NULL;
    double t0 = bs_now();
    bs_status st = a->resume
        ? bs_resume(a->resume, a->experiment, &a->opt, &sim, err, sizeof err)
        : bs_create_from_file(a->experiment, &a->opt, &sim, err, sizeof err);
    if (st != BS_OK) {
        if (rank == 0)
            fprintf(stderr, "brainsim: error: %s\n", err);
        return 1;
    }
    if (rank == 0 && !a->opt.quiet)
        fprintf(stderr, "brainsim: %d rank%s, host pool %zu bytes per rank "
                "(rank 0)%s%.0zu%s\n", n_ranks, n_ranks > 1 ? "s" : "",
                bs_pool_bytes(sim, 0),
                bs_pool_bytes(sim, 1) ? ", device pool " : "",
                bs_pool_bytes(sim, 1), bs_pool_bytes(sim, 1) ? " bytes" : "");
    if (bs_steps_total(sim) == 0) {   /* documented: exit 0 */
        if (rank == 0)
            printf("run: nothing to run: the experiment's schedule has no "
                   "steps (programs apply operations one at a time: "
                   "bs_apply, brainsim.Simulator.apply)\n");
        bs_destroy(&sim);
        return 0;
    }
    uint64_t checksum = 0, first = bs_steps_done(sim);
    int stopped = 0;
    st = run_steps(sim, a, rank, &checksum, &stopped);
    if (st == BS_ERR_SATURATED) {       /* agreed: the same on every rank */
        if (rank == 0)
            fprintf(stderr, "brainsim: error: %s\n", bs_error(sim));
    } else if (st != BS_OK) {
        fprintf(stderr, "brainsim: error%s: %s\n", n_ranks > 1 ? " on a rank" : "",
                bs_error(sim));
        if (n_ranks > 1 && st != BS_ERR_STATE && st != BS_ERR_CAPACITY)
            bs_abort(1);
    }
    if (st != BS_OK) {
        bs_destroy(&sim);
        return 1;
    }
    double seconds = bs_now() - t0;
    int rc = stopped ? 0 : summary(sim, a, checksum, seconds, rank, first);
    bs_destroy(&sim);
    return rc;
}

static int cmd_plan(const cli_args *a)
{
    char err[2048] = "";
    size_t n_bytes;
    bs_status st = bs_plan(a->experiment, (int)a->n_ranks,
                           a->opt.plastic_capacity, stdout, &n_bytes, err,
                           sizeof err);
    if (st != BS_OK) {
        fprintf(stderr, "brainsim: error: %s\n", err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(0, "%s", "no command given (run or plan)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("brainsim %s\n", BS_VERSION_STRING);
        return 0;
    }
    if (!strcmp(argv[1], "inspect")) {
        if (argc != 3)
            return usage_error(0, "%s", "inspect takes one file");
        char err[1024];
        if (bs_inspect(argv[2], stdout, err, sizeof err) != BS_OK) {
            fprintf(stderr, "brainsim: error: %s\n", err);
            return 1;
        }
        return 0;
    }
    cli_args a;
    memset(&a, 0, sizeof a);
    bs_options_init(&a.opt);
    if (!strcmp(argv[1], "plan")) {
        int rc = parse_args(argc, argv, 0, &a);
        return rc < 0 ? 0 : rc ? rc : cmd_plan(&a);
    }
    int rank = 0, n_ranks = 1;
    if (install_stop_handlers() != 0) {
        fprintf(stderr, "brainsim: error: cannot install the SIGTERM/SIGINT "
                "handler: %s\n", strerror(errno));
        return 1;
    }
    test_start_pause();
    if (bs_world(&rank, &n_ranks) != BS_OK) {
        fprintf(stderr, "brainsim: error: MPI could not be initialised\n");
        return 1;
    }
    int rc = parse_args(argc, argv, rank, &a);
    return rc < 0 ? 0 : rc ? rc : cmd_run(&a, rank, n_ranks);
}
