/*
 * log.h - messages for people, on stderr, from rank 0 only (the caller
 * passes whether it is rank 0 and not quiet).
 */
#ifndef BS_LOG_H
#define BS_LOG_H

/* Prints "brainsim: <message>\n" to stderr when enabled.  Can't fail. */
void bs_log(int enabled, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Tests only: sleeps the seconds in environment variable `var` when it
 * holds a number in (0, 86400] (BRAINSIM_TEST_CHECKPOINT_PAUSE: a moment a
 * test signals a run at; the CLI's BRAINSIM_TEST_START_PAUSE is its own).
 * Can't fail. */
void bs_test_pause(const char *var);

/* Tests only: when environment variable BRAINSIM_TEST_STEP_PAUSE holds
 * "S:SECONDS" and `step` (steps done, a count: steps 0..S-1 ran) equals
 * S, prints "brainsim: test pause, steps done: S" to stderr (when
 * `announce`) and sleeps SECONDS (in (0, 86400]) or until a signal
 * arrives, so that a test can signal a run at an exact step whatever the
 * machine's speed.  Can't fail. */
void bs_test_pause_at_step(unsigned long long step, int announce);

#endif /* BS_LOG_H */
