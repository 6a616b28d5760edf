/* The HTTP path as the router sees it (server/router.c with the server's own route table):
 * libmicrohttpd percent-decodes the request's path (MHD_http_unescape) before the access
 * handler runs, then router_match picks the route and copies the {name} segments. Input: a
 * method line, then the path as sent. Checks: a match fills exactly as many parameters as its
 * pattern has, each a non-empty, NUL-terminated piece of the decoded path without '/'; the
 * pattern's literal segments are the path's; a miss leaves Allow a list of methods. */
#include "tests/fuzz/fuzz.h"
#include "server/http.h"

static int
fuzz_pattern_params(const char *pattern)
{
	int n = 0;

	for (const char *p = pattern; (p = strchr(p, '{')) != NULL; p++)
		n++;
	return n;
}

/* The path's segments against the pattern's: literal ones equal, {name} ones the params. */
static void
fuzz_same_shape(const char *pattern, const char *path, const struct request *req)
{
	int k = 0;

	while (*pattern && *path) {
		size_t pl = strcspn(pattern, "/"), ul = strcspn(path, "/");
		if (pattern[0] == '{') {
			fuzz_check(k < req->nparams && strlen(req->params[k]) == ul &&
			    memcmp(req->params[k], path, ul) == 0, "param %d is not the path's segment",
			    k);
			k++;
		} else if (!(pattern[0] == '*' && pattern[1] == '\0')) {
			fuzz_check(pl == ul && memcmp(pattern, path, pl) == 0, "path %s is not %s", path,
			    pattern);
		} else {
			return;
		}
		pattern += pl;
		path += ul;
		if (*pattern == '/' && *path == '/') {
			pattern++;
			path++;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *method = fuzz_line(&data, &size), *path = fuzz_cstr(data, size);
	struct request *req = calloc(1, sizeof(*req));
	const struct route *r;
	char allow[128];

	if (req == NULL)
		abort();
	MHD_http_unescape(path);
	r = router_match(server_routes, server_nroutes, method, path, req, allow, sizeof(allow));
	if (r != NULL) {
		fuzz_check(req->nparams == fuzz_pattern_params(r->pattern) &&
		    req->nparams <= ROUTE_MAX_PARAMS, "%d params for %s", req->nparams, r->pattern);
		for (int i = 0; i < req->nparams; i++) {
			size_t n = strnlen(req->params[i], sizeof(req->params[i]));
			fuzz_check(n > 0 && n < sizeof(req->params[i]) && !strchr(req->params[i], '/'),
			    "param %d of %s", i, r->pattern);
		}
		fuzz_same_shape(r->pattern, path, req);
		fuzz_check(strcmp(r->method, method) == 0 || (strcmp(method, "HEAD") == 0 &&
		    strcmp(r->method, "GET") == 0), "%s %s answered by %s %s", method, path, r->method,
		    r->pattern);
	} else {
		fuzz_check(strnlen(allow, sizeof(allow)) < sizeof(allow), "Allow not terminated");
		for (const char *a = allow; *a; a++)
			fuzz_check((*a >= 'A' && *a <= 'Z') || *a == ',' || *a == ' ', "Allow '%s'", allow);
	}
	free(req);
	free(method);
	free(path);
	return 0;
}
