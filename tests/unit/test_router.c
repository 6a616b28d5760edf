/* router: literal and parameter segments, wildcard tails, Allow for known paths. */
#include "server/http.h"

#include <criterion/criterion.h>
#include <string.h>

static enum MHD_Result h(struct request *req) { (void)req; return MHD_YES; }

static const struct route routes[] = {
	{ "GET", "/api/v1/clips", h, 0, NULL },
	{ "POST", "/api/v1/clips", h, 0, NULL },
	{ "GET", "/api/v1/clips/{id}", h, 0, NULL },
	{ "PATCH", "/api/v1/clips/{id}", h, 0, NULL },
	{ "GET", "/api/v1/cards/{id}/clips/{n}", h, 0, NULL },
	{ "GET", "/files/*", h, 0, NULL },
};

static const struct route *
match(const char *m, const char *p, struct request *req, char *allow)
{
	memset(req, 0, sizeof(*req));
	return router_match(routes, 6, m, p, req, allow, 64);
}

Test(router, literal_and_parameters)
{
	struct request req;
	char allow[64];

	cr_expect_eq(match("GET", "/api/v1/clips", &req, allow), &routes[0]);
	cr_expect_eq(match("POST", "/api/v1/clips", &req, allow), &routes[1]);
	cr_expect_eq(match("PATCH", "/api/v1/clips/42", &req, allow), &routes[3]);
	cr_expect_str_eq(req.params[0], "42");
	cr_expect_eq(match("GET", "/api/v1/cards/7/clips/3", &req, allow), &routes[4]);
	cr_expect_str_eq(req.params[0], "7");
	cr_expect_str_eq(req.params[1], "3");
	cr_expect_eq(req.nparams, 2);
	cr_expect_eq(match("HEAD", "/api/v1/clips/1", &req, allow), &routes[2], "HEAD is GET");
	cr_expect_eq(match("GET", "/files/a/b/c.mov", &req, allow), &routes[5]);
}

Test(router, misses_and_allow)
{
	struct request req;
	char allow[64];

	cr_expect_null(match("GET", "/api/v1/clip", &req, allow));
	cr_expect_str_eq(allow, "");
	cr_expect_null(match("GET", "/api/v1/clips/", &req, allow), "empty parameter");
	cr_expect_null(match("GET", "/api/v1/clips/1/x", &req, allow));
	cr_expect_null(match("DELETE", "/api/v1/clips/9", &req, allow));
	cr_expect_str_eq(allow, "GET, HEAD, PATCH");
	cr_expect_null(match("PUT", "/api/v1/clips", &req, allow));
	cr_expect_str_eq(allow, "GET, HEAD, POST");
}
