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

