/* cards: the list of cards, and one card with whether it is safe to format, and why not. */
#include "http.h"
#include "lib/pipeline/clipstate.h"
#include "lib/custody/copy_policy.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>

static const struct db_stmt stmt_cards = { "cards_list",
	"SELECT coalesce(json_agg(x ORDER BY x.shoot_date DESC, x.label), '[]')::text FROM ("
	" SELECT k.id, k.label, k.camera, k.kind, k.vendor, k.reel, d.shoot_date, d.id AS day_id,"
	"  (SELECT count(*) FROM clips c WHERE c.card_id = k.id) AS clips,"
	"  (SELECT count(*) FROM files f WHERE f.card_id = k.id) AS files,"
	"  (SELECT coalesce(sum(size), 0) FROM files f WHERE f.card_id = k.id) AS bytes,"
	"  k.offloading, v.safe AS safe_to_format, v.why_not, w.safe AS safe_to_clear, w.why_not AS why_not_clear"
	" FROM cards k JOIN days d ON d.id = k.day_id, setpost_card_verdict(k.id) v,"
	" setpost_card_clear_verdict(k.id) w"
	" WHERE ($1::bigint IS NULL OR k.day_id = $1) AND ($2::bigint = 0 OR d.production_id = $2)) x", 2 };

static const struct db_stmt stmt_card = { "cards_get",
	"SELECT json_build_object('id', k.id, 'label', k.label, 'camera', k.camera, 'kind', k.kind,"
	" 'vendor', k.vendor, 'reel', k.reel, 'day_id', d.id, 'shoot_date', d.shoot_date,"
	" 'required_copies', p.required_copies, 'production', p.name, 'offloading', k.offloading,"
	" 'files', (SELECT count(*) FROM files f WHERE f.card_id = k.id),"
	" 'bytes', (SELECT coalesce(sum(size), 0) FROM files f WHERE f.card_id = k.id),"
	" 'unreadable', (SELECT count(*) FROM clips c WHERE c.card_id = k.id"
	"  AND c.state = 'media_error'),"
	" 'clips', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'name', c.name,"
	"   'state', c.state, 'state_reason', c.state_reason) ORDER BY c.name), '[]')"
	"   FROM clips c WHERE c.card_id = k.id))::text"
	" FROM cards k JOIN days d ON d.id = k.day_id JOIN productions p ON p.id = d.production_id"
	" WHERE k.id = $1", 1 };

enum MHD_Result
cards_list(struct request *req)
{
	const char *day = request_query(req, "day_id");
	char scope[24];
	const char *p[2] = { day, scope };
	struct err err;
	json_t *items, *body;
	enum MHD_Result r;
	PGresult *res;
	char *end;

	if (day && (strtoll(day, &end, 10) <= 0 || *end))
		return reply_error(req, 400, "invalid", "day_id: expected a day id");
	request_scope_param(req, scope);
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
	struct db_params q = { 0 };
	json_t *why;
	PGresult *r;
	bool safe;
	int rc;

	db_param_ll(&q, a->id);
	if ((rc = db_query(c, &stmt_card, q.v, &r, err)) < 0)
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
	return copy_policy_card_annotate(c, a->id, a->card, err);
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
