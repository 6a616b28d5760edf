/* renditions: the proxies the transcode jobs made (their files are served by downloads.c). */
#include "http.h"

static const struct db_stmt stmt_renditions = { "library_renditions",
	LIST("SELECT r.id, r.clip_id, c.name AS clip, r.profile, r.state, r.rel_path, r.size, r.xxh64,"
	" r.error, r.created_at, r.finished_at, r.version, r.stale_at IS NOT NULL AS stale,"
	" r.stale_at, r.superseded_by FROM renditions r JOIN clips c ON c.id = r.clip_id"
	" WHERE ($1::bigint IS NULL OR r.clip_id = $1) AND ($2::text IS NULL OR r.state = $2)"
	" AND ($3::bigint = 0 OR setpost_production_of('clip', r.clip_id) = $3)"
	" ORDER BY r.id DESC LIMIT 500"), 3 };

enum MHD_Result
renditions_list(struct request *req)
{
	char scope[24];
	const char *p[3] = { NULL, NULL, scope };

	if (!request_query_id(req, "clip_id", &p[0]))
		return MHD_YES;
	p[1] = request_query(req, "state");
	request_scope_param(req, scope);
	return reply_items(req, &stmt_renditions, p);
}
