/* jobrate: bench/jobs.sh's driver, built only for the benchmark (build/bench/jobrate), never
 * part of setpost. It runs the real worker loop (lib/store/worker.c: claim with SKIP LOCKED,
 * heartbeat, NOTIFY wake-ups, the outcome recorded) on a kind of job that does nothing, so
 * what is measured is what one database sustains in claims and finishes, not the work; and it
 * records events the way the server does (lib/store/event.c), so events are measured alike.
 *   jobrate worker CONNINFO NAME    runs one worker (1 slot) on kind bench_noop until SIGTERM
 *   jobrate events CONNINFO COUNT   records COUNT events one after another, prints the seconds
 */
#include "lib/core/clock.h"
#include "lib/core/log.h"
#include "lib/store/db.h"
#include "lib/store/event.h"
#include "lib/store/worker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t jobrate_stop;

static void
jobrate_on_term(int sig)
{
	(void)sig;
	jobrate_stop = 1;
}

static const struct job_spec jobrate_noop_spec = { .name = "bench_noop", .max_attempts = 3 };

static int
jobrate_noop(struct job *job, struct err *err)
{
	(void)job;
	(void)err;
	return 0;
}

static int
jobrate_worker(struct db *db, const char *name, struct err *err)
{
	const struct job_kind kinds[] = { { &jobrate_noop_spec, jobrate_noop, NULL } };
	struct worker_options opt = { .name = name, .slots = 1, .lease_seconds = 30,
		.poll_seconds = 2 };

	signal(SIGTERM, jobrate_on_term);
	signal(SIGINT, jobrate_on_term);
	printf("worker %s ready\n", name);
	fflush(stdout);
	return worker_run(db, kinds, 1, &opt, &jobrate_stop, err);
}

static int
jobrate_events(struct db *db, long count, struct err *err)
{
	double t0 = clock_now();
	json_t *data = json_pack("{s:s,s:i}", "bench", "events", "n", 1);
	int rc = 0;

	for (long i = 0; i < count && rc == 0; i++)
		rc = event_record_db(db, "bench", "bench.event", "bench", i + 1, data, err);
	json_decref(data);
	if (rc == 0)
		printf("%.6f\n", clock_now() - t0);
	return rc;
}

int
main(int argc, char **argv)
{
	struct db *db;
	struct err err = { 0, "" };
	int rc;

	if (argc != 4 || (strcmp(argv[1], "worker") && strcmp(argv[1], "events"))) {
		fprintf(stderr, "usage: jobrate worker CONNINFO NAME | jobrate events CONNINFO COUNT\n");
		return 2;
	}
	if (db_open(&db, argv[2], 4, &err) < 0) {
		fprintf(stderr, "jobrate: %s\n", err.msg);
		return 1;
	}
	if (strcmp(argv[1], "worker") == 0)
		rc = jobrate_worker(db, argv[3], &err);
	else
		rc = jobrate_events(db, strtol(argv[3], NULL, 10), &err);
	db_close(db);
	if (rc < 0)
		fprintf(stderr, "jobrate: %s\n", err.msg);
	return rc < 0 ? 1 : 0;
}
