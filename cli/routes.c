/* routes: prints who may call each route, as the Markdown table docs/post-house.md carries. */
#include "cli.h"
#include "lib/store/auth.h"
#include "server/http.h"

#include <stdio.h>
#include <string.h>

static const char routes_usage[] =
	"usage: setpost routes\n\n"
	"Prints every route of the HTTP API and the roles that may call it, as a Markdown table,\n"
	"read from the server's own route table.\n";

static const char *
routes_cell(const struct route *r, int role)
{
	if (r->roles == ROUTE_PUBLIC)
		return "public";
	return (r->roles & role) ? "yes" : "no";
}

int
cmd_routes(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(routes_usage, stdout);
		return 0;
	}
	if (argc > 1)
		return cli_fail("routes", "unexpected argument '%s'", argv[1]);
	printf("| route | admin (DIT) | editor | post (post house) |\n"
	    "| --- | --- | --- | --- |\n");
	for (int i = 0; i < server_nroutes; i++) {
		const struct route *r = &server_routes[i];

		printf("| `%s %s` | %s | %s | %s |\n", r->method, r->pattern,
		    routes_cell(r, ROLE_ADMIN), routes_cell(r, ROLE_EDITOR),
		    routes_cell(r, ROLE_POST));
	}
	return 0;
}
