/* The server's cache of clip pages and credentials (server/cache.c): what it serves again is
 * never older than the data once a change is committed, by this server, by another process
 * or straight in SQL; ETags answer 304; a revoked token stops at once; losing the LISTEN
 * connection loses nothing. */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct harness_proc srv;
static const char *const json_h[] = { "Content-Type: application/json", NULL };
static const char *conninfo;

static void
start(void)
{
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "log %s", srv.log);
	/* harness_token's answer is static: keep a copy, later calls make more tokens. */
	harness_bearer = strdup(harness_token(conninfo, "admin"));
	harness_sql(conninfo, "INSERT INTO productions (name) VALUES ('P');"
	    "INSERT INTO days (production_id, shoot_date) VALUES (1, '2026-11-25');"
	    "INSERT INTO cards (day_id, label, camera) VALUES (1, 'A001', 'A');"
	    "INSERT INTO clips (card_id, name, scene, take) SELECT 1, 'A001C' || lpad(g::text, 3, '0'),"
	    " '1', g::text FROM generate_series(1, 5) g", NULL, 0);
}

static void
stop(void)
{
	cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(cache, .init = start, .fini = stop, .timeout = 60);

static bool
body_has(const char *path, const char *needle)
{
	struct harness_resp r;
	bool has;

	if (harness_http(&srv, "GET", path, NULL, NULL, &r) < 0)
		return false;
	has = r.status == 200 && strstr(r.body, needle) != NULL;
	if (getenv("DEBUG_CACHE")) fprintf(stderr, "%s -> %ld %s\n", path, r.status, r.body);
	harness_resp_release(&r);
	return has;
}

struct want {
	const char *path, *needle;
};

static bool
want_cond(void *arg)
{
	const struct want *w = arg;

	return body_has(w->path, w->needle);
}

/* The page is served from the cache (same ETag) until a write elsewhere, then fresh. */
Test(cache, sql_write_elsewhere_is_seen)
{
	struct want w = { "/api/v1/clips?limit=10", "soft focus" };

	cr_assert(!body_has(w.path, w.needle));
	cr_assert(!body_has(w.path, w.needle));        /* now cached */
	cr_assert_eq(harness_sql(conninfo, "UPDATE clips SET notes = 'soft focus' WHERE id = 2",
	    NULL, 0), 0);
	/* A notification from another process takes well under a millisecond on one host; a
	 * second is the bound for live views. */
	cr_assert(harness_wait_until(want_cond, &w, 1.0), "the cached page stayed stale");
	w.path = "/api/v1/clips/2";
	cr_assert(harness_wait_until(want_cond, &w, 1.0), "the cached detail stayed stale");
}

/* A write through this server is read back by the very next request. */
Test(cache, own_write_read_back_at_once)
{
	struct harness_resp r;

	for (int i = 0; i < 20; i++) {
		char body[64], needle[64];
		cr_assert(body_has("/api/v1/clips/3", "A001C003"));
		snprintf(body, sizeof(body), "{\"notes\":\"take %d\"}", i);
		cr_assert_eq(harness_http(&srv, "PATCH", "/api/v1/clips/3", body, json_h, &r), 0);
		cr_assert_eq(r.status, 200, "%s", r.body);
		snprintf(needle, sizeof(needle), "take %d\"", i);
		cr_assert(strstr(r.body, needle), "round %d: the PATCH answered the old clip", i);
		harness_resp_release(&r);
		cr_assert(body_has("/api/v1/clips/3", needle), "round %d: detail stale", i);
		cr_assert(body_has("/api/v1/clips?scene=1&limit=50", needle), "round %d: list stale", i);
	}
}

Test(cache, etag_not_modified)
{
	struct harness_resp r;
	char etag[128], inm[160];
	const char *h[] = { inm, NULL };

	cr_assert_eq(harness_http(&srv, "GET", "/api/v1/clips?limit=3", NULL, NULL, &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert(harness_header(&r, "ETag", etag, sizeof(etag)));
	harness_resp_release(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	cr_assert_eq(harness_http(&srv, "GET", "/api/v1/clips?limit=3", NULL, h, &r), 0);
	cr_assert_eq(r.status, 304);
	cr_assert_eq(r.len, 0);
	harness_resp_release(&r);
	/* A change to something the page shows: a new ETag and the body. */
	cr_assert_eq(harness_http(&srv, "PATCH", "/api/v1/clips/1", "{\"circled\":true}", json_h, &r), 0);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	harness_resp_release(&r);
	cr_assert_eq(harness_http(&srv, "GET", "/api/v1/clips?limit=3", NULL, h, &r), 0);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert(strstr(r.body, "true") != NULL);
	harness_resp_release(&r);
}

static const char *revoked_token;

static bool
token_refused(void *arg)
{
	struct harness_resp r;
	char auth[200];
	const char *h[] = { auth, NULL };
	bool refused;

	(void)arg;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", revoked_token);
	if (harness_http(&srv, "GET", "/api/v1/clips?limit=1", NULL, h, &r) < 0)
		return false;
	refused = r.status == 401;
	harness_resp_release(&r);
	return refused;
}

/* Revoked outside the server (the CLI or SQL): refused within the notification's latency. */
Test(cache, token_revoked_elsewhere_stops)
{
	revoked_token = strdup(harness_token(conninfo, "editor"));
	cr_assert(!token_refused(NULL));
	cr_assert(!token_refused(NULL));               /* now cached */
	cr_assert_eq(harness_sql(conninfo, "UPDATE tokens SET revoked_at = now() WHERE id ="
	    " (SELECT max(id) FROM tokens)", NULL, 0), 0);
	cr_assert(harness_wait_until(token_refused, NULL, 1.0), "a revoked token still works");
}

/* Revoked through this server's API: refused by the very next request. */
Test(cache, token_revoked_here_stops_at_once)
{
	struct harness_resp r;
	char id[24], path[64];

	revoked_token = strdup(harness_token(conninfo, "post"));
	cr_assert(!token_refused(NULL));
	cr_assert(!token_refused(NULL));
	harness_sql(conninfo, "SELECT max(id) FROM tokens", id, sizeof(id));
	snprintf(path, sizeof(path), "/api/v1/tokens/%s", id);
	cr_assert_eq(harness_http(&srv, "DELETE", path, NULL, NULL, &r), 0);
	cr_assert(r.status == 200 || r.status == 204, "%ld %s", r.status, r.body);
	harness_resp_release(&r);
	cr_assert(token_refused(NULL));
}

static bool
listening_again(void *arg)
{
	char n[16] = "";

	harness_sql(conninfo, (const char *)arg, n, sizeof(n));
	return strcmp(n, "1") == 0;
}

/* The LISTEN connection killed just before a change commits: the change's notification is
 * lost, and the cache must not serve what it held from before once listening again. */
Test(cache, lost_listener_loses_nothing)
{
	char pid[16], sql[400], again[200];

	cr_assert(!body_has("/api/v1/clips/4", "\"44\""));
	cr_assert(!body_has("/api/v1/clips/4", "\"44\""));
	cr_assert_eq(harness_sql(conninfo, "SELECT pid FROM pg_stat_activity WHERE query ="
	    " 'LISTEN \"setpost_auth\"' AND datname = current_database()", pid, sizeof(pid)), 1);
	snprintf(sql, sizeof(sql), "BEGIN; UPDATE clips SET scene = '44' WHERE id = 4;"
	    " SELECT pg_terminate_backend(%s); COMMIT", pid);
	cr_assert_eq(harness_sql(conninfo, sql, NULL, 0), 0);
	snprintf(again, sizeof(again), "SELECT count(*) FROM pg_stat_activity WHERE query ="
	    " 'LISTEN \"setpost_auth\"' AND datname = current_database() AND pid <> %s", pid);
	cr_assert(harness_wait_until(listening_again, again, 5.0), "the server did not listen again");
	/* Listening again, the server caches again: what it held from before must not return. */
	for (int i = 0; i < 30; i++) {
		cr_assert(body_has("/api/v1/clips/4", "\"44\""), "round %d: a change made while not"
		    " listening was hidden", i);
		usleep(50000);
	}
}

/* After a write empties the cache, connections asking for the same page at once get it built
 * once and shared (the others wait for it): every one of them sees the write. */
struct herd {
	char needle[64];
	bool fresh;
};

static void *
herd_get(void *arg)
{
	struct herd *h = arg;

	h->fresh = body_has("/api/v1/clips?limit=10", h->needle);
	return NULL;
}

Test(cache, herd_after_a_write_all_fresh)
{
	struct harness_resp r;
	struct herd h[12];
	pthread_t t[12];

	for (int round = 0; round < 5; round++) {
		char body[64];
		snprintf(body, sizeof(body), "{\"notes\":\"herd %d\"}", round);
		cr_assert(body_has("/api/v1/clips?limit=10", "A001C001"));
		cr_assert_eq(harness_http(&srv, "PATCH", "/api/v1/clips/1", body, json_h, &r), 0);
		harness_resp_release(&r);
		for (int i = 0; i < 12; i++) {
			snprintf(h[i].needle, sizeof(h[i].needle), "herd %d\"", round);
			pthread_create(&t[i], NULL, herd_get, &h[i]);
		}
		for (int i = 0; i < 12; i++) {
			pthread_join(t[i], NULL);
			cr_expect(h[i].fresh, "round %d, request %d: stale page", round, i);
		}
	}
}

/* With the page cache off nothing is kept, yet an unchanged answer still gets its 304: the
 * page built for that request is let go of by the 304 itself (its ETag was once read after). */
Test(cache, not_modified_with_the_cache_off)
{
	static const char *const off[] = { "--page-cache", "off", NULL };
	struct harness_proc other;
	struct harness_resp r;
	char etag[128], inm[160];
	const char *h[] = { inm, NULL };

	cr_assert_eq(harness_serve_args(&other, conninfo, NULL, off), 0, "log %s", other.log);
	cr_assert_eq(harness_http(&other, "GET", "/api/v1/days/1/cards", NULL, NULL, &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(harness_header(&r, "ETag", etag, sizeof(etag)));
	harness_resp_release(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(harness_http(&other, "GET", "/api/v1/days/1/cards", NULL, h, &r), 0);
		cr_expect_eq(r.status, 304);
		harness_resp_release(&r);
	}
	cr_expect_eq(harness_stop(&other), 0, "log %s", other.log);
}
