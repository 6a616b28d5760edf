/* workflow: a production's agreed workflow sheet (lib/pipeline/workflow.h).
 * GET /api/v1/productions/{id}/workflow: the current version ({production_id, production,
 * version, sheet, changed_by, changed_at}; version 0 and {} before any). PUT with the whole
 * sheet as the body: a new version and the event workflow.changed (200; the same sheet again
 * changes nothing and makes no version). The PDF and HTML to sign off are in reports.c. */
#include "http.h"
#include "lib/pipeline/workflow.h"

struct workflow_arg {
	long long id;
	const json_t *sheet;
	const char *actor;
	bool changed;
	json_t *out;
};

static int
workflow_get_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct workflow_arg *a = arg;

	return workflow_load(c, a->id, &a->out, err);
}

static int
workflow_put_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct workflow_arg *a = arg;

	return workflow_save(c, a->id, a->sheet, a->actor, &a->changed, &a->out, err);
}

static enum MHD_Result
workflow_reply(struct request *req, struct workflow_arg *a, db_tx_fn fn)
{
	enum MHD_Result r;
	struct err err;

	if (db_tx(req->srv->db, fn, a, &err) < 0) {
		json_decref(a->out);
		return reply_err(req, &err);
	}
	json_object_set_new(a->out, "changed", json_boolean(a->changed));
	r = reply_json(req, 200, a->out);
	json_decref(a->out);
	return r;
}

enum MHD_Result
workflow_get_route(struct request *req)
{
	struct workflow_arg a = { 0 };

	if (!request_param_id(req, 0, &a.id))
		return MHD_YES;
	return workflow_reply(req, &a, workflow_get_tx);
}

enum MHD_Result
workflow_put_route(struct request *req)
{
	static const char *const keys[] = { "cameras", "resolution", "frame_rate", "codecs",
		"colour_pipeline", "looks", "luts", "naming_rule", "copies_required", "media_rule",
		"archive_rule", "proxy_profiles", "delivery", "sound", "timecode", "contacts", "notes",
		NULL };
	struct workflow_arg a = { 0 };

	if (!request_param_id(req, 0, &a.id) || !request_json(req, keys))
		return MHD_YES;
	a.sheet = req->json;
	a.actor = req->who.name;
	return workflow_reply(req, &a, workflow_put_tx);
}
