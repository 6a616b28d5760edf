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
 *
 * The journal (worker_options.journal_dir, lib/store/journal.h): when a job's outcome cannot be
 * recorded because the database is down, the worker keeps it on disk and records it when the
 * database answers again (or at its next start), with jobq_settle. A run function whose own
 * last write failed that way (an offload's registration) leaves what it still has to write in
 * job->pending; the worker journals it too and, once the database is back, hands it to the
 * kind's `finish` before recording the outcome. So finished work is never lost with the
 * connection: the job ends done (or failed for its own reasons), never dead for the outage.
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
	json_t *pending;        /* set by the run function: what it could not write to the
				 * database (down), for its kind's finish (worker frees) */
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
	/* Writes what a run left in job->pending (borrowed) once the database is back; may set
	 * *result (the job's result, owned by the caller). SP_EUNAVAIL: try again later. NULL for
	 * kinds that never leave anything pending. */
	int (*finish)(struct db *db, const char *worker, json_t *pending, json_t **result,
	    struct err *err);
};

struct worker_options {
	const char *name;       /* host:pid by default */
	int slots;
	int lease_seconds;
	double poll_seconds;    /* fallback wake-up */
	const void *ctx;        /* handed to every job (settings the kinds need) */
	const char *journal_dir;    /* outcomes kept while the database is down; NULL: none */
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
