/* library: the smaller resources of the shoot: productions (with their settings), days,
 * volumes, files, renditions, targets (post-house endpoints), deliveries and the event log.
 * Lists are built as JSON by PostgreSQL and sent as they come. */
#include "http.h"
#include "lib/custody/verification.h"
#include "lib/store/event.h"
#include "lib/store/jobq.h"
#include "lib/media/profile.h"
#include "lib/core/json.h"
#include "lib/delivery/sealed.h"

#include <limits.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result
library_reply_rows(struct request *req, const struct db_stmt *st, const char *const *p,
    bool single, const char *what)
{
	struct err err;
	PGresult *r;
	enum MHD_Result res;
	int n;

	if ((n = db_exec(req->srv->db, st, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (single && (n == 0 || PQgetisnull(r, 0, 0))) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "%s %s not found", what, p[0]);
	}
	res = reply_text(req, 200, "application/json", PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return res;
}

#define LIST(sql) "SELECT json_build_object('items', coalesce(json_agg(x), '[]'))::text FROM (" sql ") x"

static const struct db_stmt stmt_productions = { "library_productions",
	LIST("SELECT id, name, required_copies, hash_algorithm, settings, show_lut_id, created_at"
	" FROM productions"
	" ORDER BY id"), 0 };
static const struct db_stmt stmt_days = { "library_days",
	LIST("SELECT d.id, d.production_id, d.shoot_date, d.label, d.wrapped_at, d.lut_id,"
	" (SELECT count(*) FROM cards k WHERE k.day_id = d.id) AS cards,"
	" (SELECT count(*) FROM clips c JOIN cards k ON k.id = c.card_id WHERE k.day_id = d.id) AS clips"
	" FROM days d WHERE ($1::bigint IS NULL OR d.production_id = $1)"
	" ORDER BY d.shoot_date DESC, d.id DESC"), 1 };
static const struct db_stmt stmt_volumes = { "library_volumes",
	LIST("SELECT v.id, v.name, v.kind, v.fs_uuid AS key, v.device_id, v.created_at,"
	" (SELECT coalesce(json_agg(json_build_object('host', m.host, 'mount_path', m.mount_path)), '[]')"
	"  FROM volume_mounts m WHERE m.volume_id = v.id) AS mounts,"
	" (SELECT count(*) FROM copies cp WHERE cp.volume_id = v.id AND cp.state = 'verified')"
	"  AS verified_copies FROM volumes v ORDER BY v.name, v.id"), 0 };
static const struct db_stmt stmt_file = { "library_file",
	"SELECT json_build_object('id', f.id, 'card_id', f.card_id, 'clip_id', f.clip_id, 'path',"
	" f.rel_path, 'size', f.size, 'mtime', f.mtime, 'role', f.role,"
	" 'hashes', (SELECT coalesce(json_object_agg(h.algorithm, h.value), '{}') FROM hashes h"
	"  WHERE h.file_id = f.id),"
	" 'copies', (SELECT coalesce(json_agg(json_build_object('id', cp.id, 'volume_id', v.id,"
	"  'volume', v.name, 'path', cp.rel_path, 'state', cp.state, 'verified_at', cp.verified_at,"
	"  'error', cp.error) ORDER BY v.name), '[]') FROM copies cp JOIN volumes v"
	"  ON v.id = cp.volume_id WHERE cp.file_id = f.id))::text FROM files f WHERE f.id = $1", 1 };
static const struct db_stmt stmt_renditions = { "library_renditions",
	LIST("SELECT r.id, r.clip_id, c.name AS clip, r.profile, r.state, r.rel_path, r.size, r.xxh64,"
	" r.error, r.created_at, r.finished_at FROM renditions r JOIN clips c ON c.id = r.clip_id"
	" WHERE ($1::bigint IS NULL OR r.clip_id = $1) AND ($2::text IS NULL OR r.state = $2)"
	" ORDER BY r.id DESC LIMIT 500"), 2 };
static const struct db_stmt stmt_targets = { "library_targets",
	LIST("SELECT id, production_id, name, url, recipient, bandwidth_limit, enabled, created_at"
	" FROM targets ORDER BY name"), 0 };
static const struct db_stmt stmt_deliveries = { "library_deliveries",
	LIST("SELECT dl.id, dl.target_id, t.name AS target, dl.rendition_id, dl.file_id, dl.state,"
	" dl.bytes_sent, dl.bytes_total, dl.rate, dl.eta_seconds, dl.error, dl.receipt, dl.created_at, dl.updated_at"
	" FROM deliveries dl JOIN targets t ON t.id = dl.target_id"
	" WHERE ($1::text IS NULL OR dl.state = $1) ORDER BY dl.id DESC LIMIT 500"), 1 };
static const struct db_stmt stmt_events = { "library_events",
	LIST("SELECT id, at, actor, kind, subject_type, subject_id, data FROM events"
	" WHERE ($1::bigint IS NULL OR id > $1) AND ($2::text IS NULL OR subject_type = $2)"
	" AND ($3::bigint IS NULL OR subject_id = $3) AND ($4::text IS NULL OR kind = $4)"
	" ORDER BY id DESC LIMIT $5"), 5 };

/* An optional positive id from the query string; replies 400 itself. */
static bool
library_qid(struct request *req, const char *name, const char **out)
{
	const char *v = request_query(req, name);
	char *end;

	*out = v;
	if (v == NULL || (strtoll(v, &end, 10) > 0 && *end == '\0'))
		return true;
	reply_error(req, 400, "invalid", "%s: expected an id", name);
	return false;
}

enum MHD_Result
productions_list(struct request *req)
{
	return library_reply_rows(req, &stmt_productions, NULL, false, NULL);
}

enum MHD_Result
days_list(struct request *req)
{
	const char *p[1];

	if (!library_qid(req, "production_id", &p[0]))
		return MHD_YES;
	return library_reply_rows(req, &stmt_days, p, false, NULL);
}

enum MHD_Result
volumes_list(struct request *req)
{
	return library_reply_rows(req, &stmt_volumes, NULL, false, NULL);
}

enum MHD_Result
files_get(struct request *req)
{
	const char *p[1] = { req->params[0] };
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	return library_reply_rows(req, &stmt_file, p, true, "file");
}

enum MHD_Result
renditions_list(struct request *req)
{
	const char *p[2];

	if (!library_qid(req, "clip_id", &p[0]))
		return MHD_YES;
	p[1] = request_query(req, "state");
	return library_reply_rows(req, &stmt_renditions, p, false, NULL);
}

enum MHD_Result
targets_list(struct request *req)
{
	return library_reply_rows(req, &stmt_targets, NULL, false, NULL);
}

enum MHD_Result
deliveries_list(struct request *req)
{
	const char *p[1] = { request_query(req, "state") };

	return library_reply_rows(req, &stmt_deliveries, p, false, NULL);
}

enum MHD_Result
events_list(struct request *req)
{
	const char *p[5], *lim = request_query(req, "limit");
	char limit[8] = "100";
	char *end;

	if (!library_qid(req, "since", &p[0]) || !library_qid(req, "subject_id", &p[2]))
		return MHD_YES;
	if (lim && (strtol(lim, &end, 10) < 1 || strtol(lim, &end, 10) > 1000 || *end))
		return reply_error(req, 400, "invalid", "limit: expected 1 to 1000");
	if (lim)
		snprintf(limit, sizeof(limit), "%ld", strtol(lim, NULL, 10));
	p[1] = request_query(req, "subject_type");
	p[3] = request_query(req, "kind");
	p[4] = limit;
	return library_reply_rows(req, &stmt_events, p, false, NULL);
}

/* --- writes: production settings and targets ------------------------------------------- */

static const struct db_stmt stmt_production_patch = { "library_production_patch",
	"UPDATE productions SET name = coalesce($2, name),"
	" required_copies = coalesce($3::int, required_copies),"
	" hash_algorithm = coalesce($4, hash_algorithm),"
	" settings = CASE WHEN $5::jsonb IS NULL THEN settings ELSE settings || $5::jsonb END,"
	" show_lut_id = CASE WHEN $6::bool THEN $7::bigint ELSE show_lut_id END"
	" WHERE id = $1", 7 };
/* The show LUT must be one of the production's own (server/looks.c uploads them). */
static const struct db_stmt stmt_production_settings = { "library_production_settings",
	"SELECT settings::text FROM productions WHERE id = $1", 1 };

/* Proxy profiles are checked here, so a bad one is refused now, not at the first transcode;
 * checked as they will be stored (the patch merged over the stored settings), so a patch that
 * activates a profile defined earlier passes and one that breaks a stored profile does not. */
static bool
productions_profiles_ok(struct request *req, json_t *patch)
{
	const char *p[1] = { req->params[0] };
	json_t *merged = NULL;
	struct err err;
	PGresult *r;
	int n;

	if ((n = db_exec(req->srv->db, &stmt_production_settings, p, &r, &err)) < 0)
		return reply_err(req, &err), false;
	if (n > 0)
		merged = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	PQclear(r);
	if (!json_is_object(merged)) {
		json_decref(merged);
		merged = json_object();
	}
	json_object_update(merged, patch);
	n = profile_settings_check(merged, &err);
	json_decref(merged);
	if (n < 0)
		return reply_error(req, 400, "invalid", "%s", err.msg), false;
	return true;
}

static const struct db_stmt stmt_production_lut = { "library_production_lut",
	"SELECT production_id FROM luts WHERE id = $1", 1 };
static const struct db_stmt stmt_production_get = { "library_production_get",
	"SELECT row_to_json(p)::text FROM productions p WHERE id = $1", 1 };

/* Replies 400 itself unless LUT lut belongs to production prod. */
static bool
productions_lut_ok(struct request *req, long long prod, long long lut)
{
	char sid[24];
	const char *p[1] = { sid };
	struct err err;
	PGresult *r;
	long long owner;
	int n;

	snprintf(sid, sizeof(sid), "%lld", lut);
	if ((n = db_exec(req->srv->db, &stmt_production_lut, p, &r, &err)) < 0)
		return reply_err(req, &err), false;
	owner = n ? db_ll(r, 0, 0) : 0;
	PQclear(r);
	if (n == 0)
		return reply_error(req, 400, "invalid", "show_lut_id: LUT %lld not found", lut), false;
	if (owner != prod)
		return reply_error(req, 400, "invalid", "show_lut_id: LUT %lld belongs to production "
		    "%lld, not %lld", lut, owner, prod), false;
	return true;
}

enum MHD_Result
productions_patch(struct request *req)
{
	static const char *const fields[] = { "name", "required_copies", "hash_algorithm",
		"settings", "show_lut_id", NULL };
	static const char *const algos[] = { "xxh64", "xxh3", "xxh128", "md5", "sha1", "c4", NULL };
	const char *name = NULL, *algo = NULL, *p[7];
	char copies[8], lut[24], *settings = NULL;
	long long id, n = 0, lut_id = 0;
	json_t *lutj;
	struct err err;
	int rc;

	if (!request_param_id(req, 0, &id) || !request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "name", false, 200, &name, &err), &err) ||
	    !request_field_ok(req, rc = json_get_int(req->json, "required_copies", false, 1, 10, &n, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "hash_algorithm", false, 8, &algo, &err), &err))
		return MHD_YES;
	const char *const *a = algos;
	while (algo && *a && strcmp(*a, algo) != 0)
		a++;
	if (algo && *a == NULL)
		return reply_error(req, 400, "invalid", "hash_algorithm: expected xxh64, xxh3, xxh128, md5, "
		    "sha1 or c4");
	if (json_object_get(req->json, "settings") && !json_is_object(json_object_get(req->json, "settings")))
		return reply_error(req, 400, "invalid", "settings: expected an object");
	lutj = json_object_get(req->json, "show_lut_id");
	if (lutj && !json_is_null(lutj) &&
	    (!request_field_ok(req, json_get_int(req->json, "show_lut_id", true, 1, INT64_MAX, &lut_id,
	    &err), &err) || !productions_lut_ok(req, id, lut_id)))
		return MHD_YES;
	snprintf(lut, sizeof(lut), "%lld", lut_id);
	if (json_object_get(req->json, "settings") &&
	    !productions_profiles_ok(req, json_object_get(req->json, "settings")))
		return MHD_YES;
	if (json_object_get(req->json, "settings"))
		settings = json_dumps(json_object_get(req->json, "settings"), JSON_COMPACT);
	snprintf(copies, sizeof(copies), "%lld", n);
	/* A new rule re-judges every card of the production at once (lib/custody/verification). */
	if (rc == 0 && custody_required_copies_set(req->srv->db, id, (int)n, req->who.name, NULL,
	    NULL, &err) < 0) {
		free(settings);
		return reply_err(req, &err);
	}
	p[0] = req->params[0];
	p[1] = name;
	p[2] = rc == 0 ? copies : NULL;
	p[3] = algo;
	p[4] = settings;
	p[5] = lutj ? "true" : "false";
	p[6] = lut_id ? lut : NULL;
	rc = db_exec(req->srv->db, &stmt_production_patch, p, NULL, &err);
	free(settings);
	if (rc < 0)
		return reply_err(req, &err);
	if (rc == 0)
		return reply_error(req, 404, "not_found", "production %lld not found", id);
	event_record_db(req->srv->db, req->who.name, "production.updated", "production", id,
	    req->json, NULL);
	return library_reply_rows(req, &stmt_production_get, p, true, "production");
}

static const struct db_stmt stmt_target_add = { "library_target_add",
	"INSERT INTO targets (production_id, name, url, recipient, bandwidth_limit, headers_sealed)"
	" VALUES ($1, $2, $3, $4, $5::bigint, decode($6, 'hex')) RETURNING json_build_object('id', id,"
	" 'production_id', production_id, 'name', name, 'url', url, 'recipient', recipient,"
	" 'bandwidth_limit', bandwidth_limit, 'enabled', enabled, 'headers', headers_sealed IS NOT NULL,"
	" 'created_at', created_at)::text", 6 };

/* The target's headers (a post house's token) are sealed with the key in DATA/keys: the
 * database never holds them in the clear. Workers that deliver need the same key file. */
static int
targets_seal_headers(struct request *req, json_t *headers, char **hex, struct err *err)
{
	char keydir[PATH_MAX + 8], *text;
	uint8_t key[SEALED_KEY_LEN], *blob;
	size_t blen;
	const char *k;
	json_t *v;
	int rc;

	*hex = NULL;
	if (headers == NULL)
		return 0;
	if (!json_is_object(headers))
		return err_set(err, SP_EINVAL, "headers: expected an object of header name: value");
	json_object_foreach(headers, k, v)
		if (!json_is_string(v) || strpbrk(k, "\r\n: ") || strpbrk(json_string_value(v), "\r\n") ||
		    *k == '\0')
			return err_set(err, SP_EINVAL, "headers.%.60s: expected a header name and a one-line "
			    "value", k);
	snprintf(keydir, sizeof(keydir), "%s/keys", req->srv->cfg->data_dir);
	if ((rc = sealed_key_load(keydir, key, err)) < 0)
		return rc;
	text = json_dumps(headers, JSON_COMPACT);
	rc = sealed_seal(key, (const uint8_t *)text, strlen(text), &blob, &blen, err);
	sodium_memzero(text, strlen(text));
	free(text);
	sodium_memzero(key, sizeof(key));
	if (rc < 0)
		return rc;
	*hex = malloc(blen * 2 + 1);
	sodium_bin2hex(*hex, blen * 2 + 1, blob, blen);
	free(blob);
	return 0;
}
static const struct db_stmt stmt_target_del = { "library_target_del",
	"DELETE FROM targets WHERE id = $1", 1 };

enum MHD_Result
targets_create(struct request *req)
{
	static const char *const fields[] = { "production_id", "name", "url", "recipient",
		"bandwidth_limit", "headers", NULL };
	const char *name, *url, *recipient, *p[6];
	char *sealed = NULL;
	char pid[24], bw[24];
	long long prod, limit = 0;
	struct err err;
	PGresult *r;
	enum MHD_Result res;
	int rc;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_int(req->json, "production_id", true, 1, INT64_MAX, &prod, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "name", true, 200, &name, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "url", true, 2000, &url, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "recipient", true, 200, &recipient, &err), &err) ||
	    !request_field_ok(req, rc = json_get_int(req->json, "bandwidth_limit", false, 1, INT64_MAX, &limit, &err), &err))
		return MHD_YES;
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return reply_error(req, 400, "invalid", "url: expected an http:// or https:// address");
	if (strncmp(recipient, "age1", 4) || strspn(recipient + 4, "023456789acdefghjklmnpqrstuvwxyz") !=
	    strlen(recipient + 4))
		return reply_error(req, 400, "invalid", "recipient: expected an age public key (age1…)");
	snprintf(pid, sizeof(pid), "%lld", prod);
	snprintf(bw, sizeof(bw), "%lld", limit);
	p[0] = pid;
	p[1] = name;
	p[2] = url;
	p[3] = recipient;
	p[4] = rc == 0 ? bw : NULL;
	if (targets_seal_headers(req, json_object_get(req->json, "headers"), &sealed, &err) < 0)
		return reply_err(req, &err);
	p[5] = sealed;
	rc = db_exec(req->srv->db, &stmt_target_add, p, &r, &err);
	free(sealed);
	if (rc < 0)
		return reply_err(req, &err);
	json_object_del(req->json, "headers");   /* never into the event log */
	event_record_db(req->srv->db, req->who.name, "target.created", "target",
	    strtoll(strstr(PQgetvalue(r, 0, 0), ":") + 1, NULL, 10), req->json, NULL);
	res = reply_text(req, 201, "application/json", PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return res;
}

enum MHD_Result
targets_delete(struct request *req)
{
	const char *p[1] = { req->params[0] };
	struct err err;
	long long id;
	int rc;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if ((rc = db_exec(req->srv->db, &stmt_target_del, p, NULL, &err)) < 0)
		return reply_err(req, &err);
	if (rc == 0)
		return reply_error(req, 404, "not_found", "target %lld not found", id);
	event_record_db(req->srv->db, req->who.name, "target.deleted", "target", id, NULL, NULL);
	return reply_text(req, 204, "application/json", "", 0);
}

static const struct db_stmt stmt_delivery_add = { "library_delivery_add",
	"WITH d AS (INSERT INTO deliveries (target_id, rendition_id, file_id) VALUES ($1, $2, $3)"
	" RETURNING id) SELECT d.id, coalesce((SELECT c.circled FROM clips c WHERE c.id ="
	" coalesce((SELECT clip_id FROM renditions WHERE id = $2), (SELECT clip_id FROM files"
	" WHERE id = $3))), false) FROM d", 3 };

struct deliveries_arg {
	const char *p[3];
	const char *actor;
	long long id;
};

/* Circled proxies first, then other proxies, then camera originals. */
static int
deliveries_create_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct deliveries_arg *a = arg;
	PGresult *r;
	json_t *payload;
	long long job;
	int rc, prio;

	if ((rc = db_query(c, &stmt_delivery_add, a->p, &r, err)) < 0)
		return rc;
	a->id = db_ll(r, 0, 0);
	prio = a->p[1] ? (db_bool(r, 0, 1) ? 30 : 20) : 10;
	PQclear(r);
	payload = json_pack("{s:I}", "delivery_id", (json_int_t)a->id);
	rc = jobq_enqueue(c, "upload", payload, prio, 8, &job, err);
	json_decref(payload);
	if (rc == 0) {
		json_t *data = json_pack("{s:I,s:i}", "job_id", (json_int_t)job, "priority", prio);
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
	char t[24], rid[24], fid[24];
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
	snprintf(t, sizeof(t), "%lld", target);
	snprintf(rid, sizeof(rid), "%lld", rend);
	snprintf(fid, sizeof(fid), "%lld", file);
	a.p[0] = t;
	a.p[1] = rr == 0 ? rid : NULL;
	a.p[2] = rf == 0 ? fid : NULL;
	if (db_tx(req->srv->db, deliveries_create_tx, &a, &err) < 0)
		return reply_err(req, &err);
	json_t *body = json_pack("{s:I,s:s}", "id", (json_int_t)a.id, "state", "queued");
	enum MHD_Result r = reply_json(req, 201, body);
	json_decref(body);
	return r;
}
