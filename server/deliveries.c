/* deliveries: one file or rendition sent to one target by an upload job; the list with
 * progress, and queuing a new one. */
#include "http.h"
#include "lib/store/event.h"
#include "lib/pipeline/pipeline.h"
#include "lib/pipeline/qchold.h"
#include "lib/core/json.h"
#include "lib/store/params.h"

#include <stdint.h>
#include <stdio.h>

static const struct db_stmt stmt_deliveries = { "library_deliveries",
	LIST("SELECT dl.id, dl.target_id, t.name AS target, dl.rendition_id, dl.file_id, dl.state,"
	" dl.bytes_sent, dl.bytes_total, dl.rate, dl.eta_seconds, dl.error, dl.receipt, dl.created_at, dl.updated_at,"
	" dl.rule_id, p.settings->>'unit' AS unit"
	" FROM deliveries dl JOIN targets t ON t.id = dl.target_id"
	" JOIN productions p ON p.id = t.production_id"
	" WHERE ($1::text IS NULL OR dl.state = $1) AND ($2::bigint = 0 OR t.production_id = $2)"
	" ORDER BY dl.id DESC LIMIT 500"), 2 };

enum MHD_Result
deliveries_list(struct request *req)
{
	struct db_params q = { 0 };

	/* A token for one production sees that production's deliveries only (issue 14). */
	db_param_str(&q, request_query(req, "state"));
	db_param_ll(&q, req->who.production_id);
	return reply_items(req, &stmt_deliveries, q.v);
}

static const struct db_stmt stmt_delivery_add = { "library_delivery_add",
	"WITH d AS (INSERT INTO deliveries (target_id, rendition_id, file_id) VALUES ($1, $2, $3)"
	" RETURNING id) SELECT d.id, coalesce((SELECT c.circled FROM clips c WHERE c.id ="
	" coalesce((SELECT clip_id FROM renditions WHERE id = $2), (SELECT clip_id FROM files"
	" WHERE id = $3))), false), coalesce((SELECT k.kind = 'sound' FROM files f JOIN cards k"
	" ON k.id = f.card_id WHERE f.id = $3), false) FROM d", 3 };

static const struct db_stmt stmt_delivery_clip = { "library_delivery_clip",
	"SELECT coalesce((SELECT clip_id FROM renditions WHERE id = $1::bigint),"
	" (SELECT clip_id FROM files WHERE id = $2::bigint))", 2 };

/* A clip on QC hold is not delivered while its production's hold blocks delivery. */
static int
deliveries_hold_check(struct db_conn *c, const char *const *p, struct err *err)
{
	char why[1400];
	PGresult *r;
	long long clip;
	bool blocked = false;
	int rc;

	if ((rc = db_query(c, &stmt_delivery_clip, p + 1, &r, err)) < 0)
		return rc;
	clip = db_ll(r, 0, 0);
	PQclear(r);
	if (clip > 0 && (rc = qchold_blocks(c, clip, QC_BLOCKS_DELIVERY, &blocked, why, sizeof(why),
	    err)) < 0)
		return rc;
	return blocked ? err_set(err, SP_ECONFLICT, "%s", why) : 0;
}

struct deliveries_arg {
	const char *p[3];
	const char *actor;
	long long id;
};

/* Circled proxies first, then other proxies, then sound, then camera originals. */
static int
deliveries_create_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct deliveries_arg *a = arg;
	PGresult *r;
	enum pipeline_class cls;
	long long job;
	int rc;

	if ((rc = deliveries_hold_check(c, a->p, err)) < 0 ||
	    (rc = db_query(c, &stmt_delivery_add, a->p, &r, err)) < 0)
		return rc;
	a->id = db_ll(r, 0, 0);
	if (a->p[1])
		cls = db_bool(r, 0, 1) ? PIPELINE_CIRCLED_PROXY : PIPELINE_PROXY;
	else
		cls = db_bool(r, 0, 2) ? PIPELINE_SOUND : PIPELINE_ORIGINAL;
	PQclear(r);
	rc = pipeline_deliver(c, a->id, cls, &job, err);
	rc = rc < 0 ? rc : 0;
	if (rc == 0) {
		json_t *data = json_pack("{s:I}", "job_id", (json_int_t)job);
		rc = event_record(c, a->actor, "delivery.queued", "delivery", a->id, data, NULL, err);
		json_decref(data);
	}
	return rc;
}

enum MHD_Result
deliveries_create(struct request *req)
{
	static const char *const fields[] = { "target_id", "rendition_id", "file_id", NULL };
	struct deliveries_arg a = { .actor = req->who.name };
	struct db_params q = { 0 };
	long long target, rend = 0, file = 0;
	struct err err;
	int rr, rf;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_int(req->json, "target_id", true, 1, INT64_MAX, &target, &err), &err) ||
	    !request_field_ok(req, rr = json_get_int(req->json, "rendition_id", false, 1, INT64_MAX, &rend, &err), &err) ||
	    !request_field_ok(req, rf = json_get_int(req->json, "file_id", false, 1, INT64_MAX, &file, &err), &err))
		return MHD_YES;
	if ((rr == 0) == (rf == 0))
		return reply_error(req, 400, "invalid", "give rendition_id (a proxy) or file_id (a camera "
		    "original), one of the two");
	db_param_ll(&q, target);
	db_param_ll_if(&q, rr == 0, rend);
	db_param_ll_if(&q, rf == 0, file);
	for (int i = 0; i < 3; i++)
		a.p[i] = q.v[i];
	if (db_tx(req->srv->db, deliveries_create_tx, &a, &err) < 0)
		return reply_err(req, &err);
	json_t *body = json_pack("{s:I,s:s}", "id", (json_int_t)a.id, "state", "queued");
	enum MHD_Result r = reply_json(req, 201, body);
	json_decref(body);
	return r;
}
