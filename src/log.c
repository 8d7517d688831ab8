/* log.c - see log.h. */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void bs_log(int enabled, const char *fmt, ...)
{
    if (!enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("brainsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Sleeps sec seconds when sec is in (0, 86400]; a signal ends the sleep
 * early when `interruptible`. */
static void pause_seconds(double sec, int interruptible)
{
    struct timespec ts;
    if (!(sec > 0.0) || sec > 86400.0)
        return;
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !interruptible)
        ;
}

void bs_test_pause(const char *var)
{
    const char *s = getenv(var);
    char *end = NULL;
    double sec = s ? strtod(s, &end) : 0.0;
    if (s && end != s && *end == '\0')
        pause_seconds(sec, 0);
}

void bs_test_pause_at_step(unsigned long long step, int announce)
{
    const char *s = getenv("BRAINSIM_TEST_STEP_PAUSE");
    char *end = NULL;
    unsigned long long at;
    double sec;
    if (!s)
        return;
    at = strtoull(s, &end, 10);
    if (end == s || *end != ':' || at != step)
        return;
    s = end + 1;
    sec = strtod(s, &end);
    if (end == s || *end != '\0')
        return;
    if (announce) {
        fprintf(stderr, "brainsim: test pause, steps done: %llu\n", step);
        fflush(stderr);
    }
    pause_seconds(sec, 1);
}
