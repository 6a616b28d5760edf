/* webhooks: the post house's subscriptions (URL + events), their signing secret (shown once,
 * kept sealed), the per-hook delivery log and a test ping. Delivery itself is the "webhook"
 * job (workers/job_webhook.c); which events become deliveries is decided in the database
 * (migrations/0007_webhooks.sql), in the transaction that records the event. */
#include "http.h"
#include "lib/store/event.h"
#include "lib/core/json.h"
#include "lib/delivery/sealed.h"

#include "lib/core/outbound.h"
#include "lib/store/params.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBHOOK_SECRET_BYTES 32

static const char *const webhook_event_names[] = { "clip.secured", "rendition.ready",
	"delivery.verified", "day.wrapped", "job.failed", "copy.failed", "card.unsafe",
	"arrival.verified", "report.ready", NULL };

#define HOOK_JSON \
	"json_build_object('id', w.id, 'production_id', w.production_id, 'url', w.url," \
	" 'description', w.description, 'events', w.events, 'enabled', w.enabled," \
	" 'disabled_reason', w.disabled_reason, 'failure_limit', w.failure_limit," \
	" 'consecutive_failures', w.consecutive_failures, 'created_by', w.created_by," \
	" 'created_at', w.created_at, 'updated_at', w.updated_at," \
	" 'last_delivery', (SELECT json_build_object('sent_at', d.sent_at, 'event_type', d.event_type," \
	"  'http_status', d.http_status, 'error', d.error) FROM webhook_deliveries d" \
	"  WHERE d.webhook_id = w.id ORDER BY d.id DESC LIMIT 1))"

static const struct db_stmt stmt_add = { "webhooks_add",
	"WITH w AS (INSERT INTO webhooks (production_id, url, description, events, secret_sealed,"
	" failure_limit, created_by, created_by_user_id, created_by_token_id)"
	" SELECT $1::bigint, $2, coalesce($3, ''), $4::text[], decode($5, 'hex'),"
	"  coalesce($6::int, 10), $7, $8::bigint, $9::bigint"
	" WHERE $1::bigint IS NULL OR EXISTS (SELECT 1 FROM productions WHERE id = $1::bigint)"
	" RETURNING *) SELECT w.id, " HOOK_JSON "::text FROM w", 9 };
static const struct db_stmt stmt_list = { "webhooks_list",
	"SELECT json_build_object('items', coalesce(json_agg(" HOOK_JSON " ORDER BY w.id), '[]'))::text"
	" FROM webhooks w", 0 };
/* Issue 14: a post or editor token's hooks are the ones it (or its user) made, in its
 * production when it has one; admins reach every hook. */
#define HOOK_MINE \
	" ($1::bigint = 0 OR w.production_id = $1) AND (w.created_by_token_id = $2" \
	" OR w.created_by_user_id = $3)"
static const struct db_stmt stmt_list_mine = { "webhooks_list_mine",
	"SELECT json_build_object('items', coalesce(json_agg(" HOOK_JSON " ORDER BY w.id), '[]'))::text"
	" FROM webhooks w WHERE" HOOK_MINE, 3 };
static const struct db_stmt stmt_mine = { "webhooks_mine",
	"SELECT 1 FROM webhooks w WHERE" HOOK_MINE " AND w.id = $4", 4 };
static const struct db_stmt stmt_get = { "webhooks_get",
	"SELECT " HOOK_JSON "::text FROM webhooks w WHERE w.id = $1", 1 };
/* Re-enabling clears the failure count and the reason; disabling by hand says who did it. */
static const struct db_stmt stmt_patch = { "webhooks_patch",
	"UPDATE webhooks SET url = coalesce($2, url), events = coalesce($3::text[], events),"
	" description = coalesce($4, description), failure_limit = coalesce($5::int, failure_limit),"
	" consecutive_failures = CASE WHEN $6::bool AND NOT enabled THEN 0 ELSE consecutive_failures END,"
	" disabled_reason = CASE WHEN $6::bool THEN NULL WHEN $6::bool = false AND enabled"
	"  THEN 'disabled by ' || $7 ELSE disabled_reason END,"
	" enabled = coalesce($6::bool, enabled), updated_at = now() WHERE id = $1 RETURNING enabled", 7 };
/* A disabled or deleted hook's waiting deliveries are dropped (a running one finishes). */
static const struct db_stmt stmt_cancel_jobs = { "webhooks_cancel_jobs",
	"UPDATE jobs SET state = 'canceled', finished_at = now(), last_error = $2"
	" WHERE kind = 'webhook' AND state = 'queued' AND (payload->>'webhook_id')::bigint = $1", 2 };
static const struct db_stmt stmt_del = { "webhooks_del",
	"DELETE FROM webhooks WHERE id = $1", 1 };
static const struct db_stmt stmt_deliveries = { "webhooks_deliveries",
	"SELECT coalesce(json_agg(json_build_object('id', d.id, 'event_id', d.event_id,"
	" 'event_type', d.event_type, 'job_id', d.job_id, 'attempt', d.attempt,"
	" 'http_status', d.http_status, 'error', d.error, 'duration_ms', d.duration_ms,"
	" 'sent_at', d.sent_at) ORDER BY d.id DESC), '[]')::text, count(*), min(d.id)"
	" FROM (SELECT * FROM webhook_deliveries WHERE webhook_id = $1"
	"  AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3) d", 3 };
static const struct db_stmt stmt_exists = { "webhooks_exists",
	"SELECT enabled FROM webhooks WHERE id = $1", 1 };
static const struct db_stmt stmt_ping = { "webhooks_ping",
	"SELECT setpost_webhook_enqueue($1, $2, 'ping')", 2 };

/* An http(s) URL with a host, as libcurl will read it, whose host (when written as an
 * address, in any spelling) the outbound policy allows: no SSRF through a hook. */
static int
webhooks_check_url(const struct config *cfg, const char *url, struct err *err)
{
	struct outbound_policy policy;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	int rc = 0;

	if (u == NULL)
		return err_set(err, SP_ENOMEM, "out of memory");
	if (strpbrk(url, " \t\r\n") || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		rc = err_set(err, SP_EINVAL, "url: expected an http:// or https:// address with a host");
	else if (strcmp(scheme, "http") && strcmp(scheme, "https"))
		rc = err_set(err, SP_EINVAL, "url: expected an http:// or https:// address, not %s://",
		    scheme);
	else if (strncmp(url, scheme, strlen(scheme)) || strncmp(url + strlen(scheme), "://", 3))
		rc = err_set(err, SP_EINVAL, "url: expected an http:// or https:// address");
	/* It would be shown in every listing; the signature is what proves the sender. */
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		rc = err_set(err, SP_EINVAL, "url: no user or password in the address (the signature "
		    "authenticates setpost)");
	curl_free(user);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	if (rc == 0 && (rc = outbound_policy_parse(&policy, cfg->outbound_allow, err)) == 0)
		rc = outbound_check_url(&policy, url, err);
	return rc;
}

/* events[] as a PostgreSQL text[] literal of known names, each once. */
static int
webhooks_events(json_t *events, struct buf *out, struct err *err)
{
	size_t i, n = json_array_size(events);
	json_t *v;

	if (!json_is_array(events) || n == 0)
		return err_set(err, SP_EINVAL, "events: expected a non-empty array of event names");
	buf_append(out, "{", 1);
	json_array_foreach(events, i, v) {
		const char *name = json_string_value(v);
		const char *const *k = webhook_event_names;
		while (name && *k && strcmp(*k, name))
			k++;
		if (name == NULL || *k == NULL)
			return err_set(err, SP_EINVAL, "events[%zu]: unknown event%s%.60s%s; expected "
			    "clip.secured, rendition.ready, delivery.verified, day.wrapped, job.failed, "
			    "copy.failed or card.unsafe", i,
			    name ? " '" : "", name ? name : "", name ? "'" : "");
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(events, j)), name) == 0)
				return err_set(err, SP_EINVAL, "events[%zu]: %s is listed twice", i, name);
		if (i)
			buf_append(out, ",", 1);
		buf_append(out, name, strlen(name));
	}
	if (buf_append(out, "}", 1) < 0)
		return err_set(err, SP_ENOMEM, "out of memory");
	return 0;
}

/* A new secret: 32 random bytes as 64 hex characters (the HMAC key is that text), and the
 * same sealed under the server key, as hex for decode(). Both are malloc'ed: the caller wipes
 * and frees them. */
static int
webhooks_new_secret(struct request *req, char **secret, char **sealed_hex, struct err *err)
{
	uint8_t raw[WEBHOOK_SECRET_BYTES], key[SEALED_KEY_LEN], *blob;
	char keydir[PATH_MAX + 8];
	size_t blen;
	int rc;

	*secret = *sealed_hex = NULL;
	snprintf(keydir, sizeof(keydir), "%s/keys", req->srv->cfg->data_dir);
	if ((rc = sealed_key_load(keydir, key, err)) < 0)
		return rc;
	randombytes_buf(raw, sizeof(raw));
	*secret = malloc(sizeof(raw) * 2 + 1);
	if (*secret == NULL) {
		sodium_memzero(key, sizeof(key));
		return err_set(err, SP_ENOMEM, "out of memory");
	}
	sodium_bin2hex(*secret, sizeof(raw) * 2 + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	rc = sealed_seal(key, (const uint8_t *)*secret, strlen(*secret), &blob, &blen, err);
	sodium_memzero(key, sizeof(key));
	if (rc < 0)
		return rc;
	*sealed_hex = malloc(blen * 2 + 1);
	if (*sealed_hex)
		sodium_bin2hex(*sealed_hex, blen * 2 + 1, blob, blen);
	free(blob);
	return *sealed_hex ? 0 : err_set(err, SP_ENOMEM, "out of memory");
}

static void
webhooks_free_secret(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

enum MHD_Result
webhooks_create(struct request *req)
{
	static const char *const fields[] = { "url", "events", "description", "production_id",
		"failure_limit", NULL };
	const char *url, *desc = NULL;
	char *secret = NULL, *sealed = NULL;
	struct db_params q = { 0 };
	long long prod = 0, limit = 0;
	struct buf events;
	struct err err;
	PGresult *r = NULL;
	enum MHD_Result res;
	int rp, rl, rc;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "url", true, 2000, &url, &err), &err) ||
	    !request_field_ok(req, webhooks_check_url(req->srv->cfg, url, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "description", false, 500, &desc, &err), &err) ||
	    !request_field_ok(req, rp = json_get_int(req->json, "production_id", false, 1, INT64_MAX, &prod, &err), &err) ||
	    !request_field_ok(req, rl = json_get_int(req->json, "failure_limit", false, 1, 100, &limit, &err), &err))
		return MHD_YES;
	/* A token for one production makes hooks for that production only. */
	if (req->who.role != ROLE_ADMIN && req->who.production_id) {
		if (rp == 0 && prod != req->who.production_id)
			return reply_error(req, 403, "forbidden", "production_id: this token serves "
			    "production %lld only", req->who.production_id);
		prod = req->who.production_id;
		rp = 0;
	}
	buf_init(&events, 4096);
	if ((rc = webhooks_events(json_object_get(req->json, "events"), &events, &err)) < 0 ||
	    (rc = webhooks_new_secret(req, &secret, &sealed, &err)) < 0)
		goto out;
	db_param_ll_if(&q, rp == 0, prod);
	db_param_str(&q, url);
	db_param_str(&q, desc);
	db_param_str(&q, events.data);
	db_param_str(&q, sealed);
	db_param_ll_if(&q, rl == 0, limit);
	db_param_str(&q, req->who.name);
	db_param_ll_if(&q, req->who.user_id != 0, req->who.user_id);
	db_param_ll_if(&q, req->who.token_id != 0, req->who.token_id);
	if ((rc = db_exec(req->srv->db, &stmt_add, q.v, &r, &err)) == 0) {
		PQclear(r);
		rc = err_set(&err, SP_EINVAL, "production_id: no production %lld", prod);
	}
out:
	buf_release(&events);
	webhooks_free_secret(sealed);
	if (rc < 0) {
		webhooks_free_secret(secret);
		return reply_err(req, &err);
	}
	event_record_db(req->srv->db, req->who.name, "webhook.created", "webhook", db_ll(r, 0, 0),
	    req->json, NULL);
	/* The only time the secret leaves the server. */
	json_t *body = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
	PQclear(r);
	if (body == NULL) {
		webhooks_free_secret(secret);
		return reply_error(req, 500, "internal", "webhook: unreadable row");
	}
	json_object_set_new(body, "secret", json_string(secret));
	webhooks_free_secret(secret);
	res = reply_json(req, 201, body);
	json_decref(body);
	return res;
}

static enum MHD_Result
webhooks_reply_text(struct request *req, const struct db_stmt *st, const char *const *p,
    const char *what)
{
	struct err err;
	PGresult *r;
	int n;

	if ((n = db_exec(req->srv->db, st, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "%s %s not found", what, p ? p[0] : "");
	}
	return reply_first_column(req, 200, r);
}

/* The caller's production, token and user: what a hook of its own is recorded with. */
static void
webhooks_scope(const struct request *req, struct db_params *q)
{
	db_param_ll(q, req->who.production_id);
	db_param_ll(q, req->who.token_id);
	db_param_ll(q, req->who.user_id);
}

/* The id in the path, of a hook this caller may reach; otherwise it replied (400 or 404: a
 * hook someone else made is not there for this caller). */
static bool
webhooks_reach(struct request *req, long long *id)
{
	struct db_params q = { 0 };
	struct err err;
	int n;

	if (!request_param_id(req, 0, id))
		return false;
	if (req->who.role == ROLE_ADMIN)
		return true;
	webhooks_scope(req, &q);
	db_param_str(&q, req->params[0]);
	if ((n = db_exec(req->srv->db, &stmt_mine, q.v, NULL, &err)) < 0)
		return reply_err(req, &err), false;
	if (n == 0)
		return reply_error(req, 404, "not_found", "webhook %lld not found", *id), false;
	return true;
}

enum MHD_Result
webhooks_list(struct request *req)
{
	struct db_params q = { 0 };

	if (req->who.role == ROLE_ADMIN)
		return webhooks_reply_text(req, &stmt_list, NULL, "webhooks");
	webhooks_scope(req, &q);
	return webhooks_reply_text(req, &stmt_list_mine, q.v, "webhooks");
}

enum MHD_Result
webhooks_get(struct request *req)
{
	const char *p[1] = { req->params[0] };
	long long id;

	if (!webhooks_reach(req, &id))
		return MHD_YES;
	return webhooks_reply_text(req, &stmt_get, p, "webhook");
}

struct webhooks_patch_arg {
	const char *p[7];
	const char *actor;
	json_t *changes;
	int found;
	bool enabled;
};

static int
webhooks_patch_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct webhooks_patch_arg *a = arg;
	const char *q[2] = { a->p[0], "webhook disabled" };
	PGresult *r;
	int rc;

	if ((rc = db_query(c, &stmt_patch, a->p, &r, err)) < 0)
		return rc;
	if ((a->found = rc) == 0) {
		PQclear(r);
		return 0;
	}
	a->enabled = db_bool(r, 0, 0);
	PQclear(r);
	if (!a->enabled && (rc = db_query(c, &stmt_cancel_jobs, q, NULL, err)) < 0)
		return rc;
	return event_record(c, a->actor, "webhook.updated", "webhook", strtoll(a->p[0], NULL, 10),
	    a->changes, NULL, err);
}

enum MHD_Result
webhooks_patch(struct request *req)
{
	static const char *const fields[] = { "url", "events", "enabled", "description",
		"failure_limit", NULL };
	struct webhooks_patch_arg a = { .actor = req->who.name };
	const char *url = NULL, *desc = NULL;
	struct db_params q = { 0 };
	long long id, limit = 0;
	bool enabled = false;
	struct buf events;
	struct err err;
	int re, rl, rc = 0;

	if (!webhooks_reach(req, &id) || !request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "url", false, 2000, &url, &err), &err) ||
	    (url && !request_field_ok(req, webhooks_check_url(req->srv->cfg, url, &err), &err)) ||
	    !request_field_ok(req, json_get_string(req->json, "description", false, 500, &desc, &err), &err) ||
	    !request_field_ok(req, re = json_get_bool(req->json, "enabled", false, &enabled, &err), &err) ||
	    !request_field_ok(req, rl = json_get_int(req->json, "failure_limit", false, 1, 100, &limit, &err), &err))
		return MHD_YES;
	buf_init(&events, 4096);
	if (json_object_get(req->json, "events"))
		rc = webhooks_events(json_object_get(req->json, "events"), &events, &err);
	db_param_str(&q, req->params[0]);
	db_param_str(&q, url);
	db_param_str(&q, events.len ? events.data : NULL);
	db_param_str(&q, desc);
	db_param_ll_if(&q, rl == 0, limit);
	db_param_str(&q, re == 0 ? (enabled ? "true" : "false") : NULL);
	db_param_str(&q, req->who.name);
	for (int i = 0; i < 7; i++)
		a.p[i] = q.v[i];
	a.changes = req->json;
	if (rc == 0)
		rc = db_tx(req->srv->db, webhooks_patch_tx, &a, &err);
	buf_release(&events);
	if (rc < 0)
		return reply_err(req, &err);
	if (a.found == 0)
		return reply_error(req, 404, "not_found", "webhook %lld not found", id);
	return webhooks_get(req);
}

static int
webhooks_delete_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct webhooks_patch_arg *a = arg;
	const char *q[2] = { a->p[0], "webhook deleted" };
	int rc;

	if ((rc = db_query(c, &stmt_cancel_jobs, q, NULL, err)) < 0)
		return rc;
	if ((rc = db_query(c, &stmt_del, a->p, NULL, err)) <= 0)
		return a->found = rc;
	a->found = 1;
	return event_record(c, a->actor, "webhook.deleted", "webhook", strtoll(a->p[0], NULL, 10),
	    NULL, NULL, err);
}

enum MHD_Result
webhooks_delete(struct request *req)
{
	struct webhooks_patch_arg a = { .actor = req->who.name, .p = { req->params[0] } };
	struct err err;
	long long id;

	if (!webhooks_reach(req, &id))
		return MHD_YES;
	if (db_tx(req->srv->db, webhooks_delete_tx, &a, &err) < 0)
		return reply_err(req, &err);
	if (a.found == 0)
		return reply_error(req, 404, "not_found", "webhook %lld not found", id);
	return reply_text(req, 204, "application/json", "", 0);
}

/* ?limit= (1..500, default 50) and ?before= (a delivery id), newest first. */
enum MHD_Result
webhooks_deliveries(struct request *req)
{
	const char *l = request_query(req, "limit"), *b = request_query(req, "before");
	const char *e[1] = { req->params[0] };
	struct db_params p = { 0 };
	long long limit = 50, before = 0;
	struct err err;
	PGresult *r;
	json_t *items, *body;
	enum MHD_Result res;
	long long id, v;
	char *end;
	int n;

	if (!webhooks_reach(req, &id))
		return MHD_YES;
	if (l) {
		errno = 0;
		v = strtoll(l, &end, 10);
		if (*l == '\0' || *end || v < 1 || v > 500)
			return reply_error(req, 400, "invalid", "limit: expected a whole number from 1 to 500");
		limit = v;
	}
	if (b) {
		errno = 0;
		v = strtoll(b, &end, 10);
		if (*b == '\0' || *end || v <= 0 || errno == ERANGE)
			return reply_error(req, 400, "invalid", "before: expected a delivery id");
		before = v;
	}
	db_param_str(&p, req->params[0]);
	db_param_ll_if(&p, before > 0, before);
	db_param_ll(&p, limit);
	if ((n = db_exec(req->srv->db, &stmt_exists, e, NULL, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0)
		return reply_error(req, 404, "not_found", "webhook %lld not found", id);
	if (db_exec(req->srv->db, &stmt_deliveries, p.v, &r, &err) < 0)
		return reply_err(req, &err);
	items = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	body = json_pack("{s:o}", "items", items ? items : json_array());
	if (db_ll(r, 0, 1) == limit)
		json_object_set_new(body, "next_before", json_integer(db_ll(r, 0, 2)));
	PQclear(r);
	res = reply_json(req, 200, body);
	json_decref(body);
	return res;
}

struct webhooks_ping_arg {
	const char *id;
	const char *actor;
	long long event, job;
};

static int
webhooks_ping_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct webhooks_ping_arg *a = arg;
	struct db_params q = { 0 };
	PGresult *r;
	int rc;

	if ((rc = event_record(c, a->actor, "webhook.ping", "webhook", strtoll(a->id, NULL, 10),
	    NULL, &a->event, err)) < 0)
		return rc;
	db_param_str(&q, a->id);
	db_param_ll(&q, a->event);
	if ((rc = db_query(c, &stmt_ping, q.v, &r, err)) < 0)
		return rc;
	a->job = db_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

/* Queues a "ping" delivery (after any the hook is already waiting to send). */
enum MHD_Result
webhooks_test(struct request *req)
{
	struct webhooks_ping_arg a = { .id = req->params[0], .actor = req->who.name };
	struct err err;
	PGresult *r;
	long long id;
	bool enabled;

	if (!webhooks_reach(req, &id) ||
	    !request_rows_by_id(req, &stmt_exists, "webhook", &id, &r))
		return MHD_YES;
	enabled = db_bool(r, 0, 0);
	PQclear(r);
	if (!enabled)
		return reply_error(req, 409, "conflict", "webhook %lld is disabled: enable it first "
		    "(PATCH {\"enabled\": true})", id);
	if (db_tx(req->srv->db, webhooks_ping_tx, &a, &err) < 0)
		return reply_err(req, &err);
	json_t *body = json_pack("{s:I,s:I,s:s}", "event_id", (json_int_t)a.event, "job_id",
	    (json_int_t)a.job, "state", "queued");
	enum MHD_Result res = reply_json(req, 202, body);
	json_decref(body);
	return res;
}
