/* days: the list of shooting days, and wrapping one. Wrapping a day says the shoot of that day
 * is over (the post house's day.wrapped webhook) and queues the archive jobs of the
 * production's archive rules (server/archive_rules.c); it happens once, a second wrap is a
 * conflict. */
#include "http.h"
#include "lib/pipeline/pipeline.h"
#include "lib/store/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_wrap = { "days_wrap",
	"UPDATE days SET wrapped_at = now() WHERE id = $1 AND wrapped_at IS NULL"
	" RETURNING json_build_object('id', id, 'production_id', production_id, 'shoot_date',"
	" shoot_date, 'label', label, 'wrapped_at', wrapped_at)::text", 1 };
static const struct db_stmt stmt_day = { "days_wrapped_at",
	"SELECT wrapped_at FROM days WHERE id = $1", 1 };

struct days_wrap_arg {
	const char *id;
	const char *actor;
	PGresult *row;      /* the wrapped day, owned by the caller */
	json_t *jobs;       /* the archive jobs queued */
	int n;
};

static int
days_wrap_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct days_wrap_arg *a = arg;
	const char *p[1] = { a->id };
	json_t *data;
	int rc;

	PQclear(a->row);    /* db_tx may run this again after a deadlock */
	a->row = NULL;
	json_array_clear(a->jobs);
	if ((a->n = db_query(c, &stmt_wrap, p, &a->row, err)) <= 0)
		return a->n;
	data = json_loads(PQgetvalue(a->row, 0, 0), 0, NULL);
	rc = event_record(c, a->actor, "day.wrapped", "day", strtoll(a->id, NULL, 10), data, NULL,
	    err);
	json_decref(data);
	if (rc < 0)
		return rc;
	/* The day's report (lib/report/report_day.h), made on request, now covers the whole day. */
	char url[64];
	snprintf(url, sizeof(url), "/api/v1/days/%s/report", a->id);
	data = json_pack("{s:s,s:s}", "report", "day", "url", url);
	rc = event_record(c, a->actor, "report.ready", "day", strtoll(a->id, NULL, 10), data, NULL,
	    err);
	json_decref(data);
	/* A delivery rule of what 'reports' sends it to the post house with the dailies. */
	if (rc == 0 && (rc = pipeline_report_ready(c, "day", strtoll(a->id, NULL, 10), err)) > 0)
		rc = 0;
	if (rc < 0)
		return rc;
	return archive_rules_wrap(c, strtoll(a->id, NULL, 10), a->actor, a->jobs, err);
}

enum MHD_Result
days_wrap(struct request *req)
{
	struct days_wrap_arg a = { .id = req->params[0], .actor = req->who.name };
	json_t *day;
	const char *p[1] = { req->params[0] };
	enum MHD_Result res;
	struct err err;
	PGresult *r;
	long long id;
	int n;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if ((a.jobs = json_array()) == NULL)
		return reply_error(req, 500, "internal", "out of memory");
	if (db_tx(req->srv->db, days_wrap_tx, &a, &err) < 0) {
		PQclear(a.row);
		json_decref(a.jobs);
		return reply_err(req, &err);
	}
	if (a.n == 1 && (day = json_loads(PQgetvalue(a.row, 0, 0), 0, NULL)) != NULL) {
		json_object_set_new(day, "archive_jobs", a.jobs);
		res = reply_json(req, 200, day);
		json_decref(day);
		PQclear(a.row);
		return res;
	}
	json_decref(a.jobs);
	PQclear(a.row);
	if ((n = db_exec(req->srv->db, &stmt_day, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0)
		res = reply_error(req, 404, "not_found", "day %lld not found", id);
	else
		res = reply_error(req, 409, "conflict", "day %lld was already wrapped at %s", id,
		    PQgetvalue(r, 0, 0));
	PQclear(r);
	return res;
}

static const struct db_stmt stmt_days = { "library_days",
	LIST("SELECT d.id, d.production_id, d.shoot_date, d.label, d.wrapped_at, d.lut_id,"
	" (SELECT count(*) FROM cards k WHERE k.day_id = d.id) AS cards,"
	" (SELECT count(*) FROM clips c JOIN cards k ON k.id = c.card_id WHERE k.day_id = d.id) AS clips"
	" FROM days d WHERE ($1::bigint IS NULL OR d.production_id = $1)"
	" AND ($2::bigint = 0 OR d.production_id = $2)"
	" ORDER BY d.shoot_date DESC, d.id DESC"), 2 };

enum MHD_Result
days_list(struct request *req)
{
	char scope[24];
	const char *p[2] = { NULL, scope };

	if (!request_query_id(req, "production_id", &p[0]))
		return MHD_YES;
	request_scope_param(req, scope);
	return reply_items(req, &stmt_days, p);
}
