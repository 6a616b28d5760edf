/* delivery_rules: /api/v1/delivery-rules, what a production sends to which target by itself
 * (lib/pipeline queues each rendition or file a rule asks for the moment it is ready; a rule
 * of what "reports" sends each offload report and day report as it is made), and
 * POST /api/v1/days/{id}/send, "send this day (or these clips) now". */
#include "http.h"
#include "lib/core/json.h"
#include "lib/pipeline/pipeline.h"
#include "lib/store/event.h"
#include "lib/store/params.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_JSON "json_build_object('id', ru.id, 'production_id', ru.production_id, 'target_id'," \
	" ru.target_id, 'target', t.name, 'what', ru.what, 'profiles', to_json(ru.profiles), 'enabled'," \
	" ru.enabled, 'created_at', ru.created_at)"

static const struct db_stmt stmt_list = { "rules_list",
	"SELECT json_build_object('items', coalesce(json_agg(" RULE_JSON " ORDER BY ru.id), '[]'))::text"
	" FROM delivery_rules ru JOIN targets t ON t.id = ru.target_id"
	" WHERE ($1::bigint IS NULL OR ru.production_id = $1)", 1 };

/* The target must belong to the rule's production. */
static const struct db_stmt stmt_add = { "rules_add",
	"WITH ru AS (INSERT INTO delivery_rules (production_id, target_id, what, profiles)"
	" SELECT t.production_id, t.id, $2, $3::text[] FROM targets t WHERE t.id = $1"
	" AND t.production_id = $4 RETURNING *)"
	" SELECT " RULE_JSON "::text, ru.id FROM ru JOIN targets t ON t.id = ru.target_id", 4 };

static const struct db_stmt stmt_del = { "rules_del",
	"DELETE FROM delivery_rules WHERE id = $1", 1 };

static const struct db_stmt stmt_day = { "rules_day",
	"SELECT id FROM days WHERE id = $1", 1 };

enum MHD_Result
delivery_rules_list(struct request *req)
{
	const char *pid = request_query(req, "production_id"), *p[1] = { pid };
	struct err err;
	PGresult *r;
	char *end;

	if (pid && (strtoll(pid, &end, 10) < 1 || *end))
		return reply_error(req, 400, "invalid", "production_id: expected a positive integer");
	if (db_exec(req->srv->db, &stmt_list, p, &r, &err) < 0)
		return reply_err(req, &err);
	return reply_first_column(req, 200, r);
}

/* profiles as a PostgreSQL text[] literal ("{}" when absent); replies 400 itself. */
static bool
rules_profiles(struct request *req, const char *what, char *out, size_t len)
{
	json_t *v, *a = json_object_get(req->json, "profiles");
	size_t i, off = 0;

	snprintf(out, len, "{}");
	if (a == NULL)
		return true;
	if (strcmp(what, "proxies") != 0) {
		reply_error(req, 400, "invalid", "profiles: only for what \"proxies\"");
		return false;
	}
	if (!json_is_array(a) || json_array_size(a) > 16) {
		reply_error(req, 400, "invalid", "profiles: expected at most 16 profile names");
		return false;
	}
	off += (size_t)snprintf(out, len, "{");
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL || *s == '\0' || strlen(s) > 64 || strspn(s,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(s)) {
			reply_error(req, 400, "invalid", "profiles[%zu]: expected a profile name", i);
			return false;
		}
		off += (size_t)snprintf(out + off, len - off, "%s\"%s\"", i ? "," : "", s);
	}
	snprintf(out + off, len - off, "}");
	return true;
}

enum MHD_Result
delivery_rules_create(struct request *req)
{
	static const char *const fields[] = { "production_id", "target_id", "what", "profiles",
		NULL };
	char profiles[16 * 70 + 8];
	const char *what;
	struct db_params q = { 0 };
	long long prod, target;
	struct err err;
	PGresult *r;
	int n;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_int(req->json, "production_id", true, 1, INT64_MAX, &prod, &err), &err) ||
	    !request_field_ok(req, json_get_int(req->json, "target_id", true, 1, INT64_MAX, &target, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "what", true, 20, &what, &err), &err))
		return MHD_YES;
	if (strcmp(what, "proxies") && strcmp(what, "originals") && strcmp(what, "sound") &&
	    strcmp(what, "reports"))
		return reply_error(req, 400, "invalid", "what: expected \"proxies\", \"originals\","
		    " \"sound\" or \"reports\"");
	if (!rules_profiles(req, what, profiles, sizeof(profiles)))
		return MHD_YES;
	db_param_ll(&q, target);
	db_param_str(&q, what);
	db_param_str(&q, profiles);
	db_param_ll(&q, prod);
	if ((n = db_exec(req->srv->db, &stmt_add, q.v, &r, &err)) < 0)
		return err.code == SP_ECONFLICT ? reply_error(req, 409, "conflict", "target %lld has a"
		    " rule for %s already", target, what) : reply_err(req, &err);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "target %lld of production %lld not found",
		    target, prod);
	}
	event_record_db(req->srv->db, req->who.name, "delivery_rule.created", "delivery_rule",
	    db_ll(r, 0, 1), req->json, NULL);
	return reply_first_column(req, 201, r);
}

enum MHD_Result
delivery_rules_delete(struct request *req)
{
	return reply_deleted(req, &stmt_del, "delivery rule", "delivery_rule");
}

struct send_arg {
	long long day;
	long long *clips;
	size_t n;
	int looked, queued;
	const char *actor;
};

static int
days_send_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct send_arg *a = arg;
	json_t *data;
	struct db_params q = { 0 };
	int rc;

	db_param_ll(&q, a->day);
	if ((rc = db_query(c, &stmt_day, q.v, NULL, err)) <= 0)
		return rc < 0 ? rc : err_set(err, SP_ENOTFOUND, "day %lld not found", a->day);
	if ((rc = pipeline_send_day(c, a->day, a->clips, a->n, &a->looked, err)) < 0)
		return rc;
	a->queued = rc;
	data = json_pack("{s:i,s:i}", "clips", a->looked, "queued", a->queued);
	rc = event_record(c, a->actor, "day.sent", "day", a->day, data, NULL, err);
	json_decref(data);
	return rc;
}

enum MHD_Result
days_send(struct request *req)
{
	static const char *const fields[] = { "clip_ids", NULL };
	struct send_arg a = { .actor = req->who.name };
	json_t *ids, *v, *body;
	struct err err;
	enum MHD_Result res;
	size_t i;

	if (!request_param_id(req, 0, &a.day))
		return MHD_YES;
	/* No body: the whole day. */
	if (req->body.len > 0 && !request_json(req, fields))
		return MHD_YES;
	ids = req->json ? json_object_get(req->json, "clip_ids") : NULL;
	if (ids && (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 10000))
		return reply_error(req, 400, "invalid", "clip_ids: expected 1 to 10000 clip ids");
	if (ids && (a.clips = calloc(json_array_size(ids), sizeof(long long))) == NULL)
		return reply_error(req, 500, "internal", "out of memory");
	json_array_foreach(ids, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			free(a.clips);
			return reply_error(req, 400, "invalid", "clip_ids[%zu]: expected a clip id", i);
		}
		a.clips[a.n++] = json_integer_value(v);
	}
	if (db_tx(req->srv->db, days_send_tx, &a, &err) < 0) {
		free(a.clips);
		return reply_err(req, &err);
	}
	free(a.clips);
	body = json_pack("{s:I,s:i,s:i}", "day_id", (json_int_t)a.day, "clips", a.looked, "queued",
	    a.queued);
	res = reply_json(req, 200, body);
	json_decref(body);
	return res;
}
