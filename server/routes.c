/* routes: every route the server knows, in one table. Static files are the fallback for GET. */
#include "http.h"

const struct route server_routes[] = {
	{ "GET", "/api/v1/health", health_get },
	{ "GET", "/metrics", metrics_get },
	{ "GET", "/api/v1/jobs", jobs_list },
	{ "GET", "/api/v1/jobs/{id}", jobs_get },
};

const int server_nroutes = sizeof(server_routes) / sizeof(server_routes[0]);
