/* openapi: server/openapi.json and the route table (server/routes.c) say the same thing.
 * Every route is documented with its method and path ({id} as in the table; a trailing `*`
 * is written `{path}`), every documented operation is a route, each operation's x-roles is
 * its route's role mask (public routes: [] and `security: []`), every operation answers a
 * 2xx (and a 401 when it needs credentials), its path parameters are declared, and every
 * $ref resolves. A route added to the table without documenting it fails here.
 * Run from the repository root (the document is read from server/openapi.json). */
#include "server/http.h"
#include "lib/core/version.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPENAPI_FILE "server/openapi.json"

static json_t *doc;

static void
openapi_load(void)
{
	json_error_t jerr;

	doc = json_load_file(OPENAPI_FILE, JSON_REJECT_DUPLICATES, &jerr);
	cr_assert_not_null(doc, "%s: line %d column %d: %s (run the test from the repository "
	    "root)", OPENAPI_FILE, jerr.line, jerr.column, jerr.text);
}

static void
openapi_unload(void)
{
	json_decref(doc);
	doc = NULL;
}

TestSuite(openapi, .init = openapi_load, .fini = openapi_unload);

static const char *const role_names[] = { "admin", "editor", "post" };
static const int role_bits[] = { ROLE_ADMIN, ROLE_EDITOR, ROLE_POST };
#define NROLES 3

static const char *const http_methods[] = { "get", "put", "post", "delete", "options", "head",
	"patch", "trace", NULL };

static enum MHD_Result
dummy_handler(struct request *req)
{
	(void)req;
	return MHD_YES;
}

/* The document's path for a route pattern: the same, with a trailing "*" as "{path}". */
static void
doc_path(const char *pattern, char *out, size_t len)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		snprintf(out, len, "%.*s{path}", (int)(n - 1), pattern);
	else
		snprintf(out, len, "%s", pattern);
}

static void
lower(const char *s, char *out, size_t len)
{
	size_t i = 0;

	for (; s[i] && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static void
upper(const char *s, char *out, size_t len)
{
	size_t i = 0;

	for (; s[i] && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

/* Resolves a local JSON pointer reference ("#/components/schemas/Clip"); NULL if it does not. */
static json_t *
resolve_ref(json_t *root, const char *ref)
{
	json_t *cur = root;
	const char *p;
	char tok[256];

	if (strcmp(ref, "#") == 0)
		return root;
	if (strncmp(ref, "#/", 2) != 0)
		return NULL;
	p = ref + 2;
	for (;;) {
		size_t n = strcspn(p, "/"), o = 0;
		for (size_t i = 0; i < n && o + 1 < sizeof(tok); i++) {
			if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
				tok[o++] = p[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				tok[o++] = p[i];
			}
		}
		tok[o] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *end;
			long k = strtol(tok, &end, 10);
			cur = tok[0] && *end == '\0' && k >= 0 ? json_array_get(cur, (size_t)k) : NULL;
		} else {
			cur = NULL;
		}
		if (cur == NULL || p[n] == '\0')
			return cur;
		p += n + 1;
	}
}

/* An object that may be a {"$ref": ...}: what it stands for. */
static json_t *
deref(json_t *v)
{
	const char *ref = json_string_value(json_object_get(v, "$ref"));

	return ref ? resolve_ref(doc, ref) : v;
}

static bool
str_is(json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static json_t *
operation(const char *method, const char *pattern)
{
	char path[512], m[16];

	doc_path(pattern, path, sizeof(path));
	lower(method, m, sizeof(m));
	return json_object_get(json_object_get(json_object_get(doc, "paths"), path), m);
}

static const struct route *
route_for(const struct route *routes, int n, const char *method, const char *path)
{
	char m[16], p[512];

	upper(method, m, sizeof(m));
	for (int i = 0; i < n; i++) {
		doc_path(routes[i].pattern, p, sizeof(p));
		if (strcmp(routes[i].method, m) == 0 && strcmp(p, path) == 0)
			return &routes[i];
	}
	return NULL;
}

/* Routes of the table missing from the document, each reported; returns how many. */
static int
undocumented(const struct route *routes, int n, bool report)
{
	int missing = 0;

	for (int i = 0; i < n; i++) {
		if (json_is_object(operation(routes[i].method, routes[i].pattern)))
			continue;
		missing++;
		if (report)
			cr_log_error("route %s %s is not documented in %s", routes[i].method,
			    routes[i].pattern, OPENAPI_FILE);
	}
	return missing;
}

/* Checks an operation's x-roles and security against a route's mask; returns problems. */
static int
roles_mismatch(const struct route *r, json_t *op, bool report)
{
	json_t *roles = json_object_get(op, "x-roles"), *sec = json_object_get(op, "security"), *v;
	int mask = 0, problems = 0;
	size_t i;

	if (!json_is_array(roles)) {
		if (report)
			cr_log_error("%s %s: x-roles missing or not an array", r->method, r->pattern);
		return 1;
	}
	json_array_foreach(roles, i, v) {
		int bit = 0;
		for (int k = 0; k < NROLES; k++)
			if (json_is_string(v) && strcmp(json_string_value(v), role_names[k]) == 0)
				bit = role_bits[k];
		if (bit == 0 || (mask & bit)) {
			if (report)
				cr_log_error("%s %s: x-roles[%zu] is not a role or is repeated", r->method,
				    r->pattern, i);
			problems++;
		}
		mask |= bit;
	}
	if (mask != r->roles) {
		if (report)
			cr_log_error("%s %s: x-roles says mask %d, the route table %d", r->method,
			    r->pattern, mask, r->roles);
		problems++;
	}
	if (r->roles == ROUTE_PUBLIC) {
		if (!json_is_array(sec) || json_array_size(sec) != 0) {
			if (report)
				cr_log_error("%s %s: a public route needs \"security\": []", r->method,
				    r->pattern);
			problems++;
		}
		return problems;
	}
	if (sec == NULL)
		sec = json_object_get(doc, "security");
	if (!json_is_array(sec) || json_array_size(sec) == 0) {
		if (report)
			cr_log_error("%s %s: needs credentials but its security is empty", r->method,
			    r->pattern);
		return problems + 1;
	}
	json_array_foreach(sec, i, v) {
		if (!json_is_object(v) || json_object_size(v) == 0) {
			if (report)
				cr_log_error("%s %s: security[%zu] makes credentials optional", r->method,
				    r->pattern, i);
			problems++;
		}
	}
	return problems;
}

Test(openapi, header_and_version)
{
	json_t *info = json_object_get(doc, "info");

	cr_expect_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
	cr_expect_str_eq(json_string_value(json_object_get(info, "title")), "setpost");
	cr_expect_str_eq(json_string_value(json_object_get(info, "version")), SETPOST_VERSION,
	    "info.version must be lib/core/version.h's SETPOST_VERSION");
	cr_expect(json_is_object(json_object_get(json_object_get(json_object_get(doc,
	    "components"), "securitySchemes"), "bearerAuth")));
	cr_expect(json_is_object(json_object_get(json_object_get(json_object_get(doc,
	    "components"), "securitySchemes"), "cookieAuth")));
}

/* (a) every route of the table is documented with the same method and path. */
Test(openapi, every_route_is_documented)
{
	int missing = undocumented(server_routes, server_nroutes, true);

	cr_expect_eq(missing, 0, "%d of %d routes of server/routes.c are missing from %s",
	    missing, server_nroutes, OPENAPI_FILE);
}

/* (b) every documented operation is a route of the table. */
Test(openapi, every_operation_is_a_route)
{
	json_t *paths = json_object_get(doc, "paths"), *item;
	const char *path;
	int ops = 0;

	cr_assert(json_is_object(paths), "no paths");
	json_object_foreach(paths, path, item) {
		const char *key;
		json_t *op;
		json_object_foreach(item, key, op) {
			bool method = false;
			for (int k = 0; http_methods[k]; k++)
				method |= strcmp(key, http_methods[k]) == 0;
			if (!method)
				continue;
			ops++;
			cr_expect_not_null(route_for(server_routes, server_nroutes, key, path),
			    "%s documents %s %s, which is not in the route table (server/routes.c)",
			    OPENAPI_FILE, key, path);
		}
	}
	cr_expect_gt(ops, 0);
}

/* (c) x-roles is the route's role mask; public routes have [] and security: []. */
Test(openapi, roles_match_the_route_table)
{
	for (int i = 0; i < server_nroutes; i++) {
		const struct route *r = &server_routes[i];
		json_t *op = operation(r->method, r->pattern);
		if (op == NULL)
			continue;   /* reported by every_route_is_documented */
		cr_expect_eq(roles_mismatch(r, op, true), 0, "%s %s: x-roles/security disagree "
		    "with the route table", r->method, r->pattern);
	}
}

/* (d) every operation answers a 2xx, and a 401 when it needs credentials; path parameters
 * are declared, required, in the path. */
Test(openapi, responses_and_path_parameters)
{
	for (int i = 0; i < server_nroutes; i++) {
		const struct route *r = &server_routes[i];
		json_t *op = operation(r->method, r->pattern), *resp, *params, *p;
		char path[512];
		const char *code, *s;
		bool ok2xx = false;
		size_t k;

		if (op == NULL)
			continue;
		resp = json_object_get(op, "responses");
		json_object_foreach(resp, code, p)
			ok2xx |= code[0] == '2' && strlen(code) == 3;
		cr_expect(ok2xx, "%s %s: no 2xx response", r->method, r->pattern);
		if (r->roles != ROUTE_PUBLIC)
			cr_expect_not_null(json_object_get(resp, "401"), "%s %s: needs credentials "
			    "but documents no 401", r->method, r->pattern);
		doc_path(r->pattern, path, sizeof(path));
		params = json_object_get(op, "parameters");
		for (s = strchr(path, '{'); s; s = strchr(s + 1, '{')) {
			char name[128];
			bool found = false;
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(s + 1, "}"), s + 1);
			json_array_foreach(params, k, p) {
				json_t *d = deref(p);
				if (json_is_object(d) && str_is(json_object_get(d, "in"), "path") &&
				    str_is(json_object_get(d, "name"), name)) {
					found = true;
					cr_expect(json_is_true(json_object_get(d, "required")), "%s %s: path "
					    "parameter %s must be required", r->method, r->pattern, name);
				}
			}
			cr_expect(found, "%s %s: path parameter {%s} is not declared", r->method,
			    r->pattern, name);
		}
	}
}

static int
check_refs(json_t *v, const char *where, int depth)
{
	int bad = 0;

	if (depth > 64)
		return 0;
	if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach(v, key, child) {
			if (strcmp(key, "$ref") == 0 && json_is_string(child)) {
				if (resolve_ref(doc, json_string_value(child)) == NULL) {
					cr_log_error("%s: $ref %s does not resolve", where,
					    json_string_value(child));
					bad++;
				}
				continue;
			}
			char sub[512];
			snprintf(sub, sizeof(sub), "%s/%s", where, key);
			bad += check_refs(child, sub, depth + 1);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			char sub[512];
			snprintf(sub, sizeof(sub), "%s/%zu", where, i);
			bad += check_refs(child, sub, depth + 1);
		}
	}
	return bad;
}

/* (e) every $ref resolves inside the document. */
Test(openapi, every_ref_resolves)
{
	int bad = check_refs(doc, "#", 0);

	cr_expect_eq(bad, 0, "%d $ref do not resolve", bad);
}

Test(openapi, operation_ids_are_unique)
{
	json_t *seen = json_object(), *item, *op;
	const char *path, *key;

	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		json_object_foreach(item, key, op) {
			const char *id = json_string_value(json_object_get(op, "operationId"));
			if (id == NULL)
				continue;
			cr_expect_null(json_object_get(seen, id), "operationId %s used twice", id);
			json_object_set_new(seen, id, json_true());
		}
	}
	json_decref(seen);
}

/* The checks themselves catch what they are for: a route the document lacks, and roles that
 * differ from the table. */
Test(openapi, checks_catch_drift)
{
	static const struct route extra[] = {
		{ .method = "GET", .pattern = "/api/v1/health", .handler = dummy_handler,
		    .roles = ROUTE_PUBLIC },
		{ .method = "GET", .pattern = "/api/v1/not-documented/{id}",
		    .handler = dummy_handler, .roles = ROLE_ANY },
		{ .method = "PUT", .pattern = "/api/v1/health", .handler = dummy_handler,
		    .roles = ROLE_ADMIN },
	};
	static const struct route wrong_roles = { .method = "GET", .pattern = "/metrics",
		.handler = dummy_handler, .roles = ROLE_ANY };
	static const struct route made_public = { .method = "GET", .pattern = "/metrics",
		.handler = dummy_handler, .roles = ROUTE_PUBLIC };
	static const struct route made_private = { .method = "GET", .pattern = "/api/v1/health",
		.handler = dummy_handler, .roles = ROLE_ADMIN };

	cr_expect_eq(undocumented(extra, 3, false), 2);
	cr_expect_gt(roles_mismatch(&wrong_roles, operation("GET", "/metrics"), false), 0);
	cr_expect_gt(roles_mismatch(&made_public, operation("GET", "/metrics"), false), 0);
	cr_expect_gt(roles_mismatch(&made_private, operation("GET", "/api/v1/health"), false), 0);
	cr_expect_null(route_for(extra, 3, "get", "/api/v1/jobs"));
	cr_expect_null(resolve_ref(doc, "#/components/schemas/NoSuchSchema"));
	cr_expect_not_null(resolve_ref(doc, "#/paths/~1api~1v1~1health/get"));
}
