/* copy_policy: a production's copy policy (GET, PATCH /api/v1/productions/{id}/copy-policy)
 * and where a volume is kept and what media it is (PATCH /api/v1/volumes/{id}): the inputs of
 * the second erase gate, "working drives safe to clear" (lib/custody/copy_policy.h). */
#include "http.h"
#include "lib/custody/copy_policy.h"
#include "lib/core/json.h"

#include <stdio.h>
#include <string.h>

enum MHD_Result
copy_policy_get_route(struct request *req)
{
	struct err err;
	json_t *out;
	long long id;
	enum MHD_Result r;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if (copy_policy_get(req->srv->db, id, &out, &err) < 0)
		return reply_err(req, &err);
	r = reply_json(req, 200, out);
	json_decref(out);
	return r;
}

enum MHD_Result
copy_policy_patch_route(struct request *req)
{
	static const char *const fields[] = { "copies", "media_types", "archive", "offsite", NULL };
	struct err err;
	json_t *out;
	long long id;
	enum MHD_Result r;

	if (!request_param_id(req, 0, &id) || !request_json(req, fields))
		return MHD_YES;
	if (copy_policy_set(req->srv->db, id, req->json, req->who.name, &out, &err) < 0)
		return reply_err(req, &err);
	r = reply_json(req, 200, out);
	json_decref(out);
	return r;
}

static const struct db_stmt stmt_volume_patch = { "copy_policy_volume_patch",
	"UPDATE volumes SET kind = coalesce($2, kind), location = coalesce($3, location)"
	" WHERE id = $1 RETURNING json_build_object('id', id, 'name', name, 'kind', kind,"
	" 'location', location, 'key', fs_uuid)::text", 3 };

static bool
one_of(const char *s, const char *const *set)
{
	while (s && *set && strcmp(*set, s) != 0)
		set++;
	return s == NULL || *set != NULL;
}

enum MHD_Result
volumes_patch(struct request *req)
{
	static const char *const fields[] = { "kind", "location", NULL };
	static const char *const kinds[] = { "disk", "raid", "shuttle", "lto", "nas", "cloud",
		"card", NULL };
	static const char *const places[] = { "on_set", "vault", "post_house", "offsite", NULL };
	const char *kind = NULL, *place = NULL;
	struct err err;
	PGresult *res;
	json_t *out;
	long long id;
	enum MHD_Result r;
	int n;

	if (!request_param_id(req, 0, &id) || !request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "kind", false, 16, &kind, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "location", false, 16, &place, &err),
	    &err))
		return MHD_YES;
	if (!one_of(kind, kinds))
		return reply_error(req, 400, "invalid", "kind: expected disk, raid, shuttle, lto, nas, "
		    "cloud or card");
	if (!one_of(place, places))
		return reply_error(req, 400, "invalid", "location: expected on_set, vault, post_house "
		    "or offsite");
	const char *p[3] = { req->params[0], kind, place };
	if ((n = db_exec(req->srv->db, &stmt_volume_patch, p, &res, &err)) < 0)
		return reply_err(req, &err);
	out = n ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	PQclear(res);
	if (n == 0)
		return reply_error(req, 404, "not_found", "volume %lld not found", id);
	r = reply_json(req, 200, out);
	json_decref(out);
	return r;
}
