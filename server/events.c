/* events: the event log, newest first, filtered by subject and kind (the live stream is sse.c);
 * a token serving one production reads that production's events only (migration 0062). */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>

static const struct db_stmt stmt_events = { "library_events",
	LIST("SELECT id, at, actor, kind, subject_type, subject_id, CASE WHEN $7::bool THEN data"
	" ELSE setpost_redact_paths(data) END AS data FROM events"
	" WHERE ($1::bigint IS NULL OR id > $1) AND ($2::text IS NULL OR subject_type = $2)"
	" AND ($3::bigint IS NULL OR subject_id = $3) AND ($4::text IS NULL OR kind = $4)"
	" AND ($6::bigint = 0 OR production_id = $6)"
	" ORDER BY id DESC LIMIT $5"), 7 };

enum MHD_Result
events_list(struct request *req)
{
	const char *p[7], *lim = request_query(req, "limit");
	char limit[8] = "100", scope[24];
	char *end;

	if (!request_query_id(req, "since", &p[0]) || !request_query_id(req, "subject_id", &p[2]))
		return MHD_YES;
	if (lim && (strtol(lim, &end, 10) < 1 || strtol(lim, &end, 10) > 1000 || *end))
		return reply_error(req, 400, "invalid", "limit: expected 1 to 1000");
	if (lim)
		snprintf(limit, sizeof(limit), "%ld", strtol(lim, NULL, 10));
	p[1] = request_query(req, "subject_type");
	p[3] = request_query(req, "kind");
	p[4] = limit;
	request_scope_param(req, scope);
	p[5] = scope;
	/* Only admins read host paths (a card's source, a copy's error): server/files.c. */
	p[6] = req->who.role == ROLE_ADMIN ? "true" : "false";
	return reply_items(req, &stmt_events, p);
}
