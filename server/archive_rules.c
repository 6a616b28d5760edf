/* archive_rules: what a production archives to LTO by itself when a day wraps
 * (GET/POST /api/v1/productions/{id}/archive-rules, DELETE /api/v1/archive-rules/{id}), and
 * the archive jobs a wrap queues (POST /api/v1/days/{id}/wrap, server/days.c). */
#include "http.h"
#include "lib/core/json.h"
#include "lib/custody/confine.h"
#include "lib/pipeline/kinds.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"
#include "lib/store/params.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARULE_JSON "json_build_object('id', ar.id, 'production_id', ar.production_id, 'what'," \
	" ar.what, 'tape', ar.tape, 'order', ar.order_by, 'wait_seconds', ar.wait_seconds," \
	" 'created_at', ar.created_at)"

static const struct db_stmt stmt_list = { "archive_rules_list",
	"SELECT json_build_object('items', coalesce(json_agg(" ARULE_JSON " ORDER BY ar.id)"
	" FILTER (WHERE ar.id IS NOT NULL), '[]'))::text FROM productions p"
	" LEFT JOIN archive_rules ar ON ar.production_id = p.id WHERE p.id = $1 GROUP BY p.id", 1 };

static const struct db_stmt stmt_add = { "archive_rules_add",
	"WITH ar AS (INSERT INTO archive_rules (production_id, what, tape, order_by, wait_seconds)"
	" SELECT p.id, $2, $3, $4, $5::double precision FROM productions p WHERE p.id = $1"
	" RETURNING *) SELECT " ARULE_JSON "::text, ar.id FROM ar", 5 };

static const struct db_stmt stmt_del = { "archive_rules_del",
	"DELETE FROM archive_rules WHERE id = $1", 1 };

/* The rules of the day's production that have something to archive that day. */
static const struct db_stmt stmt_due = { "archive_rules_due",
	"SELECT ar.id, ar.tape, ar.what, ar.order_by, ar.wait_seconds, d.production_id,"
	" d.shoot_date::text FROM days d JOIN archive_rules ar ON ar.production_id = d.production_id"
	" WHERE d.id = $1 AND EXISTS (SELECT 1 FROM cards k WHERE k.day_id = d.id AND"
	" (ar.what = 'all' OR k.kind = CASE ar.what WHEN 'originals' THEN 'camera' ELSE 'sound' END))"
	" ORDER BY ar.id", 1 };

enum MHD_Result
archive_rules_list(struct request *req)
{
	struct db_params q = { 0 };
	struct err err;
	PGresult *r;
	long long id;
	int n;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	db_param_ll(&q, id);
	if ((n = db_exec(req->srv->db, &stmt_list, q.v, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "production %lld not found", id);
	}
	return reply_first_column(req, 200, r);
}

/* The body, checked whole; replies 400 itself. */
static bool
arule_body(struct request *req, const char **what, const char **tape, const char **order,
    double *wait)
{
	struct err err;

	*what = "all";
	*order = "size";
	*wait = 86400;
	if (!request_field_ok(req, json_get_string(req->json, "tape", true, 4096, tape, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "what", false, 16, what, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "order", false, 8, order, &err), &err) ||
	    !request_field_ok(req, json_get_number(req->json, "wait_seconds", false, -1, 7 * 86400,
	    wait, &err), &err))
		return false;
	if ((*tape)[0] != '/' || (*tape)[1] == '\0')
		return reply_error(req, 400, "invalid", "tape: expected the absolute path where the "
		    "tape is mounted on the worker"), false;
	if (strcmp(*what, "all") && strcmp(*what, "originals") && strcmp(*what, "sound"))
		return reply_error(req, 400, "invalid", "what: expected \"all\" (camera originals and "
		    "sound), \"originals\" or \"sound\""), false;
	if (strcmp(*order, "size") && strcmp(*order, "name"))
		return reply_error(req, 400, "invalid", "order: expected size or name"), false;
	return true;
}

enum MHD_Result
archive_rules_create(struct request *req)
{
	static const char *const fields[] = { "what", "tape", "order", "wait_seconds", NULL };
	const char *what, *tape, *order;
	char wait_text[32];
	struct db_params q = { 0 };
	struct db_conn *c;
	struct err err;
	PGresult *r = NULL;
	long long id;
	double wait;
	int n;

	if (!request_param_id(req, 0, &id) || !request_json(req, fields) ||
	    !arule_body(req, &what, &tape, &order, &wait))
		return MHD_YES;
	snprintf(wait_text, sizeof(wait_text), "%.3f", wait);
	db_param_ll(&q, id);
	db_param_str(&q, what);
	db_param_str(&q, tape);
	db_param_str(&q, order);
	db_param_str(&q, wait_text);
	if ((n = db_acquire(req->srv->db, &c, &err)) < 0)
		return reply_err(req, &err);
	/* The tape's mount point is under a declared volume (judged on the text); the worker
	 * checks its real path again when it runs. */
	if ((n = confine_check(c, "tape", tape, &err)) >= 0)
		n = db_query(c, &stmt_add, q.v, &r, &err);
	db_release(req->srv->db, c);
	if (n < 0)
		return err.code == SP_ECONFLICT ? reply_error(req, 409, "conflict", "production %lld "
		    "has a rule archiving %s to %s already", id, what, tape) : reply_err(req, &err);
	if (n == 0) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "production %lld not found", id);
	}
	event_record_db(req->srv->db, req->who.name, "archive_rule.created", "archive_rule",
	    db_ll(r, 0, 1), req->json, NULL);
	return reply_first_column(req, 201, r);
}

enum MHD_Result
archive_rules_delete(struct request *req)
{
	return reply_deleted(req, &stmt_del, "archive rule", "archive_rule");
}

int
archive_rules_wrap(struct db_conn *c, long long day, const char *actor, json_t *jobs,
    struct err *err)
{
	struct db_params q = { 0 };
	PGresult *r;
	int n, rc = 0;

	db_param_ll(&q, day);
	if ((n = db_query(c, &stmt_due, q.v, &r, err)) < 0)
		return n;
	for (int i = 0; i < n && rc == 0; i++) {
		const char *what = PQgetvalue(r, i, 2);
		long long job;
		json_t *p = json_pack("{s:s,s:I,s:s,s:s,s:f,s:I}", "tape", PQgetvalue(r, i, 1),
		    "production_id", (json_int_t)db_ll(r, i, 5), "day", PQgetvalue(r, i, 6), "order",
		    PQgetvalue(r, i, 3), "wait_seconds", strtod(PQgetvalue(r, i, 4), NULL), "rule_id",
		    (json_int_t)db_ll(r, i, 0));
		if (strcmp(what, "all"))
			json_object_set_new(p, "kind", json_string(strcmp(what, "sound") ? "camera" :
			    "sound"));
		rc = jobq_enqueue(c, job_archive_spec.name, p, 0, job_archive_spec.max_attempts, &job,
		    err);
		if (rc == 0)
			rc = event_record(c, actor, "archive.started", "job", job, p, NULL, err);
		if (rc == 0)
			json_array_append_new(jobs, json_integer(job));
		json_decref(p);
	}
	PQclear(r);
	return rc;
}
