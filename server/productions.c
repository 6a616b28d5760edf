/* productions: the list, and a production's settings (copies required, hash, proxy profiles,
 * QC, show LUT), each checked before it is stored. */
#include "http.h"
#include "lib/custody/verification.h"
#include "lib/store/event.h"
#include "lib/media/profile.h"
#include "lib/core/json.h"
#include "lib/pipeline/pipeline.h"
#include "lib/pipeline/qchold.h"
#include "lib/store/params.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_productions = { "library_productions",
	LIST("SELECT id, name, required_copies, hash_algorithm, settings, show_lut_id, created_at"
	" FROM productions WHERE $1::bigint = 0 OR id = $1"
	" ORDER BY id"), 1 };

/* A token serving one production lists that one (server/scope.c). */
enum MHD_Result
productions_list(struct request *req)
{
	char scope[24];
	const char *p[1] = { scope };

	request_scope_param(req, scope);
	return reply_items(req, &stmt_productions, p);
}

/* The show LUT before a patch: a change makes the proxies of days without their own stale. */
static const struct db_stmt stmt_show_lut = { "library_production_show_lut",
	"SELECT coalesce(show_lut_id, 0) FROM productions WHERE id = $1", 1 };

struct productions_look_arg {
	long long id;
	const char *actor;
};

static int
productions_look_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct productions_look_arg *a = arg;
	struct pipeline_look_scope s = { .production_id = a->id, .show_lut = true };
	int rc = pipeline_look_changed(c, &s, a->actor, err);

	return rc < 0 ? rc : 0;
}

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
/* settings.unit names the cart's unit ("main unit", "2nd unit"): it travels with every delivery
 * and names a folder at the post house, so a short name, no separator or control character. */
static int
productions_unit_check(json_t *unit, struct err *err)
{
	const char *s = json_string_value(unit);
	size_t len = s ? strlen(s) : 0;

	if (unit == NULL || json_is_null(unit))
		return 0;
	if (s == NULL || len < 1 || len > 64 || s[0] == '.' || strpbrk(s, "/\\") != NULL)
		return err_set(err, SP_EINVAL, "settings.unit: expected a name of 1 to 64 characters, "
		    "without '/' or '\\', not starting with '.'");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return err_set(err, SP_EINVAL, "settings.unit: no control characters");
	return 0;
}

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
	n = productions_unit_check(json_object_get(merged, "unit"), &err);
	if (n >= 0)
		n = profile_settings_check(merged, &err);
	if (n >= 0) {
		/* The QC settings too (hold severity, what a hold blocks): the QC job, delivery and
		 * the dailies feed read them. */
		struct qc_settings qs;
		qc_settings_default(&qs);
		n = qc_settings_parse(&qs, json_object_get(merged, "qc"), &err);
	}
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
	struct db_params q = { 0 };
	struct err err;
	PGresult *r;
	long long owner;
	int n;

	db_param_ll(&q, lut);
	if ((n = db_exec(req->srv->db, &stmt_production_lut, q.v, &r, &err)) < 0)
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

struct production_patch {
	const char *const *p;       /* stmt_production_patch's parameters */
	long long id;
	int copies;                 /* required copies to set, 0: unchanged */
	const char *actor;
	json_t *body;
};

static int
productions_patch_tx(struct db_conn *c, void *arg, struct err *err)
{
	struct production_patch *x = arg;
	int rc;

	if ((rc = db_query(c, &stmt_production_patch, x->p, NULL, err)) < 0)
		return rc;
	if (rc == 0)
		return err_set(err, SP_ENOTFOUND, "production %lld not found", x->id);
	/* A new rule re-judges every card of the production at once (lib/custody/verification). */
	if (x->copies && (rc = custody_required_copies_apply(c, x->id, x->copies, x->actor, NULL,
	    NULL, err)) < 0)
		return rc;
	return event_record(c, x->actor, "production.updated", "production", x->id, x->body, NULL,
	    err);
}

enum MHD_Result
productions_patch(struct request *req)
{
	static const char *const fields[] = { "name", "required_copies", "hash_algorithm",
		"settings", "show_lut_id", NULL };
	static const char *const algos[] = { "xxh64", "xxh3", "xxh128", "md5", "sha1", "c4", NULL };
	const char *name = NULL, *algo = NULL, *p[7];
	struct db_params lut = { 0 };
	char *settings = NULL;
	struct production_patch x;
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
	db_param_ll_if(&lut, lut_id != 0, lut_id);
	if (json_object_get(req->json, "settings") &&
	    !productions_profiles_ok(req, json_object_get(req->json, "settings")))
		return MHD_YES;
	if (json_object_get(req->json, "settings"))
		settings = json_dumps(json_object_get(req->json, "settings"), JSON_COMPACT);
	x.id = id;
	x.copies = rc == 0 ? (int)n : 0;
	x.actor = req->who.name;
	x.body = req->json;
	x.p = p;
	/* The show LUT before the change: a new one makes the production's proxies stale. */
	long long old_lut = -1;
	PGresult *olr;
	const char *op[1] = { req->params[0] };
	int olrows;
	if (lutj && (olrows = db_exec(req->srv->db, &stmt_show_lut, op, &olr, &err)) >= 0) {
		if (olrows > 0)
			old_lut = db_ll(olr, 0, 0);
		PQclear(olr);
	}
	p[0] = req->params[0];
	p[1] = name;
	p[2] = NULL;                /* required_copies: set with its re-judging, below */
	p[3] = algo;
	p[4] = settings;
	p[5] = lutj ? "true" : "false";
	p[6] = lut.v[0];
	/* One transaction: a request refused anywhere changes nothing, the copies included. */
	rc = db_tx(req->srv->db, productions_patch_tx, &x, &err);
	free(settings);
	if (rc < 0)
		return reply_err(req, &err);
	if (lutj && old_lut >= 0 && old_lut != lut_id) {
		struct productions_look_arg la = { id, req->who.name };
		if (db_tx(req->srv->db, productions_look_tx, &la, &err) < 0)
			return reply_err(req, &err);
	}
	return reply_row(req, 200, &stmt_production_get, p[0], "production");
}
