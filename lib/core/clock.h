/*
 * clock: seconds on the monotonic clock, for durations, deadlines and rates (never the time of
 * day: it does not jump when the wall clock is set).
 */
#ifndef SETPOST_CLOCK_H
#define SETPOST_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC), with nanosecond resolution. */
double clock_now(void);

#endif
