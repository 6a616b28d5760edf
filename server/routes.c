/* routes: every route the server knows, in one table. Static files are the fallback for GET. */
#include "http.h"
#include "tus.h"

#define ADMIN ROLE_ADMIN
#define ANY ROLE_ANY

const struct route server_routes[] = {
	{ "GET", "/api/v1/health", health_get, ROUTE_PUBLIC, NULL },
	{ "GET", "/api/v1/openapi.json", openapi_get, ANY, NULL },
	{ "POST", "/api/v1/login", session_login, ROUTE_PUBLIC, NULL },
	{ "POST", "/api/v1/logout", session_logout, ANY, NULL },
	{ "GET", "/api/v1/session", session_get, ANY, NULL },
	{ "GET", "/metrics", metrics_get, ROLE_ADMIN | ROLE_POST, NULL },
	{ "GET", "/api/v1/jobs", jobs_list, ANY, NULL },
	{ "GET", "/api/v1/jobs/{id}", jobs_get, ANY, NULL },
	{ "POST", "/api/v1/jobs/{id}/cancel", jobs_cancel, ADMIN, NULL },
	{ "POST", "/api/v1/jobs/{id}/retry", jobs_retry, ADMIN, NULL },
	{ "POST", "/api/v1/offloads", offloads_register, ADMIN, NULL },
	{ "POST", "/api/v1/offload-jobs", offload_jobs_create, ADMIN, NULL },
	{ "GET", "/api/v1/cards", cards_list, ANY, NULL },
	{ "GET", "/api/v1/cards/{id}", cards_get, ANY, NULL },
	{ "GET", "/api/v1/cards/{id}/contact-sheet.jpg", media_contact_sheet_get, ANY, NULL },
	{ "GET", "/api/v1/clips", clips_list, ANY, NULL },
	{ "GET", "/api/v1/clips/{id}", clips_get, ANY, NULL },
	{ "GET", "/api/v1/clips/{id}/media", media_clip_get, ANY, NULL },
	{ "GET", "/api/v1/clips/{id}/thumbnails/{n}", media_thumbnail_get, ANY, NULL },
	{ "PATCH", "/api/v1/clips/{id}", clips_patch, ADMIN, NULL },
	{ "POST", "/api/v1/clips/{id}/transcode", clips_transcode, ADMIN, NULL },
	{ "GET", "/api/v1/productions", productions_list, ANY, NULL },
	{ "PATCH", "/api/v1/productions/{id}", productions_patch, ADMIN, NULL },
	{ "GET", "/api/v1/days", days_list, ANY, NULL },
	{ "GET", "/api/v1/volumes", volumes_list, ADMIN | ROLE_POST, NULL },
	{ "GET", "/api/v1/files/{id}", files_get, ANY, NULL },
	{ "GET", "/api/v1/renditions", renditions_list, ANY, NULL },
	{ "GET", "/api/v1/targets", targets_list, ADMIN | ROLE_POST, NULL },
	{ "POST", "/api/v1/targets", targets_create, ADMIN, NULL },
	{ "DELETE", "/api/v1/targets/{id}", targets_delete, ADMIN, NULL },
	{ "GET", "/api/v1/deliveries", deliveries_list, ADMIN | ROLE_POST, NULL },
	{ "POST", "/api/v1/deliveries", deliveries_create, ADMIN, NULL },
	{ "GET", "/api/v1/events", events_list, ANY, NULL },
	{ "GET", "/api/v1/events/stream", events_stream, ANY, NULL },
	{ "OPTIONS", "/api/v1/uploads/", tus_options, ROUTE_PUBLIC, NULL },
	{ "POST", "/api/v1/uploads/", tus_create_end, ADMIN | ROLE_POST, tus_create_chunk },
	{ "HEAD", "/api/v1/uploads/{id}", tus_head_route, ADMIN | ROLE_POST, NULL },
	{ "PATCH", "/api/v1/uploads/{id}", tus_patch_end, ADMIN | ROLE_POST, tus_patch_chunk },
	{ "DELETE", "/api/v1/uploads/{id}", tus_delete_route, ADMIN | ROLE_POST, NULL },
	{ "GET", "/api/v1/uploads/{id}/receipt", tus_receipt, ADMIN | ROLE_POST, NULL },
	{ "GET", "/api/v1/tokens", tokens_list, ADMIN, NULL },
	{ "POST", "/api/v1/tokens", tokens_create, ADMIN, NULL },
	{ "DELETE", "/api/v1/tokens/{id}", tokens_revoke, ADMIN, NULL },
	{ "GET", "/api/v1/users", users_list, ADMIN, NULL },
	{ "POST", "/api/v1/users", users_create, ADMIN, NULL },
	{ "PATCH", "/api/v1/users/{id}", users_update, ADMIN, NULL },
};

const int server_nroutes = sizeof(server_routes) / sizeof(server_routes[0]);
