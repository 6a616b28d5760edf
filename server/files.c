/* files: one file of a card with its hashes and every copy of it. */
#include "http.h"

static const struct db_stmt stmt_file = { "library_file",
	"SELECT json_build_object('id', f.id, 'card_id', f.card_id, 'clip_id', f.clip_id, 'path',"
	" f.rel_path, 'size', f.size, 'mtime', f.mtime, 'role', f.role,"
	" 'hashes', (SELECT coalesce(json_object_agg(h.algorithm, h.value), '{}') FROM hashes h"
	"  WHERE h.file_id = f.id),"
	" 'copies', (SELECT coalesce(json_agg(json_build_object('id', cp.id, 'volume_id', v.id,"
	"  'volume', v.name, 'path', cp.rel_path, 'state', cp.state, 'verified_at', cp.verified_at,"
	"  'error', cp.error) ORDER BY v.name), '[]') FROM copies cp JOIN volumes v"
	"  ON v.id = cp.volume_id WHERE cp.file_id = f.id))::text FROM files f WHERE f.id = $1", 1 };

enum MHD_Result
files_get(struct request *req)
{
	const char *p[1] = { req->params[0] };
	long long id;

	if (!request_param_id(req, 0, &id))
		return MHD_YES;
	return reply_row(req, 200, &stmt_file, p[0], "file");
}
