/* transcode: POST /api/v1/clips/{id}/transcode, making a clip's proxies again (after a look
 * changed, or a transcode failed), for all the production's active profiles or some. */
#include "http.h"
#include "lib/store/event.h"
#include "lib/pipeline/pipeline.h"
#include "lib/media/profile.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt_clip = { "transcode_request_clip",
	"SELECT c.circled, c.state, m.status, m.decodable, coalesce(m.video_streams, 0),"
	" coalesce(m.vendor_tool, ''), p.settings, c.name,"
	" coalesce(m.vendor->'camera_proxy'->>'dailies_source' = 'true', false)"
	" FROM clips c JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id LEFT JOIN clip_media m ON m.clip_id = c.id"
	" WHERE c.id = $1 FOR UPDATE OF c", 1 };

struct transcode_req {
	long long clip_id, job_id;
	json_t *profiles;      /* borrowed; NULL: all active */
	const char *actor;
};

/* Why a clip cannot be transcoded now, or 0. */
static int
transcode_check(PGresult *r, struct err *err)
{
	const char *state = PQgetvalue(r, 0, 1), *name = PQgetvalue(r, 0, 7);

	if (!strcmp(state, "registered") || !strcmp(state, "copy_failed"))
		return err_set(err, SP_ECONFLICT, "%s is %s: proxies are made from secured clips", name,
		    state);
	if (PQgetisnull(r, 0, 2))
		return err_set(err, SP_ECONFLICT, "%s has not been probed yet (its probe job makes the"
		    " proxies when it ends)", name);
	if (!strcmp(PQgetvalue(r, 0, 2), "failed"))
		return err_set(err, SP_ECONFLICT, "%s could not be read: see GET /api/v1/clips/{id}/media",
		    name);
	/* camera raw whose camera proxy makes its dailies (lib/custody/clip_input.h) */
	if (!db_bool(r, 0, 3) && db_bool(r, 0, 8))
		return 0;
	if (!db_bool(r, 0, 3))
		return err_set(err, SP_ECONFLICT, "%s is camera raw ffmpeg cannot decode (%s) and its"
		    " card holds no camera proxy of it: setpost makes no proxies of it", name,
		    PQgetvalue(r, 0, 5));
	if (db_ll(r, 0, 4) == 0)
		return err_set(err, SP_ECONFLICT, "%s has no picture", name);
	return 0;
}

static int
transcode_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct transcode_req *t = arg;
	struct profile_set active;
	struct db_params q = { 0 };
	json_t *settings, *payload, *v;
	PGresult *r;
	size_t i;
	int n, rc;

	db_param_ll(&q, t->clip_id);
	if ((n = db_query(c, &stmt_clip, q.v, &r, err)) < 0)
		return n;
	if (n == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "clip %lld not found", t->clip_id);
	}
	settings = json_loads(PQgetvalue(r, 0, 6), 0, NULL);
	rc = transcode_check(r, err);
	PQclear(r);
	if (rc == 0 && (rc = profile_load(settings, NULL, &active, err)) == 0) {
		json_array_foreach(t->profiles, i, v) {
			bool found = false;
			for (int k = 0; k < active.n; k++)
				found |= strcmp(active.v[k].name, json_string_value(v)) == 0;
			if (!found) {
				rc = err_set(err, SP_EINVAL, "profiles[%zu]: %.60s is not an active profile of the"
				    " production (settings.proxy_active)", i, json_string_value(v));
				break;
			}
		}
		profile_set_release(&active);
	}
	json_decref(settings);
	if (rc < 0)
		return rc;
	if ((rc = pipeline_transcode(c, t->clip_id, t->profiles, &t->job_id, err)) < 0)
		return rc;
	payload = json_pack("{s:I}", "clip_id", (json_int_t)t->clip_id);
	if (t->profiles)
		json_object_set(payload, "profiles", t->profiles);
	rc = event_record(c, t->actor, "clip.transcode_requested", "clip", t->clip_id, payload,
	    NULL, err);
	json_decref(payload);
	return rc;
}

enum MHD_Result
clips_transcode(struct request *req)
{
	static const char *const fields[] = { "profiles", NULL };
	struct transcode_req t = { 0, 0, NULL, req->who.name };
	struct err err;
	json_t *v, *body;
	size_t i;
	enum MHD_Result r;

	if (!request_param_id(req, 0, &t.clip_id) || !request_json(req, fields))
		return MHD_YES;
	t.profiles = json_object_get(req->json, "profiles");
	if (t.profiles && (!json_is_array(t.profiles) || json_array_size(t.profiles) < 1 ||
	    json_array_size(t.profiles) > PROFILE_MAX))
		return reply_error(req, 400, "invalid", "profiles: expected 1 to %d profile names",
		    PROFILE_MAX);
	json_array_foreach(t.profiles, i, v)
		if (!json_is_string(v))
			return reply_error(req, 400, "invalid", "profiles[%zu]: expected a profile name", i);
	if (db_tx(req->srv->db, transcode_tx, &t, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:I,s:s}", "job_id", (json_int_t)t.job_id, "state", "queued");
	r = reply_json(req, 201, body);
	json_decref(body);
	return r;
}
