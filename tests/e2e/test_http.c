/* The HTTP server end to end: health, errors in the JSON format, limits, static files and
 * their traversal defences, metrics, jobs read through the API. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct harness_proc srv;
static const char *conninfo;

static void
start(void)
{
	conninfo = harness_db_create();
	cr_assert_not_null(conninfo, "test cluster reachable (SETPOST_TEST_PG)");
	cr_assert_eq(harness_serve(&srv, conninfo, NULL), 0, "serve started (log %s)", srv.log);
	harness_bearer = harness_token(conninfo, "admin");
	cr_assert_not_null(harness_bearer);
}

static void
stop(void)
{
	int status = harness_stop(&srv);
	cr_expect_eq(status, 0, "serve exits 0 on SIGTERM, got %d (log %s)", status, srv.log);
}

TestSuite(http, .init = start, .fini = stop, .timeout = 120);

static void
expect_error(struct harness_resp *r, long status, const char *code)
{
	char want[128];

	cr_expect_eq(r->status, status, "status %ld, want %ld: %s", r->status, status, r->body);
	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	cr_expect(strstr(r->body, want) != NULL, "body has %s: %s", want, r->body);
	cr_expect(strstr(r->body, "\"message\":\"") != NULL, "body has a message: %s", r->body);
	cr_expect(strstr(r->headers, "application/json") != NULL, "JSON content type");
}

Test(http, health_reports_database_round_trip)
{
	struct harness_resp r;

	cr_assert_eq(harness_http(&srv, "GET", "/api/v1/health", NULL, NULL, &r), 0);
	cr_expect_eq(r.status, 200, "%s", r.body);
	cr_expect(strstr(r.body, "\"status\":\"ok\"") && strstr(r.body, "\"round_trip_ms\":"),
	    "%s", r.body);
	cr_expect(strstr(r.body, "\"schema_version\":") && !strstr(r.body, "\"schema_version\":0"), "%s", r.body);
	harness_resp_release(&r);
}

Test(http, unknown_route_is_json_404)
{
	struct harness_resp r;

	harness_http(&srv, "GET", "/api/v1/nope", NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	harness_resp_release(&r);
}

Test(http, wrong_method_is_405_with_allow)
{
	struct harness_resp r;
	char allow[64];

	harness_http(&srv, "DELETE", "/api/v1/health", NULL, NULL, &r);
	expect_error(&r, 405, "method_not_allowed");
	cr_expect(harness_header(&r, "Allow", allow, sizeof(allow)));
	cr_expect_str_eq(allow, "GET, HEAD");
	harness_resp_release(&r);
	harness_http(&srv, "POST", "/index.html", "{}", (const char *[]){ "Content-Type: application/json", NULL }, &r);
	expect_error(&r, 405, "method_not_allowed");
	harness_resp_release(&r);
}

Test(http, oversized_body_is_413)
{
	struct harness_resp r;
	size_t n = 9 * 1024 * 1024;
	char *big = malloc(n + 1);

	memset(big, 'a', n);
	big[n] = '\0';
	harness_http(&srv, "POST", "/api/v1/jobs", big, (const char *[]){ "Content-Type: application/json", NULL }, &r);
	expect_error(&r, 413, "too_large");
	harness_resp_release(&r);
	/* Chunked: no Content-Length to refuse early, so the limit applies while reading. */
	harness_http(&srv, "POST", "/api/v1/jobs", big, (const char *[]){ "Content-Type: application/json",
	    "Transfer-Encoding: chunked", NULL }, &r);
	expect_error(&r, 413, "too_large");
	harness_resp_release(&r);
	free(big);
}

Test(http, body_must_be_json)
{
	struct harness_resp r;

	harness_http(&srv, "GET", "/api/v1/jobs", "a=b", (const char *[]){ "Content-Type: application/x-www-form-urlencoded", NULL }, &r);
	expect_error(&r, 415, "unsupported_media_type");
	harness_resp_release(&r);
}

Test(http, bad_query_and_id_are_400)
{
	struct harness_resp r;

	harness_http(&srv, "GET", "/api/v1/jobs?limit=100000", NULL, NULL, &r);
	expect_error(&r, 400, "invalid");
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/jobs?state=';DROP%20TABLE%20jobs;--", NULL, NULL, &r);
	expect_error(&r, 400, "invalid");
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/jobs/12abc", NULL, NULL, &r);
	expect_error(&r, 400, "invalid");
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/jobs/99999999999999999999999", NULL, NULL, &r);
	expect_error(&r, 400, "invalid");
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/api/v1/jobs/424242", NULL, NULL, &r);
	expect_error(&r, 404, "not_found");
	harness_resp_release(&r);
}

Test(http, jobs_show_progress_from_the_queue)
{
	struct harness_resp r;
	char id[32];

	harness_sql(conninfo, "INSERT INTO jobs (kind, payload, state, lease_until, worker, progress,"
	    " progress_text) VALUES ('offload', '{\"card\":\"A001\"}', 'running', now() + interval"
	    " '1 minute', 'cart:1', 0.25, 'copying A001C003.mov') RETURNING id", id, sizeof(id));
	harness_http(&srv, "GET", "/api/v1/jobs?state=running", NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"progress\":0.25"), "%s", r.body);
	cr_expect(strstr(r.body, "copying A001C003.mov"), "%s", r.body);
	harness_resp_release(&r);
	char path[64];
	snprintf(path, sizeof(path), "/api/v1/jobs/%s", id);
	harness_http(&srv, "GET", path, NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "\"card\":\"A001\""), "%s", r.body);
	harness_resp_release(&r);
}

Test(http, static_files_with_types_and_etag)
{
	struct harness_resp r;
	char etag[128], hdr[160], ct[128];

	harness_http(&srv, "GET", "/", NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(harness_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_expect_str_eq(ct, "text/html; charset=utf-8");
	cr_expect(strstr(r.body, "setpost") != NULL);
	cr_assert(harness_header(&r, "ETag", etag, sizeof(etag)));
	harness_resp_release(&r);
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
	harness_http(&srv, "GET", "/", NULL, (const char *[]){ hdr, NULL }, &r);
	cr_expect_eq(r.status, 304);
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/app.js", NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(harness_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_expect_str_eq(ct, "text/javascript; charset=utf-8");
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/style.css", NULL, NULL, &r);
	cr_expect(harness_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_expect_str_eq(ct, "text/css; charset=utf-8");
	harness_resp_release(&r);
}

Test(http, no_way_out_of_web_root)
{
	static const char *const paths[] = { "/../Makefile", "/%2e%2e/Makefile",
		"/%2E%2E/%2E%2E/etc/passwd", "/..%2fMakefile", "/.%2e/Makefile",
		"/web/../../etc/passwd", "//etc/passwd", "/nope.html",
		"/escape-link", "/escape-dir/passwd", "/inside/../../secret.txt" };
	struct harness_proc own;
	struct harness_resp r;
	const char *top = harness_tmpdir("webroot");
	char web[600], path[700];
	FILE *f;

	/* A web root of our own, with a secret beside it and symlinks pointing out of it. */
	snprintf(web, sizeof(web), "%s/web", top);
	mkdir(web, 0755);
	snprintf(path, sizeof(path), "%s/index.html", web);
	f = fopen(path, "w");
	fputs("<!doctype html><p>setpost", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/secret.txt", top);
	f = fopen(path, "w");
	fputs("CFLAGS root: secret", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/escape-link", web);
	cr_assert_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/escape-dir", web);
	cr_assert_eq(symlink("/etc", path), 0);
	snprintf(path, sizeof(path), "%s/inside", web);
	mkdir(path, 0755);
	setenv("SETPOST_WEB", web, 1);
	cr_assert_eq(harness_serve(&own, conninfo, NULL), 0);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		harness_http(&own, "GET", paths[i], NULL, NULL, &r);
		cr_expect(r.status == 404 || r.status == 400, "%s gave %ld", paths[i], r.status);
		cr_expect(strstr(r.body, "root:") == NULL, "%s leaked a file", paths[i]);
		harness_resp_release(&r);
	}
	harness_http(&own, "GET", "/index.html", NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	harness_resp_release(&r);
	cr_expect_eq(harness_stop(&own), 0);
}

Test(http, metrics_count_requests_and_jobs)
{
	struct harness_resp r;

	harness_sql(conninfo, "INSERT INTO jobs (kind) VALUES ('probe'), ('probe')", NULL, 0);
	harness_http(&srv, "GET", "/api/v1/health", NULL, NULL, &r);
	harness_resp_release(&r);
	harness_http(&srv, "GET", "/metrics", NULL, NULL, &r);
	cr_expect_eq(r.status, 200);
	cr_expect(strstr(r.body, "setpost_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"200\"} 1"),
	    "%s", r.body);
	cr_expect(strstr(r.body, "setpost_http_request_duration_seconds_bucket{le=\"+Inf\"}"), "%s", r.body);
	cr_expect(strstr(r.body, "setpost_jobs{kind=\"probe\",state=\"queued\"} 2"), "%s", r.body);
	cr_expect(strstr(r.body, "setpost_db_pool_connections{state=\"max\"}"), "%s", r.body);
	harness_resp_release(&r);
}

static bool
logged(void *arg)
{
	(void)arg;
	return harness_log_contains(&srv, "127.0.0.1 GET /api/v1/health 200");
}

Test(http, access_log_has_one_line_per_request)
{
	struct harness_resp r;

	harness_http(&srv, "GET", "/api/v1/health?probe=access-log-check", NULL, NULL, &r);
	harness_resp_release(&r);
	cr_expect(harness_wait_until(logged, NULL, 5), "log %s", srv.log);
}
