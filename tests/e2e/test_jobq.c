/* The job queue on a real PostgreSQL: no job runs twice, a killed worker's job is taken again
 * when its lease runs out, failures back off and end dead, cancellation, priorities, per-kind
 * concurrency, progress, and shutdown putting jobs back. The job kinds here exist only in this
 * test: the mechanism is proven without a fake kind in the product. */
#include "harness.h"
#include "lib/store/jobq.h"
#include "lib/store/journal.h"
#include "lib/core/log.h"
#include "lib/store/migrate.h"
#include "lib/store/worker.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *conninfo;
static struct db *db;

static void
setup(void)
{
	struct err err;

	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	log_set_level(LOG_WARN);
	cr_assert_eq(db_open(&db, conninfo, 8, &err), 0, "%s", err.msg);
	cr_assert_geq(migrate_apply(db, &err), 0, "%s", err.msg);
	harness_sql(conninfo, "CREATE TABLE ran (job_id bigint, worker text, attempt int,"
	    " at timestamptz DEFAULT clock_timestamp())", NULL, 0);
}

static void
teardown(void)
{
	db_close(db);
}

TestSuite(jobq, .init = setup, .fini = teardown, .timeout = 120);

static const struct db_stmt stmt_ran = { "test_ran",
	"INSERT INTO ran (job_id, worker, attempt) VALUES ($1, $2, $3)", 3 };

static int
record_run(struct job *job)
{
	char id[24], att[16];
	const char *p[3] = { id, job->worker, att };

	snprintf(id, sizeof(id), "%lld", job->id);
	snprintf(att, sizeof(att), "%d", job->attempt);
	return db_exec(job->db, &stmt_ran, p, NULL, NULL);
}

static int
kind_record(struct job *job, struct err *err)
{
	(void)err;
	return record_run(job) < 0 ? SP_EDB : 0;
}

/* Blocks on its first attempt until stopped; later attempts finish at once. */
static int
kind_block(struct job *job, struct err *err)
{
	record_run(job);
	if (job->attempt > 1)
		return 0;
	while (!job_canceled(job))
		usleep(20000);
	return err_set(err, SP_ECANCELED, "stopped");
}

static int
kind_flaky(struct job *job, struct err *err)
{
	json_int_t ok_on = json_integer_value(json_object_get(job->payload, "ok_on"));

	record_run(job);
	if (job->attempt < ok_on)
		return err_set(err, SP_EIO, "flaky failure on attempt %d", job->attempt);
	job->result = json_pack("{s:i}", "attempt", job->attempt);
	return 0;
}

static int
kind_bad_input(struct job *job, struct err *err)
{
	record_run(job);
	job->permanent = true;
	return err_set(err, SP_EINVAL, "card A001: no such folder");
}

static atomic_int serial_active, serial_max;

static int
kind_serial(struct job *job, struct err *err)
{
	int now = atomic_fetch_add(&serial_active, 1) + 1, max = atomic_load(&serial_max);

	(void)err;
	while (now > max && !atomic_compare_exchange_weak(&serial_max, &max, now))
		;
	for (int i = 0; i < 10; i++) {
		job_progress(job, i / 10.0, "step %d of 10", i + 1);
		usleep(100000);
	}
	atomic_fetch_sub(&serial_active, 1);
	return record_run(job) < 0 ? SP_EDB : 0;
}

/* Runs until it is asked to stop (by its 1 s timeout). */
static int
kind_slow(struct job *job, struct err *err)
{
	record_run(job);
	while (!job_canceled(job))
		usleep(20000);
	return err_set(err, SP_ECANCELED, "stopped");
}

static const struct job_spec spec_record = { .name = "record", .max_attempts = 5 };
static const struct job_spec spec_block = { .name = "block", .max_attempts = 5 };
static const struct job_spec spec_flaky = { .name = "flaky", .max_attempts = 3 };
static const struct job_spec spec_bad_input = { .name = "bad_input", .max_attempts = 5 };
static const struct job_spec spec_serial = { .name = "serial", .concurrency = 1, .max_attempts = 5 };
static const struct job_spec spec_slow = { .name = "slow", .max_attempts = 2, .timeout = 1 };

/* What a run left pending (see worker.h), written once the database answers. */
static int
finish_pending(struct db *d, const char *worker, json_t *pending, json_t **result,
    struct err *err)
{
	(void)d;
	(void)err;
	*result = json_pack("{s:O,s:s}", "finished", json_object_get(pending, "x"), "by", worker);
	return 0;
}

static const struct job_spec spec_pending = { .name = "pending", .max_attempts = 1 };

static const struct job_kind kinds[] = {
	{ &spec_record, kind_record, NULL },
	{ &spec_block, kind_block, NULL },
	{ &spec_flaky, kind_flaky, NULL },
	{ &spec_bad_input, kind_bad_input, NULL },
	{ &spec_serial, kind_serial, NULL },
	{ &spec_slow, kind_slow, NULL },
	{ &spec_pending, kind_record, finish_pending },
};

struct running_worker {
	pthread_t thread;
	struct worker_options opt;
	volatile sig_atomic_t stop;
	char name[32];
	int rc;
};

static void *
worker_thread(void *arg)
{
	struct running_worker *w = arg;
	struct err err;

	w->rc = worker_run(db, kinds, sizeof(kinds) / sizeof(kinds[0]), &w->opt, &w->stop, &err);
	return NULL;
}

static void
worker_start(struct running_worker *w, const char *name, int slots, int lease)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->opt = (struct worker_options){ w->name, slots, lease, 0.2, NULL, NULL };
	pthread_create(&w->thread, NULL, worker_thread, w);
}

static void
worker_stop(struct running_worker *w)
{
	w->stop = 1;
	pthread_join(w->thread, NULL);
	cr_expect_eq(w->rc, 0);
}

static long long
enqueue(const char *kind, const char *payload, int priority, int max_attempts)
{
	struct db_conn *c;
	struct err err;
	long long id;
	json_t *p = json_loads(payload, 0, NULL);

	cr_assert_eq(db_acquire(db, &c, &err), 0);
	cr_assert_eq(jobq_enqueue(c, kind, p, priority, max_attempts, &id, &err), 0, "%s", err.msg);
	db_release(db, c);
	json_decref(p);
	return id;
}

static long
sql_long(const char *sql)
{
	char out[64];

	cr_assert_geq(harness_sql(conninfo, sql, out, sizeof(out)), 0, "%s: %s", sql, out);
	return strtol(out, NULL, 10);
}

static const char *state_sql;
static long state_want;
static bool
sql_is(void *arg)
{
	(void)arg;
	return sql_long(state_sql) == state_want;
}

static bool
wait_sql(const char *sql, long want, double seconds)
{
	state_sql = sql;
	state_want = want;
	return harness_wait_until(sql_is, NULL, seconds);
}

Test(jobq, two_workers_never_run_a_job_twice)
{
	struct running_worker a, b;

	for (int i = 0; i < 200; i++)
		enqueue("record", "{}", 0, 5);
	worker_start(&a, "a", 4, 10);
	worker_start(&b, "b", 4, 10);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'done'", 200, 60));
	worker_stop(&a);
	worker_stop(&b);
	cr_expect_eq(sql_long("SELECT count(*) FROM ran"), 200);
	cr_expect_eq(sql_long("SELECT count(DISTINCT job_id) FROM ran"), 200);
	cr_expect_gt(sql_long("SELECT count(*) FROM ran WHERE worker = 'a'"), 0, "both took jobs");
	cr_expect_gt(sql_long("SELECT count(*) FROM ran WHERE worker = 'b'"), 0, "both took jobs");
}

Test(jobq, killed_worker_job_is_taken_again_after_its_lease)
{
	struct running_worker w;
	long long id = enqueue("block", "{}", 0, 5);
	pid_t child = fork();

	if (child == 0) {
		/* A worker process of its own, killed with SIGKILL while it holds the job. */
		struct db *cdb;
		struct err err;
		struct worker_options opt = { "doomed", 1, 2, 0.2, NULL, NULL };
		volatile sig_atomic_t stop = 0;
		if (db_open(&cdb, conninfo, 2, &err) < 0)
			_exit(1);
		worker_run(cdb, kinds, 5, &opt, &stop, &err);
		_exit(0);
	}
	cr_assert(wait_sql("SELECT count(*) FROM jobs WHERE state = 'running' AND worker = 'doomed'",
	    1, 20));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	worker_start(&w, "heir", 1, 5);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'done'", 1, 20),
	    "retried once the 2 s lease ran out");
	worker_stop(&w);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT attempts FROM jobs WHERE id = %lld", id);
	cr_expect_eq(sql_long(sql), 2);
	cr_expect_eq(sql_long("SELECT count(*) FROM ran WHERE worker = 'heir' AND attempt = 2"), 1);
}

Test(jobq, failures_back_off_then_succeed_or_die)
{
	struct running_worker w;
	char out[256];

	long long ok = enqueue("flaky", "{\"ok_on\":3}", 0, 3);
	long long dead = enqueue("flaky", "{\"ok_on\":9}", 0, 2);
	long long bad = enqueue("bad_input", "{}", 0, 5);
	(void)ok;
	(void)dead;
	(void)bad;
	worker_start(&w, "w", 3, 10);
	/* Backoff: 2 s (+-25%) after the first failure, 4 s after the second. */
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state IN ('done', 'dead')", 3, 40));
	worker_stop(&w);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE kind = 'flaky' AND state = 'done'"
	    " AND attempts = 3 AND (result->>'attempt')::int = 3"), 1);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE kind = 'flaky' AND state = 'dead'"
	    " AND attempts = 2 AND last_error = 'flaky failure on attempt 2'"), 1);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE kind = 'bad_input' AND state = 'dead'"
	    " AND attempts = 1"), 1, "a permanent failure is not retried");
	/* The gaps between attempts grow: about 2 s, then about 4 s. */
	harness_sql(conninfo, "SELECT extract(epoch FROM max(at) FILTER (WHERE attempt = 2) -"
	    " max(at) FILTER (WHERE attempt = 1))::numeric(6,2) FROM ran r JOIN jobs j ON j.id = r.job_id"
	    " WHERE j.kind = 'flaky' AND j.state = 'done'", out, sizeof(out));
	cr_expect(strtod(out, NULL) >= 1.4 && strtod(out, NULL) <= 3.5, "first backoff %s s", out);
	harness_sql(conninfo, "SELECT extract(epoch FROM max(at) FILTER (WHERE attempt = 3) -"
	    " max(at) FILTER (WHERE attempt = 2))::numeric(6,2) FROM ran r JOIN jobs j ON j.id = r.job_id"
	    " WHERE j.kind = 'flaky' AND j.state = 'done'", out, sizeof(out));
	cr_expect(strtod(out, NULL) >= 2.9 && strtod(out, NULL) <= 6.0, "second backoff %s s", out);
}

/* A job still running after its kind's timeout is stopped; the attempt counts as failed, with
 * the timeout as its reason, and the job is retried like any failure. */
Test(jobq, timeout_stops_the_attempt_and_it_is_retried)
{
	struct running_worker w;

	enqueue("slow", "{}", 0, 2);
	worker_start(&w, "w", 1, 3);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'dead'", 1, 30));
	worker_stop(&w);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE kind = 'slow' AND attempts = 2 AND"
	    " last_error = 'slow: stopped after its 1 s timeout'"), 1);
	cr_expect_eq(sql_long("SELECT count(*) FROM ran r JOIN jobs j ON j.id = r.job_id"
	    " WHERE j.kind = 'slow'"), 2);
}

Test(jobq, cancel_queued_and_running_then_retry)
{
	struct running_worker w;
	struct err err;
	long long running = enqueue("block", "{}", 0, 5);
	long long queued = enqueue("record", "{}", -10, 5);

	cr_expect_eq(jobq_cancel(db, queued, &err), 0, "%s", err.msg);
	worker_start(&w, "w", 1, 3);
	cr_assert(wait_sql("SELECT count(*) FROM jobs WHERE state = 'running'", 1, 10));
	cr_expect_eq(jobq_cancel(db, running, &err), 0, "%s", err.msg);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'canceled'", 2, 10),
	    "the running job stopped within a heartbeat");
	cr_expect_eq(jobq_cancel(db, running, &err), SP_ECONFLICT, "already canceled");
	cr_expect_eq(jobq_cancel(db, 999999, &err), SP_ENOTFOUND);
	cr_expect_eq(jobq_retry(db, queued, &err), 0, "%s", err.msg);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'done'", 1, 10));
	cr_expect_eq(jobq_retry(db, queued, &err), SP_ECONFLICT, "a done job is not retried");
	worker_stop(&w);
}

Test(jobq, priority_then_age_and_per_kind_concurrency_with_progress)
{
	struct running_worker w;

	enqueue("serial", "{}", 0, 5);
	enqueue("serial", "{}", 0, 5);
	enqueue("serial", "{}", 5, 5);
	enqueue("serial", "{}", 0, 5);
	worker_start(&w, "w", 4, 10);
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE progress > 0 AND progress < 1 AND"
	    " progress_text LIKE 'step % of 10'", 1, 10), "progress is visible while running");
	cr_expect(wait_sql("SELECT count(*) FROM jobs WHERE state = 'done'", 4, 30));
	worker_stop(&w);
	cr_expect_eq(atomic_load(&serial_max), 1, "concurrency 1 held with 4 slots");
	cr_expect_eq(sql_long("SELECT j.priority FROM ran r JOIN jobs j ON j.id = r.job_id"
	    " ORDER BY r.at LIMIT 1"), 5, "the urgent job ran first");
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE progress = 1"), 4);
}

Test(jobq, shutdown_puts_running_jobs_back)
{
	struct running_worker w;

	enqueue("block", "{}", 0, 5);
	worker_start(&w, "w", 1, 10);
	cr_assert(wait_sql("SELECT count(*) FROM jobs WHERE state = 'running'", 1, 10));
	worker_stop(&w);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE state = 'queued' AND attempts = 0"
	    " AND worker IS NULL"), 1, "requeued without counting the attempt");
}

Test(jobq, lease_exhausted_job_becomes_dead)
{
	struct err err;

	harness_sql(conninfo, "INSERT INTO jobs (kind, state, attempts, max_attempts, lease_until,"
	    " worker) VALUES ('record', 'running', 2, 2, now() - interval '1 second', 'gone:1')",
	    NULL, 0);
	cr_expect_eq(jobq_reap(db, &err), 1);
	cr_expect_eq(sql_long("SELECT count(*) FROM jobs WHERE state = 'dead' AND last_error LIKE"
	    " 'lease expired on worker gone:1 after 2 attempts'"), 1);
}

/* A worker that stopped while the database was down left outcomes in its journal: the next
 * worker on the folder records them at its start. A job the reaper declared dead meanwhile ends
 * done (its work did finish); one a person canceled stays canceled; the journal empties. */
Test(jobq, journal_is_recorded_at_the_next_start)
{
	const char *dir = harness_tmpdir("journal");
	long long dead = enqueue("pending", "{}", 0, 1), canceled = enqueue("pending", "{}", 0, 1);
	struct running_worker w;
	char sql[256];
	struct err err;
	json_t *e;

	snprintf(sql, sizeof(sql), "UPDATE jobs SET state = 'dead', worker = 'gone', attempts = 1,"
	    " last_error = 'lease expired on worker gone after 1 attempts' WHERE id = %lld", dead);
	harness_sql(conninfo, sql, NULL, 0);
	snprintf(sql, sizeof(sql), "UPDATE jobs SET state = 'canceled', worker = 'gone' WHERE id = %lld",
	    canceled);
	harness_sql(conninfo, sql, NULL, 0);
	e = json_pack("{s:I,s:s,s:s,s:i,s:b,s:s,s:b,s:n,s:{s:i}}", "job", (json_int_t)dead, "kind",
	    "pending", "worker", "gone", "attempt", 1, "ok", 1, "error", "", "permanent", 0, "result",
	    "pending", "x", 7);
	cr_assert_eq(journal_write(dir, dead, e, &err), 0, "%s", err.msg);
	json_object_set_new(e, "job", json_integer(canceled));
	cr_assert_eq(journal_write(dir, canceled, e, &err), 0, "%s", err.msg);
	json_decref(e);
	cr_assert_eq(journal_count(dir), 2);

	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "next");
	w.opt = (struct worker_options){ w.name, 1, 10, 0.2, NULL, dir };
	pthread_create(&w.thread, NULL, worker_thread, &w);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE id = %lld AND state = 'done' AND"
	    " result->>'finished' = '7' AND result->>'by' = 'gone' AND last_error IS NULL", dead);
	cr_expect(wait_sql(sql, 1, 20), "the dead job is done with its finished result");
	worker_stop(&w);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM jobs WHERE id = %lld AND state = 'canceled'",
	    canceled);
	cr_expect_eq(sql_long(sql), 1, "a canceled job stays canceled");
	cr_expect_eq(journal_count(dir), 0, "both entries left the journal");
}
