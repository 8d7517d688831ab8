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

void bs_test_pause(const char *var)
{
    const char *s = getenv(var);
    char *end = NULL;
    double sec = s ? strtod(s, &end) : 0.0;
    struct timespec ts;
    if (!s || end == s || *end != '\0' || !(sec > 0.0) || sec > 86400.0)
        return;
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
