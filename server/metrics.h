/*
 * metrics: counters the server keeps for GET /metrics (Prometheus text format 0.0.4):
 * requests by route pattern and status, and one latency histogram. Thread-safe.
 */
#ifndef SETPOST_METRICS_H
#define SETPOST_METRICS_H

#include "lib/core/buf.h"

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* route is a pattern string with static lifetime (or "static"/"none"). */
void metrics_observe(struct metrics *m, const char *method, const char *route,
    unsigned status, double seconds);
void metrics_render(struct metrics *m, struct buf *out);

#endif
