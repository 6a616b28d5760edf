/* looks: the colour of the dailies. .cube LUTs the DIT uploads (parsed whole before a byte
 * is stored), the show LUT and a day's LUT, scene default CDLs, and importing CDLs from
 * .cc/.ccc/.cdl files or an ALE's ASC_SOP/ASC_SAT columns onto clips, all or nothing.
 * Every write records an event. LUT and import bodies are the files themselves, so those
 * routes take their body through looks_body_chunk (any content type). */
#include "http.h"
#include "lib/pipeline/pipeline.h"
#include "lib/editorial/ale.h"
#include "lib/media/cdl_json.h"
#include "lib/store/event.h"
#include "lib/store/params.h"
#include "lib/core/json.h"
#include "lib/media/lut.h"
#include "lib/media/look.h"
#include "looks.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LUT_JSON \
	"json_build_object('id', l.id, 'production_id', l.production_id, 'name', l.name, 'size'," \
	" l.size, 'title', l.title, 'sha256', l.sha256, 'bytes', octet_length(l.cube), 'created_at'," \
	" l.created_at, 'show_lut', EXISTS (SELECT 1 FROM productions p WHERE p.show_lut_id = l.id)," \
	" 'days', (SELECT coalesce(json_agg(d.id ORDER BY d.id), '[]') FROM days d" \
	"  WHERE d.lut_id = l.id))"

static const struct db_stmt stmt_production = { "looks_production",
	"SELECT id FROM productions WHERE $1::bigint IS NULL OR id = $1 ORDER BY id LIMIT 2", 1 };
static const struct db_stmt stmt_lut_add = { "looks_lut_add",
	"INSERT INTO luts (production_id, name, size, title, cube, sha256)"
	" VALUES ($1, $2, $3::int, $4, decode($5, 'hex'), $6) RETURNING id", 6 };
static const struct db_stmt stmt_lut_list = { "looks_lut_list",
	"SELECT json_build_object('items', coalesce(json_agg(" LUT_JSON " ORDER BY l.name, l.id),"
	" '[]'))::text FROM luts l WHERE $1::bigint IS NULL OR l.production_id = $1", 1 };
static const struct db_stmt stmt_lut_get = { "looks_lut_get",
	"SELECT " LUT_JSON "::text FROM luts l WHERE l.id = $1", 1 };
static const struct db_stmt stmt_lut_cube = { "looks_lut_cube",
	"SELECT encode(cube, 'hex'), name FROM luts WHERE id = $1", 1 };
static const struct db_stmt stmt_lut_del = { "looks_lut_del",
	"DELETE FROM luts WHERE id = $1 RETURNING name, production_id", 1 };

/* --- shared helpers ------------------------------------------------------------------------ */

/* Takes a route's body whatever its type (a .cube, a .ccc, an ALE, or JSON), up to
 * --max-body bytes. */
void
looks_body_chunk(struct request *req, const char *data, size_t len)
{
	if (data == NULL || req->answered || req->body_too_big)
		return;
	if (buf_append(&req->body, data, len) < 0) {
		req->body_too_big = true;
		buf_release(&req->body);
		reply_error(req, 413, "too_large", "request body over the limit of %ld bytes",
		    req->srv->cfg->max_body);
	}
}

static bool
looks_is_json(struct request *req)
{
	const char *ct = request_header(req, "Content-Type");

	return ct && strncasecmp(ct, "application/json", 16) == 0;
}

/* The production a request is about: ?production_id=, else the only one there is. Replies
 * itself and returns false when it cannot tell. */
bool
looks_production(struct request *req, const char *given, char out[24])
{
	const char *p[1] = { given };
	struct err err;
	PGresult *r;
	char *end;
	int n;

	if (given && (strtoll(given, &end, 10) <= 0 || *end))
		return reply_error(req, 400, "invalid", "production_id: expected an id"), false;
	if ((n = db_exec(req->srv->db, &stmt_production, p, &r, &err)) < 0)
		return reply_err(req, &err), false;
	if (n == 1)
		snprintf(out, 24, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (n == 1)
		return true;
	if (given)
		reply_error(req, 404, "not_found", "production %s not found", given);
	else if (n == 0)
		reply_error(req, 400, "invalid", "production_id: there is no production yet");
	else
		reply_error(req, 400, "invalid", "production_id: required, there are several "
		    "productions");
	return false;
}

/* --- LUTs ---------------------------------------------------------------------------------- */

struct looks_lut_arg {
	const char *p[6];
	const char *actor;
	long long id;
	size_t bytes;
	int size;
};

static int
looks_lut_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct looks_lut_arg *a = arg;
	PGresult *r;
	json_t *data;
	int rc;

	if ((rc = db_query(c, &stmt_lut_add, a->p, &r, err)) < 0)
		return rc == SP_ECONFLICT ? err_set(err, SP_ECONFLICT, "name: this production has a "
		    "LUT named %s already; delete it first or choose another name", a->p[1]) : rc;
	a->id = db_ll(r, 0, 0);
	PQclear(r);
	data = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I}", "name", a->p[1], "size", a->size,
	    "title", a->p[3], "sha256", a->p[5], "bytes", (json_int_t)a->bytes, "production_id",
	    (json_int_t)strtoll(a->p[0], NULL, 10));
	rc = event_record(c, a->actor, "lut.uploaded", "lut", a->id, data, NULL, err);
	json_decref(data);
	return rc;
}

enum MHD_Result
luts_create(struct request *req)
{
	static const char *const fields[] = { "name", "cube", "production_id", NULL };
	const char *name = request_query(req, "name"), *prod = request_query(req, "production_id");
	const char *text = req->body.data;
	size_t len = req->body.len;
	struct looks_lut_arg a = { .actor = req->who.name };
	struct lut l = LUT_INIT;
	unsigned char sum[crypto_hash_sha256_BYTES];
	char pid[24], size[12], hex[crypto_hash_sha256_BYTES * 2 + 1], *cubehex;
	struct db_params num = { 0 };   /* the production given in JSON, then the new LUT's id */
	struct err err;
	long long pv;
	int rc;

	if (req->body_too_big)
		return MHD_YES;
	if (looks_is_json(req)) {
		if (!request_json(req, fields) ||
		    !request_field_ok(req, json_get_string(req->json, "name", true, 200, &name, &err), &err) ||
		    !request_field_ok(req, json_get_string(req->json, "cube", true, SIZE_MAX, &text, &err), &err) ||
		    !request_field_ok(req, rc = json_get_int(req->json, "production_id", false, 1, INT64_MAX, &pv, &err), &err))
			return MHD_YES;
		len = strlen(text);
		if (rc == 0) {
			db_param_ll(&num, pv);
			prod = num.v[0];
		}
	}
	if (name == NULL || *name == '\0' || strlen(name) > 200)
		return reply_error(req, 400, "invalid", "name: required (?name=...), 1 to 200 characters");
	if (len == 0)
		return reply_error(req, 400, "invalid", "cube: the body is empty; send the .cube file");
	if (!looks_production(req, prod, pid))
		return MHD_YES;
	/* Parsed whole before anything is stored: a wrong line refuses the file. */
	if (lut_read_cube_mem(&l, text, len, name, &err) < 0)
		return reply_err(req, &err);
	snprintf(size, sizeof(size), "%d", l.size);
	crypto_hash_sha256(sum, (const unsigned char *)text, len);
	sodium_bin2hex(hex, sizeof(hex), sum, sizeof(sum));
	if ((cubehex = malloc(len * 2 + 1)) == NULL) {
		lut_release(&l);
		return reply_error(req, 500, "internal", "out of memory");
	}
	sodium_bin2hex(cubehex, len * 2 + 1, (const unsigned char *)text, len);
	a.p[0] = pid;
	a.p[1] = name;
	a.p[2] = size;
	a.p[3] = l.title;
	a.p[4] = cubehex;
	a.p[5] = hex;
	a.bytes = len;
	a.size = l.size;
	rc = db_tx(req->srv->db, looks_lut_tx, &a, &err);
	free(cubehex);
	lut_release(&l);
	if (rc < 0)
		return reply_err(req, &err);
	db_param_ll(&num, a.id);
	return reply_row(req, 201, &stmt_lut_get, num.v[num.n - 1], "lut");
}

enum MHD_Result
luts_list(struct request *req)
{
	const char *p[1] = { request_query(req, "production_id") };
	char *end, scope[24];

	if (p[0] && (strtoll(p[0], &end, 10) <= 0 || *end))
		return reply_error(req, 400, "invalid", "production_id: expected an id");
	if (!scope_production_query(req, &p[0], scope))
		return MHD_YES;
	return reply_row(req, 200, &stmt_lut_list, p[0], "luts");
}

enum MHD_Result
luts_get(struct request *req)
{
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	return reply_row(req, 200, &stmt_lut_get, req->params[0], "lut");
}

enum MHD_Result
luts_cube(struct request *req)
{
	PGresult *r;
	char disp[300];
	unsigned char *bin;
	size_t hexlen, binlen = 0;
	long long id;

	if (!request_rows_by_id(req, &stmt_lut_cube, "lut", &id, &r))
		return MHD_YES;
	hexlen = strlen(PQgetvalue(r, 0, 0));
	if ((bin = malloc(hexlen / 2 + 1)) == NULL ||
	    sodium_hex2bin(bin, hexlen / 2 + 1, PQgetvalue(r, 0, 0), hexlen, NULL, &binlen, NULL) != 0) {
		free(bin);
		PQclear(r);
		return reply_error(req, 500, "internal", "cannot read LUT %lld", id);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%.200s.cube\"", PQgetvalue(r, 0, 1));
	for (char *s = disp + 22; *s; s++)
		if ((*s == '"' && s[1] != '\0') || (unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '_';
	PQclear(r);
	return reply_download(req, "text/plain; charset=utf-8", disp, bin, binlen, true, NULL, NULL);
}

enum MHD_Result
luts_delete(struct request *req)
{
	PGresult *r;
	json_t *data;
	long long id;

	if (!request_rows_by_id(req, &stmt_lut_del, "lut", &id, &r))
		return MHD_YES;
	data = json_pack("{s:s,s:I}", "name", PQgetvalue(r, 0, 0), "production_id",
	    (json_int_t)db_ll(r, 0, 1));
	PQclear(r);
	event_record_db(req->srv->db, req->who.name, "lut.deleted", "lut", id, data, NULL);
	json_decref(data);
	return reply_text(req, 204, "application/json", "", 0);
}

/* --- a day's LUT --------------------------------------------------------------------------- */

static const struct db_stmt stmt_day_old = { "looks_day_old",
	"SELECT d.lut_id, d.production_id FROM days d WHERE d.id = $1 FOR UPDATE", 1 };
static const struct db_stmt stmt_lut_owner = { "looks_lut_owner",
	"SELECT production_id FROM luts WHERE id = $1", 1 };
static const struct db_stmt stmt_day_lut = { "looks_day_lut",
	"UPDATE days SET lut_id = $2 WHERE id = $1", 2 };
static const struct db_stmt stmt_day_get = { "looks_day_get",
	"SELECT json_build_object('id', d.id, 'production_id', d.production_id, 'shoot_date',"
	" d.shoot_date, 'label', d.label, 'lut_id', d.lut_id, 'wrapped_at', d.wrapped_at)::text"
	" FROM days d WHERE d.id = $1", 1 };

/* SP_EINVAL unless LUT lut belongs to production prod (what), or lut is NULL. */
int
looks_lut_check(struct db_conn *c, const char *lut, long long prod, const char *what,
    struct err *err)
{
	const char *p[1] = { lut };
	PGresult *r;
	long long owner;
	int rc;

	if (lut == NULL)
		return 0;
	if ((rc = db_query(c, &stmt_lut_owner, p, &r, err)) < 0)
		return rc;
	owner = rc ? db_ll(r, 0, 0) : 0;
	PQclear(r);
	if (rc == 0)
		return err_set(err, SP_EINVAL, "%s: LUT %s not found", what, lut);
	if (owner != prod)
		return err_set(err, SP_EINVAL, "%s: LUT %s belongs to production %lld, not %lld", what,
		    lut, owner, prod);
	return 0;
}

struct looks_day_arg {
	const char *id, *lut, *actor;
};

static int
looks_day_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct looks_day_arg *a = arg;
	const char *p[2] = { a->id, a->lut };
	PGresult *r;
	json_t *data, *from;
	long long prod;
	int rc;

	if ((rc = db_query(c, &stmt_day_old, p, &r, err)) < 0)
		return rc;
	if (rc == 0) {
		PQclear(r);
		return err_set(err, SP_ENOTFOUND, "day %s not found", a->id);
	}
	from = db_val(r, 0, 0) ? json_integer(db_ll(r, 0, 0)) : json_null();
	prod = db_ll(r, 0, 1);
	PQclear(r);
	if ((rc = looks_lut_check(c, a->lut, prod, "lut_id", err)) < 0 ||
	    (rc = db_query(c, &stmt_day_lut, p, NULL, err)) < 0) {
		json_decref(from);
		return rc;
	}
	data = json_pack("{s:{s:o,s:o}}", "lut_id", "from", from, "to",
	    a->lut ? json_integer(strtoll(a->lut, NULL, 10)) : json_null());
	json_t *lj = json_object_get(data, "lut_id");
	bool changed = !json_equal(json_object_get(lj, "from"), json_object_get(lj, "to"));
	rc = event_record(c, a->actor, "day.updated", "day", strtoll(a->id, NULL, 10), data, NULL,
	    err);
	json_decref(data);
	if (rc == 0 && changed) {
		struct pipeline_look_scope s = { .day_id = strtoll(a->id, NULL, 10) };
		if ((rc = pipeline_look_changed(c, &s, a->actor, err)) > 0)
			rc = 0;
	}
	return rc;
}

enum MHD_Result
days_patch(struct request *req)
{
	static const char *const fields[] = { "lut_id", NULL };
	struct looks_day_arg a = { req->params[0], NULL, req->who.name };
	struct db_params lut = { 0 };
	struct err err;
	long long id, v;

	if (!request_param_id(req, 0, &id) || !request_json(req, fields))
		return MHD_YES;
	if (json_object_get(req->json, "lut_id") == NULL)
		return reply_error(req, 400, "invalid", "nothing to change: send lut_id (a LUT id or null)");
	if (!json_is_null(json_object_get(req->json, "lut_id"))) {
		if (!request_field_ok(req, json_get_int(req->json, "lut_id", true, 1, INT64_MAX, &v, &err),
		    &err))
			return MHD_YES;
		db_param_ll(&lut, v);
		a.lut = lut.v[0];
	}
	if (db_tx(req->srv->db, looks_day_tx, &a, &err) < 0)
		return reply_err(req, &err);
	return reply_row(req, 200, &stmt_day_get, req->params[0], "day");
}

/* --- scene defaults ------------------------------------------------------------------------ */

#define SCENE_JSON "json_build_object('production_id', s.production_id, 'scene', s.scene, 'cdl'," \
	" s.cdl, 'updated_at', s.updated_at)"

static const struct db_stmt stmt_scene_list = { "looks_scene_list",
	"SELECT json_build_object('items', coalesce(json_agg(" SCENE_JSON " ORDER BY s.scene), '[]'))"
	"::text FROM scene_looks s WHERE $1::bigint IS NULL OR s.production_id = $1", 1 };
static const struct db_stmt stmt_scene_old = { "looks_scene_old",
	"SELECT cdl::text FROM scene_looks WHERE production_id = $1 AND scene = $2 FOR UPDATE", 2 };
static const struct db_stmt stmt_scene_put = { "looks_scene_put",
	"INSERT INTO scene_looks AS s (production_id, scene, cdl) VALUES ($1, $2, $3::jsonb)"
	" ON CONFLICT (production_id, scene) DO UPDATE SET cdl = EXCLUDED.cdl, updated_at = now()"
	" RETURNING " SCENE_JSON "::text", 3 };
static const struct db_stmt stmt_scene_del = { "looks_scene_del",
	"DELETE FROM scene_looks WHERE production_id = $1 AND scene = $2 RETURNING cdl::text", 2 };

/* Sets (cdl not NULL) or deletes a scene's default in c's transaction, with its event.
 * *row gets the new row's JSON when out is not NULL (caller frees). Deleting a scene
 * without a default is SP_ENOTFOUND. */
int
looks_scene_write(struct db_conn *c, const char *prod, const char *scene, const struct cdl *cdl,
    const char *actor, json_t *extra, char **out, struct err *err)
{
	const char *p[3] = { prod, scene, NULL };
	char *text = NULL;
	PGresult *r;
	json_t *to = cdl ? cdl_to_json(cdl, true) : NULL, *data, *from;
	int rc;

	if ((rc = db_query(c, &stmt_scene_old, p, &r, err)) < 0)
		goto out;
	from = rc ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : json_null();
	PQclear(r);
	if (cdl == NULL && json_is_null(from)) {
		json_decref(from);
		rc = err_set(err, SP_ENOTFOUND, "scene %s has no default look", scene);
		goto out;
	}
	if (cdl) {
		p[2] = text = json_dumps(to, JSON_COMPACT | JSON_REAL_PRECISION(10));
		rc = db_query(c, &stmt_scene_put, p, &r, err);
	} else {
		rc = db_query(c, &stmt_scene_del, p, &r, err);
	}
	if (rc < 0) {
		json_decref(from);
		goto out;
	}
	if (out && cdl)
		*out = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	data = json_pack("{s:s,s:o,s:O}", "scene", scene, "from", from, "to", to ? to : json_null());
	if (extra)
		json_object_update(data, extra);
	rc = event_record(c, actor, cdl ? "scene_look.updated" : "scene_look.deleted",
	    "production", strtoll(prod, NULL, 10), data, NULL, err);
	json_decref(data);
	/* The scene's clips without a look of their own: their proxies are stale. */
	if (rc == 0) {
		struct pipeline_look_scope s = { .production_id = strtoll(prod, NULL, 10),
			.scene = scene };
		if ((rc = pipeline_look_changed(c, &s, actor, err)) > 0)
			rc = 0;
	}
out:
	free(text);
	json_decref(to);
	return rc < 0 ? rc : 0;
}

struct looks_scene_arg {
	const char *prod, *scene, *actor;
	const struct cdl *cdl;
	char *row;
};

static int
looks_scene_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct looks_scene_arg *a = arg;

	return looks_scene_write(c, a->prod, a->scene, a->cdl, a->actor, NULL, &a->row, err);
}

enum MHD_Result
scene_looks_list(struct request *req)
{
	const char *p = request_query(req, "production_id");
	char *end, scope[24];

	if (p && (strtoll(p, &end, 10) <= 0 || *end))
		return reply_error(req, 400, "invalid", "production_id: expected an id");
	if (!scope_production_query(req, &p, scope))
		return MHD_YES;
	return reply_row(req, 200, &stmt_scene_list, p, "scene looks");
}

static bool
looks_scene_ok(struct request *req)
{
	size_t n = strlen(req->params[0]);

	if (n >= 1 && n <= 64)
		return true;
	reply_error(req, 400, "invalid", "scene: 1 to 64 characters");
	return false;
}

enum MHD_Result
scene_looks_put(struct request *req)
{
	static const char *const fields[] = { "slope", "offset", "power", "sat", "id", NULL };
	struct looks_scene_arg a = { NULL, req->params[0], req->who.name, NULL, NULL };
	char prod[24];
	struct cdl cdl;
	struct err err;
	enum MHD_Result res;

	if (!looks_scene_ok(req) || !request_json(req, fields) ||
	    !looks_production(req, request_query(req, "production_id"), prod))
		return MHD_YES;
	if (cdl_from_json(req->json, "cdl", true, &cdl, &err) < 0)
		return reply_err(req, &err);
	a.prod = prod;
	a.cdl = &cdl;
	if (db_tx(req->srv->db, looks_scene_tx, &a, &err) < 0)
		return reply_err(req, &err);
	res = reply_text(req, 200, "application/json", a.row, strlen(a.row));
	free(a.row);
	return res;
}

enum MHD_Result
scene_looks_delete(struct request *req)
{
	struct looks_scene_arg a = { NULL, req->params[0], req->who.name, NULL, NULL };
	char prod[24];
	struct err err;

	if (!looks_scene_ok(req) || !looks_production(req, request_query(req, "production_id"), prod))
		return MHD_YES;
	a.prod = prod;
	if (db_tx(req->srv->db, looks_scene_tx, &a, &err) < 0)
		return reply_err(req, &err);
	return reply_text(req, 204, "application/json", "", 0);
}

/* --- a clip's look baked for post ---------------------------------------------------------- */

static const struct db_stmt stmt_cube_names = { "looks_cube_names",
	"SELECT p.name, d.shoot_date::text, coalesce(c.scene, ''), c.name FROM clips c"
	" JOIN cards k ON k.id = c.card_id JOIN days d ON d.id = k.day_id"
	" JOIN productions p ON p.id = d.production_id WHERE c.id = $1", 1 };

/* GET /api/v1/clips/{id}/look.cube[?size=33|65][&part=lut]: the clip's whole look (its CDL,
 * or its scene's, then the day's or show LUT) baked into one cube, what the proxies were made
 * with, named <show>_<day>_<scene>_<look>.cube (lib/media/look.h). part=lut: the LUT alone
 * (404 when the clip has none), which the dashboard applies after the CDL it previews live. */
enum MHD_Result
clips_look_cube(struct request *req)
{
	const char *sz = request_query(req, "size"), *part = request_query(req, "part");
	struct look lk = LOOK_INIT;
	struct db_conn *c = NULL;
	char name[300], disp[340], *text = NULL, *end;
	size_t len = 0;
	long long id;
	long size = LUT_BAKE_DEFAULT;
	PGresult *r;
	struct err err;
	int rc;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if (sz && ((size = strtol(sz, &end, 10)) < LUT_BAKE_MIN || size > LUT_BAKE_MAX || *end))
		return reply_error(req, 400, "invalid", "size: expected %d to %d points",
		    LUT_BAKE_MIN, LUT_BAKE_MAX);
	if (part && strcmp(part, "lut") != 0)
		return reply_error(req, 400, "invalid", "part: expected lut (or nothing: the whole look)");
	if (!request_rows_by_id(req, &stmt_cube_names, "clip", &id, &r))
		return MHD_YES;
	if ((rc = db_acquire(req->srv->db, &c, &err)) == 0) {
		rc = look_load(c, id, &lk, &err);
		db_release(req->srv->db, c);
	}
	if (rc == 0 && part && lk.lut.size == 0) {
		PQclear(r);
		look_release(&lk);
		return reply_error(req, 404, "not_found", "clip %lld has no day or show LUT", id);
	}
	if (rc == 0 && part) {
		lk.has_cdl = false;
		cdl_init(&lk.cdl);
	}
	if (rc == 0) {
		look_cube_name(&lk, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
		    PQgetvalue(r, 0, 3), name, sizeof(name));
		rc = look_bake_text(&lk, (int)size, &text, &len, &err);
	}
	PQclear(r);
	look_release(&lk);
	if (rc < 0)
		return reply_err(req, &err);
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	return reply_download(req, "text/plain; charset=utf-8", disp, text, len, true, NULL, NULL);
}
