/* Live events over Server-Sent Events: a change reaches open streams within a second,
 * Last-Event-ID resumes without loss, heartbeats flow, a client that stops reading stalls no
 * one, and shutdown ends open streams at once. */
#include "harness.h"
#include "lib/store/db.h"
#include "lib/store/event.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct harness_proc srv;
static const char *conninfo;
static char token[128];

static void
start(void)
{
	setenv("SETPOST_SSE_HEARTBEAT", "1", 1);
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	snprintf(token, sizeof(token), "%s", harness_token(conninfo, "editor"));
}

static void
stop(void)
{
	if (srv.pid)
		cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(events, .init = start, .fini = stop, .timeout = 120);

/* A raw HTTP connection asking for the stream at path (with its query); returns the socket. */
static int
stream_open_at(const char *path, const char *extra)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port) };
	char req[512];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer %s\r\n%s\r\n", path, token, extra ? extra : "");
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

static int
stream_open(const char *extra)
{
	return stream_open_at("/api/v1/events/stream", extra);
}

/* Reads into acc until needle appears or seconds pass; true when it appeared. */
static bool
stream_until(int fd, char *acc, size_t cap, const char *needle, double seconds)
{
	size_t have = strlen(acc);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (int i = 0; i < (int)(seconds * 20) && !strstr(acc, needle); i++) {
		if (have > cap / 2) {
			/* Keep a tail only: a needle may straddle two reads. */
			memmove(acc, acc + have - 1024, 1024);
			have = 1024;
			acc[have] = '\0';
		}
		if (poll(&p, 1, 50) > 0) {
			ssize_t n = read(fd, acc + have, cap - 1 - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			acc[have] = '\0';
		}
	}
	return strstr(acc, needle) != NULL;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(events, change_arrives_within_a_second_and_resumes)
{
	char acc[65536] = "";
	int fd = stream_open(NULL);
	double t0;

	cr_assert(stream_until(fd, acc, sizeof(acc), "retry: 2000", 5), "%s", acc);
	cr_expect(strstr(acc, "text/event-stream"), "%s", acc);
	t0 = now();
	harness_sql(conninfo, "INSERT INTO events (kind, data) VALUES ('clip.secured', '{\"clip\":\"A001C003\"}')",
	    NULL, 0);
	cr_expect(stream_until(fd, acc, sizeof(acc), "A001C003", 5), "%s", acc);
	cr_expect_lt(now() - t0, 1.0, "arrived in %.3f s", now() - t0);
	cr_expect(strstr(acc, "event: clip.secured"), "%s", acc);
	cr_expect(stream_until(fd, acc, sizeof(acc), ": keepalive", 3), "heartbeat: %s", acc);
	close(fd);
	/* Reconnecting with Last-Event-ID gets what was missed, and only that. */
	char last[64], hdr[96];
	harness_sql(conninfo, "SELECT max(id) FROM events", last, sizeof(last));
	harness_sql(conninfo, "INSERT INTO events (kind) VALUES ('missed.one'), ('missed.two')", NULL, 0);
	acc[0] = '\0';
	snprintf(hdr, sizeof(hdr), "Last-Event-ID: %s\r\n", last);
	fd = stream_open(hdr);
	cr_expect(stream_until(fd, acc, sizeof(acc), "missed.two", 5), "%s", acc);
	cr_expect(strstr(acc, "missed.one") && !strstr(acc, "A001C003"), "%s", acc);
	close(fd);
	fd = stream_open("Last-Event-ID: nope\r\n");
	acc[0] = '\0';
	cr_expect(stream_until(fd, acc, sizeof(acc), "400 Bad Request", 5), "%s", acc);
	close(fd);
}

Test(events, a_client_that_stops_reading_stalls_no_one)
{
	char acc[65536] = "", junk[8];
	int lazy = stream_open(NULL), quick = stream_open(NULL);
	int rcvbuf = 4096;
	double t0;

	setsockopt(lazy, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	cr_assert(stream_until(quick, acc, sizeof(acc), "retry:", 5));
	/* Enough events to fill the lazy client's socket many times over. */
	harness_sql(conninfo, "INSERT INTO events (kind, data) SELECT 'bulk', jsonb_build_object('pad',"
	    " repeat('x', 500)) FROM generate_series(1, 3000)", NULL, 0);
	t0 = now();
	harness_sql(conninfo, "INSERT INTO events (kind) VALUES ('after.bulk')", NULL, 0);
	cr_expect(stream_until(quick, acc, sizeof(acc), "after.bulk", 20), "quick client kept up");
	cr_expect_lt(now() - t0, 15, "took %.1f s", now() - t0);
	struct harness_resp r;
	harness_bearer = token;
	harness_http(&srv, "GET", "/api/v1/health", NULL, NULL, &r);
	cr_expect_eq(r.status, 200, "the server still answers");
	harness_resp_release(&r);
	(void)junk;
	close(lazy);
	close(quick);
}

Test(events, shutdown_ends_open_streams)
{
	char acc[4096] = "";
	int fd = stream_open(NULL);
	double t0;

	cr_assert(stream_until(fd, acc, sizeof(acc), "retry:", 5));
	t0 = now();
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
	cr_expect_lt(now() - t0, 5, "stopped in %.1f s with a stream open", now() - t0);
	close(fd);
}

/* The dashboard's stream: every event, of any kind, arrives as a plain message (no `event:`
 * line), so a client needs no list of kinds; the kind is in the data. */
Test(events, unnamed_stream_carries_every_kind_as_a_message)
{
	char acc[65536] = "";
	int fd = stream_open_at("/api/v1/events/stream?named=false", NULL);

	cr_assert(stream_until(fd, acc, sizeof(acc), "retry: 2000", 5), "%s", acc);
	harness_sql(conninfo, "INSERT INTO events (kind) VALUES ('day.wrapped'), ('kind.never_seen')",
	    NULL, 0);
	cr_expect(stream_until(fd, acc, sizeof(acc), "kind.never_seen", 5), "%s", acc);
	cr_expect(strstr(acc, "\"day.wrapped\""), "%s", acc);
	cr_expect(strstr(acc, "event:") == NULL, "no named events: %s", acc);
	close(fd);
	acc[0] = '\0';
	fd = stream_open_at("/api/v1/events/stream?named=maybe", NULL);
	cr_expect(stream_until(fd, acc, sizeof(acc), "400 Bad Request", 5), "%s", acc);
	cr_expect(strstr(acc, "named: expected true or false"), "%s", acc);
	close(fd);
}

/* The first event's transaction, held open for a while after its insert. */
static int
slow_event_tx(struct db_conn *c, void *arg, struct err *err)
{
	int rc = event_record(c, "test", "first.event", NULL, 0, NULL, NULL, err);

	(void)arg;
	usleep(1500 * 1000);
	return rc;
}

static void *
slow_event(void *arg)
{
	struct err err;

	cr_expect_eq(db_tx(arg, slow_event_tx, NULL, &err), 0, "%s", err.msg);
	return NULL;
}

/* An event whose transaction commits after a later one's must still reach the stream: readers
 * follow ids, so ids must be given in commit order (a custody event was lost this way: a
 * verification's copy.failed committed after the worker's clip.qc had been sent). */
Test(events, an_event_committed_late_is_not_skipped)
{
	char acc[65536] = "";
	int fd = stream_open(NULL);
	struct db *db;
	struct err err;
	pthread_t t;

	cr_assert(stream_until(fd, acc, sizeof(acc), "retry: 2000", 5), "%s", acc);
	cr_assert_eq(db_open(&db, conninfo, 2, &err), 0, "%s", err.msg);
	cr_assert_eq(pthread_create(&t, NULL, slow_event, db), 0);
	usleep(300 * 1000);
	cr_assert_eq(event_record_db(db, "test", "second.event", NULL, 0, NULL, &err), 0, "%s",
	    err.msg);
	pthread_join(t, NULL);
	cr_expect(stream_until(fd, acc, sizeof(acc), "second.event", 5), "%s", acc);
	cr_expect(stream_until(fd, acc, sizeof(acc), "first.event", 3), "the event committed "
	    "late was skipped: %s", acc);
	cr_expect_lt(strstr(acc, "first.event") ? strstr(acc, "first.event") - acc : 0,
	    strstr(acc, "second.event") ? strstr(acc, "second.event") - acc : 0,
	    "sent in commit order: %s", acc);
	db_close(db);
	close(fd);
}
