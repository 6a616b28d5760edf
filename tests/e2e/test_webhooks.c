/* Webhooks end to end: a real receiver on loopback (a listening socket in a thread of this
 * test) and a real worker loop (worker_run in a thread) against `setpost serve`. Checked: the
 * signature (recomputed here with OpenSSL, not with the code under test), the payload's shape
 * for clip.secured (from a real offload registration), day.wrapped (the wrap route) and
 * job.failed (a job that really dies); a 500 retried until it succeeds; a hook disabled after
 * its failure limit, with its event and its waiting deliveries dropped, then re-enabled; the
 * order of several events with the first one retried and several worker slots; roles (editor
 * 403); validation 400s naming the field; the secret shown once. */
#include "harness.h"
#include "lib/core/config.h"
#include "lib/store/worker.h"
#include "lib/pipeline/kinds.h"
#include "lib/pipeline/pipeline.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int job_webhook_run(struct job *job, struct err *err);
static const struct job_spec doomed_spec = { .name = "doomed", .concurrency = 1,
	.max_attempts = 3 };

/* A kind of job that always fails for good: job.failed from a real worker's jobq_fail. */
static int
doomed_run(struct job *job, struct err *err)
{
	job->permanent = true;
	return err_set(err, SP_EINVAL, "doomed on purpose");
}

static struct harness_proc srv;
static const char *conninfo;
static char dbinfo[1024], data_dir[512], admin[128], post[128], editor[128];
static struct config cfg;
static struct db *db;

/* --- the receiver --------------------------------------------------------------------- */

#define RECV_MAX 64

struct received {
	char head[4096];
	char *body;
};

static struct {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t lock;
	int plan[16];       /* status for request i (0: 200) */
	int always;         /* when set, every request gets it */
	struct received req[RECV_MAX];
	int n;
	volatile int stop;
} rx;

static void
recv_one(int c)
{
	char buf[65536], reply[128];
	size_t len = 0;
	char *end = NULL;
	long clen = 0;
	int status;

	while (len < sizeof(buf) - 1) {
		ssize_t k = read(c, buf + len, sizeof(buf) - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");
			clen = cl ? strtol(cl + 17, NULL, 10) : 0;
		}
		if (end && (long)(len - (size_t)(end + 4 - buf)) >= clen)
			break;
	}
	if (end == NULL)
		return;
	pthread_mutex_lock(&rx.lock);
	if (rx.n < RECV_MAX) {
		struct received *r = &rx.req[rx.n];
		size_t hl = (size_t)(end + 2 - buf);
		memcpy(r->head, buf, hl < sizeof(r->head) - 1 ? hl : sizeof(r->head) - 1);
		r->body = strndup(end + 4, (size_t)clen);
		status = rx.always ? rx.always : rx.n < 16 && rx.plan[rx.n] ? rx.plan[rx.n] : 200;
		rx.n++;
	} else {
		status = 503;
	}
	pthread_mutex_unlock(&rx.lock);
	snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\nContent-Length: 7\r\nConnection: close\r\n\r\n"
	    "answer!", status);
	if (write(c, reply, strlen(reply)) < 0)
		return;
}

static void *
recv_main(void *arg)
{
	(void)arg;
	while (!rx.stop) {
		struct pollfd p = { rx.fd, POLLIN, 0 };
		if (poll(&p, 1, 100) <= 0)
			continue;
		int c = accept(rx.fd, NULL, NULL);
		if (c < 0)
			continue;
		recv_one(c);
		close(c);
	}
	return NULL;
}

static void
recv_start(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int one = 1;

	memset(&rx, 0, sizeof(rx));
	pthread_mutex_init(&rx.lock, NULL);
	rx.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(rx.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	cr_assert_eq(bind(rx.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(rx.fd, 16), 0);
	getsockname(rx.fd, (struct sockaddr *)&a, &alen);
	rx.port = ntohs(a.sin_port);
	pthread_create(&rx.thread, NULL, recv_main, NULL);
}

static void
recv_stop(void)
{
	rx.stop = 1;
	pthread_join(rx.thread, NULL);
	close(rx.fd);
	for (int i = 0; i < rx.n; i++)
		free(rx.req[i].body);
}

static int
recv_count(void)
{
	int n;

	pthread_mutex_lock(&rx.lock);
	n = rx.n;
	pthread_mutex_unlock(&rx.lock);
	return n;
}

static bool
recv_at_least(void *arg)
{
	return recv_count() >= *(int *)arg;
}

static void
recv_wait(int n, double seconds)
{
	cr_assert(harness_wait_until(recv_at_least, &n, seconds), "the receiver got %d of %d "
	    "requests in %.0f s", recv_count(), n, seconds);
}

/* The value of header name in request i (static storage), or NULL. */
static const char *
recv_header(int i, const char *name)
{
	static char out[512];
	char needle[96];
	const char *h, *e;

	snprintf(needle, sizeof(needle), "\r\n%s:", name);
	if ((h = strcasestr(rx.req[i].head, needle)) == NULL)
		return NULL;
	h += strlen(needle);
	while (*h == ' ')
		h++;
	e = strstr(h, "\r\n");
	snprintf(out, sizeof(out), "%.*s", e ? (int)(e - h) : (int)strlen(h), h);
	return out;
}

/* Recomputes Setpost-Signature of request i with OpenSSL's HMAC and the secret. */
static bool
recv_signed(int i, const char *secret)
{
	const char *sig = recv_header(i, "Setpost-Signature");
	char ts[32], v1[80], hex[65], *msg;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (sig == NULL || sscanf(sig, "t=%31[0-9],v1=%79s", ts, v1) != 2)
		return false;
	if (llabs(strtoll(ts, NULL, 10) - (long long)time(NULL)) > 300)
		return false;
	if (asprintf(&msg, "%s.%s", ts, rx.req[i].body) < 0)
		return false;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg), mac,
	    &maclen);
	free(msg);
	for (unsigned k = 0; k < maclen; k++)
		snprintf(hex + 2 * k, 3, "%02x", mac[k]);
	return maclen == 32 && strcmp(hex, v1) == 0;
}

static json_t *
recv_json(int i)
{
	json_t *j = json_loads(rx.req[i].body, 0, NULL);

	cr_assert_not_null(j, "request %d: body is not JSON: %s", i, rx.req[i].body);
	return j;
}

/* --- the worker, in this process ----------------------------------------------------- */

static struct {
	pthread_t thread;
	struct job_kind kinds[2];
	struct worker_options opt;
	volatile sig_atomic_t stop;
	int rc;
} wk;

static void *
worker_main(void *arg)
{
	struct err err;

	(void)arg;
	wk.rc = worker_run(db, wk.kinds, 2, &wk.opt, &wk.stop, &err);
	return NULL;
}

/* --- setup ----------------------------------------------------------------------------- */

static void
start(void)
{
	struct err err;

	conninfo = harness_db_create();
	cr_assert_not_null(conninfo);
	snprintf(dbinfo, sizeof(dbinfo), "%s", conninfo);
	snprintf(data_dir, sizeof(data_dir), "%s", harness_tmpdir("webhooks-data"));
	/* The receiver is on loopback, which the outbound policy refuses unless allowed: these
	 * tests allow it explicitly, in the server (URLs given: all of 127/8) and the worker
	 * (connections: 127.0.0.1 only, so the worker's own check can be seen to refuse). */
	cr_assert_eq(harness_serve_args(&srv, dbinfo, data_dir, (const char *[]){ "--outbound-allow",
	    "127.0.0.0/8", NULL }), 0, "log %s", srv.log);
	snprintf(admin, sizeof(admin), "%s", harness_token(dbinfo, "admin"));
	snprintf(post, sizeof(post), "%s", harness_token(dbinfo, "post"));
	snprintf(editor, sizeof(editor), "%s", harness_token(dbinfo, "editor"));
	cr_assert_eq(db_open(&db, dbinfo, 8, &err), 0, "%s", err.msg);
	memset(&cfg, 0, sizeof(cfg));
	cfg.data_dir = data_dir;
	cfg.outbound_allow = (char *)"127.0.0.1/32";
	recv_start();
	memset(&wk, 0, sizeof(wk));
	wk.kinds[0] = (struct job_kind){ &job_webhook_spec, job_webhook_run, NULL };
	wk.kinds[1] = (struct job_kind){ &doomed_spec, doomed_run, NULL };
	/* Four slots: the order guarantee must not depend on there being one. */
	wk.opt = (struct worker_options){ "webhook-test", 4, 10, 0.2, &cfg, NULL };
	pthread_create(&wk.thread, NULL, worker_main, NULL);
}

static void
stop(void)
{
	wk.stop = 1;
	pthread_join(wk.thread, NULL);
	cr_expect_eq(wk.rc, 0);
	recv_stop();
	db_close(db);
	if (srv.pid)
		cr_expect_eq(harness_stop(&srv), 0, "log %s", srv.log);
}

TestSuite(webhooks, .init = start, .fini = stop, .timeout = 60);

/* --- helpers --------------------------------------------------------------------------- */

#define sql(...) harness_sqlf(dbinfo, __VA_ARGS__)

/* An API call with token; returns the status, the body in *out (caller frees) when out. */
static long
api(const char *token, const char *method, const char *path, const char *body, char **out)
{
	struct harness_resp r;
	long st;

	harness_bearer = token;
	cr_assert_eq(harness_http(&srv, method, path, body,
	    (const char *[]){ "Content-Type: application/json", NULL }, &r), 0);
	st = r.status;
	if (out)
		*out = strdup(r.body ? r.body : "");
	harness_resp_release(&r);
	return st;
}

/* Registers a hook to the receiver; returns its id and copies its secret. */
static long long
hook_create(const char *events, const char *extra, char secret[65])
{
	char body[1024], *out;
	json_t *j;
	long long id;

	snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d/hook\",\"events\":%s%s}", rx.port,
	    events, extra ? extra : "");
	cr_assert_eq(api(post, "POST", "/api/v1/webhooks", body, &out), 201, "%s", out);
	j = json_loads(out, 0, NULL);
	free(out);
	cr_assert_not_null(j);
	id = json_integer_value(json_object_get(j, "id"));
	cr_assert_gt(id, 0);
	cr_assert_eq(strlen(json_string_value(json_object_get(j, "secret"))), 64);
	snprintf(secret, 65, "%s", json_string_value(json_object_get(j, "secret")));
	json_decref(j);
	return id;
}

static bool
sql_true(void *arg)
{
	return strcmp(sql("%s", (const char *)arg), "t") == 0;
}

static void
sql_wait(const char *q, double seconds)
{
	cr_assert(harness_wait_until(sql_true, (void *)q, seconds), "not true in %.0f s: %s",
	    seconds, q);
}

#define OFFLOAD "{\"production\":\"Feature\",\"card\":{\"label\":\"A001\"},\"files\":[{\"path\":" \
	"\"a.mov\",\"size\":5,\"clip\":\"A001C001\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}]," \
	"\"copies\":[{\"volume\":{\"key\":\"uuid:r\",\"name\":\"RAID\"},\"files\":[{\"path\":\"a.mov\"," \
	"\"state\":\"verified\",\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}]},{\"volume\":{\"key\":" \
	"\"uuid:s\",\"name\":\"Shuttle\"},\"files\":[{\"path\":\"a.mov\",\"state\":\"verified\"," \
	"\"hashes\":{\"xxh64\":\"0ea03b369a463d9d\"}}]}]}"

/* --- tests ----------------------------------------------------------------------------- */

/* A secured clip and a wrapped day reach the receiver signed, in the documented shape; the
 * secret is shown only at creation; the log has both. */
Test(webhooks, signed_payloads_and_secret_once)
{
	char secret[65], *out, path[128];
	long long hook = hook_create("[\"clip.secured\",\"day.wrapped\"]", NULL, secret);
	json_t *j;

	/* Never again: not in the hook, not in the list, not in the event log. */
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", hook);
	cr_assert_eq(api(post, "GET", path, NULL, &out), 200, "%s", out);
	cr_expect_null(strstr(out, secret));
	cr_expect_null(strstr(out, "\"secret\""));
	free(out);
	cr_assert_eq(api(admin, "GET", "/api/v1/webhooks", NULL, &out), 200, "%s", out);
	cr_expect_null(strstr(out, secret));
	cr_expect(strstr(out, "\"clip.secured\""), "%s", out);
	free(out);
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE data::text LIKE '%%%s%%'", secret), "0");
	cr_expect_str_eq(sql("SELECT position('%s' IN encode(secret_sealed, 'escape')) FROM webhooks",
	    secret), "0");

	cr_assert_eq(api(admin, "POST", "/api/v1/offloads", OFFLOAD, &out), 201, "%s", out);
	free(out);
	recv_wait(1, 15);
	cr_expect(recv_signed(0, secret), "signature: %s", recv_header(0, "Setpost-Signature"));
	cr_expect_not(recv_signed(0, "0000000000000000000000000000000000000000000000000000000000000000"));
	cr_expect_str_eq(recv_header(0, "Setpost-Event"), "clip.secured");
	cr_expect_str_eq(recv_header(0, "Content-Type"), "application/json");
	cr_expect_str_eq(recv_header(0, "Setpost-Attempt"), "1");
	cr_expect_str_eq(recv_header(0, "Setpost-Delivery"),
	    sql("SELECT id FROM jobs WHERE kind = 'webhook' ORDER BY id LIMIT 1"));
	j = recv_json(0);
	cr_expect_str_eq(json_string_value(json_object_get(j, "type")), "clip.secured");
	cr_expect_str_eq(json_string_value(json_object_get(j, "kind")), "clip.secured",
	    "the API's name for it, beside the deprecated type");
	cr_expect_eq(json_integer_value(json_object_get(j, "id")),
	    strtoll(sql("SELECT id FROM events WHERE kind = 'clip.secured'"), NULL, 10));
	cr_expect(json_is_string(json_object_get(j, "created_at")));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "subject"), "type")), "clip");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "subject"), "id")),
	    strtoll(sql("SELECT id FROM clips"), NULL, 10));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "data"), "to")), "secured");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "data"), "clip")), "A001C001");
	json_decref(j);

	/* Wrapping the day: admin only, once. */
	snprintf(path, sizeof(path), "/api/v1/days/%s/wrap", sql("SELECT id FROM days"));
	cr_expect_eq(api(editor, "POST", path, NULL, NULL), 403);
	cr_expect_eq(api(post, "POST", path, NULL, NULL), 403);
	cr_assert_eq(api(admin, "POST", path, NULL, &out), 200, "%s", out);
	cr_expect(strstr(out, "wrapped_at"), "%s", out);
	free(out);
	cr_expect_eq(api(admin, "POST", path, NULL, NULL), 409);
	cr_expect_eq(api(admin, "POST", "/api/v1/days/999999/wrap", NULL, NULL), 404);
	recv_wait(2, 15);
	cr_expect(recv_signed(1, secret));
	cr_expect_str_eq(recv_header(1, "Setpost-Event"), "day.wrapped");
	j = recv_json(1);
	cr_expect_str_eq(json_string_value(json_object_get(j, "type")), "day.wrapped");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "subject"), "type")), "day");
	cr_expect(json_is_string(json_object_get(json_object_get(j, "data"), "wrapped_at")));
	json_decref(j);

	/* The log, newest first, each 200; paging with limit and before. */
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/deliveries?limit=1", hook);
	sql_wait("SELECT count(*) = 2 FROM webhook_deliveries", 5);
	cr_assert_eq(api(post, "GET", path, NULL, &out), 200, "%s", out);
	j = json_loads(out, 0, NULL);
	free(out);
	cr_assert_eq(json_array_size(json_object_get(j, "items")), 1);
	json_t *d = json_array_get(json_object_get(j, "items"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(d, "event_type")), "day.wrapped");
	cr_expect_eq(json_integer_value(json_object_get(d, "http_status")), 200);
	cr_expect(json_is_null(json_object_get(d, "error")));
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/deliveries?before=%lld", hook,
	    (long long)json_integer_value(json_object_get(j, "next_before")));
	json_decref(j);
	cr_assert_eq(api(post, "GET", path, NULL, &out), 200, "%s", out);
	cr_expect(strstr(out, "\"clip.secured\""), "%s", out);
	cr_expect_null(strstr(out, "\"day.wrapped\""), "%s", out);
	free(out);
	/* Events not subscribed to (clip.registered...) made no jobs. */
	cr_expect_str_eq(sql("SELECT count(*) FROM jobs WHERE kind = 'webhook'"), "2");
}

/* A 500 is retried with the queue's backoff until it succeeds; both attempts are logged. */
Test(webhooks, retry_after_500)
{
	char secret[65], path[128], *out;
	long long hook = hook_create("[\"day.wrapped\"]", NULL, secret);

	rx.plan[0] = 500;
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/test", hook);
	cr_assert_eq(api(post, "POST", path, NULL, &out), 202, "%s", out);
	free(out);
	recv_wait(2, 20);
	cr_expect_str_eq(recv_header(0, "Setpost-Event"), "ping");
	cr_expect(recv_signed(0, secret));
	cr_expect(recv_signed(1, secret));
	cr_expect_str_eq(recv_header(0, "Setpost-Attempt"), "1");
	cr_expect_str_eq(recv_header(1, "Setpost-Attempt"), "2");
	char d0[32];
	snprintf(d0, sizeof(d0), "%s", recv_header(0, "Setpost-Delivery"));
	cr_expect_str_eq(recv_header(1, "Setpost-Delivery"), d0);
	cr_expect_str_eq(rx.req[0].body, rx.req[1].body);
	sql_wait("SELECT count(*) = 2 FROM webhook_deliveries", 5);
	cr_expect_str_eq(sql("SELECT string_agg(attempt || ':' || coalesce(http_status, 0) || ':' ||"
	    " coalesce(error, '-'), ' ' ORDER BY id) FROM webhook_deliveries"),
	    "1:500:HTTP 500 from the receiver 2:200:-");
	cr_expect_str_eq(sql("SELECT count(*) FROM webhook_deliveries WHERE error LIKE '%%answer!%%'"),
	    "0", "the receiver's body is never kept (issue 14)");
	sql_wait("SELECT state = 'done' FROM jobs WHERE kind = 'webhook'", 5);
	cr_expect_str_eq(sql("SELECT consecutive_failures || ' ' || enabled FROM webhooks"), "0 true");
}

/* Several events: the first is refused once, and the others wait for it (four worker slots). */
Test(webhooks, order_kept_through_a_retry)
{
	char secret[65], path[64], *out;
	long long ids[4];

	hook_create("[\"day.wrapped\"]", NULL, secret);
	rx.plan[0] = 500;
	sql("INSERT INTO productions (name) VALUES ('Feature')");
	sql("INSERT INTO days (production_id, shoot_date) SELECT p.id, date '2026-01-01' + g"
	    " FROM productions p, generate_series(1, 4) g");
	for (int i = 0; i < 4; i++) {
		ids[i] = strtoll(sql("SELECT id FROM days ORDER BY shoot_date OFFSET %d LIMIT 1", i),
		    NULL, 10);
		snprintf(path, sizeof(path), "/api/v1/days/%lld/wrap", ids[i]);
		cr_assert_eq(api(admin, "POST", path, NULL, &out), 200, "%s", out);
		free(out);
	}
	recv_wait(5, 25);
	/* The refused one, again, then the rest in order. */
	long long want[5] = { ids[0], ids[0], ids[1], ids[2], ids[3] };
	for (int i = 0; i < 5; i++) {
		json_t *j = recv_json(i);
		cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "subject"), "id")),
		    want[i], "request %d: day %lld, expected %lld", i,
		    (long long)json_integer_value(json_object_get(json_object_get(j, "subject"), "id")),
		    want[i]);
		cr_expect(recv_signed(i, secret));
		json_decref(j);
	}
	usleep(300000);
	cr_expect_eq(recv_count(), 5);
}

/* A hook that keeps failing is disabled after its limit, saying so, with webhook.disabled;
 * its waiting deliveries are dropped; re-enabling resets the count. */
Test(webhooks, disabled_after_failures)
{
	char secret[65], path[128], *out;
	long long hook = hook_create("[\"day.wrapped\"]", ",\"failure_limit\":2", secret);
	json_t *j;

	rx.always = 500;
	sql("INSERT INTO productions (name) VALUES ('Feature')");
	sql("INSERT INTO days (production_id, shoot_date) SELECT id, '2026-02-01' FROM productions");
	sql("INSERT INTO days (production_id, shoot_date) SELECT id, '2026-02-02' FROM productions");
	sql("UPDATE days SET wrapped_at = now()");   /* the trigger does not care how: events do */
	sql("INSERT INTO events (kind, subject_type, subject_id) SELECT 'day.wrapped', 'day', id FROM"
	    " days ORDER BY id");
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", hook);
	sql_wait("SELECT NOT enabled FROM webhooks", 20);
	cr_expect_eq(recv_count(), 2);
	cr_assert_eq(api(post, "GET", path, NULL, &out), 200, "%s", out);
	j = json_loads(out, 0, NULL);
	free(out);
	cr_expect(json_is_false(json_object_get(j, "enabled")));
	cr_expect(strstr(json_string_value(json_object_get(j, "disabled_reason")),
	    "2 consecutive failed delivery attempts; the last: HTTP 500"), "%s",
	    json_string_value(json_object_get(j, "disabled_reason")));
	cr_expect_eq(json_integer_value(json_object_get(j, "consecutive_failures")), 2);
	json_decref(j);
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'webhook.disabled' AND"
	    " subject_id = %lld AND data->>'reason' LIKE '2 consecutive%%'", hook), "1");
	/* The first delivery died (no more tries), the second was dropped unsent. */
	sql_wait("SELECT string_agg(state, ',' ORDER BY id) = 'dead,canceled' FROM jobs"
	    " WHERE kind = 'webhook'", 5);
	cr_expect_str_eq(sql("SELECT count(*) FROM events WHERE kind = 'job.failed'"), "0");
	/* A test ping to a disabled hook is refused; re-enabling resets the count. */
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/test", hook);
	cr_expect_eq(api(post, "POST", path, NULL, NULL), 409);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", hook);
	cr_assert_eq(api(post, "PATCH", path, "{\"enabled\":true}", &out), 200, "%s", out);
	j = json_loads(out, 0, NULL);
	free(out);
	cr_expect(json_is_true(json_object_get(j, "enabled")));
	cr_expect_eq(json_integer_value(json_object_get(j, "consecutive_failures")), 0);
	cr_expect(json_is_null(json_object_get(j, "disabled_reason")));
	json_decref(j);
	rx.always = 0;
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/test", hook);
	cr_expect_eq(api(post, "POST", path, NULL, NULL), 202);
	recv_wait(3, 10);
	cr_expect_str_eq(recv_header(2, "Setpost-Event"), "ping");
}

/* A job that dies after its last attempt is job.failed, delivered with its kind and error. */
Test(webhooks, job_failed)
{
	char secret[65];
	json_t *j;

	hook_create("[\"job.failed\"]", NULL, secret);
	sql("INSERT INTO jobs (kind, payload) VALUES ('doomed', '{\"clip_id\":7}')");
	recv_wait(1, 15);
	cr_expect(recv_signed(0, secret));
	j = recv_json(0);
	cr_expect_str_eq(json_string_value(json_object_get(j, "type")), "job.failed");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "subject"), "type")), "job");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "data"), "kind")), "doomed");
	cr_expect(strstr(json_string_value(json_object_get(json_object_get(j, "data"), "error")),
	    "doomed on purpose"), "%s", rx.req[0].body);
	json_decref(j);
}

/* post and admin manage webhooks, editor may not; bad input is 400 naming the field and
 * changes nothing. */
Test(webhooks, roles_and_validation)
{
	static const struct {
		const char *body, *field;
	} bad[] = {
		{ "{\"url\":\"ftp://x.example/h\",\"events\":[\"clip.secured\"]}", "url:" },
		{ "{\"url\":\"http://\",\"events\":[\"clip.secured\"]}", "url:" },
		{ "{\"url\":\"not a url\",\"events\":[\"clip.secured\"]}", "url:" },
		{ "{\"url\":\"https://u:p@x.example/h\",\"events\":[\"clip.secured\"]}", "url: " },
		{ "{\"url\":\"https://x.example/h\",\"events\":[]}", "events:" },
		{ "{\"url\":\"https://x.example/h\",\"events\":\"clip.secured\"}", "events:" },
		{ "{\"url\":\"https://x.example/h\",\"events\":[\"clip.secured\",\"clip.deleted\"]}",
		  "events[1]: unknown event 'clip.deleted'" },
		{ "{\"url\":\"https://x.example/h\",\"events\":[\"day.wrapped\",\"day.wrapped\"]}",
		  "events[1]:" },
		{ "{\"url\":\"https://x.example/h\",\"events\":[\"day.wrapped\"],\"production_id\":99}",
		  "production_id:" },
		{ "{\"url\":\"https://x.example/h\",\"events\":[\"day.wrapped\"],\"failure_limit\":0}",
		  "failure_limit" },
		{ "{\"url\":\"https://x.example/h\",\"events\":[\"day.wrapped\"],\"secret\":\"x\"}",
		  "secret" },
		{ "{\"events\":[\"day.wrapped\"]}", "url" },
	};
	char *out, secret[65], path[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(api(post, "POST", "/api/v1/webhooks", bad[i].body, &out), 400, "%s: %s",
		    bad[i].body, out);
		cr_expect(strstr(out, bad[i].field), "%s: %s", bad[i].body, out);
		free(out);
	}
	cr_expect_str_eq(sql("SELECT count(*) FROM webhooks"), "0");
	cr_expect_eq(api(editor, "POST", "/api/v1/webhooks",
	    "{\"url\":\"https://x.example/h\",\"events\":[\"day.wrapped\"]}", NULL), 403);
	cr_expect_eq(api(editor, "GET", "/api/v1/webhooks", NULL, NULL), 403);
	cr_expect_eq(api(admin, "POST", "/api/v1/webhooks",
	    "{\"url\":\"https://x.example/h\",\"events\":[\"day.wrapped\"]}", NULL), 201);

	long long hook = hook_create("[\"day.wrapped\"]", NULL, secret);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", hook);
	cr_expect_eq(api(editor, "GET", path, NULL, NULL), 403);
	cr_expect_eq(api(editor, "PATCH", path, "{\"enabled\":false}", NULL), 403);
	cr_expect_eq(api(editor, "DELETE", path, NULL, NULL), 403);
	cr_expect_eq(api(post, "PATCH", path, "{\"events\":[\"nope\"]}", &out), 400);
	cr_expect(strstr(out, "events[0]"), "%s", out);
	free(out);
	cr_expect_eq(api(post, "PATCH", path, "{\"url\":\"gopher://x\"}", &out), 400);
	cr_expect(strstr(out, "url:"), "%s", out);
	free(out);
	cr_expect_str_eq(sql("SELECT events::text || ' ' || url FROM webhooks WHERE id = %lld", hook),
	    sql("SELECT '{day.wrapped} http://127.0.0.1:%d/hook'", rx.port));
	cr_expect_eq(api(post, "PATCH", path, "{\"events\":[\"clip.secured\",\"job.failed\"],"
	    "\"description\":\"lab\"}", &out), 200);
	cr_expect(strstr(out, "\"job.failed\""), "%s", out);
	free(out);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/deliveries?limit=0", hook);
	cr_expect_eq(api(post, "GET", path, NULL, NULL), 400);
	cr_expect_eq(api(post, "GET", "/api/v1/webhooks/999999/deliveries", NULL, NULL), 404);
	cr_expect_eq(api(post, "GET", "/api/v1/webhooks/999999", NULL, NULL), 404);
	cr_expect_eq(api(post, "PATCH", "/api/v1/webhooks/999999", "{\"enabled\":true}", NULL), 404);
	cr_expect_eq(api(post, "POST", "/api/v1/webhooks/999999/test", NULL, NULL), 404);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld", hook);
	cr_expect_eq(api(post, "DELETE", path, NULL, NULL), 204);
	cr_expect_eq(api(post, "DELETE", path, NULL, NULL), 404);
	cr_expect_str_eq(sql("SELECT string_agg(kind, ',' ORDER BY id) FROM events WHERE subject_type"
	    " = 'webhook'"), "webhook.created,webhook.created,webhook.updated,webhook.deleted");
}

struct inserter {
	int first;
};

/* Ten day.wrapped events, each in its own transaction, on a connection of its own. */
static void *
insert_events(void *arg)
{
	struct inserter *in = arg;
	char q[256], out[64];

	for (int i = 0; i < 10; i++) {
		snprintf(q, sizeof(q), "INSERT INTO events (kind, subject_type, subject_id) SELECT"
		    " 'day.wrapped', 'day', id FROM days ORDER BY id OFFSET %d LIMIT 1", in->first + i);
		if (harness_sql(dbinfo, q, out, sizeof(out)) < 0)
			return out[0] ? strdup(out) : strdup("?");
	}
	return NULL;
}

static bool
all_webhook_jobs_done(void *arg)
{
	(void)arg;
	return strcmp(sql("SELECT count(*) FILTER (WHERE state <> 'done') || '/' || count(*) FROM jobs"
	    " WHERE kind = 'webhook'"), "0/40") == 0;
}

/* Events written by four writers at once while deliveries run: each delivered once, in the
 * order of the hook's chain (one at a time), none left waiting; a hook for another production
 * gets none of them. */
Test(webhooks, concurrent_writers_and_production_scope)
{
	char secret[65], body[256], *out;
	pthread_t t[4];
	struct inserter in[4];
	long long last = 0;

	hook_create("[\"day.wrapped\"]", NULL, secret);
	sql("INSERT INTO productions (name) VALUES ('Feature'), ('Commercial')");
	sql("INSERT INTO days (production_id, shoot_date) SELECT p.id, date '2026-03-01' + g"
	    " FROM productions p, generate_series(1, 40) g WHERE p.name = 'Feature'");
	snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.1:%d/scoped\",\"events\":"
	    "[\"day.wrapped\"],\"production_id\":%s}", rx.port,
	    sql("SELECT id FROM productions WHERE name = 'Commercial'"));
	cr_assert_eq(api(post, "POST", "/api/v1/webhooks", body, &out), 201, "%s", out);
	free(out);
	for (int i = 0; i < 4; i++) {
		in[i].first = i * 10;
		pthread_create(&t[i], NULL, insert_events, &in[i]);
	}
	for (int i = 0; i < 4; i++) {
		void *err;
		pthread_join(t[i], &err);
		cr_expect_null(err, "writer %d: %s", i, (char *)err);
		free(err);
	}
	recv_wait(40, 30);
	cr_assert(harness_wait_until(all_webhook_jobs_done, NULL, 10), "%s",
	    sql("SELECT string_agg(id || ':' || state || ':' || run_after, ' ') FROM jobs"
	    " WHERE kind = 'webhook' AND state <> 'done'"));
	for (int i = 0; i < 40; i++) {
		long long d = strtoll(recv_header(i, "Setpost-Delivery"), NULL, 10);
		cr_expect_gt(d, last, "request %d: delivery %lld after %lld", i, d, last);
		last = d;
		cr_expect(strstr(rx.req[i].head, "POST /hook "), "%.40s", rx.req[i].head);
	}
	cr_expect_str_eq(sql("SELECT count(DISTINCT event_id) || '/' || count(*) FROM webhook_deliveries"),
	    "40/40");
	/* Started one at a time: each delivery began after the one before it was logged. */
	cr_expect_str_eq(sql("SELECT count(*) FROM (SELECT j.started_at, lag(j.finished_at) OVER"
	    " (ORDER BY j.id) AS prev FROM jobs j WHERE kind = 'webhook') x WHERE started_at < prev"), "0");
}

/* The names a post house sees: delivery.verified (what the upload job records on a verified
 * receipt) and rendition.ready as themselves; other delivery states are not sent. */
Test(webhooks, event_names)
{
	char secret[65];
	json_t *j;

	hook_create("[\"rendition.ready\",\"delivery.verified\"]", NULL, secret);
	cr_assert_eq(api(admin, "POST", "/api/v1/offloads", OFFLOAD, NULL), 201);
	sql("INSERT INTO renditions (clip_id, profile, state, rel_path, xxh64) SELECT id, 'proxy',"
	    " 'done', 'a.mov', '0011223344556677' FROM clips");
	sql("INSERT INTO events (kind, subject_type, subject_id) SELECT 'rendition.ready',"
	    " 'rendition', id FROM renditions");
	sql("INSERT INTO targets (production_id, name, url, recipient) SELECT id, 'Lab',"
	    " 'https://lab.example/', 'age1abc' FROM productions");
	sql("INSERT INTO deliveries (target_id, rendition_id) SELECT t.id, r.id FROM targets t,"
	    " renditions r");
	sql("INSERT INTO events (kind, subject_type, subject_id) SELECT k, 'delivery', d.id FROM"
	    " deliveries d, unnest(ARRAY['delivery.uploading', 'delivery.uploaded',"
	    " 'delivery.verified', 'delivery.failed']) WITH ORDINALITY AS u(k, n) ORDER BY n");
	recv_wait(2, 15);
	usleep(300000);
	cr_expect_eq(recv_count(), 2);
	j = recv_json(0);
	cr_expect_str_eq(json_string_value(json_object_get(j, "type")), "rendition.ready");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "subject"), "type")),
	    "rendition");
	json_decref(j);
	j = recv_json(1);
	cr_expect_str_eq(json_string_value(json_object_get(j, "type")), "delivery.verified");
	cr_expect_str_eq(recv_header(1, "Setpost-Event"), "delivery.verified");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "subject"), "type")),
	    "delivery");
	json_decref(j);
}

/* Issue 14: the worker checks the address it connects to, whatever the server accepted: a hook
 * to 127.0.0.2 (allowed by the server here, not by the worker) is refused with setpost's own
 * reason, and nothing is sent. */
Test(webhooks, worker_refuses_an_address_its_policy_does_not_allow)
{
	char body[256], path[128], *out;
	json_t *j;
	long long id;

	snprintf(body, sizeof(body), "{\"url\":\"http://127.0.0.2:%d/hook\",\"events\":"
	    "[\"day.wrapped\"],\"failure_limit\":1}", rx.port);
	cr_assert_eq(api(post, "POST", "/api/v1/webhooks", body, &out), 201, "%s", out);
	j = json_loads(out, 0, NULL);
	free(out);
	id = json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	snprintf(path, sizeof(path), "/api/v1/webhooks/%lld/test", id);
	cr_assert_eq(api(post, "POST", path, NULL, NULL), 202);
	sql_wait("SELECT count(*) = 1 FROM webhook_deliveries", 10);
	cr_expect_str_eq(sql("SELECT coalesce(http_status, 0) || ' ' || error FROM webhook_deliveries"),
	    "0 127.0.0.2 is a loopback, private, link-local, multicast or reserved address; setpost "
	    "does not send there unless the operator allows it (--outbound-allow)");
	cr_expect_eq(recv_count(), 0);
}
