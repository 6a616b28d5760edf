/* The README's table of who may do what is the router's table: every route, its roles. */
#include "server/http.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
cell(int roles, int role)
{
	if (roles == ROUTE_PUBLIC)
		return "public";
	return (roles & role) ? "yes" : "no";
}

Test(readme, role_table_matches_the_router)
{
	FILE *f = fopen("README.md", "r");
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;

	cr_assert_not_null(f, "run from the repository root");
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	cr_assert_gt(n, 0);
	for (int i = 0; i < server_nroutes; i++) {
		const struct route *r = &server_routes[i];
		char want[400];
		snprintf(want, sizeof(want), "| `%s %s` | %s | %s | %s |", r->method, r->pattern,
		    cell(r->roles, ROLE_ADMIN), cell(r->roles, ROLE_EDITOR), cell(r->roles, ROLE_POST));
		cr_expect(strstr(text, want) != NULL, "README.md lacks the row: %s", want);
	}
	free(text);
}
