/* routes: every route the server knows, in one table. Static files are the fallback for GET. */
#include "http.h"

#define ADMIN ROLE_ADMIN
#define ANY ROLE_ANY

const struct route server_routes[] = {
	{ "GET", "/api/v1/health", health_get, ROUTE_PUBLIC },
	{ "POST", "/api/v1/login", session_login, ROUTE_PUBLIC },
	{ "POST", "/api/v1/logout", session_logout, ANY },
	{ "GET", "/api/v1/session", session_get, ANY },
	{ "GET", "/metrics", metrics_get, ROLE_ADMIN | ROLE_POST },
	{ "GET", "/api/v1/jobs", jobs_list, ANY },
	{ "GET", "/api/v1/jobs/{id}", jobs_get, ANY },
	{ "POST", "/api/v1/jobs/{id}/cancel", jobs_cancel, ADMIN },
	{ "POST", "/api/v1/jobs/{id}/retry", jobs_retry, ADMIN },
	{ "POST", "/api/v1/offloads", offloads_register, ADMIN },
	{ "GET", "/api/v1/cards", cards_list, ANY },
	{ "GET", "/api/v1/cards/{id}", cards_get, ANY },
	{ "GET", "/api/v1/clips", clips_list, ANY },
	{ "GET", "/api/v1/clips/{id}", clips_get, ANY },
	{ "PATCH", "/api/v1/clips/{id}", clips_patch, ADMIN },
	{ "GET", "/api/v1/productions", productions_list, ANY },
	{ "PATCH", "/api/v1/productions/{id}", productions_patch, ADMIN },
	{ "GET", "/api/v1/days", days_list, ANY },
	{ "GET", "/api/v1/volumes", volumes_list, ADMIN | ROLE_POST },
	{ "GET", "/api/v1/files/{id}", files_get, ANY },
	{ "GET", "/api/v1/renditions", renditions_list, ANY },
	{ "GET", "/api/v1/targets", targets_list, ADMIN | ROLE_POST },
	{ "POST", "/api/v1/targets", targets_create, ADMIN },
	{ "DELETE", "/api/v1/targets/{id}", targets_delete, ADMIN },
	{ "GET", "/api/v1/deliveries", deliveries_list, ADMIN | ROLE_POST },
	{ "GET", "/api/v1/events", events_list, ANY },
	{ "GET", "/api/v1/events/stream", events_stream, ANY },
	{ "GET", "/api/v1/tokens", tokens_list, ADMIN },
	{ "POST", "/api/v1/tokens", tokens_create, ADMIN },
	{ "DELETE", "/api/v1/tokens/{id}", tokens_revoke, ADMIN },
	{ "GET", "/api/v1/users", users_list, ADMIN },
	{ "POST", "/api/v1/users", users_create, ADMIN },
	{ "PATCH", "/api/v1/users/{id}", users_update, ADMIN },
};

const int server_nroutes = sizeof(server_routes) / sizeof(server_routes[0]);
