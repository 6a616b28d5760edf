/* dailies: the feed editorial pulls from. Every rendition that is done, in the order it became
 * ready (finished_at, then id), with what a cutting room needs to fetch, check and log it: its
 * size, xxh64 and ETag, the clip's slate and timecode, its day and card, and its download
 * address. Paged by keyset: `cursor` (or `since`) is the opaque position after which to list,
 * and every answer carries the `position` of its last item, so a client that remembers it can
 * ask later "what is new since what I saw". `since` also takes an ISO 8601 timestamp (ready
 * strictly after it). A rendition whose transaction commits after a later one was listed can
 * be passed over by a position; clients that must see everything rescan from the start now
 * and then (setpost pull does, on reconnect and every few minutes). */
#include "cursor.h"
#include "editorial.h"
#include "http.h"
#include "lib/core/buf.h"
#include "lib/pipeline/qchold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define DAILIES_TAG "dailies"

static const struct db_stmt stmt_dailies = { "dailies_list",
	"SELECT json_build_object('id', r.id, 'profile', r.profile, 'size', r.size, 'xxh64', r.xxh64,"
	" 'etag', '\"' || r.xxh64 || '-' || to_hex(r.size) || '\"',"
	" 'filename', regexp_replace(r.rel_path, '^.*/', ''), 'finished_at', r.finished_at,"
	" 'url', '/api/v1/renditions/' || r.id || '/file',"
	" 'clip', json_build_object('id', c.id, 'name', c.name, 'scene', c.scene, 'take', c.take,"
	"  'circled', c.circled, 'camera', coalesce(c.camera, k.camera), 'reel', c.reel,"
	"  'start_tc', c.start_tc, 'fps', CASE WHEN c.fps_num IS NULL THEN NULL"
	"  ELSE c.fps_num || '/' || c.fps_den END, 'duration_frames', c.duration_frames),"
	" 'day', json_build_object('id', d.id, 'date', d.shoot_date, 'ale', '/api/v1/days/' || d.id"
	"  || '/ale', 'ales', '/api/v1/days/' || d.id || '/ales',"
	"  'ccc', '/api/v1/days/' || d.id || '/looks.ccc'),"
	" 'card', json_build_object('id', k.id, 'label', k.label))::text,"
	" coalesce(r.finished_at, r.created_at)::text, r.id::text"
	" FROM renditions r JOIN clips c ON c.id = r.clip_id JOIN cards k ON k.id = c.card_id"
	" JOIN days d ON d.id = k.day_id"
	" WHERE r.state = 'done' AND r.size IS NOT NULL AND " QCHOLD_OFFERED_SQL("c", "d", "pull")
	" AND ($1::bigint IS NULL OR d.id = $1) AND ($2::date IS NULL OR d.shoot_date = $2)"
	" AND ($3::text IS NULL OR r.profile = $3)"
	" AND ($4::timestamptz IS NULL OR (coalesce(r.finished_at, r.created_at), r.id) >"
	"  ($4::timestamptz, coalesce($5::bigint, 9223372036854775807)))"
	" AND ($7::bigint = 0 OR d.production_id = $7)"
	" ORDER BY coalesce(r.finished_at, r.created_at), r.id LIMIT $6", 7 };

static const struct db_stmt stmt_ts = { "dailies_since_ts",
	"SELECT $1::timestamptz::text", 1 };

/* day: an id, or a shoot date YYYY-MM-DD. */
static bool
dailies_day(struct request *req, const char *v, const char **id, const char **date)
{
	char *end;

	*id = *date = NULL;
	if (v == NULL)
		return true;
	if (strtoll(v, &end, 10) > 0 && *end == '\0') {
		*id = v;
		return true;
	}
	if (strlen(v) == 10 && v[4] == '-' && v[7] == '-' && strspn(v, "0123456789-") == 10) {
		*date = v;
		return true;
	}
	reply_error(req, 400, "invalid", "day: expected a day id or a date YYYY-MM-DD");
	return false;
}

/* since/cursor: a position this feed gave, or (since only) an ISO 8601 timestamp. */
static bool
dailies_position(struct request *req, const char **p, char vals[][CURSOR_VAL_MAX])
{
	const char *cur = request_query(req, "cursor"), *since = request_query(req, "since");
	const char *field = cur ? "cursor" : "since", *v = cur ? cur : since;
	struct err err;
	PGresult *r;

	if (v == NULL)
		return true;
	if (cur == NULL && strlen(since) >= 10 && since[4] == '-' && since[7] == '-') {
		const char *q[1] = { since };
		if (strlen(since) > 64 || db_exec(req->srv->db, &stmt_ts, q, &r, &err) < 0) {
			reply_error(req, 400, "invalid", "since: expected a position from this feed or "
			    "an ISO 8601 time (2025-01-01T12:00:00Z)");
			return false;
		}
		snprintf(vals[0], CURSOR_VAL_MAX, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		p[3] = vals[0];
		return true;
	}
	if (cursor_read(field, v, DAILIES_TAG, 2, vals, &err) < 0) {
		reply_err(req, &err);
		return false;
	}
	p[3] = vals[0];
	p[4] = vals[1];
	return true;
}

enum MHD_Result
dailies_list(struct request *req)
{
	const char *p[7] = { NULL }, *lim = request_query(req, "limit");
	char vals[2][CURSOR_VAL_MAX], limit[8] = "100", scope[24], *end, *pos = NULL;
	struct buf out = BUF_INIT(0);
	enum MHD_Result res;
	struct err err;
	PGresult *r;
	long nl = 100;
	int n;

	if (!dailies_day(req, request_query(req, "day"), &p[0], &p[1]))
		return MHD_YES;
	p[2] = request_query(req, "profile");
	if (lim && ((nl = strtol(lim, &end, 10)) < 1 || nl > 1000 || *end))
		return reply_error(req, 400, "invalid", "limit: expected 1 to 1000");
	snprintf(limit, sizeof(limit), "%ld", nl);
	p[5] = limit;
	request_scope_param(req, scope);
	p[6] = scope;
	if (!dailies_position(req, p, vals))
		return MHD_YES;
	if ((n = db_exec(req->srv->db, &stmt_dailies, p, &r, &err)) < 0)
		return reply_err(req, &err);
	buf_appends(&out, "{\"items\":[");
	for (int i = 0; i < n; i++) {
		buf_appends(&out, i ? "," : "");
		buf_appends(&out, PQgetvalue(r, i, 0));
	}
	buf_appends(&out, "]");
	if (n > 0) {
		const char *keys[2] = { PQgetvalue(r, n - 1, 1), PQgetvalue(r, n - 1, 2) };
		pos = cursor_make(DAILIES_TAG, keys, 2);
	} else if (p[3]) {
		const char *keys[2] = { p[3], p[4] ? p[4] : "9223372036854775807" };
		pos = cursor_make(DAILIES_TAG, keys, 2);
	}
	/* position: where the next "since" starts; next_cursor only when more may follow now. */
	if (pos)
		buf_appendf(&out, ",\"position\":\"%s\"", pos);
	if (pos && n == nl)
		buf_appendf(&out, ",\"next_cursor\":\"%s\"", pos);
	buf_appends(&out, "}");
	free(pos);
	PQclear(r);
	res = reply_text(req, 200, "application/json", out.data, out.len);
	buf_release(&out);
	return res;
}
