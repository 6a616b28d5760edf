/* arrivals: what reached this post house, verified (GET /api/v1/arrivals). An arrival is an
 * upload the tus receiver decrypted and found equal to what the sender said (server/tus.c):
 * where it was filed, its size and xxh64, the sender's production/day/card/clip, and when it
 * was verified, its version (a proxy the cart made again arrives as a newer version of the
 * same name, and the older one is superseded_by it, its file kept in .superseded/). Newest first, paged by keyset (verified_at, id) with an opaque cursor. */
#include "http.h"
#include "cursor.h"
#include "lib/core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRIVALS_TAG "arrivals"

/* $1, $2: the cursor's verified_at and upload id (NULL for the first page); $3 the page size.
 * verified_at travels as the server's own text of it, so it reads back exactly. */
static const struct db_stmt stmt_arrivals = { "arrivals_list",
	"SELECT json_build_object('upload', id, 'path', stored_path, 'size', plain_size,"
	" 'xxh64', plain_xxh64, 'production', meta->>'production',"
	" 'unit', nullif(meta->>'unit', ''), 'day', meta->>'day',"
	" 'card', meta->>'card', 'clip', nullif(meta->>'clip', ''), 'filename', meta->>'filename',"
	" 'received_at', completed_at, 'verified_at', verified_at,"
	" 'version', coalesce(nullif(meta->>'version', ''), '1')::int, 'superseded_by', superseded_by)::text,"
	" verified_at::text, id"
	" FROM uploads WHERE state = 'verified'"
	" AND ($1::timestamptz IS NULL OR (verified_at, id) < ($1::timestamptz, $2))"
	" ORDER BY verified_at DESC, id DESC LIMIT $3::int", 3 };

enum MHD_Result
arrivals_list(struct request *req)
{
	const char *lim = request_query(req, "limit"), *cursor = request_query(req, "cursor");
	char vals[2][CURSOR_VAL_MAX], limit[8], *end;
	const char *p[3] = { NULL, NULL, limit };
	struct buf out = BUF_INIT(0);
	struct err err;
	enum MHD_Result res;
	PGresult *r;
	long n = 100;
	int rows;

	if (lim && ((n = strtol(lim, &end, 10)) < 1 || n > 500 || *end))
		return reply_error(req, 400, "invalid", "limit: expected 1 to 500");
	snprintf(limit, sizeof(limit), "%ld", n);
	if (cursor) {
		if (cursor_read("cursor", cursor, ARRIVALS_TAG, 2, vals, &err) < 0)
			return reply_err(req, &err);
		p[0] = vals[0];
		p[1] = vals[1];
	}
	if ((rows = db_exec(req->srv->db, &stmt_arrivals, p, &r, &err)) < 0)
		return reply_err(req, &err);
	/* The rows are JSON already: join them rather than parse and print them again. */
	buf_appends(&out, "{\"items\":[");
	for (int i = 0; i < rows; i++) {
		buf_appends(&out, i ? "," : "");
		buf_appends(&out, PQgetvalue(r, i, 0));
	}
	buf_appends(&out, "]");
	if (rows == n) {
		const char *keys[2] = { PQgetvalue(r, rows - 1, 1), PQgetvalue(r, rows - 1, 2) };
		char *cur = cursor_make(ARRIVALS_TAG, keys, 2);
		buf_appendf(&out, ",\"next_cursor\":\"%s\"", cur ? cur : "");
		free(cur);
	}
	buf_appends(&out, "}");
	PQclear(r);
	res = out.data ? reply_text(req, 200, "application/json", out.data, out.len) :
	    reply_error(req, 500, "internal", "out of memory");
	buf_release(&out);
	return res;
}

/* The post house's day report: per sender's production, unit and day, what arrived verified.
 * $1: one day (YYYY-MM-DD) or NULL for every day. */
static const struct db_stmt stmt_arrival_days = { "arrivals_days",
	"SELECT coalesce(json_agg(json_build_object('production', production, 'unit', unit,"
	"  'day', day, 'arrivals', n, 'bytes', bytes, 'cards', cards, 'clips', clips,"
	"  'first_verified_at', first_at, 'last_verified_at', last_at)"
	"  ORDER BY day DESC NULLS LAST, production, unit NULLS FIRST), '[]')::text"
	" FROM (SELECT meta->>'production' AS production, nullif(meta->>'unit', '') AS unit,"
	"  meta->>'day' AS day, count(*) AS n, sum(plain_size) AS bytes,"
	"  json_agg(DISTINCT meta->>'card') AS cards,"
	"  count(DISTINCT nullif(meta->>'clip', '')) AS clips, min(verified_at) AS first_at,"
	"  max(verified_at) AS last_at"
	"  FROM uploads WHERE state = 'verified' AND ($1::text IS NULL OR meta->>'day' = $1)"
	"  GROUP BY 1, 2, 3) g", 1 };

enum MHD_Result
arrivals_days(struct request *req)
{
	const char *day = request_query(req, "day");
	const char *p[1] = { day };
	struct buf out = BUF_INIT(0);
	struct err err;
	enum MHD_Result res;
	PGresult *r;
	int rows;

	if (day && (strlen(day) != 10 || strspn(day, "0123456789-") != 10 || day[4] != '-' ||
	    day[7] != '-'))
		return reply_error(req, 400, "invalid", "day: expected YYYY-MM-DD");
	if ((rows = db_exec(req->srv->db, &stmt_arrival_days, p, &r, &err)) < 0)
		return reply_err(req, &err);
	buf_appendf(&out, "{\"items\":%s}", rows > 0 ? PQgetvalue(r, 0, 0) : "[]");
	PQclear(r);
	res = out.data ? reply_text(req, 200, "application/json", out.data, out.len) :
	    reply_error(req, 500, "internal", "out of memory");
	buf_release(&out);
	return res;
}
