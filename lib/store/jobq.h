/*
 * jobq: the job queue, kept in PostgreSQL's jobs table. One queue for every kind of
 * background work (offload, verify, probe, transcode, upload, notify ...).
 *
 * Life of a job: queued -> running (claimed with FOR UPDATE SKIP LOCKED, held by a lease the
 * worker renews with a heartbeat) -> done | queued again after a failure, with exponential
 * backoff | dead after max_attempts (kept with its last error) | canceled. A job whose worker
 * died is claimed again by anyone once its lease has run out. Every change is guarded by the
 * worker's name, so a worker that lost its lease cannot overwrite the new holder's state.
 */
#ifndef SETPOST_JOBQ_H
#define SETPOST_JOBQ_H

#include "lib/store/db.h"
#include "lib/core/err.h"

#include <jansson.h>
#include <stdbool.h>

struct jobq_claim {
	long long id;
	char kind[40];
	json_t *payload;   /* owned by the claim: jobq_claim_release() */
	int attempts;      /* including this one */
	int max_attempts;
	int priority;
	int low;           /* the worker's: below its kind's reserve_priority */
};

/* Queues a job; payload is borrowed (serialised here). Returns 0 and the new id. */
int jobq_enqueue(struct db_conn *c, const char *kind, json_t *payload, int priority,
    int max_attempts, long long *id, struct err *err);

/* Claims the most urgent runnable job among kinds (of kinds[i], only those at priority
 * min_priority[i] or more when it is not 0; min_priority may be NULL). Returns 1 with *claim filled, 0 if none. */
int jobq_claim(struct db *db, const char *worker, const char *const *kinds, int nkinds,
    const int *min_priority, int lease_seconds, struct jobq_claim *claim, struct err *err);
void jobq_claim_release(struct jobq_claim *claim);

/* Renews the lease. Returns 1 if still ours (sets *cancel if cancellation was asked),
 * 0 if the lease was lost. */
int jobq_heartbeat(struct db *db, long long id, const char *worker, int lease_seconds,
    bool *cancel, struct err *err);

int jobq_progress(struct db *db, long long id, const char *worker, double fraction,
    const char *text, struct err *err);

/* Ends a claimed job. result is borrowed and may be NULL. */
int jobq_done(struct db *db, long long id, const char *worker, json_t *result,
    struct err *err);
/* Failure: queued again after backoff_seconds, or dead if no attempts are left or permanent. */
int jobq_fail(struct db *db, long long id, const char *worker, const char *error,
    double backoff_seconds, bool permanent, struct err *err);
int jobq_canceled(struct db *db, long long id, const char *worker, struct err *err);
/* Puts a job back untouched (worker shutting down): its attempt is not counted. */
int jobq_requeue(struct db *db, long long id, const char *worker, struct err *err);

/* Records an outcome a worker kept in its journal (lib/store/journal.h) because the database
 * was down when the job ended: done with result (borrowed, may be NULL), or failed with error
 * (dead when permanent or out of attempts, else queued after backoff_seconds). Unlike
 * jobq_done/jobq_fail it also settles the job after its lease ran out or the reaper made it
 * dead meanwhile (its work did finish), but never one another worker claimed or a person
 * canceled. Returns 1 when recorded, 0 when the job is no longer this worker's to settle. */
int jobq_settle(struct db *db, long long id, const char *worker, bool done, json_t *result,
    const char *error, double backoff_seconds, bool permanent, struct err *err);

/* Running jobs whose lease ran out and that have no attempts left become dead. */
int jobq_reap(struct db *db, struct err *err);

/* Person-facing operations (API): cancel a queued or running job; retry a dead or canceled
 * one. SP_ENOTFOUND / SP_ECONFLICT (wrong state) otherwise. */
int jobq_cancel(struct db *db, long long id, struct err *err);
int jobq_retry(struct db *db, long long id, struct err *err);

/* Backoff before attempt n+1 after n failed attempts: 2 s * 2^(n-1), capped at 10 min,
 * with +-25% jitter so a fleet of failures does not retry in lock step. */
double jobq_backoff(int attempts);

#endif
