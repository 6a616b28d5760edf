/* volume_roots: the folders an admin declared as volumes (lib/custody/confine): POST declares
 * one (as `setpost volume add` and `setpost offload --register` do), GET lists them. */
#include "http.h"
#include "lib/core/json.h"
#include "lib/custody/confine.h"
#include "lib/store/event.h"

#include <limits.h>
#include <stdlib.h>

static const struct db_stmt stmt_list = { "volume_roots_api_list",
	"SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'path', path,"
	" 'created_by', created_by, 'created_at', created_at) ORDER BY path), '[]')::text"
	" FROM volume_roots", 0 };

enum MHD_Result
volume_roots_list(struct request *req)
{
	struct err err;
	PGresult *r;
	json_t *body;
	enum MHD_Result res;

	if (db_exec(req->srv->db, &stmt_list, NULL, &r, &err) < 0)
		return reply_err(req, &err);
	body = json_pack("{s:o}", "items", json_loads(PQgetvalue(r, 0, 0), 0, NULL));
	PQclear(r);
	res = reply_json(req, 200, body);
	json_decref(body);
	return res;
}

enum MHD_Result
volume_roots_add(struct request *req)
{
	static const char *const fields[] = { "name", "path", NULL };
	const char *name, *path;
	char data[PATH_MAX];
	struct err err;
	long long id;
	bool created;
	json_t *body;
	enum MHD_Result res;

	if (!request_json(req, fields) ||
	    !request_field_ok(req, json_get_string(req->json, "name", true, 200, &name, &err), &err) ||
	    !request_field_ok(req, json_get_string(req->json, "path", true, 4096, &path, &err), &err))
		return MHD_YES;
	/* Judged on the text: the answer says nothing of what is on the disk. */
	if (confine_declare(req->srv->db, name, path, realpath(req->srv->cfg->data_dir, data) ?
	    data : NULL, req->who.name, &id, &created, &err) < 0)
		return reply_err(req, &err);
	if (created) {
		json_t *ev = json_pack("{s:s,s:s}", "name", name, "path", path);
		event_record_db(req->srv->db, req->who.name, "volume.declared", "volume_root", id, ev,
		    NULL);
		json_decref(ev);
	}
	body = json_pack("{s:I,s:s,s:s,s:b}", "id", (json_int_t)id, "name", name, "path", path,
	    "created", created);
	res = reply_json(req, created ? 201 : 200, body);
	json_decref(body);
	return res;
}
