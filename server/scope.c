/* scope: a post or editor token that serves one production (tokens.production_id) reads only
 * that production's things (issue 14). Every route whose path names a clip, card, day, file,
 * rendition, job, LUT or production by id is checked here before its handler runs, whatever
 * the handler: one of another production answers 404 like one that does not exist, so its
 * existence is not told either. The volume report and the tape catalogue, which list every
 * production's cards, are refused (403). Lists filter by request_scope() in their own SQL;
 * admins, sessions and tokens serving every production see all. */
#include "http.h"
#include "lib/store/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first path segment after /api/v1/ of a route with an id after it, and what it names
 * (the kinds of migration 0062's setpost_production_of). */
static const struct {
	const char *segment;
	const char *kind;
} scope_kinds[] = {
	{ "clips", "clip" }, { "cards", "card" }, { "days", "day" }, { "files", "file" },
	{ "renditions", "rendition" }, { "jobs", "job" }, { "luts", "lut" },
	{ "productions", "production" },
};

/* Views of the whole machine that list every production's cards and files: not for a token
 * serving one production (403; the volumes list itself names no production's things). */
static const char *const scope_whole[] = {
	"/api/v1/volumes/{id}/report", "/api/v1/tapes", "/api/v1/tapes/catalogue.csv",
	"/api/v1/tapes/{id}/catalogue.mhl",
};

static const struct db_stmt stmt_scope = { "scope_of",
	"SELECT coalesce(setpost_production_of($1, $2::bigint) = $3::bigint, false)", 3 };

long long
request_scope(const struct request *req)
{
	return req->who.role == ROLE_ADMIN ? 0 : req->who.production_id;
}

void
request_scope_param(const struct request *req, char out[24])
{
	snprintf(out, 24, "%lld", request_scope(req));
}

static const char *
scope_kind(const char *pattern)
{
	static const char prefix[] = "/api/v1/";
	size_t n;

	if (strncmp(pattern, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	pattern += sizeof(prefix) - 1;
	for (size_t i = 0; i < sizeof(scope_kinds) / sizeof(scope_kinds[0]); i++) {
		n = strlen(scope_kinds[i].segment);
		if (strncmp(pattern, scope_kinds[i].segment, n) == 0 && strncmp(pattern + n, "/{", 2) == 0)
			return scope_kinds[i].kind;
	}
	return NULL;
}

bool
scope_allows(struct request *req)
{
	const char *kind = scope_kind(req->route->pattern), *v = req->params[0];
	struct db_params q = { 0 };
	struct err err;
	PGresult *r;
	bool in;
	int n;

	if (request_scope(req) == 0)
		return true;
	for (size_t i = 0; i < sizeof(scope_whole) / sizeof(scope_whole[0]); i++)
		if (strcmp(req->route->pattern, scope_whole[i]) == 0) {
			reply_error(req, 403, "forbidden", "a token serving one production may not read "
			    "%s: it lists every production's cards", req->route->pattern);
			return false;
		}
	if (kind == NULL || req->nparams < 1)
		return true;
	/* Not an id: the handler refuses it (400) as it does for everyone. */
	if (v[0] < '1' || v[0] > '9' || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18)
		return true;
	db_param_str(&q, kind);
	db_param_str(&q, v);
	db_param_ll(&q, request_scope(req));
	if ((n = db_exec(req->srv->db, &stmt_scope, q.v, &r, &err)) < 0)
		return reply_err(req, &err), false;
	in = n == 1 && db_bool(r, 0, 0);
	PQclear(r);
	if (!in)
		reply_error(req, 404, "not_found", "%s %s not found", kind, v);
	return in;
}

bool
scope_production_query(struct request *req, const char **p, char buf[24])
{
	long long s = request_scope(req);

	if (s == 0)
		return true;
	if (*p && strtoll(*p, NULL, 10) != s) {
		reply_error(req, 404, "not_found", "production %s not found", *p);
		return false;
	}
	snprintf(buf, 24, "%lld", s);
	*p = buf;
	return true;
}
