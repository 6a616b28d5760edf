/* worker: claim, run, heartbeat, finish (see worker.h). */
#include "lib/store/worker.h"
#include "lib/core/clock.h"
#include "lib/store/jobq.h"
#include "lib/store/journal.h"
#include "lib/core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
	struct db *db;
	const struct job_kind *kinds;
	int nkinds;
	const struct worker_options *opt;
	volatile sig_atomic_t *stop;
	pthread_mutex_t lock;
	pthread_mutex_t claim_lock;  /* one claim at a time, so per-kind limits cannot be overrun */
	pthread_cond_t wake;
	int *running;            /* per kind */
	int *running_low;        /* per kind: of those, below its reserve_priority */
	struct job **current;    /* per slot, NULL when idle */
	unsigned long wakeups;
	pthread_mutex_t journal_lock;    /* one writer or replayer of the journal at a time */
	atomic_int journaled;            /* entries waiting in the journal */
	double journal_tried;            /* heartbeat thread: last replay */
};

bool
job_canceled(struct job *job)
{
	return atomic_load(&job->cancel) || atomic_load(&job->stopping) || atomic_load(&job->lost) ||
	    atomic_load(&job->timed_out);
}

void
job_progress(struct job *job, double fraction, const char *fmt, ...)
{
	char text[256];
	double now = clock_now();
	va_list ap;

	if (now - job->last_progress_at < 0.5 && fraction < 1)
		return;
	job->last_progress_at = now;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (jobq_progress(job->db, job->id, job->worker, fraction, text, NULL) < 0)
		log_warn("job=%lld progress not recorded", job->id);
}

/* Kinds that may take one more job now; called with the lock held. */
static int
worker_ready_kinds(struct worker *w, const char **names, int *min_priority)
{
	int n = 0;

	for (int i = 0; i < w->nkinds; i++) {
		const struct job_spec *k = w->kinds[i].spec;
		int limit = k->concurrency > 0 ? k->concurrency : w->opt->slots;
		if (w->running[i] < limit) {
			/* The last slot for others than urgent ones is taken: urgent ones only. */
			min_priority[n] = k->reserve_priority > 0 && limit > 1 &&
			    w->running_low[i] >= limit - 1 ? k->reserve_priority : 0;
			names[n++] = k->name;
		}
	}
	return n;
}

static int
worker_kind_index(struct worker *w, const char *name)
{
	for (int i = 0; i < w->nkinds; i++)
		if (strcmp(w->kinds[i].spec->name, name) == 0)
			return i;
	return -1;
}

/* --- the journal: outcomes the database could not take yet (worker.h) --- */

/* Keeps job's outcome (and what its run left pending) on disk; false when it could not. */
static bool
worker_journal_keep(struct worker *w, struct job *job, int rc, const struct err *err)
{
	struct err jerr;
	json_t *e;
	int r;

	if (w->opt->journal_dir == NULL)
		return false;
	e = json_pack("{s:I,s:s,s:s,s:i,s:b,s:s,s:b,s:O?,s:O?}", "job", (json_int_t)job->id,
	    "kind", job->kind, "worker", job->worker, "attempt", job->attempt, "ok", rc == 0,
	    "error", rc == 0 ? "" : err->msg, "permanent", job->permanent, "result", job->result,
	    "pending", job->pending);
	pthread_mutex_lock(&w->journal_lock);
	r = e ? journal_write(w->opt->journal_dir, job->id, e, &jerr) :
	    err_set(&jerr, SP_ENOMEM, "out of memory");
	if (r == 0)
		atomic_fetch_add(&w->journaled, 1);
	pthread_mutex_unlock(&w->journal_lock);
	json_decref(e);
	if (r < 0) {
		log_error("job=%lld kind=%s outcome not journaled: %s", job->id, job->kind, jerr.msg);
		return false;
	}
	log_warn("job=%lld kind=%s outcome kept in the journal until the database answers (%s)",
	    job->id, job->kind, w->opt->journal_dir);
	return true;
}

/* What the run left pending goes to the database first (its kind's finish); the entry is
 * then rewritten without it, so a second outage does not run it twice. */
static int
worker_journal_finish(struct worker *w, json_t *e, long long id, const char *kind,
    const char *worker)
{
	int k = kind ? worker_kind_index(w, kind) : -1, rc;
	json_t *result = NULL;
	struct err ferr, jerr;

	if (k < 0 || w->kinds[k].finish == NULL)
		rc = err_set(&ferr, SP_EINTERNAL, "%s: nothing here finishes what its run left "
		    "pending", kind ? kind : "?");
	else
		rc = w->kinds[k].finish(w->db, worker, json_object_get(e, "pending"), &result, &ferr);
	if (rc == SP_EUNAVAIL)
		return rc;
	if (rc < 0) {
		json_object_set_new(e, "ok", json_false());
		json_object_set_new(e, "permanent", json_true());
		json_object_set_new(e, "error", json_string(ferr.msg));
	} else if (result) {
		json_object_set_new(e, "result", result);
	}
	json_object_set_new(e, "pending", json_null());
	if (journal_write(w->opt->journal_dir, id, e, &jerr) < 0)
		log_warn("job=%lld journal not rewritten: %s", id, jerr.msg);
	return 0;
}

static int
worker_journal_settle(json_t *e, void *arg, struct err *err)
{
	struct worker *w = arg;
	long long id = json_integer_value(json_object_get(e, "job"));
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *worker = json_string_value(json_object_get(e, "worker"));
	int rc;

	if (id <= 0 || worker == NULL)
		return 0;
	if (json_is_object(json_object_get(e, "pending")) &&
	    worker_journal_finish(w, e, id, kind, worker) < 0)
		return 0;                       /* still down: kept */
	rc = jobq_settle(w->db, id, worker, json_is_true(json_object_get(e, "ok")),
	    json_object_get(e, "result"), json_string_value(json_object_get(e, "error")),
	    jobq_backoff((int)json_integer_value(json_object_get(e, "attempt"))),
	    json_is_true(json_object_get(e, "permanent")), err);
	if (rc < 0)
		return 0;
	if (rc == 0)
		log_warn("job=%lld kind=%s journaled outcome dropped: canceled or taken over meanwhile",
		    id, kind ? kind : "?");
	else
		log_info("job=%lld kind=%s outcome recorded from the journal: %s", id,
		    kind ? kind : "?", json_is_true(json_object_get(e, "ok")) ? "done" : "failed");
	return 1;
}

/* Hands the journal to the database; entries it cannot take yet stay. */
static void
worker_journal_replay(struct worker *w)
{
	struct err err;
	size_t bad;
	int left;

	if (w->opt->journal_dir == NULL || atomic_load(&w->journaled) == 0)
		return;
	pthread_mutex_lock(&w->journal_lock);
	left = journal_each(w->opt->journal_dir, worker_journal_settle, w, &bad, &err);
	if (left < 0)
		log_warn("journal %s: %s", w->opt->journal_dir, err.msg);
	else
		atomic_store(&w->journaled, left - (int)bad);  /* unreadable ones wait for a person */
	if (bad)
		log_error("journal %s: %zu entries unreadable, left in place", w->opt->journal_dir, bad);
	pthread_mutex_unlock(&w->journal_lock);
}

static void
worker_record(struct worker *w, struct job *job, int rc, struct err *err)
{
	struct err e2;
	int r2;

	/* The run finished its work but could not write its last part: the outcome waits for
	 * it, on disk, until the database answers (tried at once: it may be back already). */
	if (job->pending) {
		if (worker_journal_keep(w, job, rc, err))
			worker_journal_replay(w);
		else
			log_error("job=%lld kind=%s outcome not recorded: its last write is lost",
			    job->id, job->kind);
		return;
	}
	if (atomic_load(&job->lost)) {
		log_warn("job=%lld kind=%s lease lost, result dropped", job->id, job->kind);
		return;
	}
	/* Whatever the run function said on its way out, a timeout is why it stopped. */
	if (rc < 0 && atomic_load(&job->timed_out) && !atomic_load(&job->cancel))
		rc = err_set(err, SP_EUNAVAIL, "%s: stopped after its %d s timeout", job->kind,
		    job->timeout);
	if (rc == 0)
		r2 = jobq_done(w->db, job->id, job->worker, job->result, &e2);
	else if (atomic_load(&job->stopping) && !atomic_load(&job->cancel))
		r2 = jobq_requeue(w->db, job->id, job->worker, &e2);
	else if (atomic_load(&job->cancel))
		r2 = jobq_canceled(w->db, job->id, job->worker, &e2);
	else
		r2 = jobq_fail(w->db, job->id, job->worker, err->msg, jobq_backoff(job->attempt),
		    job->permanent, &e2);
	if (r2 < 0 && !(r2 == SP_EUNAVAIL && worker_journal_keep(w, job, rc, err)))
		log_error("job=%lld kind=%s outcome not recorded: %s", job->id, job->kind, e2.msg);
	else if (rc == 0)
		log_info("job=%lld kind=%s done", job->id, job->kind);
	else if (atomic_load(&job->cancel))
		log_info("job=%lld kind=%s canceled", job->id, job->kind);
	else if (atomic_load(&job->stopping))
		log_info("job=%lld kind=%s put back in the queue (worker stopping)", job->id, job->kind);
	else
		log_warn("job=%lld kind=%s attempt=%d/%d failed: %s", job->id, job->kind,
		    job->attempt, job->max_attempts, err->msg);
}

static void
worker_run_one(struct worker *w, int slot, struct jobq_claim *claim, int kind)
{
	struct job job;
	struct err err = { 0, "" };
	int rc;

	memset(&job, 0, sizeof(job));
	job.id = claim->id;
	job.kind = w->kinds[kind].spec->name;
	job.timeout = w->kinds[kind].spec->timeout;
	job.started = clock_now();
	job.payload = claim->payload;
	job.attempt = claim->attempts;
	job.max_attempts = claim->max_attempts;
	job.db = w->db;
	job.worker = w->opt->name;
	job.ctx = w->opt->ctx;
	pthread_mutex_lock(&w->lock);
	w->current[slot] = &job;
	pthread_mutex_unlock(&w->lock);
	log_info("job=%lld kind=%s attempt=%d/%d started", job.id, job.kind, job.attempt,
	    job.max_attempts);
	rc = w->kinds[kind].run(&job, &err);
	if (rc < 0 && err.msg[0] == '\0')
		err_set(&err, rc, "%s failed (%s)", job.kind, err_code_name(rc));
	pthread_mutex_lock(&w->lock);
	w->current[slot] = NULL;
	pthread_mutex_unlock(&w->lock);
	worker_record(w, &job, rc, &err);
	json_decref(job.result);
	json_decref(job.pending);
}

/* Claims one job for a slot; returns the kind index, or -1 if there is nothing to do. */
static int
worker_claim(struct worker *w, struct jobq_claim *claim)
{
	const char *names[64];
	int mins[64];
	struct err err;
	int n, rc, k;

	pthread_mutex_lock(&w->claim_lock);
	pthread_mutex_lock(&w->lock);
	n = worker_ready_kinds(w, names, mins);
	pthread_mutex_unlock(&w->lock);
	rc = jobq_claim(w->db, w->opt->name, names, n, mins, w->opt->lease_seconds, claim, &err);
	k = rc > 0 ? worker_kind_index(w, claim->kind) : -1;
	if (k >= 0) {
		pthread_mutex_lock(&w->lock);
		w->running[k]++;
		claim->low = claim->priority < w->kinds[k].spec->reserve_priority;
		w->running_low[k] += claim->low;
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_unlock(&w->claim_lock);
	if (rc < 0)
		log_warn("claim failed: %s", err.msg);
	if (rc > 0 && k < 0)
		jobq_claim_release(claim);
	return k;
}

struct worker_slot {
	struct worker *w;
	int slot;
};

static void
worker_sleep(struct worker *w, double seconds)
{
	struct timespec until;
	unsigned long seen;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	seen = w->wakeups;
	while (!*w->stop && seen == w->wakeups)
		if (pthread_cond_timedwait(&w->wake, &w->lock, &until) != 0)
			break;
	pthread_mutex_unlock(&w->lock);
}

static void *
worker_slot_main(void *arg)
{
	struct worker_slot *s = arg;
	struct worker *w = s->w;
	struct jobq_claim claim;
	int k;

	while (!*w->stop) {
		if ((k = worker_claim(w, &claim)) < 0) {
			worker_sleep(w, w->opt->poll_seconds);
			continue;
		}
		worker_run_one(w, s->slot, &claim, k);
		pthread_mutex_lock(&w->lock);
		w->running[k]--;
		w->running_low[k] -= claim.low;
		pthread_mutex_unlock(&w->lock);
		jobq_claim_release(&claim);
	}
	return NULL;
}

/* Renews leases; passes on cancellation and shutdown to the running jobs. */
static void
worker_heartbeat_once(struct worker *w)
{
	struct err err;

	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < w->opt->slots; i++) {
		struct job *job = w->current[i];
		bool cancel = false;
		int rc;

		if (job == NULL)
			continue;
		if (*w->stop)
			atomic_store(&job->stopping, true);
		if (job->timeout > 0 && clock_now() - job->started > job->timeout)
			atomic_store(&job->timed_out, true);
		rc = jobq_heartbeat(w->db, job->id, job->worker, w->opt->lease_seconds, &cancel, &err);
		if (rc == 0)
			atomic_store(&job->lost, true);
		else if (rc > 0 && cancel)
			atomic_store(&job->cancel, true);
		else if (rc < 0)
			log_warn("job=%lld heartbeat failed: %s", job->id, err.msg);
	}
	pthread_mutex_unlock(&w->lock);
}

static void *
worker_heartbeat_main(void *arg)
{
	struct worker *w = arg;
	double every = w->opt->lease_seconds / 3.0, last = 0;
	struct err err;
	int idle = 0;

	while (1) {
		bool busy = false;
		pthread_mutex_lock(&w->lock);
		for (int i = 0; i < w->opt->slots; i++)
			busy |= w->current[i] != NULL;
		pthread_mutex_unlock(&w->lock);
		if (*w->stop && !busy && ++idle > 1)
			break;
		/* The journal before the reaper: a job whose outcome waits there is settled, not
		 * declared dead for a lease that ran out while the database was down. */
		if (atomic_load(&w->journaled) > 0 && clock_now() - w->journal_tried >= 1) {
			w->journal_tried = clock_now();
			worker_journal_replay(w);
		}
		if (*w->stop || clock_now() - last >= every) {
			last = clock_now();
			worker_heartbeat_once(w);
			if (jobq_reap(w->db, &err) < 0)
				log_debug("reap: %s", err.msg);
		}
		usleep(200000);
	}
	return NULL;
}

static void *
worker_listen_main(void *arg)
{
	struct worker *w = arg;
	const char *channels[] = { "setpost_jobs" };
	struct db_listener *l = NULL;
	char ch[64], payload[256];
	struct err err;

	while (!*w->stop) {
		int rc;
		if (l == NULL && db_listener_open(&l, db_conninfo(w->db), channels, 1, &err) < 0) {
			sleep(1);
			continue;
		}
		rc = db_listener_wait(l, 500, ch, sizeof(ch), payload, sizeof(payload), &err);
		if (rc > 0) {
			pthread_mutex_lock(&w->lock);
			w->wakeups++;
			pthread_cond_broadcast(&w->wake);
			pthread_mutex_unlock(&w->lock);
		} else if (rc < 0) {
			usleep(500000);
		}
	}
	db_listener_close(l);
	return NULL;
}

static void
worker_wake_all(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->wakeups++;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

int
worker_run(struct db *db, const struct job_kind *kinds, int nkinds,
    const struct worker_options *opt, volatile sig_atomic_t *stop, struct err *err)
{
	struct worker w = { .db = db, .kinds = kinds, .nkinds = nkinds, .opt = opt, .stop = stop };
	pthread_t *threads, hb, ln;
	struct worker_slot *slots;
	int rc = 0;

	w.running = calloc((size_t)nkinds + 1, sizeof(int));
	w.running_low = calloc((size_t)nkinds + 1, sizeof(int));
	w.current = calloc((size_t)opt->slots, sizeof(struct job *));
	threads = calloc((size_t)opt->slots, sizeof(pthread_t));
	slots = calloc((size_t)opt->slots, sizeof(*slots));
	if (!w.running || !w.running_low || !w.current || !threads || !slots) {
		rc = err_set(err, SP_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&w.lock, NULL);
	pthread_mutex_init(&w.claim_lock, NULL);
	pthread_mutex_init(&w.journal_lock, NULL);
	pthread_cond_init(&w.wake, NULL);
	/* What an earlier run could not record (the database was down when it stopped). */
	if (opt->journal_dir) {
		atomic_store(&w.journaled, (int)journal_count(opt->journal_dir));
		worker_journal_replay(&w);
	}
	pthread_create(&hb, NULL, worker_heartbeat_main, &w);
	pthread_create(&ln, NULL, worker_listen_main, &w);
	for (int i = 0; i < opt->slots; i++) {
		slots[i] = (struct worker_slot){ &w, i };
		pthread_create(&threads[i], NULL, worker_slot_main, &slots[i]);
	}
	while (!*stop)
		usleep(100000);
	log_info("worker=%s stopping: running jobs are asked to stop", opt->name);
	worker_wake_all(&w);
	for (int i = 0; i < opt->slots; i++)
		pthread_join(threads[i], NULL);
	pthread_join(hb, NULL);
	pthread_join(ln, NULL);
	pthread_mutex_destroy(&w.lock);
	pthread_mutex_destroy(&w.claim_lock);
	pthread_mutex_destroy(&w.journal_lock);
	pthread_cond_destroy(&w.wake);
out:
	free(w.running);
	free(w.running_low);
	free(w.current);
	free(threads);
	free(slots);
	return rc;
}
