/* jobs: the job queue as seen through the API: list (filtered by state and kind) and one job
 * with its progress and last error. */
#include "http.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Times as ISO 8601 (what JSON's to_json gives), like every other resource. Only admins read
 * host paths (a card's source, destinations, errors naming files): for everyone else the
 * texts go through setpost_redact_paths (migration 0062) when the parameter `all` is false. */
#define JOB_ISO(c) "to_json(" c ")#>>'{}'"
#define JOB_R(all, c) "CASE WHEN " all "::bool THEN " c " ELSE setpost_redact_paths(" c ") END"
#define JOB_COLUMNS(all) "id, kind, state, priority, " JOB_R(all, "payload::text") ", " \
	JOB_R(all, "result::text") ", attempts, max_attempts, " JOB_ISO("run_after") ", " \
	JOB_ISO("lease_until") ", worker, progress, " JOB_R(all, "progress_text") ", " \
	"cancel_requested, " JOB_R(all, "last_error") ", " JOB_ISO("created_at") ", " \
	JOB_ISO("started_at") ", " JOB_ISO("finished_at")

/* $6: the production the caller is confined to (0: all; server/scope.c). */
static const struct db_stmt stmt_list = { "jobs_list",
	"SELECT " JOB_COLUMNS("$5") " FROM jobs"
	" WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR kind = $2)"
	"  AND ($3::bigint IS NULL OR id < $3)"
	"  AND ($6::bigint = 0 OR setpost_job_production(payload) = $6)"
	" ORDER BY id DESC LIMIT $4", 6 };

static const struct db_stmt stmt_get = { "jobs_get",
	"SELECT " JOB_COLUMNS("$2") " FROM jobs WHERE id = $1", 2 };

static json_t *
jobs_json_text(const PGresult *r, int row, int col)
{
	const char *v = db_val(r, row, col);

	return v ? json_string(v) : json_null();
}

static json_t *
jobs_json_raw(const PGresult *r, int row, int col)
{
	const char *v = db_val(r, row, col);
	json_t *j = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;

	return j ? j : json_null();
}

static json_t *
jobs_row(const PGresult *r, int i)
{
	return json_pack("{s:I,s:s,s:s,s:i,s:o,s:o,s:i,s:i,s:o,s:o,s:o,s:f,s:s,s:b,s:o,s:o,s:o,s:o}",
	    "id", (json_int_t)db_ll(r, i, 0), "kind", PQgetvalue(r, i, 1),
	    "state", PQgetvalue(r, i, 2), "priority", (int)db_ll(r, i, 3),
	    "payload", jobs_json_raw(r, i, 4), "result", jobs_json_raw(r, i, 5),
	    "attempts", (int)db_ll(r, i, 6), "max_attempts", (int)db_ll(r, i, 7),
	    "run_after", jobs_json_text(r, i, 8), "lease_until", jobs_json_text(r, i, 9),
	    "worker", jobs_json_text(r, i, 10), "progress", atof(PQgetvalue(r, i, 11)),
	    "progress_text", PQgetvalue(r, i, 12), "cancel_requested", db_bool(r, i, 13),
	    "last_error", jobs_json_text(r, i, 14), "created_at", jobs_json_text(r, i, 15),
	    "started_at", jobs_json_text(r, i, 16), "finished_at", jobs_json_text(r, i, 17));
}

static bool
jobs_valid_state(const char *s)
{
	static const char *const states[] = { "queued", "running", "done", "dead", "canceled" };

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

/* Reads ?limit= (1..500, default 50) and ?before= (an id); replies 400 itself on bad input. */
static bool
jobs_paging(struct request *req, char *limit, char *before, size_t len)
{
	const char *l = request_query(req, "limit"), *b = request_query(req, "before");
	char *end;
	long v;

	snprintf(limit, len, "50");
	before[0] = '\0';
	if (l) {
		v = strtol(l, &end, 10);
		if (*l == '\0' || *end || v < 1 || v > 500) {
			reply_error(req, 400, "invalid", "limit: expected a whole number from 1 to 500");
			return false;
		}
		snprintf(limit, len, "%ld", v);
	}
	if (b) {
		long long id;
		errno = 0;
		id = strtoll(b, &end, 10);
		if (*b == '\0' || *end || id <= 0 || errno == ERANGE) {
			reply_error(req, 400, "invalid", "before: expected a job id");
			return false;
		}
		snprintf(before, len, "%lld", id);
	}
	return true;
}

enum MHD_Result
jobs_list(struct request *req)
{
	const char *state = request_query(req, "state"), *kind = request_query(req, "kind");
	char limit[24], before[24], scope[24];
	const char *p[6];
	struct err err;
	json_t *items, *body;
	enum MHD_Result res;
	PGresult *r;
	int n;

	if (state && !jobs_valid_state(state))
		return reply_error(req, 400, "invalid", "state: expected queued, running, done, dead "
		    "or canceled");
	if (!jobs_paging(req, limit, before, sizeof(limit)))
		return MHD_YES;
	p[0] = state;
	p[1] = kind;
	p[2] = before[0] ? before : NULL;
	p[3] = limit;
	p[4] = req->who.role == ROLE_ADMIN ? "true" : "false";
	request_scope_param(req, scope);
	p[5] = scope;
	if ((n = db_exec(req->srv->db, &stmt_list, p, &r, &err)) < 0)
		return reply_err(req, &err);
	items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, jobs_row(r, i));
	body = json_pack("{s:o}", "items", items);
	if (n == (int)strtol(limit, NULL, 10))
		json_object_set_new(body, "next_before", json_integer(db_ll(r, n - 1, 0)));
	PQclear(r);
	res = reply_json(req, 200, body);
	json_decref(body);
	return res;
}

enum MHD_Result
jobs_get(struct request *req)
{
	long long id;
	json_t *body;
	enum MHD_Result res;
	PGresult *r;

	if (!request_rows_by_id2(req, &stmt_get, req->who.role == ROLE_ADMIN ? "true" : "false",
	    "job", &id, &r))
		return MHD_YES;
	body = jobs_row(r, 0);
	PQclear(r);
	res = reply_json(req, 200, body);
	json_decref(body);
	return res;
}

static enum MHD_Result
jobs_act(struct request *req, int (*act)(struct db *, long long, struct err *),
    const char *kind)
{
	struct err err;
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if (act(req->srv->db, id, &err) < 0)
		return reply_err(req, &err);
	event_record_db(req->srv->db, req->who.name, kind, "job", id, NULL, NULL);
	return jobs_get(req);
}

enum MHD_Result
jobs_cancel(struct request *req)
{
	return jobs_act(req, jobq_cancel, "job.cancel_requested");
}

enum MHD_Result
jobs_retry(struct request *req)
{
	return jobs_act(req, jobq_retry, "job.retried");
}
