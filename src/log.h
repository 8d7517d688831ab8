/*
 * log.h - messages for people, on stderr, from rank 0 only (the caller
 * passes whether it is rank 0 and not quiet).
 */
#ifndef BS_LOG_H
#define BS_LOG_H

/* Prints "brainsim: <message>\n" to stderr when enabled.  Can't fail. */
void bs_log(int enabled, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* BS_LOG_H */
