/*
 * worker: the job loop. A worker runs `slots` jobs at once, each slot a thread that claims a
 * job (jobq), runs the kind's function, and records the outcome; one heartbeat thread renews
 * every running job's lease and passes on cancellation; one listener thread wakes idle slots
 * when a job is queued (NOTIFY setpost_jobs), with polling as the fallback.
 *
 * A kind of job is one descriptor, `const struct job_spec` (lib/pipeline/kind_*.c: what the
 * queue needs to know), paired with its run function in one table (workers/kinds.c). The run
 * function returns 0 (done, result optional), or a negative code with a message: the job is
 * retried with backoff unless job->permanent was set or attempts are exhausted. Long work must
 * call job_canceled() now and then and stop when it is true; a job still running after its
 * kind's timeout is asked to stop that way and counts as a failed attempt.
 */
#ifndef SETPOST_WORKER_H
#define SETPOST_WORKER_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

struct job {
	long long id;
	const char *kind;
	json_t *payload;        /* borrowed for the run */
	int attempt;
	int max_attempts;
	struct db *db;
	const char *worker;
	const void *ctx;        /* worker_options.ctx */
	json_t *result;         /* set by the run function to record a result (worker frees) */
	bool permanent;         /* set by the run function: do not retry this failure */
	atomic_bool cancel;     /* a person asked to cancel */
	atomic_bool stopping;   /* the worker is shutting down: stop, the job will be requeued */
	atomic_bool lost;       /* the lease was lost: stop, someone else has the job */
	atomic_bool timed_out;  /* ran past its kind's timeout: stop, the attempt failed */
	double last_progress_at;
	double started;         /* monotonic seconds */
	int timeout;            /* seconds, 0: none */
};

/* What a kind of job is, for the queue and the workers. */
struct job_spec {
	const char *name;
	int concurrency;        /* at most this many at once in one worker; 0 = slots */
	int max_attempts;       /* attempts of a job of this kind */
	int priority;           /* base priority (higher runs first; a circled take adds 10) */
	int timeout;            /* seconds one attempt may run; 0: no limit */
	/* When > 0 (and concurrency > 1): a worker's last free slot of this kind is kept for jobs
	 * at this priority or more, so urgent ones never wait behind a full house of others. */
	int reserve_priority;
};

struct job_kind {
	const struct job_spec *spec;
	int (*run)(struct job *job, struct err *err);
};

struct worker_options {
	const char *name;       /* host:pid by default */
	int slots;
	int lease_seconds;
	double poll_seconds;    /* fallback wake-up */
	const void *ctx;        /* handed to every job (settings the kinds need) */
};

/* Runs until *stop becomes non-zero, then stops claiming, asks running jobs to stop, waits
 * for them and requeues what did not finish. */
int worker_run(struct db *db, const struct job_kind *kinds, int nkinds,
    const struct worker_options *opt, volatile sig_atomic_t *stop, struct err *err);

/* True when the job should stop now (cancel, shutdown or lost lease). */
bool job_canceled(struct job *job);

/* Reports progress (0..1 and a short line); written at most twice a second. */
void job_progress(struct job *job, double fraction, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
