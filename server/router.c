/* router: match a method and path against a route table (see http.h). Patterns are literal
 * segments, `{name}` segments (one path segment each) and a final `*` for the rest. */
#include "http.h"

#include <stdio.h>
#include <string.h>

/* Matches one pattern; fills req->params. */
static bool
router_path_matches(const char *pattern, const char *path, struct request *req)
{
	int np = 0;

	while (*pattern && *path) {
		if (pattern[0] == '*' && pattern[1] == '\0')
			return true;
		if (*pattern == '{') {
			size_t len = strcspn(path, "/");
			const char *close = strchr(pattern, '}');
			if (close == NULL || len == 0 || len >= sizeof(req->params[0]) ||
			    np >= ROUTE_MAX_PARAMS)
				return false;
			memcpy(req->params[np], path, len);
			req->params[np++][len] = '\0';
			pattern = close + 1;
			path += len;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	if (pattern[0] == '*' && pattern[1] == '\0')
		return true;
	if (*pattern || *path)
		return false;
	req->nparams = np;
	return true;
}

static void
router_add_allow(char *allow, size_t len, const char *method)
{
	size_t used = strlen(allow);

	if (strstr(allow, method))
		return;
	snprintf(allow + used, len - used, "%s%s", used ? ", " : "", method);
}

const struct route *
router_match(const struct route *routes, int n, const char *method, const char *path,
    struct request *req, char *allow, size_t allowlen)
{
	const char *m = method;

	allow[0] = '\0';
	/* HEAD is answered by the GET route, unless a route is for HEAD itself (tus). */
	if (strcmp(method, "HEAD") == 0) {
		m = "GET";
		for (int i = 0; i < n; i++)
			if (strcmp(routes[i].method, "HEAD") == 0 &&
			    router_path_matches(routes[i].pattern, path, req))
				return &routes[i];
	}
	for (int i = 0; i < n; i++) {
		if (!router_path_matches(routes[i].pattern, path, req))
			continue;
		if (strcmp(routes[i].method, m) == 0)
			return &routes[i];
		router_add_allow(allow, allowlen, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			router_add_allow(allow, allowlen, "HEAD");
	}
	return NULL;
}
