/*
 * The "webhook" job: delivers one event to one hook (payload {webhook_id, event_id, type}).
 *
 * The body is {id, type, created_at, subject, actor, data}, sent as application/json with
 *   Setpost-Event: <type>
 *   Setpost-Delivery: <job id>          the same for every attempt of one delivery
 *   Setpost-Attempt: <n>
 *   Setpost-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">
 * keyed with the hook's secret (the 64-character text shown when it was created). Any 2xx
 * answer within WEBHOOK_TIMEOUT_S is success; anything else fails this attempt, and the queue
 * retries it with its backoff. Every attempt is logged in webhook_deliveries. A hook whose
 * consecutive failed attempts reach its failure_limit is disabled, saying why, with an event
 * webhook.disabled; its waiting deliveries are dropped.
 *
 * Jobs of one hook run one at a time in event order: the database releases the next only when
 * this one ends (migrations/0007_webhooks.sql).
 */
#include "kinds.h"
#include "lib/core/clock.h"
#include "lib/core/config.h"
#include "lib/core/outbound.h"
#include "lib/store/event.h"
#include "lib/delivery/sealed.h"
#include "lib/core/version.h"
#include "lib/store/params.h"

#include <curl/curl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEBHOOK_TIMEOUT_S 10L


static const struct db_stmt stmt_hook = { "webhook_hook",
	"SELECT url, encode(secret_sealed, 'hex'), enabled FROM webhooks WHERE id = $1", 1 };
static const struct db_stmt stmt_event = { "webhook_event",
	"SELECT to_json(at)#>>'{}', actor, subject_type, subject_id, data::text FROM events"
	" WHERE id = $1", 1 };
static const struct db_stmt stmt_log = { "webhook_log",
	"INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, job_id, attempt,"
	" http_status, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8 };
static const struct db_stmt stmt_lock = { "webhook_lock",
	"SELECT enabled, consecutive_failures, failure_limit FROM webhooks WHERE id = $1"
	" FOR NO KEY UPDATE", 1 };
static const struct db_stmt stmt_ok = { "webhook_ok",
	"UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0", 1 };
static const struct db_stmt stmt_failed = { "webhook_failed",
	"UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1", 1 };
static const struct db_stmt stmt_disable = { "webhook_disable",
	"UPDATE webhooks SET enabled = false, disabled_reason = $2, updated_at = now()"
	" WHERE id = $1", 2 };
static const struct db_stmt stmt_drop = { "webhook_drop",
	"UPDATE jobs SET state = 'canceled', finished_at = now(), last_error = 'webhook disabled'"
	" WHERE kind = 'webhook' AND state = 'queued' AND (payload->>'webhook_id')::bigint = $1", 1 };

struct webhook_attempt {
	struct job *job;
	long long hook, event;
	const char *type;
	long status;                 /* 0: no answer */
	char error[600];             /* "" on success */
	long duration_ms;
	bool disabled;               /* this attempt disabled the hook */
};

/* The receiver's answer is read and dropped: only its status is kept. */
static size_t
webhook_on_answer(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

/* hex HMAC-SHA-256 of "<ts>.<body>" keyed with the secret's text. */
static void
webhook_sign(const char *secret, const char *ts, const char *body, char hex[65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

/* The hook's secret, opened with the server key in DATA/keys (free with sealed_free). */
static int
webhook_secret(struct job *job, const char *sealed_hex, char **secret, size_t *len,
    struct err *err)
{
	const struct config *cfg = job->ctx;
	char keydir[PATH_MAX + 8];
	uint8_t key[SEALED_KEY_LEN], *blob, *pt;
	size_t hexlen = strlen(sealed_hex), blen;
	int rc;

	*secret = NULL;
	snprintf(keydir, sizeof(keydir), "%s/keys", cfg->data_dir);
	if ((rc = sealed_key_load(keydir, key, err)) < 0)
		return rc;
	if ((blob = malloc(hexlen / 2 + 1)) == NULL) {
		sodium_memzero(key, sizeof(key));
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	sodium_hex2bin(blob, hexlen / 2 + 1, sealed_hex, hexlen, NULL, &blen, NULL);
	rc = sealed_open(key, blob, blen, &pt, len, err);
	sodium_memzero(key, sizeof(key));
	free(blob);
	if (rc < 0)
		return err_set(err, rc, "webhook secret: %s (is DATA/keys/server.key the server's?)",
		    err->msg);
	/* The text needs its NUL: copy into a buffer one byte longer. */
	*secret = malloc(*len + 1);
	if (*secret) {
		memcpy(*secret, pt, *len);
		(*secret)[*len] = '\0';
	}
	sealed_free(pt, *len);
	return *secret ? 0 : err_set(err, SP_ENOMEM, "out of memory");
}

/* The body: {id, type, created_at, subject, actor, data} as compact JSON (malloc'ed). */
static int
webhook_body(struct webhook_attempt *a, char **body, struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	json_t *data, *subject, *j;
	int n;

	*body = NULL;
	db_param_ll(&q, a->event);
	if ((n = db_exec(a->job->db, &stmt_event, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return 0;
	}
	data = json_loads(PQgetvalue(r, 0, 4), 0, NULL);
	subject = db_val(r, 0, 2) ? json_pack("{s:s,s:I}", "type", PQgetvalue(r, 0, 2), "id",
	    (json_int_t)db_ll(r, 0, 3)) : json_null();
	/* "kind", as the API's events call it; "type" is the same, kept for hooks written before
	 * (deprecated, to be dropped in a later release). */
	j = json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:o}", "id", (json_int_t)a->event, "kind", a->type,
	    "type", a->type, "created_at", PQgetvalue(r, 0, 0), "subject", subject, "actor",
	    PQgetvalue(r, 0, 1), "data", data ? data : json_object());
	PQclear(r);
	if (j)
		*body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return *body ? 1 : err_set(err, SP_ENOMEM, "webhook: body not serialisable");
}

static const char *
webhook_reason(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST: return "the name does not resolve";
	case CURLE_COULDNT_CONNECT: return "could not connect";
	case CURLE_OPERATION_TIMEDOUT: return "no answer in time";
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CACERT_BADFILE:
		return "TLS failed (certificate or handshake)";
	case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING:
		return "the connection broke";
	case CURLE_WEIRD_SERVER_REPLY: return "not an HTTP answer";
	default: return "the request failed";
	}
}

static void
webhook_post(struct webhook_attempt *a, const struct config *cfg, const char *url,
    const char *secret, const char *body)
{
	struct outbound_policy policy;
	struct curl_slist *pin = NULL;
	struct err err;
	char ts[24], sig[65], h_sig[128], h_event[96], h_delivery[64], h_attempt[48];
	struct curl_slist *hl = NULL;
	double t0;
	CURL *c = curl_easy_init();
	CURLcode rc;

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	webhook_sign(secret, ts, body, sig);
	snprintf(h_sig, sizeof(h_sig), "Setpost-Signature: t=%s,v1=%s", ts, sig);
	snprintf(h_event, sizeof(h_event), "Setpost-Event: %s", a->type);
	snprintf(h_delivery, sizeof(h_delivery), "Setpost-Delivery: %lld", a->job->id);
	snprintf(h_attempt, sizeof(h_attempt), "Setpost-Attempt: %d", a->job->attempt);
	if (c == NULL) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		return;
	}
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "User-Agent: setpost-webhook/" SETPOST_VERSION);
	hl = curl_slist_append(hl, "Expect:");
	hl = curl_slist_append(hl, h_event);
	hl = curl_slist_append(hl, h_delivery);
	hl = curl_slist_append(hl, h_attempt);
	hl = curl_slist_append(hl, h_sig);
	/* Resolved once, checked against the outbound policy, pinned: a hook is no way to reach
	 * the cart's own network. */
	if (outbound_policy_parse(&policy, cfg->outbound_allow, &err) < 0 ||
	    outbound_curl(c, &policy, url, &pin, &err) < 0) {
		snprintf(a->error, sizeof(a->error), "%s", err.msg);
		curl_slist_free_all(hl);
		curl_easy_cleanup(c);
		return;
	}
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, webhook_on_answer);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, WEBHOOK_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	t0 = clock_now();
	rc = curl_easy_perform(c);
	a->duration_ms = (long)((clock_now() - t0) * 1000);
	if (a->duration_ms < 0)
		a->duration_ms = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	/* The log says what setpost saw in its own words, never what the far side wrote back:
	 * whoever reads the deliveries must not be reading another machine through them. */
	if (rc != CURLE_OK) {
		a->status = 0;
		snprintf(a->error, sizeof(a->error), "%s", webhook_reason(rc));
	} else if (a->status < 200 || a->status > 299) {
		snprintf(a->error, sizeof(a->error), "HTTP %ld from the receiver", a->status);
	}
	curl_slist_free_all(pin);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

/* Logs the attempt and keeps the hook's failure count; disables it at its failure_limit. */
static int
webhook_record_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct webhook_attempt *a = arg;
	struct db_params p = { 0 };
	char reason[800];
	PGresult *r;
	int rc, failures, limit;
	bool enabled;

	a->disabled = false;
	db_param_ll(&p, a->hook);
	db_param_ll(&p, a->event);
	db_param_str(&p, a->type);
	db_param_ll(&p, a->job->id);
	db_param_ll(&p, a->job->attempt);
	db_param_ll_if(&p, a->status != 0, a->status);
	db_param_str(&p, a->error[0] ? a->error : NULL);
	db_param_ll(&p, a->duration_ms);
	if ((rc = db_query(c, &stmt_lock, p.v, &r, err)) <= 0) {
		if (rc == 0)
			PQclear(r);   /* deleted meanwhile: nothing to log against */
		return rc;
	}
	enabled = db_bool(r, 0, 0);
	failures = (int)db_ll(r, 0, 1) + 1;
	limit = (int)db_ll(r, 0, 2);
	PQclear(r);
	if ((rc = db_query(c, &stmt_log, p.v, NULL, err)) < 0)
		return rc;
	if (a->error[0] == '\0')
		return db_query(c, &stmt_ok, p.v, NULL, err) < 0 ? -1 : 0;
	if ((rc = db_query(c, &stmt_failed, p.v, NULL, err)) < 0)
		return rc;
	if (!enabled || failures < limit)
		return 0;
	snprintf(reason, sizeof(reason), "%d consecutive failed delivery attempts; the last: %s", failures,
	    a->error);
	const char *q[2] = { p.v[0], reason };
	json_t *data = json_pack("{s:s,s:i,s:s}", "reason", reason, "consecutive_failures",
	    failures, "last_error", a->error);
	if ((rc = db_query(c, &stmt_disable, q, NULL, err)) >= 0 &&
	    (rc = db_query(c, &stmt_drop, q, NULL, err)) >= 0)
		rc = event_record(c, a->job->worker, "webhook.disabled", "webhook", a->hook, data, NULL,
		    err);
	json_decref(data);
	a->disabled = rc == 0;
	return rc < 0 ? rc : 0;
}

int
job_webhook_run(struct job *job, struct err *err)
{
	struct webhook_attempt a = { .job = job };
	char *body = NULL, *secret = NULL, url[2048];
	struct db_params q = { 0 };
	size_t slen = 0;
	PGresult *r;
	int rc, n;

	a.hook = (long long)json_integer_value(json_object_get(job->payload, "webhook_id"));
	a.event = (long long)json_integer_value(json_object_get(job->payload, "event_id"));
	a.type = json_string_value(json_object_get(job->payload, "type"));
	if (a.hook <= 0 || a.event <= 0 || a.type == NULL) {
		job->permanent = true;
		return err_set(err, SP_EINVAL, "payload: expected webhook_id, event_id and type");
	}
	db_param_ll(&q, a.hook);
	if ((n = db_exec(job->db, &stmt_hook, q.v, &r, err)) < 0)
		return n;
	if (n == 0 || !db_bool(r, 0, 2)) {
		job->result = json_pack("{s:s}", "skipped", n == 0 ? "webhook deleted" : "webhook disabled");
		PQclear(r);
		return 0;
	}
	snprintf(url, sizeof(url), "%s", PQgetvalue(r, 0, 0));
	rc = webhook_secret(job, PQgetvalue(r, 0, 1), &secret, &slen, err);
	PQclear(r);
	if (rc < 0)
		return rc;
	if ((rc = webhook_body(&a, &body, err)) <= 0) {
		sealed_free((uint8_t *)secret, slen);
		if (rc == 0)
			job->result = json_pack("{s:s}", "skipped", "event no longer exists");
		return rc;
	}
	webhook_post(&a, job->ctx, url, secret, body);
	sealed_free((uint8_t *)secret, slen);
	free(body);
	if ((rc = db_tx(job->db, webhook_record_tx, &a, err)) < 0)
		return rc;
	if (a.error[0] == '\0') {
		job->result = json_pack("{s:i,s:i}", "http_status", (int)a.status, "duration_ms",
		    (int)a.duration_ms);
		return 0;
	}
	job->permanent = a.disabled;
	return err_set(err, SP_EUNAVAIL, "webhook %lld: %s%s", a.hook, a.error,
	    a.disabled ? " (webhook disabled)" : "");
}
