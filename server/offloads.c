/* offloads and cards: POST /api/v1/offloads registers an offload (lib/register); a card
 * answers whether it is safe to format, and why not. */
#include "http.h"
#include "lib/pipeline/clipstate.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"
#include "lib/core/json.h"
#include "lib/custody/register.h"
#include "lib/custody/confine.h"

#include <limits.h>

#include <stdio.h>
#include <stdlib.h>

enum MHD_Result
offloads_register(struct request *req)
{
	struct err err;
	json_t *doc, *result;
	enum MHD_Result r;

	if (json_parse_object(req->body.data, req->body.len, &doc, &err) < 0)
		return reply_err(req, &err);
	req->json = doc;
	if (register_offload(req->srv->db, doc, req->who.name, &result, &err) < 0)
		return reply_err(req, &err);
	r = reply_json(req, 201, result);
	json_decref(result);
	return r;
}

static const struct db_stmt stmt_cards = { "cards_list",
	"SELECT coalesce(json_agg(x ORDER BY x.shoot_date DESC, x.label), '[]')::text FROM ("
	" SELECT k.id, k.label, k.camera, k.kind, k.vendor, k.reel, d.shoot_date, d.id AS day_id,"
	"  (SELECT count(*) FROM clips c WHERE c.card_id = k.id) AS clips,"
	"  (SELECT count(*) FROM files f WHERE f.card_id = k.id) AS files,"
	"  (SELECT coalesce(sum(size), 0) FROM files f WHERE f.card_id = k.id) AS bytes,"
	"  v.safe AS safe_to_format, v.why_not"
	" FROM cards k JOIN days d ON d.id = k.day_id, setpost_card_verdict(k.id) v"
	" WHERE ($1::bigint IS NULL OR k.day_id = $1)) x", 1 };

static const struct db_stmt stmt_card = { "cards_get",
	"SELECT json_build_object('id', k.id, 'label', k.label, 'camera', k.camera, 'kind', k.kind,"
	" 'vendor', k.vendor, 'reel', k.reel, 'day_id', d.id, 'shoot_date', d.shoot_date,"
	" 'required_copies', p.required_copies, 'production', p.name,"
	" 'files', (SELECT count(*) FROM files f WHERE f.card_id = k.id),"
	" 'bytes', (SELECT coalesce(sum(size), 0) FROM files f WHERE f.card_id = k.id),"
	" 'clips', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'name', c.name,"
	"   'state', c.state, 'state_reason', c.state_reason) ORDER BY c.name), '[]')"
	"   FROM clips c WHERE c.card_id = k.id))::text"
	" FROM cards k JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	" WHERE k.id = $1", 1 };

enum MHD_Result
cards_list(struct request *req)
{
	const char *day = request_query(req, "day_id");
	const char *p[1] = { day };
	struct err err;
	json_t *items, *body;
	enum MHD_Result r;
	PGresult *res;
	char *end;

	if (day && (strtoll(day, &end, 10) <= 0 || *end))
		return reply_error(req, 400, "invalid", "day_id: expected a day id");
	if (db_exec(req->srv->db, &stmt_cards, p, &res, &err) < 0)
		return reply_err(req, &err);
	items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	body = json_pack("{s:o}", "items", items ? items : json_array());
	r = reply_json(req, 200, body);
	json_decref(body);
	return r;
}

struct cards_get_arg {
	long long id;
	json_t *card;
};

static int
cards_get_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct cards_get_arg *a = arg;
	char sid[24];
	const char *p[1] = { sid };
	json_t *why;
	PGresult *r;
	bool safe;
	int rc;

	snprintf(sid, sizeof(sid), "%lld", a->id);
	if ((rc = db_query(c, &stmt_card, p, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "card %lld not found", a->id);
	}
	a->card = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	if ((rc = clipstate_card_safe(c, a->id, &safe, &why, err)) < 0)
		return rc;
	json_object_set_new(a->card, "safe_to_format", json_boolean(safe));
	json_object_set_new(a->card, "why_not", why);
	return 0;
}

enum MHD_Result
cards_get(struct request *req)
{
	struct cards_get_arg a = { 0, NULL };
	struct err err;
	enum MHD_Result r;

	if (!request_param_id(req, 0, &a.id))
		return MHD_YES;
	/* One snapshot: the verdict and the clip states are read at the same instant. */
	if (db_tx(req->srv->db, cards_get_tx, &a, &err) < 0) {
		json_decref(a.card);
		return reply_err(req, &err);
	}
	r = reply_json(req, 200, a.card);
	json_decref(a.card);
	return r;
}

static int
offload_jobs_confined(struct request *req, struct db_conn *c, struct err *err)
{
	json_t *d;
	size_t i;
	char data[PATH_MAX], what[48];
	bool have_data = realpath(req->srv->cfg->data_dir, data) != NULL;
	const char *src = json_string_value(json_object_get(req->json, "source"));
	int rc;

	if ((rc = confine_check(c, "source", src, err)) < 0)
		return rc;
	if (have_data && (confine_inside(src, data) || confine_inside(data, src)))
		return err_set(err, SP_EINVAL, "source: setpost's data folder is never a source");
	json_array_foreach(json_object_get(req->json, "destinations"), i, d) {
		snprintf(what, sizeof(what), "destinations[%zu]", i);
		if ((rc = confine_check(c, what, json_string_value(d), err)) < 0)
			return rc;
		if (have_data && (confine_inside(json_string_value(d), data) ||
		    confine_inside(data, json_string_value(d))))
			return err_set(err, SP_EINVAL, "%s: setpost's data folder is never a "
			    "destination", what);
	}
	return 0;
}

/* POST /api/v1/offload-jobs: the DIT starts an offload from the dashboard; a worker on the host
 * that sees the card runs it and registers the result. Paths are the worker's. */
enum MHD_Result
offload_jobs_create(struct request *req)
{
	static const char *const fields[] = { "source", "destinations", "card", "hash", "production",
		"day", "camera", "priority", NULL };
	json_t *dsts, *d;
	struct db_conn *c;
	struct err err;
	const char *s;
	long long id, prio = 10;
	size_t i;
	int rc;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "source", true, 4096, &s, &err), &err) ||
	    !request_field_ok(req, json_get_int(req->json, "priority", false, -100, 100, &prio, &err), &err))
		return MHD_YES;
	if (s[0] != '/')
		return reply_error(req, 400, "invalid", "source: expected an absolute path on the worker");
	dsts = json_object_get(req->json, "destinations");
	if (!json_is_array(dsts) || json_array_size(dsts) < 1 || json_array_size(dsts) > 16)
		return reply_error(req, 400, "invalid", "destinations: expected 1 to 16 absolute paths");
	json_array_foreach(dsts, i, d)
		if (!json_is_string(d) || json_string_value(d)[0] != '/')
			return reply_error(req, 400, "invalid", "destinations[%zu]: expected an absolute path", i);
	static const char *const opt[] = { "card", "hash", "production", "day", "camera", NULL };
	for (int k = 0; opt[k]; k++)
		if (!request_field_ok(req, json_get_string(req->json, opt[k], false, 200, &s, &err), &err))
			return MHD_YES;
	json_object_del(req->json, "priority");
	if ((rc = db_acquire(req->srv->db, &c, &err)) < 0)
		return reply_err(req, &err);
	/* Source and destinations: under declared volumes, never the data folder (judged on the
	 * text: the answer reveals nothing of the host's files); the worker checks again. */
	rc = offload_jobs_confined(req, c, &err);
	if (rc == 0)
		rc = jobq_enqueue(c, "offload", req->json, (int)prio, 1, &id, &err);
	if (rc == 0)
		rc = event_record(c, req->who.name, "offload.started", "job", id, req->json, NULL, &err);
	db_release(req->srv->db, c);
	if (rc < 0)
		return reply_err(req, &err);
	json_t *body = json_pack("{s:I,s:s}", "job_id", (json_int_t)id, "state", "queued");
	enum MHD_Result r = reply_json(req, 201, body);
	json_decref(body);
	return r;
}
