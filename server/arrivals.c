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
	" 'xxh64', plain_xxh64, 'production', meta->>'production', 'day', meta->>'day',"
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
