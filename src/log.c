/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

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
