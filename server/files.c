/* files: one file of a card with its hashes and every copy of it. Only admins see where a copy
 * lies on its volume and a copy's error (which can name host paths): editors and post houses
 * get the file's path on the card, and each copy's volume name, state and verification time
 * (issue 14: editors are refused /volumes, and host paths stay with them). */
#include "http.h"

#include <string.h>

static const struct db_stmt stmt_file = { "library_file",
	"SELECT json_build_object('id', f.id, 'card_id', f.card_id, 'clip_id', f.clip_id, 'path',"
	" f.rel_path, 'size', f.size, 'mtime', f.mtime, 'role', f.role,"
	" 'hashes', (SELECT coalesce(json_object_agg(h.algorithm, h.value), '{}') FROM hashes h"
	"  WHERE h.file_id = f.id),"
	" 'copies', (SELECT coalesce(json_agg(jsonb_build_object('id', cp.id, 'volume_id', v.id,"
	"  'volume', v.name, 'state', cp.state, 'verified_at', cp.verified_at) ||"
	"  CASE WHEN $2::bool THEN jsonb_build_object('path', cp.rel_path, 'error', cp.error)"
	"  ELSE '{}'::jsonb END ORDER BY v.name), '[]') FROM copies cp JOIN volumes v"
	"  ON v.id = cp.volume_id WHERE cp.file_id = f.id))::text FROM files f WHERE f.id = $1", 2 };

enum MHD_Result
files_get(struct request *req)
{
	const char *p[2] = { req->params[0], req->who.role == ROLE_ADMIN ? "true" : "false" };
	struct err err;
	PGresult *r;
	long long id;
	int n;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	if ((n = db_exec(req->srv->db, &stmt_file, p, &r, &err)) < 0)
		return reply_err(req, &err);
	if (n == 0 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return reply_error(req, 404, "not_found", "file %s not found", p[0]);
	}
	enum MHD_Result res = reply_text(req, 200, "application/json", PQgetvalue(r, 0, 0),
	    strlen(PQgetvalue(r, 0, 0)));
	PQclear(r);
	return res;
}
