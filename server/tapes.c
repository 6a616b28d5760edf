/* tapes: the LTO catalogue (GET /api/v1/tapes, ?find= for "which tape holds clip X", and
 * GET /api/v1/tapes/catalogue.csv, GET /api/v1/tapes/{id}/catalogue.mhl) and archive jobs (POST /api/v1/archive-jobs). */
#include "http.h"
#include "lib/archive/catalogue.h"
#include "lib/core/json.h"
#include "lib/custody/confine.h"
#include "lib/pipeline/kinds.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"

#include <stdio.h>
#include <string.h>

enum MHD_Result
tapes_list(struct request *req)
{
	const char *find = request_query(req, "find");
	struct err err;
	json_t *items, *body;
	enum MHD_Result r;

	if (find && strlen(find) > 200)
		return reply_error(req, 400, "invalid", "find: at most 200 characters");
	if (catalogue_tapes(req->srv->db, find, &items, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:o}", "items", items);
	r = reply_json(req, 200, body);
	json_decref(body);
	return r;
}

enum MHD_Result
tapes_csv(struct request *req)
{
	struct buf out = BUF_INIT(0);
	struct err err;
	enum MHD_Result r;

	if (catalogue_csv(req->srv->db, &out, &err) < 0) {
		buf_release(&out);
		return reply_err(req, &err);
	}
	r = reply_text(req, 200, "text/csv; charset=utf-8", out.data ? out.data : "", out.len);
	buf_release(&out);
	return r;
}

/* GET /api/v1/tapes/{id}/catalogue.mhl: the tape's files as an ASC MHL manifest. */
enum MHD_Result
tapes_mhl(struct request *req)
{
	struct buf out = BUF_INIT(0);
	char name[256], disposition[320];
	struct err err;
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if (catalogue_mhl(req->srv->db, id, NULL, req->srv->cfg->data_dir, &out, name, sizeof(name),
	    &err) < 0) {
		buf_release(&out);
		return reply_err(req, &err);
	}
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", name);
	return reply_download(req, "application/xml", disposition, out.data, out.len, true, NULL,
	    NULL);
}

static const struct db_stmt stmt_production = { "archive_jobs_production",
	"SELECT id FROM productions WHERE $1::text IS NULL OR name = $1 ORDER BY id LIMIT 2", 1 };

/* Checks the body whole; fills the payload the worker reads (archive job). */
static bool
archive_jobs_payload(struct request *req, json_t *payload)
{
	const char *s;
	json_t *cards = json_object_get(req->json, "cards"), *c;
	double wait = 86400;
	struct err err;
	size_t i;

	if (!request_field_ok(req, json_get_string(req->json, "tape", true, 4096, &s, &err), &err))
		return false;
	if (s[0] != '/')
		return reply_error(req, 400, "invalid", "tape: expected the absolute path where the "
		    "tape is mounted on the worker"), false;
	json_object_set_new(payload, "tape", json_string(s));
	if (!request_field_ok(req, json_get_string(req->json, "day", false, 10, &s, &err), &err))
		return false;
	if (json_object_get(req->json, "day")) {
		if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
			return reply_error(req, 400, "invalid", "day: expected YYYY-MM-DD"), false;
		json_object_set_new(payload, "day", json_string(s));
	}
	if (!request_field_ok(req, json_get_string(req->json, "order", false, 8, &s, &err), &err))
		return false;
	if (json_object_get(req->json, "order")) {
		if (strcmp(s, "size") && strcmp(s, "name"))
			return reply_error(req, 400, "invalid", "order: expected size or name"), false;
		json_object_set_new(payload, "order", json_string(s));
	}
	if (!request_field_ok(req, json_get_number(req->json, "wait_seconds", false, -1, 7 * 86400,
	    &wait, &err), &err))
		return false;
	json_object_set_new(payload, "wait_seconds", json_real(wait));
	if (cards && (!json_is_array(cards) || json_array_size(cards) > 64))
		return reply_error(req, 400, "invalid", "cards: expected at most 64 card labels"), false;
	json_array_foreach(cards, i, c)
		if (!json_is_string(c) || strlen(json_string_value(c)) < 1 ||
		    strlen(json_string_value(c)) > 64 || strpbrk(json_string_value(c), "\"\\{},"))
			return reply_error(req, 400, "invalid", "cards[%zu]: expected a card label", i),
			    false;
	if (cards)
		json_object_set(payload, "cards", cards);
	return true;
}

/* POST /api/v1/archive-jobs: archive cards to the LTO tape mounted at `tape` on a worker's
 * host. The job's progress_text says "insert the next tape" when one fills. */
enum MHD_Result
archive_jobs_create(struct request *req)
{
	static const char *const fields[] = { "tape", "production", "day", "cards", "order",
		"wait_seconds", NULL };
	json_t *payload = json_object(), *body;
	const char *prod = NULL;
	struct db_conn *c;
	struct err err;
	PGresult *r;
	long long id;
	int rc;

	if (!request_json(req, fields) || !archive_jobs_payload(req, payload) ||
	    !request_field_ok(req, json_get_string(req->json, "production", false, 200, &prod,
	    &err), &err)) {
		json_decref(payload);
		return MHD_YES;
	}
	if ((rc = db_acquire(req->srv->db, &c, &err)) < 0) {
		json_decref(payload);
		return reply_err(req, &err);
	}
	const char *p[1] = { prod };
	if ((rc = db_query(c, &stmt_production, p, &r, &err)) >= 0) {
		if (rc != 1)
			rc = err_set(&err, rc == 0 ? SP_ENOTFOUND : SP_EINVAL, rc == 0 ?
			    "production: not found" : "production: several productions, name one");
		else
			json_object_set_new(payload, "production_id", json_integer(db_ll(r, 0, 0)));
		PQclear(r);
	}
	/* The tape's mount point is under a declared volume (judged on the text); the worker
	 * checks its real path again. */
	if (rc >= 0)
		rc = confine_check(c, "tape", json_string_value(json_object_get(payload, "tape")), &err);
	if (rc >= 0)
		rc = jobq_enqueue(c, job_archive_spec.name, payload, 0, job_archive_spec.max_attempts,
		    &id, &err);
	if (rc >= 0)
		rc = event_record(c, req->who.name, "archive.started", "job", id, payload, NULL, &err);
	db_release(req->srv->db, c);
	json_decref(payload);
	if (rc < 0)
		return reply_err(req, &err);
	body = json_pack("{s:I,s:s}", "job_id", (json_int_t)id, "state", "queued");
	enum MHD_Result res = reply_json(req, 201, body);
	json_decref(body);
	return res;
}
